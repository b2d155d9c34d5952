package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.batchesOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.LeaderEpochCheckpoint.EpochEnd;
import dev.sluice.storage.LeaderEpochCheckpoint.Entry;
import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import dev.sluice.storage.producer.ProducerEntry;
import dev.sluice.storage.producer.ProducerSnapshotFile;
import dev.sluice.storage.producer.ProducerStateException;
import dev.sluice.storage.producer.ProducerStateManager;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.CorruptRecordException;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log as a follower replica uses it: batches appended as the leader wrote them, truncation to
 * where the follower diverged, starting over at the leader's log start, the leader's high
 * watermark. Producer state is kept as a partition keeps it: a snapshot at every roll.
 */
class PartitionLogFollowerTest {
    private static final long PRODUCER = 7;

    @TempDir
    Path root;

    private final ManualClock clock = new ManualClock(1_000_000);
    private final ManualScheduler scheduler = new ManualScheduler();
    private final int batchSize = leaderBatch(0, 0, (short) 0, 0).sizeInBytes();
    /** Four batches of ten records per segment; an index entry per batch. */
    private final LogConfig config = LogConfig.builder().segmentBytes(batchSize * 4).indexIntervalBytes(batchSize)
        .build();
    private final List<PartitionLog> opened = new ArrayList<>();

    @AfterEach
    void closeLogs() {
        for (PartitionLog log : opened) {
            try {
                log.close();
            } catch (IllegalStateException ignored) {
                // Closed by the test.
            }
        }
    }

    private Path dir() {
        return root.resolve("topic-0");
    }

    /** A log with its producer state, as a partition holds them. */
    private record Replica(PartitionLog log, ProducerStateManager producers) {
    }

