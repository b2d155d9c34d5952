package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;
import java.io.IOException;
import java.io.InputStream;
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
    default ByteBuffer decompress(ByteBuffer compressed, int maxDecompressedBytes) {
        BoundedSink sink = new BoundedSink(type().configName(), maxDecompressedBytes,
            (int) Math.min(Integer.MAX_VALUE - 16, compressed.remaining() * 4L));
        try (InputStream in = decompressingStream(compressed, maxDecompressedBytes)) {
            sink.drain(in);
        } catch (IOException e) {
            throw new MalformedDataException("corrupt " + type().configName() + " payload: " + e.getMessage(), e);
        }
        return sink.toByteBuffer();
    }

    /**
     * The bytes between {@code compressed}'s position and limit, decompressed as they are read: a
     * reader that walks records one at a time holds no more than the codec's own window and one
     * block, whatever the payload expands to. The stream must be closed (zstd holds native memory).
     *
     * <p>No allocation is sized by a length the input declares beyond what the format itself caps
     * (an LZ4 block, a snappy chunk checked against the most its compressed bytes could expand
     * to); reading fails with {@link DecompressionLimitException} as soon as more than
     * {@code maxDecompressedBytes} come out, and with {@link MalformedDataException} (or an
     * {@link IOException} from the codec library) for truncated or garbled input.
     */
    InputStream decompressingStream(ByteBuffer compressed, int maxDecompressedBytes);
}
