package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.baseOffsets;
import static dev.sluice.storage.TestLogs.batch;
import static dev.sluice.storage.TestLogs.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import dev.sluice.storage.append.HostileBatches;
import dev.sluice.wire.compress.DecompressionLimitException;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogTest {
    @TempDir
    Path root;

    private final ManualClock clock = new ManualClock(1_000_000);
    private final ManualScheduler scheduler = new ManualScheduler();
    private PartitionLog log;

    @AfterEach
    void closeLog() {
        if (log != null) {
            try {
                log.close();
            } catch (IllegalStateException ignored) {
                // Already closed by the test.
            }
        }
    }

    private Path dir() {
        return root.resolve("topic-0");
    }

    private PartitionLog open(LogConfig config) {
        log = PartitionLog.open(dir(), config, scheduler, clock, LogCheckpoint.NONE);
        return log;
    }

    /** Appends one batch of {@code count} records at the log end; timestamps from {@code timestamp}. */
    private RecordBatch append(int count, long timestamp, int valueSize) {
        RecordBatch batch = batch(log.logEndOffset(), count, timestamp, valueSize);
        log.append(records(batch));
        return batch;
    }

    private static int sizeOfBatch(int count, int valueSize) {
        return batch(0, count, 0, valueSize).sizeInBytes();
    }

    @Test
    void newLogStartsEmptyAtOffsetZero() {
        open(LogConfig.defaults());
        assertEquals(0, log.logStartOffset());
        assertEquals(0, log.logEndOffset());
        assertEquals(1, log.segmentCount());
        assertTrue(Files.exists(dir().resolve("00000000000000000000.log")));
        assertEquals(0, log.read(0, 1000, Long.MAX_VALUE, true).records().sizeInBytes());
    }

    @Test
    void appendAdvancesTheEndAndReportsWhatItWrote() {
        open(LogConfig.defaults());
        RecordBatch first = batch(0, 3, 100, 10);
        RecordBatch second = batch(3, 2, 50, 10);
        AppendResult result = log.append(records(first, second));
        assertEquals(new AppendResult(0, 4, 102, 2, 0, 0, 0, first.sizeInBytes() + second.sizeInBytes()), result);
        assertEquals(5, log.logEndOffset());
        AppendResult next = log.append(records(batch(5, 1, 0, 10)));
        assertEquals(first.sizeInBytes() + second.sizeInBytes(), next.position());
        assertEquals(log.size(), next.position() + next.sizeInBytes());
    }

    @Test
    void appendRejectsOffsetsThatDoNotFollowTheEnd() {
        open(LogConfig.defaults());
        append(3, 0, 10);
        assertThrows(IllegalArgumentException.class, () -> log.append(records(batch(4, 1, 0, 10))));
        assertThrows(IllegalArgumentException.class, () -> log.append(records(batch(2, 1, 0, 10))));
        assertThrows(IllegalArgumentException.class,
            () -> log.append(records(batch(3, 2, 0, 10), batch(4, 2, 0, 10))));
        assertThrows(IllegalArgumentException.class, () -> log.append(MemoryRecords.EMPTY));
        assertEquals(3, log.logEndOffset());
        assertEquals(3, log.append(records(batch(3, 1, 0, 10))).firstOffset());
    }

    @Test
    void appendRejectsMoreThanASegmentHolds() {
        open(LogConfig.builder().segmentBytes(200).build());
        assertThrows(IllegalArgumentException.class, () -> append(10, 0, 100));
        assertEquals(0, log.logEndOffset());
    }

    @Test
    void rollsWhenTheNextAppendWouldPassSegmentBytes() throws IOException {
        int batchSize = sizeOfBatch(5, 100);
        open(LogConfig.builder().segmentBytes(batchSize * 3).build());
        for (int i = 0; i < 7; i++) {
            append(5, 0, 100);
        }
        assertEquals(List.of(0L, 15L, 30L), log.segmentBaseOffsets());
        assertEquals(7L * batchSize, log.size());
        for (long base : log.segmentBaseOffsets()) {
            assertTrue(Files.size(dir().resolve(LogSegment.fileNamePrefix(base) + ".log")) <= batchSize * 3L);
        }
        // A rolled segment's indexes are cut to their entries.
        assertEquals(0, Files.size(dir().resolve("00000000000000000000.index")) % OffsetIndex.ENTRY_SIZE);
        assertTrue(Files.size(dir().resolve("00000000000000000000.index")) < 1024);
    }

    @Test
    void rollsWhenTheActiveSegmentIsOlderThanSegmentMs() {
        open(LogConfig.builder().segmentMs(60_000).build());
        append(1, clock.millis(), 10);
        clock.advance(60_000);
        append(1, clock.millis(), 10);
        assertEquals(1, log.segmentCount(), "exactly segment.ms old does not roll yet");
        clock.advance(1);
        append(1, clock.millis(), 10);
        assertEquals(List.of(0L, 2L), log.segmentBaseOffsets());
        // The new segment's age counts from its own first batch.
        clock.advance(59_000);
        append(1, clock.millis(), 10);
        assertEquals(2, log.segmentCount());
    }

    @Test
    void segmentAgeFollowsTheFirstBatchTimestampNotTheClockAtCreation() {
        open(LogConfig.builder().segmentMs(60_000).build());
        append(1, clock.millis() - 120_000, 10);
        append(1, clock.millis(), 10);
        assertEquals(2, log.segmentCount());
    }

    @Test
    void jitterOnlyMakesSegmentsRollEarlier() {
        open(LogConfig.builder().segmentMs(60_000).segmentJitterMs(30_000).build());
        append(1, clock.millis(), 10);
        clock.advance(30_000);
        append(1, clock.millis(), 10);
        assertEquals(1, log.segmentCount());
        clock.advance(30_001);
        append(1, clock.millis(), 10);
        assertEquals(2, log.segmentCount());
    }

    @Test
    void rollsWhenAnIndexIsFull() {
        open(LogConfig.builder().indexIntervalBytes(1).maxIndexSize(24).build());
        for (int i = 0; i < 6; i++) {
            append(1, i, 10);
        }
        assertTrue(log.segmentCount() > 1, "24-byte indexes hold 1-3 entries, so six indexed batches roll");
        assertEquals(6, log.logEndOffset());
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), baseOffsets(readAll(0)));
    }

    @Test
    void explicitRollStartsASegmentAtTheEndAndSkipsAnEmptyOne() {
        open(LogConfig.defaults());
        log.roll();
        assertEquals(1, log.segmentCount());
        append(3, 0, 10);
        log.roll();
        log.roll();
        assertEquals(List.of(0L, 3L), log.segmentBaseOffsets());
        append(2, 0, 10);
        assertEquals(5, log.logEndOffset());
    }

    private dev.sluice.wire.record.Records readAll(long from) {
        List<Long> bases = new java.util.ArrayList<>();
        ByteBuffer all = ByteBuffer.allocate((int) log.size());
        long offset = from;
        while (offset < log.logEndOffset()) {
            dev.sluice.wire.record.Records records = log.read(offset, Integer.MAX_VALUE, Long.MAX_VALUE, true)
                .records();
            List<RecordBatch> batches = TestLogs.batchesOf(records);
            for (RecordBatch batch : batches) {
                bases.add(batch.baseOffset());
                batch.writeTo(all);
            }
            offset = batches.get(batches.size() - 1).nextOffset();
        }
        return MemoryRecords.readableRecords(all.flip());
    }

    /** Ten batches of 10 records (offsets 0-99), 100-byte values, four batches per segment. */
    private int tenBatchesInThreeSegments() {
        int batchSize = sizeOfBatch(10, 100);
        open(LogConfig.builder().segmentBytes(batchSize * 4).indexIntervalBytes(batchSize).build());
        for (int i = 0; i < 10; i++) {
            append(10, 1000 + i * 100, 100);
        }
        assertEquals(List.of(0L, 40L, 80L), log.segmentBaseOffsets());
        return batchSize;
    }

    @Test
    void readFromInsideABatchReturnsTheWholeBatch() {
        int batchSize = tenBatchesInThreeSegments();
        LogReadResult result = log.read(47, batchSize, Long.MAX_VALUE, false);
        assertEquals(List.of(40L), baseOffsets(result.records()));
        assertEquals(0, result.logStartOffset());
        assertEquals(100, result.logEndOffset());
        assertInstanceOf(FileRecords.class, result.records());
    }

    @Test
    void readStopsAtMaxBytesOnABatchBoundary() {
        int batchSize = tenBatchesInThreeSegments();
        assertEquals(List.of(0L, 10L), baseOffsets(log.read(0, batchSize * 3 - 1, Long.MAX_VALUE, false).records()));
        assertEquals(List.of(0L, 10L, 20L), baseOffsets(log.read(0, batchSize * 3, Long.MAX_VALUE, false).records()));
        assertEquals(0, log.read(0, batchSize - 1, Long.MAX_VALUE, false).records().sizeInBytes());
    }

    @Test
    void minOneBatchReturnsAFirstBatchLargerThanMaxBytes() {
        tenBatchesInThreeSegments();
        assertEquals(List.of(50L), baseOffsets(log.read(55, 1, Long.MAX_VALUE, true).records()));
    }

    @Test
    void readNeverReturnsBatchesAtOrPastMaxOffsetExclusive() {
        tenBatchesInThreeSegments();
        assertEquals(List.of(0L, 10L), baseOffsets(log.read(0, Integer.MAX_VALUE, 25, true).records()));
        assertEquals(List.of(0L, 10L, 20L), baseOffsets(log.read(0, Integer.MAX_VALUE, 30, true).records()));
        assertEquals(0, log.read(21, Integer.MAX_VALUE, 25, true).records().sizeInBytes());
        assertEquals(0, log.read(30, Integer.MAX_VALUE, 30, true).records().sizeInBytes());
        assertEquals(List.of(80L), baseOffsets(log.read(80, Integer.MAX_VALUE, 95, true).records()));
    }

    @Test
    void readReturnsBatchesOfOneSegmentOnly() {
        tenBatchesInThreeSegments();
        assertEquals(List.of(0L, 10L, 20L, 30L), baseOffsets(log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE, false)
            .records()));
        assertEquals(List.of(40L, 50L, 60L, 70L), baseOffsets(log.read(40, Integer.MAX_VALUE, Long.MAX_VALUE, false)
            .records()));
    }

    @Test
    void readMovesToTheNextSegmentWhenTheFirstHasNothingAtTheOffset() throws IOException {
        // Offsets 10-14 do not exist, as after compaction: segment 0 holds 0-9, segment 15 holds 15-24.
        Files.createDirectories(dir());
        LogConfig config = LogConfig.defaults();
        LogSegment first = LogSegment.create(dir(), 0, config, 0);
        first.append(records(batch(0, 10, 0, 100)));
        first.makeInactive();
        first.close();
        LogSegment second = LogSegment.create(dir(), 15, config, 0);
        second.append(records(batch(15, 10, 0, 100)));
        second.close();
        open(config);
        assertEquals(25, log.logEndOffset());
        assertEquals(List.of(15L), baseOffsets(log.read(12, Integer.MAX_VALUE, Long.MAX_VALUE, false).records()));
        assertEquals(List.of(0L), baseOffsets(log.read(9, Integer.MAX_VALUE, Long.MAX_VALUE, false).records()));
        assertEquals(0, log.read(12, Integer.MAX_VALUE, 20, false).records().sizeInBytes());
    }

    @Test
    void readAtTheEndIsEmptyAndOutsideTheRangeIsOutOfRange() {
        tenBatchesInThreeSegments();
        assertEquals(0, log.read(100, 1000, Long.MAX_VALUE, true).records().sizeInBytes());
        OffsetOutOfRangeException e = assertThrows(OffsetOutOfRangeException.class,
            () -> log.read(101, 1000, Long.MAX_VALUE, true));
        assertEquals(101, e.requestedOffset());
        assertEquals(0, e.logStartOffset());
        assertEquals(100, e.logEndOffset());
        assertThrows(OffsetOutOfRangeException.class, () -> log.read(-1, 1000, Long.MAX_VALUE, true));
    }

    @Test
    void setLogStartOffsetDeletesWhollyBelowSegmentsAfterTheDelay() {
        tenBatchesInThreeSegments();
        log.setLogStartOffset(45);
        assertEquals(45, log.logStartOffset());
        assertEquals(List.of(40L, 80L), log.segmentBaseOffsets());
        assertThrows(OffsetOutOfRangeException.class, () -> log.read(44, 1000, Long.MAX_VALUE, true));
        assertEquals(List.of(40L), baseOffsets(log.read(45, 1, Long.MAX_VALUE, true).records()));
        assertFalse(Files.exists(dir().resolve("00000000000000000000.log")));
        assertTrue(Files.exists(dir().resolve("00000000000000000000.log.deleted")));
        assertTrue(Files.exists(dir().resolve("00000000000000000000.index.deleted")));
        assertEquals(List.of(LogConfig.DEFAULT_FILE_DELETE_DELAY_MS), scheduler.delays);
        scheduler.runAll();
        assertFalse(Files.exists(dir().resolve("00000000000000000000.log.deleted")));
        assertFalse(Files.exists(dir().resolve("00000000000000000000.index.deleted")));
        assertFalse(Files.exists(dir().resolve("00000000000000000000.timeindex.deleted")));

        log.setLogStartOffset(30);
        assertEquals(45, log.logStartOffset(), "the start never moves back");
        log.setLogStartOffset(100);
        assertEquals(List.of(80L), log.segmentBaseOffsets(), "the active segment stays");
        assertEquals(0, log.read(100, 1000, Long.MAX_VALUE, true).records().sizeInBytes());
        assertThrows(OffsetOutOfRangeException.class, () -> log.setLogStartOffset(101));
    }

    @Test
    void readerHoldingRecordsOfADeletedSegmentCanStillCopyThemUntilRemoval() {
        tenBatchesInThreeSegments();
        LogReadResult held = log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE, false);
        log.setLogStartOffset(40);
        assertEquals(4, TestLogs.batchesOf(held.records()).size());
        scheduler.runAll();
        assertThrows(SegmentClosedException.class,
            () -> held.records().writeTo(ByteBuffer.allocate(held.records().sizeInBytes())));
    }

    @Test
    void offsetForTimestampFindsTheFirstRecordAtOrAfter() {
        tenBatchesInThreeSegments();
        // Batch i holds offsets 10i..10i+9 with timestamps 1000 + 100i + (0..9).
        assertEquals(new TimestampAndOffset(1000, 0, OptionalInt.empty()), log.offsetForTimestamp(0).orElseThrow());
        assertEquals(new TimestampAndOffset(1503, 53, OptionalInt.empty()), log.offsetForTimestamp(1503).orElseThrow());
        assertEquals(new TimestampAndOffset(1600, 60, OptionalInt.empty()), log.offsetForTimestamp(1550).orElseThrow());
        assertEquals(new TimestampAndOffset(1909, 99, OptionalInt.empty()), log.offsetForTimestamp(1909).orElseThrow());
        assertEquals(Optional.empty(), log.offsetForTimestamp(1910));
        log.setLogStartOffset(57);
        assertEquals(57, log.offsetForTimestamp(0).orElseThrow().offset());
    }

    /**
     * A batch in the log that expands past the log's decompression bound (stored before the bound,
     * or by a path that does not validate) fails the timestamp search at the bound, streaming: the
     * search neither holds its expansion nor decodes it to the end.
     */
    @Test
    void offsetForTimestampStopsAtTheDecompressionBoundWithoutHoldingTheBatch() {
        open(LogConfig.defaults());
        int limit = LogConfig.defaults().maxDecompressedBatchBytes();
        log.append(HostileBatches.gzipBomb(limit + (64 << 20), 5_000));
        long before = HostileBatches.allocatedBytes();
        DecompressionLimitException e = assertThrows(DecompressionLimitException.class,
            () -> log.offsetForTimestamp(5_000));
        long allocated = HostileBatches.allocatedBytes() - before;
        assertEquals(limit, e.limit());
        assertTrue(allocated < 8 * 1024 * 1024, "the search allocated " + allocated + " bytes");
    }

    @Test
    void offsetForTimestampUsesTheFirstBatchReachingTheTimestampWhenTimestampsAreOutOfOrder() {
        open(LogConfig.builder().indexIntervalBytes(1).build());
        log.append(records(batch(0, 2, 500, 10)));
        log.append(records(batch(2, 2, 100, 10)));
        log.append(records(batch(4, 2, 300, 10)));
        assertEquals(0, log.offsetForTimestamp(200).orElseThrow().offset());
        assertEquals(1, log.offsetForTimestamp(501).orElseThrow().offset());
        assertEquals(Optional.empty(), log.offsetForTimestamp(502));
    }

    @Test
    void offsetForTimestampReadsTheRecordsOfLogAppendTimeAndCompressedBatches() {
        open(LogConfig.defaults());
        RecordBatchBuilder appendTime = new RecordBatchBuilder(0).logAppendTime(7000).partitionLeaderEpoch(3);
        appendTime.append(1, null, new byte[] {1}).append(2, null, new byte[] {2});
        log.append(records(appendTime.build()));
        RecordBatchBuilder compressed = new RecordBatchBuilder(2)
            .compression(dev.sluice.wire.compress.CompressionType.GZIP);
        for (int i = 0; i < 5; i++) {
            compressed.append(8000 + i * 10, null, new byte[] {(byte) i});
        }
        log.append(records(compressed.build()));
        assertEquals(new TimestampAndOffset(7000, 0, OptionalInt.of(3)), log.offsetForTimestamp(5).orElseThrow());
        assertEquals(new TimestampAndOffset(8020, 4, OptionalInt.empty()), log.offsetForTimestamp(8015).orElseThrow());
    }

    @Test
    void maxTimestampIsTheFirstRecordWithTheLargestTimestamp() {
        int batchSize = sizeOfBatch(3, 10);
        open(LogConfig.builder().segmentBytes(batchSize * 2).build());
        assertEquals(Optional.empty(), log.maxTimestampAndOffset());
        log.append(records(batch(0, 3, 100, 10)));
        log.append(records(batch(3, 3, 900, 10)));
        log.append(records(batch(6, 3, 500, 10)));
        RecordBatchBuilder builder = new RecordBatchBuilder(9);
        builder.append(902, null, null).append(902, null, null).append(5, null, null);
        log.append(records(builder.build()));
        assertTrue(log.segmentCount() > 1);
        assertEquals(new TimestampAndOffset(902, 5, OptionalInt.empty()), log.maxTimestampAndOffset().orElseThrow());
        log.append(records(batch(12, 2, 5000, 10)));
        assertEquals(new TimestampAndOffset(5001, 13, OptionalInt.empty()), log.maxTimestampAndOffset().orElseThrow());
    }

    @Test
    void truncateToRemovesWholeBatchesAndLaterSegments() {
        tenBatchesInThreeSegments();
        assertTrue(log.truncateTo(55));
        assertEquals(50, log.logEndOffset());
        assertEquals(List.of(0L, 40L), log.segmentBaseOffsets());
        assertFalse(log.truncateTo(50));
        append(3, 0, 10);
        assertEquals(List.of(40L, 50L), baseOffsets(log.read(40, Integer.MAX_VALUE, Long.MAX_VALUE, false)
            .records()));
        scheduler.runAll();
        assertFalse(Files.exists(dir().resolve("00000000000000000080.log.deleted")));
        assertTrue(Files.exists(dir().resolve("00000000000000000040.log")));
    }

    @Test
    void truncateBelowTheStartEmptiesTheLogAndRestartsIt() {
        tenBatchesInThreeSegments();
        log.setLogStartOffset(45);
        assertTrue(log.truncateTo(42));
        assertEquals(42, log.logStartOffset());
        assertEquals(42, log.logEndOffset());
        assertEquals(List.of(42L), log.segmentBaseOffsets());
        append(1, 0, 10);
        assertEquals(43, log.logEndOffset());
    }

    @Test
    void truncateToTheBaseOfTheFirstSegmentReusesItsName() {
        tenBatchesInThreeSegments();
        assertTrue(log.truncateTo(0));
        assertEquals(0, log.logEndOffset());
        assertEquals(List.of(0L), log.segmentBaseOffsets());
        append(2, 0, 10);
        scheduler.runAll();
        assertTrue(Files.exists(dir().resolve("00000000000000000000.log")));
        assertTrue(Files.exists(dir().resolve("00000000000000000000.index")));
        assertEquals(List.of(0L), baseOffsets(log.read(0, 1000, Long.MAX_VALUE, true).records()));
    }

    @Test
    void flushMessagesFlushesOnceThatManyAreUnflushed() {
        open(LogConfig.builder().flushIntervalMessages(10).build());
        append(4, 0, 10);
        assertEquals(0, log.recoveryPoint());
        append(5, 0, 10);
        assertEquals(0, log.recoveryPoint());
        append(1, 0, 10);
        assertEquals(10, log.recoveryPoint());
        append(3, 0, 10);
        log.flush();
        assertEquals(13, log.recoveryPoint());
    }

    @Test
    void closedLogRefusesWrites() {
        open(LogConfig.defaults());
        append(1, 0, 10);
        log.close();
        assertThrows(IllegalStateException.class, () -> append(1, 0, 10));
        assertThrows(IllegalStateException.class, () -> log.roll());
        log.close();
    }

    @Test
    void deleteAllRenamesTheDirectoryAndRemovesItAfterTheDelay() throws IOException {
        tenBatchesInThreeSegments();
        LogReadResult held = log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE, false);
        log.deleteAll();
        assertFalse(Files.exists(dir()));
        List<Path> doomed;
        try (Stream<Path> list = Files.list(root)) {
            doomed = list.toList();
        }
        assertEquals(1, doomed.size());
        assertTrue(doomed.get(0).getFileName().toString().matches("topic-0\\.[0-9a-f]{32}-delete"));
        assertEquals(4, TestLogs.batchesOf(held.records()).size());
        // A new log may take the name at once.
        PartitionLog fresh = PartitionLog.open(dir(), LogConfig.defaults(), scheduler, clock, LogCheckpoint.NONE);
        assertEquals(0, fresh.logEndOffset());
        fresh.close();
        scheduler.runAll();
        assertFalse(Files.exists(doomed.get(0)));
        assertTrue(Files.exists(dir()));
        log = null;
    }

    @Test
    void theLongestLegalTopicNameCanStillBeDeleted() throws IOException {
        // Kafka allows 249 characters: with "-12", a dot, 32 hex digits and "-delete" that is past 255 bytes.
        Path longDir = root.resolve("t".repeat(249) + "-12");
        PartitionLog longLog = PartitionLog.open(longDir, LogConfig.defaults(), scheduler, clock, LogCheckpoint.NONE);
        longLog.deleteAll();
        assertFalse(Files.exists(longDir));
        List<Path> doomed;
        try (Stream<Path> list = Files.list(root)) {
            doomed = list.toList();
        }
        assertEquals(1, doomed.size());
        String name = doomed.get(0).getFileName().toString();
        assertTrue(name.length() <= 255, name);
        assertTrue(name.matches("t+-12\\.[0-9a-f]{32}-delete"), name);
        scheduler.runAll();
        assertFalse(Files.exists(doomed.get(0)));
    }

    @Test
    void configValidation() {
        assertThrows(IllegalArgumentException.class, () -> LogConfig.builder().segmentBytes(0).build());
        assertThrows(IllegalArgumentException.class, () -> LogConfig.builder().maxIndexSize(8).build());
        assertThrows(IllegalArgumentException.class, () -> LogConfig.builder().flushIntervalMessages(0).build());
        LogConfig defaults = LogConfig.defaults();
        assertEquals(1 << 30, defaults.segmentBytes());
        assertEquals(604_800_000L, defaults.segmentMs());
        assertEquals(10 * 1024 * 1024, defaults.maxIndexSize());
        assertEquals(1_048_588, defaults.maxMessageBytes());
        assertTrue(defaults.delete());
        assertFalse(defaults.compact());
        assertEquals(defaults, defaults.toBuilder().build());
    }
}