    private Replica open(Path dir, LogCheckpoint checkpoint) {
        PartitionLog log = PartitionLog.open(dir, config, scheduler, clock, checkpoint);
        opened.add(log);
        ProducerStateManager producers = new ProducerStateManager();
        log.loadProducerState(producers);
        log.onRoll(offset -> {
            try {
                producers.writeSnapshot(log.dir(), offset, log.segmentBaseOffsets().get(0));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return new Replica(log, producers);
    }

    private Replica open() {
        return open(dir(), LogCheckpoint.NONE);
    }

    /** Closes as a partition does: a producer snapshot at the log end, then the log. */
    private static void close(Replica replica) throws IOException {
        replica.producers().writeSnapshot(replica.log().dir(), replica.log().logEndOffset(),
            replica.log().segmentBaseOffsets().get(0));
        replica.log().close();
    }

    /**
     * A batch of ten records as a leader wrote it: offsets from {@code base}, its epoch, producer
     * {@value #PRODUCER} with sequences from {@code sequence}, CreateTime timestamps 5000 + offset.
     */
    private static RecordBatch leaderBatch(long base, int leaderEpoch, short producerEpoch, int sequence) {
        RecordBatchBuilder builder = new RecordBatchBuilder(base).partitionLeaderEpoch(leaderEpoch)
            .producer(PRODUCER, producerEpoch, sequence);
        for (int i = 0; i < 10; i++) {
            builder.append(5000 + base + i, String.format("k%06d", base + i).getBytes(StandardCharsets.US_ASCII),
                String.format("v%0100d", base + i).getBytes(StandardCharsets.US_ASCII));
        }
        return builder.build();
    }

    /** The batch of ten records the leader wrote at {@code base}: producer epoch 0, sequence = offset. */
    private static RecordBatch leaderBatch(long base, int leaderEpoch) {
        return leaderBatch(base, leaderEpoch, (short) 0, (int) base);
    }

    /** The leader's batches from {@code from}, ten records each, in the epochs given (one per batch). */
    private static MemoryRecords fetched(long from, int... epochs) {
        RecordBatch[] batches = new RecordBatch[epochs.length];
        for (int i = 0; i < epochs.length; i++) {
            batches[i] = leaderBatch(from + 10L * i, epochs[i]);
        }
        return MemoryRecords.withBatches(batches);
    }

    /** Every batch of the log, read segment by segment. */
    private static List<RecordBatch> all(PartitionLog log) {
        List<RecordBatch> out = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            for (RecordBatch batch : batchesOf(log.read(offset, Integer.MAX_VALUE, Long.MAX_VALUE, true).records())) {
                out.add(batch);
                offset = batch.nextOffset();
            }
        }
        return out;
    }

    private static List<Long> baseOffsets(PartitionLog log) {
        return all(log).stream().map(RecordBatch::baseOffset).toList();
    }

    private static List<ByteBuffer> bytesOf(PartitionLog log) {
        return all(log).stream().map(RecordBatch::buffer).toList();
    }

    private static List<ByteBuffer> bytesOf(MemoryRecords records) {
        return batchesOf(records).stream().map(RecordBatch::buffer).toList();
    }

    /** A copy of the directory of a log that is still open: what a {@code kill -9} leaves. */
    private Path crashImage(PartitionLog log) throws IOException {
        Path image = root.resolve("image-" + System.nanoTime());
        Files.createDirectories(image);
        try (Stream<Path> files = Files.list(log.dir())) {
            for (Path file : files.toList()) {
                Files.copy(file, image.resolve(file.getFileName()));
            }
        }
        return image;
    }

    private static List<Long> snapshots(Path dir) throws IOException {
        return ProducerSnapshotFile.list(dir);
    }

    /** What the leader path decides for a producer's retry of the batch the leader wrote at {@code base}. */
    private static ProducerStateManager.Check retry(Replica replica, long base) {
        return replica.producers().check(leaderBatch(base, 0));
    }

    @Test
    void followerAppendKeepsTheLeadersBatchesEpochsAndProducerStateAcrossAReopen() throws IOException {
        Replica replica = open();
        RecordBatch compressed = new RecordBatchBuilder(50).partitionLeaderEpoch(4).producer(PRODUCER, (short) 0, 50)
            .compression(CompressionType.GZIP).append(9000, null, "zipped".getBytes(StandardCharsets.US_ASCII))
            .build();
        MemoryRecords first = fetched(0, 1, 1, 3);
        MemoryRecords second = fetched(30, 3, 3);
        AppendResult result = replica.log().appendAsFollower(first, replica.producers()).orElseThrow();
        assertEquals(new AppendResult(0, 29, 5029, 29, 0, 0, 0, first.sizeInBytes()), result);
        replica.log().appendAsFollower(second, replica.producers());
        replica.log().appendAsFollower(MemoryRecords.withBatches(compressed), replica.producers());

        List<ByteBuffer> expected = new ArrayList<>(bytesOf(first));
        expected.addAll(bytesOf(second));
        expected.add(compressed.buffer());
        assertEquals(51, replica.log().logEndOffset());
        assertEquals(expected, bytesOf(replica.log()), "the leader's bytes, offsets and epochs, unchanged");
        assertEquals(List.of(0L, 30L), replica.log().segmentBaseOffsets());
        assertEquals(List.of(new Entry(1, 0), new Entry(3, 20), new Entry(4, 50)),
            replica.log().leaderEpochs().entries());
        assertEquals(List.of(30L), snapshots(dir()), "a producer snapshot at the roll");
        assertEquals(0, replica.log().highWatermark(), "the high watermark is the leader's word, not the append's");
        close(replica);

        Replica reopened = open();
        assertEquals(expected, bytesOf(reopened.log()));
        assertEquals(List.of(new Entry(1, 0), new Entry(3, 20), new Entry(4, 50)),
            reopened.log().leaderEpochs().entries());
        assertEquals(25, reopened.log().offsetForTimestamp(5025).orElseThrow().offset(), "the time index");
        ProducerEntry producer = reopened.producers().producer(PRODUCER).orElseThrow();
        assertEquals(50, producer.lastSequence());
        assertEquals(50, producer.lastOffset());
        assertEquals(new ProducerStateManager.Check(true, 30, 39), retry(reopened, 30),
            "a retry of a batch the old leader wrote is a duplicate here too");
        assertFalse(reopened.producers().check(leaderBatch(51, 5, (short) 0, 51)).duplicate(), "the next one is new");
    }

    @Test
    void followerProducerStateTakesWhatTheLeaderWroteWithoutItsSequenceChecks() {
        Replica replica = open();
        // A new producer epoch that does not start at sequence 0 would be OUT_OF_ORDER_SEQUENCE_NUMBER
        // on the leader path; the follower takes what the leader wrote.
        MemoryRecords records = MemoryRecords.withBatches(leaderBatch(0, 1, (short) 0, 0),
            leaderBatch(10, 1, (short) 2, 100));
        replica.log().appendAsFollower(records, replica.producers());
        ProducerEntry producer = replica.producers().producer(PRODUCER).orElseThrow();
        assertEquals(2, producer.epoch());
        assertEquals(109, producer.lastSequence());
        ProducerStateException stale = assertThrows(ProducerStateException.class,
            () -> replica.producers().check(leaderBatch(20, 1, (short) 1, 0)));
        assertEquals(ErrorCode.INVALID_PRODUCER_EPOCH, stale.error(), "fenced as the leader fenced it");
    }

    @Test
    void followerAppendRefusesAnOverlapOrOffsetsGoingBackAndWritesNothing() {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1), replica.producers());
        UnexpectedAppendOffsetException overlap = assertThrows(UnexpectedAppendOffsetException.class,
            () -> replica.log().appendAsFollower(fetched(10, 1, 1), replica.producers()));
        assertEquals(10, overlap.firstOffset());
        assertEquals(19, overlap.lastOffset());
        assertEquals(20, overlap.expectedOffset());

        MemoryRecords backwards = MemoryRecords.withBatches(leaderBatch(20, 1), leaderBatch(25, 1));
        UnexpectedAppendOffsetException back = assertThrows(UnexpectedAppendOffsetException.class,
            () -> replica.log().appendAsFollower(backwards, replica.producers()));
        assertEquals(25, back.firstOffset());
        assertEquals(30, back.expectedOffset());
        assertEquals(20, replica.log().logEndOffset(), "nothing of the refused appends was written");
        assertEquals(2, all(replica.log()).size());
        assertEquals(19, replica.producers().producer(PRODUCER).orElseThrow().lastOffset());
    }

