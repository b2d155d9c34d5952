package dev.sluice.wire.compress;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.sluice.wire.codec.MalformedDataException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * {@link CompressionType#ZSTD}: Zstandard frames (RFC 8878) via zstd-jni. Compression writes one
 * frame; reading streams through frames so that a frame's declared content size is never trusted
 * for allocation. The decoder's window is the one allocation a frame header decides: zstd caps it
 * at 2^27 bytes (its default {@code windowLogMax}), which level 22, the highest a Kafka producer
 * may use, needs.
 */
public final class ZstdCodec implements CompressionCodec {
    static final ZstdCodec DEFAULT = new ZstdCodec(3);

    private final int level;

    /** @param level a zstd level, from {@link Zstd#minCompressionLevel()} to {@link Zstd#maxCompressionLevel()} */
    public ZstdCodec(int level) {
        if (level < Zstd.minCompressionLevel() || level > Zstd.maxCompressionLevel()) {
            throw new IllegalArgumentException("zstd level out of range: " + level);
        }
        this.level = level;
    }

    @Override
    public CompressionType type() {
        return CompressionType.ZSTD;
    }

    @Override
    public ByteBuffer compress(ByteBuffer uncompressed) {
        ByteRange in = ByteRange.of(uncompressed);
        byte[] out = new byte[(int) Zstd.compressBound(in.length())];
        long written = Zstd.compressByteArray(out, 0, out.length, in.array(), in.offset(), in.length(), level);
        if (Zstd.isError(written)) {
            throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(written));
        }
        return ByteBuffer.wrap(out, 0, (int) written).slice();
    }

    @Override
    public InputStream decompressingStream(ByteBuffer compressed, int maxDecompressedBytes) {
        ByteRange in = ByteRange.of(compressed);
        if (in.length() == 0) {
            // The stream reader treats no input as no frames and returns nothing; a payload without
            // even one frame is not something a producer writes.
            throw new MalformedDataException("empty zstd payload");
        }
        try {
            // Pooled input/output buffers: a produce validation opens one stream per batch.
            InputStream zstd = new ZstdInputStreamNoFinalizer(in.inputStream(), RecyclingBufferPool.INSTANCE);
            return new LimitedInputStream("zstd", zstd, maxDecompressedBytes);
        } catch (IOException | ZstdException e) {
            throw new MalformedDataException("corrupt zstd payload: " + e.getMessage(), e);
        }
    }
}
