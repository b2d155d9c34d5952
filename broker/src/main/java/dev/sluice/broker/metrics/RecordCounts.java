package dev.sluice.broker.metrics;

import dev.sluice.storage.FileRecords;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.Records;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Counts the records in a run of batches from their headers' {@code recordCount} fields, without
 * decompressing or decoding any record: for {@code sluice.topic.records.out}.
 *
 * <p>A segment slice is read in windows, so a run of small batches costs one positional read per
 * window and a large batch one small read for its header; the data is in the page cache, about to
 * be sent anyway. A slice that cannot be read (segment deleted meanwhile) counts what was read so
 * far: a metric must never fail a fetch. Thread-safe; the window buffer is per thread.
 */
public final class RecordCounts {
    private static final int WINDOW = 4096;
    private static final int LENGTH_AT = 8;
    private static final int RECORD_COUNT_AT = 57;
    private static final ThreadLocal<ByteBuffer> WINDOWS = ThreadLocal.withInitial(() -> ByteBuffer.allocate(WINDOW));

    private RecordCounts() {
    }

    /** Records in the whole batches of {@code records}; a partial trailing batch is not counted. */
    public static int of(Records records) {
        if (records.sizeInBytes() < RecordBatch.HEADER_SIZE) {
            return 0;
        }
        if (records instanceof MemoryRecords memory) {
            return inBuffer(memory.buffer());
        }
        if (records instanceof FileRecords file) {
            return inFile(file.channel(), file.position(), file.sizeInBytes());
        }
        return 0;
    }

    private static int inBuffer(ByteBuffer buffer) {
        int count = 0;
        int pos = buffer.position();
        int end = buffer.limit();
        while (pos + RecordBatch.HEADER_SIZE <= end) {
            int next = pos + RecordBatch.LOG_OVERHEAD + buffer.getInt(pos + LENGTH_AT);
            if (next > end || next < pos + RecordBatch.HEADER_SIZE) {
                break;
            }
            count += buffer.getInt(pos + RECORD_COUNT_AT);
            pos = next;
        }
        return count;
    }

    private static int inFile(FileChannel channel, long base, int size) {
        ByteBuffer window = WINDOWS.get();
        int count = 0;
        int pos = 0;
        int windowStart = 0;
        int windowEnd = 0;
        try {
            while (pos + RecordBatch.HEADER_SIZE <= size) {
                if (pos + RecordBatch.HEADER_SIZE > windowEnd) {
                    window.clear().limit(Math.min(WINDOW, size - pos));
                    while (window.hasRemaining()) {
                        if (channel.read(window, base + pos + window.position()) < 0) {
                            break;
                        }
                    }
                    windowStart = pos;
                    windowEnd = pos + window.position();
                    if (pos + RecordBatch.HEADER_SIZE > windowEnd) {
                        break;
                    }
                }
                int at = pos - windowStart;
                int length = window.getInt(at + LENGTH_AT);
                if (length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD) {
                    break;
                }
                count += window.getInt(at + RECORD_COUNT_AT);
                pos += RecordBatch.LOG_OVERHEAD + length;
            }
        } catch (IOException e) {
            // Counted so far is the best answer; the fetch itself reports any real read failure.
        }
        return count;
    }
}
