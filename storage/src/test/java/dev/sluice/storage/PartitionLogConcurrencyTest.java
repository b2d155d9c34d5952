package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.batch;
import static dev.sluice.storage.TestLogs.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import dev.sluice.wire.record.RecordBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer appending, rolling and moving the log start while readers read: every read must
 * return whole, valid batches holding the offset asked for, within the end offset it reports.
 * Correctness under interleaving, not timing: the loops are bounded, nothing sleeps.
 */
class PartitionLogConcurrencyTest {
    private static final int BATCHES = 3000;
    private static final int RECORDS_PER_BATCH = 4;

    @TempDir
    Path dir;

    @Test
    void readersSeeOnlyWholePublishedBatchesWhileTheWriterAppends() throws Exception {
        int batchSize = batch(0, RECORDS_PER_BATCH, 0, 20).sizeInBytes();
        LogConfig config = LogConfig.builder().segmentBytes(batchSize * 25).indexIntervalBytes(batchSize * 3).build();
        ManualScheduler scheduler = new ManualScheduler();
        PartitionLog log = PartitionLog.open(dir.resolve("t-0"), config, scheduler, new ManualClock(0),
            LogCheckpoint.NONE);
        AtomicBoolean writerDone = new AtomicBoolean();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            Future<?> writer = threads.submit(() -> {
                for (int i = 0; i < BATCHES; i++) {
                    long base = log.logEndOffset();
                    log.append(records(batch(base, RECORDS_PER_BATCH, base, 20)));
                    if (i % 500 == 499) {
                        log.setLogStartOffset(log.logEndOffset() - 400);
                    }
                }
                writerDone.set(true);
                return null;
            });
            List<Future<Long>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int maxBytes = r == 0 ? batchSize * 7 + 3 : 1;
                readers.add(threads.submit(() -> readUntilTheEnd(log, writerDone, maxBytes)));
            }
            Future<Long> searcher = threads.submit(() -> searchWhileWriting(log, writerDone));
            writer.get(60, TimeUnit.SECONDS);
            long expectedEnd = (long) BATCHES * RECORDS_PER_BATCH;
            for (Future<Long> reader : readers) {
                assertEquals(expectedEnd, reader.get(60, TimeUnit.SECONDS));
            }
            assertTrue(searcher.get(60, TimeUnit.SECONDS) > 0);
            assertTrue(log.segmentCount() > 1);
        } finally {
            threads.shutdownNow();
            log.close();
        }
    }

    /** Reads forward from offset 0 until the writer is done and the end is reached; returns the offset reached. */
    private static long readUntilTheEnd(PartitionLog log, AtomicBoolean writerDone, int maxBytes) {
        long offset = 0;
        long lastSeenEnd = 0;
        while (true) {
            boolean done = writerDone.get();
            LogReadResult result;
            try {
                result = log.read(offset, maxBytes, Long.MAX_VALUE, true);
            } catch (OffsetOutOfRangeException e) {
                assertTrue(offset < log.logStartOffset(), "out of range only below the start: " + e.getMessage());
                offset = log.logStartOffset();
                continue;
            }
            assertTrue(result.logEndOffset() >= lastSeenEnd, "the end never moves back");
            lastSeenEnd = result.logEndOffset();
            List<RecordBatch> batches = TestLogs.batchesOf(result.records());
            if (batches.isEmpty()) {
                assertEquals(offset, result.logEndOffset(), "nothing returned only at the end");
                if (done) {
                    return offset;
                }
                continue;
            }
            RecordBatch first = batches.get(0);
            assertTrue(first.baseOffset() <= offset && offset <= first.lastOffset(),
                "first batch " + first + " holds offset " + offset);
            long expected = first.baseOffset();
            for (RecordBatch batch : batches) {
                assertEquals(expected, batch.baseOffset(), "batches are contiguous");
                assertTrue(batch.lastOffset() < result.logEndOffset(), "nothing past the published end");
                expected = batch.nextOffset();
            }
            offset = expected;
        }
    }

    /** Timestamp searches while the writer appends: timestamps equal offsets in this log. */
    private static long searchWhileWriting(PartitionLog log, AtomicBoolean writerDone) {
        long searches = 0;
        while (!writerDone.get() || searches == 0) {
            long end = log.logEndOffset();
            if (end == 0) {
                continue;
            }
            long target = end / 2;
            long startBefore = log.logStartOffset();
            Optional<TimestampAndOffset> found = log.offsetForTimestamp(target);
            long startAfter = log.logStartOffset();
            assertTrue(found.isPresent(), "a record with timestamp >= " + target + " exists");
            long offset = found.get().offset();
            assertEquals(found.get().timestamp(), offset);
            // The first record at or after the target, or the log start if that moved past it.
            assertTrue(offset >= Math.max(target, startBefore) && offset <= Math.max(target, startAfter),
                "found " + offset + " for " + target + ", start " + startBefore + "-" + startAfter);
            assertTrue(offset < log.logEndOffset());
            TimestampAndOffset max = log.maxTimestampAndOffset().orElseThrow();
            assertEquals(max.timestamp(), max.offset());
            assertTrue(max.offset() >= end - 1);
            searches++;
        }
        return searches;
    }
}
