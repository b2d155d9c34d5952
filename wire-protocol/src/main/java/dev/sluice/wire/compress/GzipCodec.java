package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * {@link CompressionType#GZIP}: an RFC 1952 gzip stream (JDK {@code java.util.zip}). Reading
 * accepts concatenated members, as {@link GZIPInputStream} does.
 */
public final class GzipCodec implements CompressionCodec {
    static final GzipCodec DEFAULT = new GzipCodec(Deflater.DEFAULT_COMPRESSION);
    private static final int BUFFER_SIZE = 8 * 1024;

    private final int level;

    /** @param level a {@link Deflater} level: 1-9, or -1 for zlib's default (6) */
    public GzipCodec(int level) {
        if (level != Deflater.DEFAULT_COMPRESSION && (level < Deflater.BEST_SPEED || level > Deflater.BEST_COMPRESSION)) {
            throw new IllegalArgumentException("gzip level must be -1 or 1-9, not " + level);
        }
        this.level = level;
    }

    @Override
    public CompressionType type() {
        return CompressionType.GZIP;
    }

    @Override
    public ByteBuffer compress(ByteBuffer uncompressed) {
        ByteRange in = ByteRange.of(uncompressed);
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, in.length() / 2));
        try (OutputStream gzip = new LeveledGzipOutputStream(out, level)) {
            gzip.write(in.array(), in.offset(), in.length());
        } catch (IOException e) {
            // Only a ByteArrayOutputStream is underneath; it cannot fail.
            throw new UncheckedIOException(e);
        }
        return ByteBuffer.wrap(out.toByteArray());
    }

    @Override
    public InputStream decompressingStream(ByteBuffer compressed, int maxDecompressedBytes) {
        try {
            return new LimitedInputStream("gzip",
                new GZIPInputStream(ByteRange.of(compressed).inputStream(), BUFFER_SIZE), maxDecompressedBytes);
        } catch (IOException e) {
            // The constructor reads the member header.
            throw new MalformedDataException("corrupt gzip payload: " + e.getMessage(), e);
        }
    }

    /** {@link GZIPOutputStream} exposes its level only through its protected deflater. */
    private static final class LeveledGzipOutputStream extends GZIPOutputStream {
        LeveledGzipOutputStream(OutputStream out, int level) throws IOException {
            super(out, BUFFER_SIZE);
            def.setLevel(level);
        }
    }
}
