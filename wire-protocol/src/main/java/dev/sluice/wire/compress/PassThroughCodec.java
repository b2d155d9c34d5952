package dev.sluice.wire.compress;

import java.io.InputStream;
import java.nio.ByteBuffer;

/** {@link CompressionType#NONE}: both directions copy, so the result never aliases the input. */
final class PassThroughCodec implements CompressionCodec {
    static final PassThroughCodec INSTANCE = new PassThroughCodec();

    private PassThroughCodec() {
    }

    @Override
    public CompressionType type() {
        return CompressionType.NONE;
    }

    @Override
    public ByteBuffer compress(ByteBuffer uncompressed) {
        return copy(uncompressed);
    }

    @Override
    public ByteBuffer decompress(ByteBuffer compressed, int maxDecompressedBytes) {
        if (compressed.remaining() > maxDecompressedBytes) {
            throw new DecompressionLimitException("uncompressed", maxDecompressedBytes);
        }
        return copy(compressed);
    }

    @Override
    public InputStream decompressingStream(ByteBuffer compressed, int maxDecompressedBytes) {
        if (compressed.remaining() > maxDecompressedBytes) {
            throw new DecompressionLimitException("uncompressed", maxDecompressedBytes);
        }
        return ByteRange.of(compressed).inputStream();
    }

    private static ByteBuffer copy(ByteBuffer in) {
        ByteBuffer out = ByteBuffer.allocate(in.remaining());
        out.put(in.duplicate()).flip();
        return out;
    }
}
