package dev.sluice.wire.compress;

import java.io.InputStream;

/**
 * A decompressing stream for formats made of independent blocks (LZ4 frames, snappy-java
 * chunks): it serves one decoded block at a time, so what it holds is one block, never the whole
 * payload. Subclasses decode the next block and {@link #publish} it, or mark the end with
 * {@link #finished}. Not thread-safe.
 */
abstract class BlockInputStream extends InputStream {
    private byte[] current = new byte[0];
    private int position;
    private int end;
    private boolean finished;

    /**
     * Decodes the next block and calls {@link #publish} with it, or {@link #finished} at the end of
     * the payload; may also publish an empty block.
     *
     * @throws dev.sluice.wire.codec.MalformedDataException for a garbled or truncated payload
     */
    protected abstract void nextBlock();

    /** Makes {@code bytes[offset, offset + length)} the block to serve; they must stay unchanged until it is read. */
    protected final void publish(byte[] bytes, int offset, int length) {
        current = bytes;
        position = offset;
        end = offset + length;
    }

    protected final void finished() {
        finished = true;
    }

    @Override
    public final int read() {
        return fill() ? current[position++] & 0xFF : -1;
    }

    @Override
    public final int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, end - position);
        System.arraycopy(current, position, b, off, n);
        position += n;
        return n;
    }

    /** Makes at least one byte available, or returns false at the end of the payload. */
    private boolean fill() {
        while (position >= end) {
            if (finished) {
                return false;
            }
            nextBlock();
        }
        return true;
    }
}