    @Test
    void followerAppendCopiesAGapInTheLeadersLogAsACompactedLeaderHasThem() throws IOException {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1), replica.producers());
        // Compaction removed every record of offsets 10-29 on the leader, and a batch after 40-49.
        replica.log().appendAsFollower(MemoryRecords.withBatches(leaderBatch(30, 1), leaderBatch(50, 1)),
            replica.producers());
        assertEquals(60, replica.log().logEndOffset());
        assertEquals(List.of(0L, 30L, 50L), baseOffsets(replica.log()));
        assertEquals(30, batchesOf(replica.log().read(10, 1000, Long.MAX_VALUE, true).records()).get(0).baseOffset(),
            "a fetch inside the gap gets the next batch");
        Replica recovered = open(crashImage(replica.log()), LogCheckpoint.NONE);
        assertEquals(List.of(0L, 30L, 50L), baseOffsets(recovered.log()), "recovery keeps the gap");
        assertEquals(60, recovered.log().logEndOffset());
    }

    @Test
    void followerAppendRefusesACorruptBatchAndLeavesOutAPartialLastOne() {
        Replica replica = open();
        MemoryRecords two = fetched(0, 1, 1);
        ByteBuffer corrupt = fetched(0, 1, 1).buffer();
        corrupt.put(batchSize + 100, (byte) (corrupt.get(batchSize + 100) ^ 1));
        assertThrows(CorruptRecordException.class,
            () -> replica.log().appendAsFollower(MemoryRecords.readableRecords(corrupt), replica.producers()));
        assertEquals(0, replica.log().logEndOffset(), "not even the sound first batch was written");

        ByteBuffer cut = two.buffer().limit(batchSize + batchSize / 2);
        AppendResult result = replica.log().appendAsFollower(MemoryRecords.readableRecords(cut), replica.producers())
            .orElseThrow();
        assertEquals(batchSize, result.sizeInBytes());
        assertEquals(10, replica.log().logEndOffset(), "the partial batch comes whole with the next fetch");
        assertTrue(replica.log().appendAsFollower(MemoryRecords.readableRecords(two.buffer().limit(batchSize / 2)),
            replica.producers()).isEmpty());
    }

    @Test
    void followerAppendOfMoreThanASegmentRollsBetweenBatchesAndIndexesThem() throws IOException {
        Replica replica = open();
        MemoryRecords records = fetched(0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        AppendResult result = replica.log().appendAsFollower(records, replica.producers()).orElseThrow();
        assertEquals(99, result.lastOffset());
        assertEquals(records.sizeInBytes(), result.sizeInBytes());
        assertEquals(List.of(0L, 40L, 80L), replica.log().segmentBaseOffsets());
        assertEquals(bytesOf(records), bytesOf(replica.log()));
        assertEquals(50, batchesOf(replica.log().read(55, 1, Long.MAX_VALUE, true).records()).get(0).baseOffset());
        assertEquals(List.of(40L, 80L), snapshots(replica.log().dir()));
    }

    @Test
    void truncationInsideTheActiveSegmentThenAppendingAgain() throws IOException {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1, 1, 1, 2, 2), replica.producers());
        assertTrue(replica.log().truncateTo(55, replica.producers()));
        assertEquals(50, replica.log().logEndOffset(), "the batch holding offset 55 goes whole");
        assertEquals(List.of(0L, 40L), replica.log().segmentBaseOffsets());
        assertFalse(replica.log().truncateTo(50, replica.producers()));
        assertTrue(replica.log().offsetForTimestamp(5050).isEmpty(), "the time index lost the cut batches");
        assertEquals(49, replica.log().maxTimestampAndOffset().orElseThrow().offset());
        assertEquals(45, replica.log().offsetForTimestamp(5045).orElseThrow().offset());

        MemoryRecords divergent = fetched(50, 3, 3);
        replica.log().appendAsFollower(divergent, replica.producers());
        assertEquals(70, replica.log().logEndOffset());
        assertEquals(bytesOf(divergent), bytesOf(replica.log()).subList(5, 7));
        close(replica);
        Replica reopened = open();
        assertEquals(70, reopened.log().logEndOffset());
        assertEquals(List.of(new Entry(1, 0), new Entry(2, 40), new Entry(3, 50)),
            reopened.log().leaderEpochs().entries());
    }

    @Test
    void truncationAcrossSegmentsDeletesTheLaterOnesThenAppendingRollsAgain() throws IOException {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), replica.producers());
        assertTrue(replica.log().truncateTo(35, replica.producers()));
        assertEquals(30, replica.log().logEndOffset());
        assertEquals(List.of(0L), replica.log().segmentBaseOffsets());
        assertEquals(List.of(), snapshots(dir()), "the snapshots at 40 and 80 described offsets that are gone");
        scheduler.runAll();
        try (Stream<Path> files = Files.list(dir())) {
            assertEquals(List.of("00000000000000000000.index", "00000000000000000000.log",
                "00000000000000000000.timeindex"), files.map(f -> f.getFileName().toString())
                .filter(name -> name.matches("[0-9]{20}\\..*")).sorted().toList());
        }

        replica.log().appendAsFollower(fetched(30, 2), replica.producers());
        replica.log().appendAsFollower(fetched(40, 2, 2), replica.producers());
        assertEquals(List.of(0L, 40L), replica.log().segmentBaseOffsets());
        assertEquals(60, replica.log().logEndOffset());
        assertEquals(List.of(0L, 10L, 20L, 30L, 40L, 50L), baseOffsets(replica.log()));
        assertEquals(50, batchesOf(replica.log().read(55, 1, Long.MAX_VALUE, true).records()).get(0).baseOffset());
    }

    @Test
    void truncationThenACrashReopensAConsistentLog() throws IOException {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4), replica.producers());
        replica.log().truncateTo(45, replica.producers());
        MemoryRecords again = fetched(40, 3, 3, 3);
        replica.log().appendAsFollower(again, replica.producers());
        List<ByteBuffer> expected = bytesOf(replica.log());

        Replica recovered = open(crashImage(replica.log()), LogCheckpoint.NONE);
        assertEquals(70, recovered.log().logEndOffset());
        assertEquals(expected, bytesOf(recovered.log()));
        assertEquals(List.of(new Entry(1, 0), new Entry(3, 40)), recovered.log().leaderEpochs().entries());
        assertEquals(new ProducerStateManager.Check(true, 60, 69), retry(recovered, 60));
        assertFalse(retry(recovered, 70).duplicate());
    }

    @Test
    void aCrashPartWayThroughTruncationLeavesAPrefixThatReopensConsistently() throws IOException {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1, 1, 1, 2, 2, 2, 2, 5, 5), replica.producers());
        Path image = crashImage(replica.log());
        // Truncating to 25 got as far as deleting the snapshots above it and renaming the newest
        // segment: what its first two steps leave.
        for (long snapshot : snapshots(image)) {
            if (snapshot > 25) {
                Files.delete(ProducerSnapshotFile.path(image, snapshot));
            }
        }
        for (Path file : List.of(LogSegment.logFile(image, 80), LogSegment.offsetIndexFile(image, 80),
            LogSegment.timeIndexFile(image, 80))) {
            Files.move(file, file.resolveSibling(file.getFileName() + LogSegment.DELETED_SUFFIX));
        }

        Replica recovered = open(image, LogCheckpoint.NONE);
        assertEquals(80, recovered.log().logEndOffset(), "a prefix of the log before truncation");
        assertEquals(bytesOf(replica.log()).subList(0, 8), bytesOf(recovered.log()));
        assertEquals(List.of(new Entry(1, 0), new Entry(2, 40)), recovered.log().leaderEpochs().entries());
        assertEquals(79, recovered.producers().producer(PRODUCER).orElseThrow().lastOffset(),
            "producer state rebuilt from the log without the deleted snapshots");
        try (Stream<Path> files = Files.list(image)) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(LogSegment.DELETED_SUFFIX)).toList());
        }
        recovered.log().truncateTo(25, recovered.producers());
        assertEquals(20, recovered.log().logEndOffset(), "the truncation, done again, completes");
    }

    @Test
    void afterTruncationTheEpochHistoryAnswersOffsetForLeaderEpochAsKafka() {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1, 3, 3, 5, 5, 7, 7), replica.producers());
        assertEquals(OptionalInt.of(7), replica.log().latestEpoch());
        replica.log().truncateTo(45, replica.producers());

        assertEquals(40, replica.log().logEndOffset());
        assertEquals(OptionalInt.of(3), replica.log().latestEpoch());
        assertEquals(List.of(new Entry(1, 0), new Entry(3, 20)), replica.log().leaderEpochs().entries());
        assertEquals(new EpochEnd(3, 40), replica.log().endOffsetForEpoch(3), "the latest epoch ends at the log end");
        assertEquals(new EpochEnd(1, 20), replica.log().endOffsetForEpoch(2), "the largest epoch below, to the next start");
        assertEquals(new EpochEnd(1, 20), replica.log().endOffsetForEpoch(1));
        assertEquals(new EpochEnd(0, 0), replica.log().endOffsetForEpoch(0), "older than all: the first start");
        assertEquals(LeaderEpochCheckpoint.UNDEFINED, replica.log().endOffsetForEpoch(5), "the cut epoch is unknown");

        replica.log().appendAsFollower(fetched(40, 6), replica.producers());
        assertEquals(new EpochEnd(3, 40), replica.log().endOffsetForEpoch(5));
        assertEquals(new EpochEnd(6, 50), replica.log().endOffsetForEpoch(6));
    }

    @Test
    void truncatingAtTheLogEndForgetsAnEpochBegunThereWithoutARecord() {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1, 3, 3), replica.producers());
        // Leader for a moment: the epoch is recorded at the log end, and nothing is written under it.
        replica.log().assignLeaderEpoch(5);
        assertEquals(OptionalInt.of(5), replica.log().latestEpoch());

        assertFalse(replica.log().truncateTo(40, replica.producers()), "no record is cut");
        assertEquals(40, replica.log().logEndOffset());
        assertEquals(OptionalInt.of(3), replica.log().latestEpoch(), "the empty epoch is gone, as in Kafka");
        assertEquals(List.of(new Entry(1, 0), new Entry(3, 20)), replica.log().leaderEpochs().entries());
    }

    @Test
    void afterTruncationProducerStateDeduplicatesExactlyFromASnapshot() throws IOException {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1, 1, 1, 1, 1), replica.producers());
        replica.log().truncateTo(50, replica.producers());
        assertEquals(List.of(40L), snapshots(dir()), "the snapshot below the cut stays and is used");
        assertDeduplicatesAsTheTruncatedLogSays(replica);
    }

    @Test
    void afterTruncationProducerStateDeduplicatesExactlyByRescanningWithoutSnapshots() throws IOException {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1, 1, 1, 1, 1), replica.producers());
        for (long snapshot : snapshots(dir())) {
            Files.delete(ProducerSnapshotFile.path(dir(), snapshot));
        }
        replica.log().truncateTo(30, replica.producers());
        assertDeduplicatesAsTheTruncatedLogSays(replica);
    }

    /**
     * The log held the producer's batches at 0-59 (sequence = offset) and was cut to its end; the
     * replica leads now and gets the producer's retries.
     */
    private void assertDeduplicatesAsTheTruncatedLogSays(Replica replica) {
        long cut = replica.log().logEndOffset();
        assertEquals(new ProducerStateManager.Check(true, cut - 10, cut - 1), retry(replica, cut - 10),
            "still in the log: a duplicate, answered with its offsets");
        assertFalse(retry(replica, cut).duplicate(), "cut away: appended again");
        ProducerStateException gap = assertThrows(ProducerStateException.class, () -> retry(replica, cut + 10));
        assertEquals(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, gap.error(), "its predecessor was cut away too");

        // As the leader path appends the retry: at the log end, then into the producer state.
        RecordBatch retried = leaderBatch(cut, 0);
        replica.log().append(MemoryRecords.withBatches(retried));
        replica.producers().update(retried);
        assertEquals(new ProducerStateManager.Check(true, cut, cut + 9), retry(replica, cut));
    }

    @Test
    void truncateFullyAndStartAtEmptiesTheLogAndStartsItAtTheLeadersStart() throws IOException {
        Replica replica = open();
        replica.log().appendAsFollower(fetched(0, 1, 1, 1, 1, 2, 2), replica.producers());
        replica.log().updateHighWatermark(60);
        replica.log().truncateFullyAndStartAt(505, replica.producers());
        assertEquals(505, replica.log().logStartOffset());
        assertEquals(505, replica.log().logEndOffset());
        assertEquals(505, replica.log().highWatermark());
        assertEquals(List.of(505L), replica.log().segmentBaseOffsets());
        assertEquals(List.of(), replica.log().leaderEpochs().entries());
        assertEquals(List.of(), snapshots(dir()));
        assertTrue(replica.producers().producer(PRODUCER).isEmpty());

        // The leader's start is inside its batch 500-509 (DeleteRecords): the fetch returns that
        // batch whole, and the follower starts its empty log at the batch's base offset instead.
        MemoryRecords fromLeader = MemoryRecords.withBatches(leaderBatch(500, 9, (short) 0, 500));
        UnexpectedAppendOffsetException inside = assertThrows(UnexpectedAppendOffsetException.class,
            () -> replica.log().appendAsFollower(fromLeader, replica.producers()));
        assertTrue(inside.firstOffset() < replica.log().logEndOffset() && inside.lastOffset() >= replica.log().logEndOffset());
        replica.log().truncateFullyAndStartAt(inside.firstOffset(), replica.producers());
        replica.log().appendAsFollower(fromLeader, replica.producers());
        assertEquals(510, replica.log().logEndOffset());
        close(replica);
        scheduler.runAll();

        Replica reopened = open();
        assertEquals(500, reopened.log().logStartOffset());
        assertEquals(510, reopened.log().logEndOffset());
        assertEquals(List.of(new Entry(9, 500)), reopened.log().leaderEpochs().entries());
        assertEquals(new ProducerStateManager.Check(true, 500, 509), retry(reopened, 500));
        try (Stream<Path> files = Files.list(dir())) {
            assertEquals(List.of("00000000000000000500.log"), files.map(f -> f.getFileName().toString())
                .filter(name -> name.endsWith(".log")).toList());
        }
    }

    @Test
    void highWatermarkFollowsTheLeaderWithinTheLogAndIsRestoredFromItsCheckpoint() {
        Replica replica = open();
        assertEquals(0, replica.log().highWatermark());
        replica.log().appendAsFollower(fetched(0, 1, 1, 1, 1, 1), replica.producers());
        assertEquals(30, replica.log().updateHighWatermark(30));
        assertEquals(50, replica.log().updateHighWatermark(80), "never above the log end");
        replica.log().setLogStartOffset(20);
        assertEquals(20, replica.log().updateHighWatermark(10), "never below the log start");
        replica.log().updateHighWatermark(50);
        replica.log().truncateTo(40, replica.producers());
        assertEquals(40, replica.log().highWatermark(), "truncation brings it down to the log end");
        replica.log().close();

        PartitionLog restored = open(dir(), new LogCheckpoint(OptionalLong.empty(), OptionalLong.of(20),
            OptionalLong.of(35))).log();
        assertEquals(35, restored.highWatermark());
        restored.close();
        PartitionLog beyond = open(dir(), new LogCheckpoint(OptionalLong.empty(), OptionalLong.of(20),
            OptionalLong.of(90))).log();
        assertEquals(40, beyond.highWatermark(), "a checkpoint above the recovered end is cut to it");
        beyond.close();
        assertEquals(20, open(dir(), new LogCheckpoint(OptionalLong.empty(), OptionalLong.of(20))).log()
            .highWatermark(), "without a checkpoint: the log start");
    }
}
