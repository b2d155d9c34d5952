package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A growable byte array that refuses to grow past a limit. Decoders append to it what they have
 * actually produced, so the memory a payload costs is bounded by the limit whatever the payload
 * claims about itself. Not thread-safe.
 */
final class BoundedSink {
    private static final int MIN_CAPACITY = 256;
    // A decompressor that keeps returning zero bytes without reaching the end would spin forever.
    private static final int MAX_EMPTY_READS = 64;

    private final String codec;
    private final int limit;
    private byte[] bytes;
    private int size;

    BoundedSink(String codec, int limit, int expectedSize) {
        if (limit < 0) {
            throw new IllegalArgumentException("negative decompression limit " + limit);
        }
        this.codec = codec;
        this.limit = limit;
        this.bytes = new byte[Math.min(limit, Math.max(MIN_CAPACITY, expectedSize))];
    }

    int size() {
        return size;
    }

    byte[] array() {
        return bytes;
    }

    /** Makes room for {@code n} more bytes at {@link #size()}, or fails if that passes the limit. */
    void reserve(int n) {
        if (n < 0 || n > limit - size) {
            throw new DecompressionLimitException(codec, limit);
        }
        int needed = size + n;
        if (needed > bytes.length) {
            long doubled = Math.max((long) bytes.length * 2, needed);
            bytes = Arrays.copyOf(bytes, (int) Math.min(doubled, limit));
        }
    }

    void advance(int n) {
        size += n;
    }

    void append(byte[] src, int offset, int length) {
        reserve(length);
        System.arraycopy(src, offset, bytes, size, length);
        size += length;
    }

    /** Drains {@code in} until it ends; IOExceptions become {@link MalformedDataException}. */
    void drain(InputStream in) throws IOException {
        int emptyReads = 0;
        while (true) {
            if (size == bytes.length) {
                if (size == limit) {
                    // Full at the limit: the payload is within bounds only if nothing more comes.
                    if (in.read() != -1) {
                        throw new DecompressionLimitException(codec, limit);
                    }
                    return;
                }
                reserve(1);
            }
            int n = in.read(bytes, size, bytes.length - size);
            if (n < 0) {
                return;
            }
            if (n == 0 && ++emptyReads > MAX_EMPTY_READS) {
                throw new MalformedDataException(codec + " decompressor stopped making progress");
            }
            size += n;
        }
    }

    ByteBuffer toByteBuffer() {
        return ByteBuffer.wrap(bytes, 0, size).slice();
    }
}
