package dev.sluice.storage;

import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.Records;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Batches, clocks and schedulers for storage tests. */
final class TestLogs {
    private TestLogs() {
    }

    /**
     * A batch of {@code count} records from {@code baseOffset}, timestamps {@code timestamp}, +1 per
     * record. Keys are fixed-width, so batches of the same shape have the same size at any offset.
     */
    static RecordBatch batch(long baseOffset, int count, long timestamp, int valueSize) {
        RecordBatchBuilder builder = new RecordBatchBuilder(baseOffset);
        for (int i = 0; i < count; i++) {
            byte[] value = new byte[valueSize];
            byte[] label = String.format("v%012d", baseOffset + i).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(label, 0, value, 0, Math.min(label.length, valueSize));
            builder.append(timestamp + i, String.format("k%012d", baseOffset + i).getBytes(StandardCharsets.US_ASCII),
                value);
        }
        return builder.build();
    }

    static MemoryRecords records(RecordBatch... batches) {
        return MemoryRecords.withBatches(batches);
    }

    /** Copies any records into memory and lists their batches. */
    static List<RecordBatch> batchesOf(Records records) {
        ByteBuffer buffer = ByteBuffer.allocate(records.sizeInBytes());
        records.writeTo(buffer);
        List<RecordBatch> out = new ArrayList<>();
        for (RecordBatch batch : MemoryRecords.readableRecords(buffer.flip()).batches()) {
            batch.ensureValid();
            out.add(batch);
        }
        return out;
    }

    static List<Long> baseOffsets(Records records) {
        return batchesOf(records).stream().map(RecordBatch::baseOffset).toList();
    }

    /** A clock the test moves. */
    static final class ManualClock implements InstantSource {
        private final AtomicLong now;

        ManualClock(long startMs) {
            now = new AtomicLong(startMs);
        }

        void advance(long ms) {
            now.addAndGet(ms);
        }

        @Override
        public long millis() {
            return now.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    }

    /** Holds scheduled tasks until the test runs them. */
    static final class ManualScheduler implements Scheduler {
        final List<Runnable> tasks = new ArrayList<>();
        final List<Long> delays = new ArrayList<>();

        @Override
        public synchronized void schedule(String name, Runnable task, long delayMs) {
            tasks.add(task);
            delays.add(delayMs);
        }

        synchronized void runAll() {
            List<Runnable> due = new ArrayList<>(tasks);
            tasks.clear();
            due.forEach(Runnable::run);
        }
    }
}
