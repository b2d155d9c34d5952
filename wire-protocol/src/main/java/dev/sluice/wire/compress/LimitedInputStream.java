package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts what a library's decompressing stream produces and fails once that passes the limit, so
 * a reader that consumes the stream piece by piece is bounded without knowing the codec. Not
 * thread-safe.
 */
final class LimitedInputStream extends FilterInputStream {
    private final String codec;
    private final int limit;
    private long produced;

    LimitedInputStream(String codec, InputStream in, int limit) {
        super(in);
        if (limit < 0) {
            throw new IllegalArgumentException("negative decompression limit " + limit);
        }
        this.codec = codec;
        this.limit = limit;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n <= 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = in.read(b, off, len);
        } catch (MalformedDataException e) {
            throw e;
        } catch (RuntimeException e) {
            // The input is bytes in memory: whatever a codec library throws while reading them
            // (zstd-jni throws an unchecked ZstdException) says they are not a valid payload.
            throw new MalformedDataException("corrupt " + codec + " payload: " + e.getMessage(), e);
        }
        if (n > 0) {
            count(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipping still decompresses; it must count like reading.
        byte[] scratch = new byte[(int) Math.min(n, 8192)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    private void count(int n) {
        produced += n;
        if (produced > limit) {
            throw new DecompressionLimitException(codec, limit);
        }
    }
}
