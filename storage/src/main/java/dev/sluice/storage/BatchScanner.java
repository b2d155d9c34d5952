package dev.sluice.storage;

import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Walks the record batch headers of a segment file forward from a batch start, never decoding
 * records and never looking at bytes at or past {@code end}. The file is read in windows, so runs
 * of small batches cost one read per window rather than one per batch; after a batch larger than
 * the window only the next header is read.
 *
 * <p>The walk stops quietly at the first batch that does not end before {@code end} (the rest of
 * it is not this reader's to see, or is a torn tail) and throws at a header whose length is
 * impossible. CRCs are not checked: the data was checked when it was appended or recovered. Not
 * thread-safe; one scanner per walk.
 */
final class BatchScanner {
    private static final int WINDOW_SIZE = 8 * 1024;
    /** Header bytes needed: through maxTimestamp. */
    private static final int HEADER_BYTES = 43;
    private static final int LENGTH_AT = 8;
    private static final int MAGIC_AT = 16;
    private static final int LAST_OFFSET_DELTA_AT = 23;
    private static final int MAX_TIMESTAMP_AT = 35;

    private final FileChannel channel;
    private final int end;
    private final ByteBuffer window = ByteBuffer.allocate(WINDOW_SIZE);
    private int windowStart;
    private int windowEnd;
    private int next;
    private int lastSize;

    private int position = -1;
    private int size;
    private long baseOffset;
    private long lastOffset;
    private long maxTimestamp;

    BatchScanner(FileChannel channel, int start, int end) {
        this.channel = channel;
        this.next = start;
        this.end = end;
    }

    /**
     * Moves to the next batch.
     *
     * @return false at {@code end} or before a batch that does not end before it
     * @throws CorruptBatchHeaderException if a header is impossible
     */
    boolean next() throws IOException {
        if ((long) next + RecordBatch.HEADER_SIZE > end) {
            return false;
        }
        if (next < windowStart || next + HEADER_BYTES > windowEnd) {
            fill(next);
            if (next + HEADER_BYTES > windowEnd) {
                return false;
            }
        }
        int at = next - windowStart;
        int length = window.getInt(at + LENGTH_AT);
        byte magic = window.get(at + MAGIC_AT);
        if (magic != RecordBatch.MAGIC || length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD) {
            throw new CorruptBatchHeaderException("batch header at byte " + next + " has magic " + magic
                + " and length " + length);
        }
        long batchEnd = (long) next + RecordBatch.LOG_OVERHEAD + length;
        if (batchEnd > end) {
            return false;
        }
        position = next;
        size = (int) (batchEnd - next);
        baseOffset = window.getLong(at);
        lastOffset = baseOffset + window.getInt(at + LAST_OFFSET_DELTA_AT);
        maxTimestamp = window.getLong(at + MAX_TIMESTAMP_AT);
        next = (int) batchEnd;
        lastSize = size;
        return true;
    }

    private void fill(int from) throws IOException {
        int want = lastSize >= WINDOW_SIZE ? HEADER_BYTES : WINDOW_SIZE;
        int limit = Math.min(want, end - from);
        window.clear().limit(limit);
        while (window.hasRemaining()) {
            int read = channel.read(window, (long) from + window.position());
            if (read < 0) {
                break;
            }
        }
        windowStart = from;
        windowEnd = from + window.position();
    }

    /** Byte position of the current batch. */
    int position() {
        return position;
    }

    /** Bytes of the current batch, framing included. */
    int size() {
        return size;
    }

    /** Position just after the current batch. */
    int endPosition() {
        return position + size;
    }

    long baseOffset() {
        return baseOffset;
    }

    long lastOffset() {
        return lastOffset;
    }

    long maxTimestamp() {
        return maxTimestamp;
    }

    /** A batch header in a segment that cannot be right; the segment needs recovery. */
    static final class CorruptBatchHeaderException extends IOException {
        private static final long serialVersionUID = 1L;

        CorruptBatchHeaderException(String message) {
            super(message);
        }
    }
}
