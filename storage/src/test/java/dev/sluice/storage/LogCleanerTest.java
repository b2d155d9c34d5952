package dev.sluice.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import dev.sluice.storage.producer.ProducerStateManager;
import dev.sluice.wire.record.BatchRecord;
import dev.sluice.wire.record.ControlRecordType;
import dev.sluice.wire.record.EndTransactionMarker;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogCleanerTest {
    private static final long START = 1_700_000_000_000L;

    @TempDir
    Path dataDir;

    private final ManualClock clock = new ManualClock(START);
    private final ManualScheduler scheduler = new ManualScheduler();
    private PartitionLog log;
    private LogCleaner cleaner;

    @AfterEach
    void tearDown() {
        if (cleaner != null) {
            cleaner.close();
        }
        if (log != null) {
            log.close();
        }
    }

    private static LogConfig.Builder compacted() {
        return LogConfig.builder().cleanupPolicy(true, false).minCleanableDirtyRatio(0.01).segmentBytes(4096)
            .indexIntervalBytes(256).fileDeleteDelayMs(0);
    }

    private PartitionLog open(LogConfig config) {
        log = PartitionLog.open(dataDir.resolve("t-0"), config, scheduler, clock, LogCheckpoint.NONE);
        return log;
    }

    private LogCleaner cleaner(long dedupeBytes) {
        cleaner = new LogCleaner(dataDir, new LogCleaner.Config(0, dedupeBytes, 10), clock);
        cleaner.register("t", 0, log, Runnable::run);
        return cleaner;
    }

    /** Appends one record per key, one batch per call. */
    private void append(String key, String value) {
        long offset = log.logEndOffset();
        RecordBatch batch = new RecordBatchBuilder(offset)
            .append(clock.millis(), key == null ? null : bytes(key), value == null ? null : bytes(value))
            .build();
        log.append(MemoryRecords.withBatches(batch));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Every record in the log from its start, offset to key=value (value "null" for a tombstone). */
    private static Map<Long, String> contents(PartitionLog partitionLog) {
        Map<Long, String> out = new LinkedHashMap<>();
        long offset = partitionLog.logStartOffset();
        while (offset < partitionLog.logEndOffset()) {
            LogReadResult read = partitionLog.read(offset, 1 << 20, Long.MAX_VALUE, true);
            List<RecordBatch> batches = TestLogs.batchesOf(read.records());
            if (batches.isEmpty()) {
                break;
            }
            for (RecordBatch batch : batches) {
                Iterator<BatchRecord> records = batch.records(1 << 24);
                while (records.hasNext()) {
                    BatchRecord r = records.next();
                    out.put(r.offset(), text(r.keyArray()) + "=" + text(r.valueArray()));
                }
                offset = batch.nextOffset();
            }
        }
        return out;
    }

    private static String text(byte[] b) {
        return b == null ? "null" : new String(b, StandardCharsets.UTF_8);
    }

    /** Writes {@code rounds} updates of {@code keys} keys, value "key-round", then rolls. */
    private void writeRounds(int keys, int rounds) {
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < keys; k++) {
                append("k" + k, "k" + k + "-" + round);
            }
        }
    }

    @Test
    void keepsTheLatestRecordOfEachKeyAtItsOriginalOffset() {
        open(compacted().build());
        writeRounds(20, 10);
        Map<Long, String> before = contents(log);
        log.roll();
        append("other", "x");
        cleaner(1 << 20);

        assertTrue(cleaner.cleanOnce().isPresent());

        Map<Long, String> after = contents(log);
        assertEquals(21, after.size());
        for (int k = 0; k < 20; k++) {
            long offset = 9 * 20 + k;
            assertEquals("k" + k + "=k" + k + "-9", after.get(offset));
            assertEquals(after.get(offset), before.get(offset));
        }
        assertEquals(201, log.logEndOffset());
        assertEquals(200L, cleaner.firstDirtyOffset("t", 0).getAsLong());
    }

    @Test
    void neverTouchesTheActiveSegment() {
        open(compacted().segmentBytes(1 << 20).build());
        writeRounds(5, 10);
        cleaner(1 << 20);

        assertTrue(cleaner.cleanOnce().isEmpty());
        assertEquals(50, contents(log).size());
    }

    @Test
    void skipsLogsBelowTheDirtyRatioAndLogsNotCompacted() {
        open(compacted().minCleanableDirtyRatio(1.0).build());
        writeRounds(20, 10);
        log.roll();
        cleaner(1 << 20);
        assertTrue(cleaner.cleanOnce().isPresent()); // first pass: all dirty, ratio 1.0
        writeRounds(20, 2);
        log.roll();
        assertTrue(cleaner.cleanOnce().isEmpty(), "partly dirty is below ratio 1.0");

        log.updateConfig(log.config().toBuilder().cleanupPolicy(false, true).minCleanableDirtyRatio(0).build());
        assertTrue(cleaner.cleanOnce().isEmpty(), "delete policy");
        log.updateConfig(log.config().toBuilder().cleanupPolicy(true, true).build());
        assertTrue(cleaner.cleanOnce().isPresent(), "compact,delete");
        assertEquals(20, contents(log).size());
    }

    @Test
    void respectsTheMinimumCompactionLag() {
        open(compacted().minCompactionLagMs(60_000).build());
        writeRounds(20, 10);
        log.roll();
        append("other", "x");
        cleaner(1 << 20);

        assertTrue(cleaner.cleanOnce().isEmpty());
        assertEquals(201, contents(log).size());

        clock.advance(60_001);
        assertTrue(cleaner.cleanOnce().isPresent());
        assertEquals(21, contents(log).size());
    }

    @Test
    void theMaximumCompactionLagOverridesTheDirtyRatio() {
        open(compacted().minCleanableDirtyRatio(1.0).maxCompactionLagMs(60_000).build());
        writeRounds(20, 10);
        log.roll();
        cleaner(1 << 20);
        assertTrue(cleaner.cleanOnce().isPresent());
        writeRounds(20, 2);
        log.roll();
        assertTrue(cleaner.cleanOnce().isEmpty());

        clock.advance(60_001);
        assertTrue(cleaner.cleanOnce().isPresent());
        assertEquals(20, contents(log).size());
    }

    @Test
    void keepsTombstonesForDeleteRetentionAfterTheirFirstCleaning() {
        open(compacted().deleteRetentionMs(10_000).build());
        writeRounds(10, 3);
        append("k3", null);
        log.roll();
        append("other", "x");
        cleaner(1 << 20);

        cleaner.cleanOnce();
        Map<Long, String> first = contents(log);
        assertTrue(first.containsValue("k3=null"));
        assertFalse(first.containsValue("k3=k3-2"));
        assertEquals(11, first.size());

        clock.advance(9_000);
        append("other", "y");
        log.roll();
        append("other", "z");
        cleaner.cleanOnce();
        assertTrue(contents(log).containsValue("k3=null"), "before the delete horizon");

        clock.advance(1_001);
        append("other", "w");
        log.roll();
        append("other", "v");
        assertTrue(cleaner.cleanOnce().isPresent());
        Map<Long, String> last = contents(log);
        assertFalse(last.containsValue("k3=null"));
        assertTrue(last.values().stream().noneMatch(v -> v.startsWith("k3=")));
        assertEquals(9 + 1 + 1, last.size());
    }

    @Test
    void aFullDedupeMapCleansOnlyUpToWhereItGot() {
        open(compacted().build());
        writeRounds(20, 5);
        log.roll();
        append("other", "x");
        // 12 slots, filled to 90%: room for 10 keys, so the first pass maps k0..k9 only.
        cleaner(12 * OffsetMap.BYTES_PER_ENTRY);

        LogCleaner.PassResult pass = cleaner.cleanOnce().orElseThrow();
        assertEquals(10, pass.firstDirtyAfter());
        assertEquals(101, contents(log).size());

        int passes = 1;
        while (cleaner.cleanOnce().isPresent()) {
            passes++;
            assertTrue(passes < 100);
        }
        assertEquals(100L, cleaner.firstDirtyOffset("t", 0).getAsLong());
        Map<Long, String> after = contents(log);
        assertEquals(21, after.size());
        assertEquals("k19=k19-4", after.get(99L));
    }

    @Test
    void writesAndRereadsTheCheckpoint() throws Exception {
        open(compacted().build());
        writeRounds(20, 10);
        log.roll();
        cleaner(1 << 20).cleanOnce();
        cleaner.close();
        Path file = dataDir.resolve(CleanerCheckpoint.FILE_NAME);
        assertEquals(List.of("0", "1", "t 0 200"), Files.readAllLines(file));

        cleaner = new LogCleaner(dataDir, new LogCleaner.Config(0, 1 << 20, 10), clock);
        assertEquals(200L, cleaner.firstDirtyOffset("t", 0).getAsLong());
        cleaner.register("t", 0, log, Runnable::run);
        assertTrue(cleaner.cleanOnce().isEmpty(), "nothing dirty");
    }

    @Test
    void aRefusedSwapLeavesTheLogAndNoCleanedFiles() throws Exception {
        open(compacted().build());
        writeRounds(20, 10);
        log.roll();
        Map<Long, String> before = contents(log);
        cleaner = new LogCleaner(dataDir, new LogCleaner.Config(0, 1 << 20, 10), clock);
        // A writer that has gone away, as when the partition closes mid-pass.
        cleaner.register("t", 0, log, task -> {
            throw new java.util.concurrent.RejectedExecutionException("closed");
        });

        LogCleaner.PassResult pass = cleaner.cleanOnce().orElseThrow();

        assertEquals(0, pass.segmentsRewritten());
        assertEquals(before, contents(log));
        assertTrue(filesEndingWith(".cleaned").isEmpty());
    }

    private List<Path> filesEndingWith(String suffix) throws Exception {
        try (Stream<Path> files = Files.list(dataDir.resolve("t-0"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).toList();
        }
    }

    @Test
    void aCrashBeforeTheSwapKeepsTheOldSegmentsAndAfterItTheNewOnes() throws Exception {
        open(compacted().build());
        writeRounds(20, 10);
        log.roll();
        append("other", "x");
        Map<Long, String> before = contents(log);
        Path dir = log.dir();
        // Stop every swap at its commit point by running it nowhere, keeping the cleaned files.
        List<Long> cleanedBases = new ArrayList<>();
        cleaner = new LogCleaner(dataDir, new LogCleaner.Config(0, 1 << 20, 10), clock);
        AtomicReference<List<Path>> kept = new AtomicReference<>(List.of());
        cleaner.register("t", 0, log, task -> {
            try {
                List<Path> copies = new ArrayList<>(kept.get());
                for (Path f : filesEndingWith(".cleaned")) {
                    Path copy = f.resolveSibling(f.getFileName() + ".keep");
                    Files.copy(f, copy);
                    copies.add(copy);
                    cleanedBases.add(LogSegment.parseBaseOffset(f.getFileName().toString()));
                }
                kept.set(copies);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            throw new java.util.concurrent.RejectedExecutionException("crash");
        });
        cleaner.cleanOnce();
        log.close();
        log = null;
        assertFalse(cleanedBases.isEmpty());

        // Crash with cleaned files present: they are deleted and the old segments kept.
        for (Path copy : kept.get()) {
            String name = copy.getFileName().toString();
            Files.copy(copy, copy.resolveSibling(name.substring(0, name.length() - ".keep".length())));
        }
        open(compacted().build());
        assertEquals(before, contents(log));
        assertTrue(filesEndingWith(".cleaned").isEmpty());
        log.close();
        log = null;

        // Crash just after the commit point of the first swap: that segment is replaced, the rest kept.
        long base = cleanedBases.get(0);
        Path swapSource = dir.resolve(LogSegment.fileNamePrefix(base) + ".log.cleaned.keep");
        Files.copy(swapSource, dir.resolve(LogSegment.fileNamePrefix(base) + ".log.swap"));
        open(compacted().build());
        Map<Long, String> afterSwap = contents(log);
        assertTrue(afterSwap.size() < before.size());
        for (Map.Entry<Long, String> e : afterSwap.entrySet()) {
            assertEquals(e.getValue(), before.get(e.getKey()));
        }
        assertEquals("other=x", afterSwap.get(200L));
        assertTrue(filesEndingWith(".swap").isEmpty());
        log.close();
        log = null;

        // Crash after the old segment was renamed .deleted: the swap file still wins.
        open(compacted().build());
        assertEquals(afterSwap, contents(log));
    }

    @Test
    void readsDuringCleaningStayCorrect() throws Exception {
        open(compacted().build());
        writeRounds(30, 20);
        log.roll();
        append("other", "x");
        Map<Long, String> before = contents(log);
        cleaner(1 << 20);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Integer> reads = new AtomicReference<>(0);
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    Map<Long, String> seen = contents(log);
                    long last = -1;
                    for (Map.Entry<Long, String> e : seen.entrySet()) {
                        assertTrue(e.getKey() > last);
                        assertEquals(e.getValue(), before.get(e.getKey()));
                        last = e.getKey();
                    }
                    for (int k = 0; k < 30; k++) {
                        assertEquals("k" + k + "=k" + k + "-19", seen.get(19L * 30 + k));
                    }
                    reads.set(reads.get() + 1);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        long started = System.nanoTime() + 5_000_000_000L;
        while (reads.get() < 1 && failure.get() == null && System.nanoTime() < started) {
            Thread.onSpinWait();
        }
        cleaner.cleanOnce();
        // Old segments are not deleted here: a reader still holding one after
        // file.delete.delay.ms is expected to fail, which is not what this test is about.
        long deadline = System.nanoTime() + 5_000_000_000L;
        int readsBefore = reads.get();
        while (reads.get() < readsBefore + 2 && failure.get() == null && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        stop.set(true);
        reader.join(10_000);
        assertNull(failure.get());
        assertEquals(31, contents(log).size());
    }

    @Test
    void mergesSegmentsThatCompactionShrank() {
        open(compacted().build());
        writeRounds(20, 10);
        log.roll();
        append("other", "x");
        int segmentsBefore = log.segmentCount();
        assertTrue(segmentsBefore > 3);
        // Runs are sized by their segments before cleaning, so the full segments stay apart once...
        cleaner(1 << 20).cleanOnce();
        assertEquals(segmentsBefore, log.segmentCount());

        // ...and the shrunken ones merge on the next pass.
        writeRounds(20, 1);
        log.roll();
        append("other", "y");
        cleaner.cleanOnce();
        assertEquals(2, log.segmentCount(), "one cleaned segment and the active one");
        // other=x stays: the other=y that supersedes it is in the active segment, never mapped.
        assertEquals(22, contents(log).size());
    }

    @Test
    void aRewrittenBatchKeepsItsProducerFieldsOffsetRangeAndCompression() {
        open(compacted().build());
        RecordBatch idempotent = new RecordBatchBuilder(0)
            .compression(dev.sluice.wire.compress.CompressionType.GZIP)
            .producer(42, (short) 3, 100)
            .partitionLeaderEpoch(7)
            .append(START, bytes("a"), bytes("1"))
            .append(START, bytes("b"), bytes("1"))
            .append(START, bytes("c"), bytes("1"))
            .build();
        log.append(MemoryRecords.withBatches(idempotent));
        append("c", "2");
        log.roll();
        append("other", "x");
        cleaner(1 << 20).cleanOnce();

        List<RecordBatch> batches = TestLogs.batchesOf(log.read(0, 1 << 20, Long.MAX_VALUE, true).records());
        RecordBatch cleaned = batches.get(0);
        assertEquals(0, cleaned.baseOffset());
        assertEquals(2, cleaned.lastOffset(), "offset range kept though offset 2 was removed");
        assertEquals(2, cleaned.recordCount());
        assertEquals(42, cleaned.producerId());
        assertEquals(3, cleaned.producerEpoch());
        assertEquals(100, cleaned.baseSequence());
        assertEquals(102, cleaned.lastSequence());
        assertEquals(7, cleaned.partitionLeaderEpoch());
        assertEquals(dev.sluice.wire.compress.CompressionType.GZIP, cleaned.compressionType());
        assertEquals(Map.of(0L, "a=1", 1L, "b=1", 3L, "c=2", 4L, "other=x"), contents(log));
    }

    @Test
    void aCrashAfterAMergedSwapsCommitPointReplacesEverySegmentItCovers() throws Exception {
        open(compacted().build());
        writeRounds(20, 10);
        log.roll();
        append("other", "x");
        cleaner(1 << 20).cleanOnce();
        writeRounds(20, 1);
        log.roll();
        append("other", "y");
        int segmentsBefore = log.segmentCount();
        Path dir = log.dir();
        cleaner.unregister("t", 0);
        cleaner.register("t", 0, log, task -> {
            try {
                for (Path f : filesEndingWith(".log.cleaned")) {
                    // The commit point, then the crash.
                    Files.copy(f, f.resolveSibling(f.getFileName().toString().replace(".cleaned", ".swap")));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            throw new java.util.concurrent.RejectedExecutionException("crash");
        });
        cleaner.cleanOnce();
        assertEquals(1, filesEndingWith(".log.swap").size());
        log.close();
        log = null;

        open(compacted().build());
        assertTrue(segmentsBefore > 2);
        assertEquals(2, log.segmentCount(), "the swap replaced every segment it covers");
        Map<Long, String> after = contents(log);
        assertEquals(22, after.size());
        for (int k = 0; k < 20; k++) {
            assertTrue(after.containsValue("k" + k + "=k" + k + "-0"), "latest value of k" + k);
        }
        assertTrue(filesEndingWith(".swap").isEmpty());
        assertTrue(Files.exists(dir.resolve(LogSegment.fileNamePrefix(0) + ".log")));
    }

    private void appendFromProducer(long producerId, int sequence, String key, String value) {
        RecordBatch batch = new RecordBatchBuilder(log.logEndOffset())
            .producer(producerId, (short) 0, sequence)
            .append(clock.millis(), bytes(key), bytes(value))
            .build();
        log.append(MemoryRecords.withBatches(batch));
    }

    @Test
    void keepsAnEmptyBatchForAProducersLastBatchOnly() {
        open(compacted().build());
        appendFromProducer(7, 0, "a", "1");
        appendFromProducer(7, 1, "b", "1");
        appendFromProducer(8, 0, "a", "2");
        appendFromProducer(8, 1, "b", "2");
        log.roll();
        append("other", "x");
        cleaner(1 << 20).cleanOnce();

        List<RecordBatch> batches = TestLogs.batchesOf(log.read(0, 1 << 20, Long.MAX_VALUE, true).records());
        assertEquals(List.of(1L, 2L, 3L), batches.stream().map(RecordBatch::baseOffset).toList());
        RecordBatch empty = batches.get(0);
        assertEquals(0, empty.recordCount());
        assertEquals(7, empty.producerId());
        assertEquals(1, empty.lastSequence());
        assertEquals(START, empty.maxTimestamp());
        assertEquals(Map.of(2L, "a=2", 3L, "b=2", 4L, "other=x"), contents(log));

        // A later pass keeps the empty batch while it is still producer 7's last.
        appendFromProducer(9, 0, "c", "1");
        log.roll();
        append("other", "y");
        cleaner.cleanOnce();
        List<Long> bases = TestLogs.batchesOf(log.read(0, 1 << 20, Long.MAX_VALUE, true).records()).stream()
            .map(RecordBatch::baseOffset).toList();
        assertTrue(bases.contains(1L), bases.toString());
    }

    @Test
    void aCheckpointEntryPastTheLogEndIsTakenForAnEarlierLogOfTheSameName() throws Exception {
        Files.writeString(dataDir.resolve(CleanerCheckpoint.FILE_NAME), "0\n1\nt 0 5000\n");
        open(compacted().build());
        writeRounds(20, 10);
        log.roll();
        cleaner(1 << 20);
        assertEquals(5000L, cleaner.firstDirtyOffset("t", 0).getAsLong());

        assertTrue(cleaner.cleanOnce().isPresent());
        assertEquals(20, contents(log).size());
        assertEquals(200L, cleaner.firstDirtyOffset("t", 0).getAsLong());
    }

    @Test
    void unregisteringForgetsTheLogAndItsCheckpointEntry() throws Exception {
        open(compacted().build());
        writeRounds(20, 10);
        log.roll();
        cleaner(1 << 20).cleanOnce();
        cleaner.unregister("t", 0);

        assertTrue(cleaner.firstDirtyOffset("t", 0).isEmpty());
        assertEquals(List.of("0", "0"), Files.readAllLines(dataDir.resolve(CleanerCheckpoint.FILE_NAME)));
        writeRounds(20, 2);
        log.roll();
        assertTrue(cleaner.cleanOnce().isEmpty());
    }

    @Test
    void aCompactedLogRollsByMaxCompactionLagSoItsNewestRecordsGetCleaned() {
        open(compacted().segmentBytes(1 << 20).maxCompactionLagMs(60_000).build());
        writeRounds(5, 4);
        assertEquals(1, log.segmentCount());
        clock.advance(60_001);
        append("other", "x");

        assertEquals(2, log.segmentCount());
        cleaner(1 << 20);
        assertTrue(cleaner.cleanOnce().isPresent());
        assertEquals(6, contents(log).size());
    }

    @Test
    void cleanerThreadsCleanInTheBackgroundAndStopOnClose() throws Exception {
        open(compacted().build());
        writeRounds(20, 10);
        log.roll();
        java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            cleaner = new LogCleaner(dataDir, new LogCleaner.Config(1, 1 << 20, 10), clock);
            cleaner.register("t", 0, log, writer);
            cleaner.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (cleaner.firstDirtyOffset("t", 0).orElse(0) < 200 && System.nanoTime() < deadline) {
                cleaner.wakeUp();
                Thread.onSpinWait();
            }
            assertEquals(200L, cleaner.firstDirtyOffset("t", 0).getAsLong());
            cleaner.close();
            cleaner = null;
            assertEquals(20, writer.submit(() -> contents(log).size()).get().intValue());
            assertEquals(List.of("0", "1", "t 0 200"),
                Files.readAllLines(dataDir.resolve(CleanerCheckpoint.FILE_NAME)));
        } finally {
            writer.shutdown();
        }
    }
    // ------------------------------------------------------------------ transactions

    private final ProducerStateManager producers = new ProducerStateManager();

    /** Appends one transactional record of {@code producerId}, tracked as the leader tracks it. */
    private void appendTxn(long producerId, String key, String value) {
        RecordBatch batch = new RecordBatchBuilder(log.logEndOffset()).producer(producerId, (short) 0, 0)
            .transactional(true).append(clock.millis(), bytes(key), bytes(value)).build();
        log.append(MemoryRecords.withBatches(batch));
        log.updateProducerState(producers, batch);
    }

    private long endTxn(long producerId, boolean commit) {
        RecordBatch marker = RecordBatchBuilder.endTransactionMarker(log.logEndOffset(), clock.millis(), 0, producerId,
            (short) 0, new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 0));
        log.append(MemoryRecords.withBatches(marker));
        log.updateProducerState(producers, marker);
        return marker.baseOffset();
    }

    /** Offsets of the control batches (transaction markers) in the log. */
    private static List<Long> markers(PartitionLog partitionLog) {
        List<Long> out = new ArrayList<>();
        long offset = partitionLog.logStartOffset();
        while (offset < partitionLog.logEndOffset()) {
            List<RecordBatch> batches = TestLogs.batchesOf(partitionLog.read(offset, 1 << 20, Long.MAX_VALUE, true)
                .records());
            if (batches.isEmpty()) {
                break;
            }
            for (RecordBatch batch : batches) {
                if (batch.isControlBatch()) {
                    out.add(batch.baseOffset());
                }
                offset = batch.nextOffset();
            }
        }
        return out;
    }

    @Test
    void abortedRecordsNeverCountAsTheLatestValueAndAreRemoved() {
        open(compacted().build());
        appendTxn(1, "k", "committed");
        endTxn(1, true);
        appendTxn(2, "k", "aborted");
        endTxn(2, false);
        append("other", "x");
        log.roll();
        append("z", "z");
        cleaner(1 << 20).cleanOnce().orElseThrow();
        Map<Long, String> after = contents(log);
        assertTrue(after.containsValue("k=committed"), after.toString());
        assertFalse(after.containsValue("k=aborted"), after.toString());
    }

    @Test
    void aMarkerGoesOnlyOnceItsTransactionHasNoDataAndItsDeleteHorizonPassed() {
        open(compacted().deleteRetentionMs(1_000).build());
        appendTxn(1, "k", "in-txn");
        long emptied = endTxn(1, true);
        appendTxn(2, "q", "kept");
        long keeping = endTxn(2, true);
        append("k", "later");
        log.roll();
        append("z", "z");
        cleaner(1 << 20).cleanOnce().orElseThrow();
        assertFalse(contents(log).containsValue("k=in-txn"));
        assertEquals(List.of(emptied, keeping), markers(log), "within delete.retention.ms both markers stay");

        clock.advance(1_001);
        append("y", "y");
        log.roll();
        append("z", "z2");
        cleaner.cleanOnce().orElseThrow();
        assertEquals(List.of(keeping), markers(log), "its transaction's record is still there");
        assertTrue(contents(log).containsValue("q=kept"));
    }

    @Test
    void nothingFromTheFirstUndecidedTransactionOnIsCleaned() {
        open(compacted().build());
        append("k", "old");
        log.roll();
        appendTxn(1, "t", "open");
        log.roll();
        append("k", "new");
        log.roll();
        append("z", "z");
        cleaner = new LogCleaner(dataDir, new LogCleaner.Config(0, 1 << 20, 10), clock);
        cleaner.register("t", 0, log, Runnable::run, () -> 1);
        cleaner.cleanOnce();
        assertTrue(contents(log).containsValue("k=old"), "k=new lies past the last stable offset");
    }
}
