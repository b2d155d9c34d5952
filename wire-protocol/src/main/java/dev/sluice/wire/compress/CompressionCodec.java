package dev.sluice.wire.compress;

import java.nio.ByteBuffer;

/**
 * Compresses and decompresses the records section of a record batch as one unit, in the byte
 * format Kafka's clients write for the codec's {@link CompressionType}.
 *
 * <p>Neither method changes the position or limit of its argument. Implementations are stateless
 * and thread-safe.
 */
public interface CompressionCodec {
    CompressionType type();

    /** The bytes between {@code uncompressed}'s position and limit, compressed; a new heap buffer at position 0. */
    ByteBuffer compress(ByteBuffer uncompressed);

    /**
     * The bytes between {@code compressed}'s position and limit, decompressed into a new heap buffer
     * at position 0. Memory use follows the bytes actually produced, never a size the input claims.
     *
     * @param maxDecompressedBytes the most bytes the result may hold; a payload that expands past
     *     it is rejected as soon as it does, so a small hostile input cannot exhaust memory
     * @throws DecompressionLimitException if the output would exceed {@code maxDecompressedBytes}
     * @throws dev.sluice.wire.codec.MalformedDataException if the input is truncated or garbled
     */
    ByteBuffer decompress(ByteBuffer compressed, int maxDecompressedBytes);
}
