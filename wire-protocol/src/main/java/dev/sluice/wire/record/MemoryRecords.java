package dev.sluice.wire.record;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Record batches held in a buffer, exactly as they travel on the wire: batches back to back, each
 * framed by int64 base offset and int32 length (see {@link RecordBatch}). Wrapping never copies: a
 * produce request's records are a view of the request's own bytes.
 */
public final class MemoryRecords implements Records {
    public static final MemoryRecords EMPTY = new MemoryRecords(ByteBuffer.allocate(0));

    private final ByteBuffer buffer;

    private MemoryRecords(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /** Wraps the bytes between the buffer's position and limit (not copied). */
    public static MemoryRecords readableRecords(ByteBuffer buffer) {
        return new MemoryRecords(buffer.slice());
    }

    /** The batches, back to back, copied into one new buffer. */
    public static MemoryRecords withBatches(RecordBatch... batches) {
        int size = 0;
        for (RecordBatch batch : batches) {
            size = Math.addExact(size, batch.sizeInBytes());
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        for (RecordBatch batch : batches) {
            batch.writeTo(buffer);
        }
        return new MemoryRecords(buffer.flip());
    }

    /** A view of the bytes, position 0 to {@link #sizeInBytes()}; independent position and limit. */
    public ByteBuffer buffer() {
        return buffer.duplicate();
    }

    @Override
    public int sizeInBytes() {
        return buffer.limit();
    }

    @Override
    public void writeTo(ByteBuffer out) {
        out.put(buffer.duplicate());
    }

    /**
     * The batches, each a view of these bytes. The iterator checks each batch's framing as it
     * reaches it (magic 2, a length at least a header's and within the bytes left) and throws
     * {@link CorruptRecordException} at the first bad one, or {@link TruncatedBatchException} if the
     * bytes end inside a batch. CRCs are not checked here; see {@link RecordBatch#ensureValid()}.
     */
    public Iterable<RecordBatch> batches() {
        return () -> new BatchIterator(buffer, false);
    }

    /**
     * Like {@link #batches()}, but stops quietly before a partial batch at the end, as a consumer
     * of a fetch response must: a broker may cut a response anywhere in its last batch. Framing
     * errors before that still throw.
     */
    public Iterable<RecordBatch> completeBatches() {
        return () -> new BatchIterator(buffer, true);
    }

    /** Whether the bytes end with an incomplete batch (whose framing is otherwise sound so far). */
    public boolean hasPartialTrailingBatch() {
        try {
            for (RecordBatch ignored : batches()) {
                // Walking the framing is all it takes; the batches themselves are not needed.
            }
            return false;
        } catch (TruncatedBatchException e) {
            return true;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MemoryRecords other && buffer.equals(other.buffer);
    }

    @Override
    public int hashCode() {
        return buffer.hashCode();
    }

    @Override
    public String toString() {
        return "MemoryRecords(" + sizeInBytes() + " bytes)";
    }

    /** Walks the batch framing; never reads past the buffer's limit. */
    private static final class BatchIterator implements Iterator<RecordBatch> {
        private final ByteBuffer buffer;
        private final boolean stopAtPartialBatch;
        private int position;
        private RecordBatch next;

        BatchIterator(ByteBuffer buffer, boolean stopAtPartialBatch) {
            this.buffer = buffer;
            this.stopAtPartialBatch = stopAtPartialBatch;
        }

        @Override
        public boolean hasNext() {
            if (next == null) {
                next = readNext();
            }
            return next != null;
        }

        @Override
        public RecordBatch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            RecordBatch batch = next;
            next = null;
            return batch;
        }

        private RecordBatch readNext() {
            int remaining = buffer.limit() - position;
            if (remaining == 0) {
                return null;
            }
            if (remaining < RecordBatch.LOG_OVERHEAD) {
                return truncated(RecordBatch.LOG_OVERHEAD, remaining);
            }
            int batchLength = buffer.getInt(position + RecordBatch.LENGTH_OFFSET);
            if (remaining > RecordBatch.MAGIC_OFFSET) {
                byte magic = buffer.get(position + RecordBatch.MAGIC_OFFSET);
                if (magic != RecordBatch.MAGIC) {
                    throw new CorruptRecordException("batch at byte " + position + " has magic " + magic
                        + "; only magic " + RecordBatch.MAGIC + " record batches are supported");
                }
            }
            if (batchLength < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD) {
                throw new CorruptRecordException("batch at byte " + position + " has length " + batchLength
                    + ", less than a record batch header");
            }
            long size = (long) batchLength + RecordBatch.LOG_OVERHEAD;
            if (size > remaining) {
                return truncated(size, remaining);
            }
            RecordBatch batch = RecordBatch.wrap(buffer.slice(position, (int) size));
            position += (int) size;
            return batch;
        }

        private RecordBatch truncated(long needed, int remaining) {
            if (stopAtPartialBatch) {
                position = buffer.limit();
                return null;
            }
            throw new TruncatedBatchException(position, needed, remaining);
        }
    }
}
