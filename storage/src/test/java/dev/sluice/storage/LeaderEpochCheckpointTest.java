package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.batch;
import static dev.sluice.storage.TestLogs.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sluice.storage.LeaderEpochCheckpoint.EpochEnd;
import dev.sluice.storage.LeaderEpochCheckpoint.Entry;
import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leader-epoch history on its own and as the log keeps it. */
class LeaderEpochCheckpointTest {
    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(1_000_000);
    private final ManualScheduler scheduler = new ManualScheduler();
    private final int batchSize = batch(0, 10, 0, 100).sizeInBytes();
    private final LogConfig config = LogConfig.builder().segmentBytes(batchSize * 4).indexIntervalBytes(batchSize)
        .build();

    private PartitionLog open() {
        return PartitionLog.open(dir, config, scheduler, clock, LogCheckpoint.NONE);
    }

    /** Appends one batch of 10 records written in {@code epoch}. */
    private static void append(PartitionLog log, int epoch) {
        RecordBatch b = batch(log.logEndOffset(), 10, 1000, 100);
        b.setPartitionLeaderEpoch(epoch);
        log.append(records(b));
    }

    private String file() throws IOException {
        return Files.readString(dir.resolve(LeaderEpochCheckpoint.FILE_NAME), StandardCharsets.UTF_8);
    }

    private static LeaderEpochCheckpoint history(Path dir, Entry... entries) throws IOException {
        return LeaderEpochCheckpoint.rebuilt(dir, List.of(entries));
    }

    @Test
    void answersOffsetForLeaderEpochByKafkasRules() throws IOException {
        LeaderEpochCheckpoint epochs = history(dir, new Entry(2, 10), new Entry(4, 30), new Entry(7, 50));
        long logEnd = 80;
        assertEquals(new EpochEnd(7, 80), epochs.endOffsetFor(7, logEnd), "latest epoch ends at the log end");
        assertEquals(new EpochEnd(4, 50), epochs.endOffsetFor(4, logEnd), "a known epoch ends where the next starts");
        assertEquals(new EpochEnd(4, 50), epochs.endOffsetFor(5, logEnd), "between epochs: the one below, up to the next");
        assertEquals(new EpochEnd(2, 30), epochs.endOffsetFor(3, logEnd));
        assertEquals(new EpochEnd(1, 10), epochs.endOffsetFor(1, logEnd), "older than all: asked epoch, first start");
        assertEquals(LeaderEpochCheckpoint.UNDEFINED, epochs.endOffsetFor(8, logEnd), "newer than latest");
        assertEquals(LeaderEpochCheckpoint.UNDEFINED, epochs.endOffsetFor(-1, logEnd), "undefined epoch");
        assertEquals(LeaderEpochCheckpoint.UNDEFINED, LeaderEpochCheckpoint.rebuilt(dir, List.of()).endOffsetFor(0, logEnd));
    }

    @Test
    void writesKafkasTextFormatAndReadsItBack() throws IOException {
        history(dir, new Entry(0, 0), new Entry(3, 120));
        assertEquals("0\n2\n0 0\n3 120\n", file());
        assertEquals(List.of(new Entry(0, 0), new Entry(3, 120)), LeaderEpochCheckpoint.read(dir).orElseThrow()
            .entries());
        assertFalse(Files.exists(dir.resolve(LeaderEpochCheckpoint.FILE_NAME + ".tmp")));
    }

    @Test
    void truncationFromEitherEndKeepsTheEpochsThatStillHoldData() throws IOException {
        LeaderEpochCheckpoint epochs = history(dir, new Entry(1, 0), new Entry(2, 20), new Entry(5, 40));
        epochs.truncateFromStart(25);
        assertEquals(List.of(new Entry(2, 25), new Entry(5, 40)), epochs.entries());
        epochs.truncateFromEnd(40);
        assertEquals(List.of(new Entry(2, 25)), epochs.entries());
        assertEquals("0\n1\n2 25\n", file());
    }

    @Test
    void theLogRecordsEachNewEpochAtItsFirstBatchAndCutsItWithTheLog() throws IOException {
        try (PartitionLog log = open()) {
            log.assignLeaderEpoch(0);
            append(log, 0);
            append(log, 0);
            append(log, 3);
            append(log, 3);
            append(log, 5);
            assertEquals(List.of(new Entry(0, 0), new Entry(3, 20), new Entry(5, 40)), log.leaderEpochs().entries());
            assertEquals(new EpochEnd(3, 40), log.endOffsetForEpoch(4));
            assertEquals(new EpochEnd(5, 50), log.endOffsetForEpoch(5));

            log.truncateTo(30);
            assertEquals(List.of(new Entry(0, 0), new Entry(3, 20)), log.leaderEpochs().entries());
            log.setLogStartOffset(10);
            assertEquals(List.of(new Entry(0, 10), new Entry(3, 20)), log.leaderEpochs().entries());
            assertEquals("0\n2\n0 10\n3 20\n", file());
        }
        try (PartitionLog reopened = open()) {
            assertEquals(List.of(new Entry(0, 10), new Entry(3, 20)), reopened.leaderEpochs().entries());
        }
    }

    @Test
    void aMissingOrGarbledCheckpointIsRebuiltFromTheBatches() throws IOException {
        try (PartitionLog log = open()) {
            for (int epoch : new int[] {1, 1, 2, 2, 2, 6}) {
                append(log, epoch);
            }
        }
        List<Entry> expected = List.of(new Entry(1, 0), new Entry(2, 20), new Entry(6, 50));
        Files.delete(dir.resolve(LeaderEpochCheckpoint.FILE_NAME));
        try (PartitionLog log = open()) {
            assertEquals(expected, log.leaderEpochs().entries());
        }
        Files.writeString(dir.resolve(LeaderEpochCheckpoint.FILE_NAME), "0\n3\n1 0\n", StandardCharsets.UTF_8);
        try (PartitionLog log = open()) {
            assertEquals(expected, log.leaderEpochs().entries());
        }
        assertEquals("0\n3\n1 0\n2 20\n6 50\n", file());
    }

    @Test
    void epochsBeyondTheRecoveredEndAreForgottenOnOpen() throws IOException {
        try (PartitionLog log = open()) {
            append(log, 1);
            append(log, 2);
        }
        // As if a crash lost the data of epochs the checkpoint already recorded.
        Files.writeString(dir.resolve(LeaderEpochCheckpoint.FILE_NAME), "0\n3\n1 0\n2 10\n4 20\n",
            StandardCharsets.UTF_8);
        try (PartitionLog log = open()) {
            assertEquals(List.of(new Entry(1, 0), new Entry(2, 10)), log.leaderEpochs().entries());
        }
    }
}
