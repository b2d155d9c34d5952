package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.batch;
import static dev.sluice.storage.TestLogs.baseOffsets;
import static dev.sluice.storage.TestLogs.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogRetentionTest {
    private static final long START_MS = 10_000_000;

    @TempDir
    Path root;

    private final ManualClock clock = new ManualClock(START_MS);
    private final ManualScheduler scheduler = new ManualScheduler();
    private PartitionLog log;

    @AfterEach
    void closeLog() {
        if (log != null) {
            log.close();
        }
    }

    private Path dir() {
        return root.resolve("topic-0");
    }

    private static int batchSize() {
        return batch(0, 10, 0, 100).sizeInBytes();
    }

    /**
     * Three segments of four, four and two batches of ten records; batch i is stamped
     * {@code START_MS + 1000 i}, and the clock stands at the last batch's time.
     */
    private void threeSegments(LogConfig.Builder config) {
        log = PartitionLog.open(dir(), config.segmentBytes(batchSize() * 4).build(), scheduler, clock,
            LogCheckpoint.NONE);
        for (int i = 0; i < 10; i++) {
            log.append(records(batch(log.logEndOffset(), 10, START_MS + i * 1000L, 100)));
        }
        clock.advance(9000);
        assertEquals(List.of(0L, 40L, 80L), log.segmentBaseOffsets());
    }

    @Test
    void timeRetentionDeletesSegmentsWhoseNewestRecordIsOlderThanRetentionMs() {
        threeSegments(LogConfig.builder().retentionMs(5000));
        // Segment 0 ends with a batch stamped 3 s, segment 40 one stamped 7 s: now is 9 s.
        assertEquals(1, log.deleteRetainedSegments(Long.MAX_VALUE));
        assertEquals(List.of(40L, 80L), log.segmentBaseOffsets());
        assertEquals(40, log.logStartOffset());
        assertThrows(OffsetOutOfRangeException.class, () -> log.read(39, 1000, Long.MAX_VALUE, true));
        assertTrue(Files.exists(dir().resolve("00000000000000000000.log.deleted")));
        assertEquals(List.of(LogConfig.DEFAULT_FILE_DELETE_DELAY_MS), scheduler.delays);
        scheduler.runAll();
        assertFalse(Files.exists(dir().resolve("00000000000000000000.log.deleted")));

        clock.advance(3000);
        assertEquals(0, log.deleteRetainedSegments(Long.MAX_VALUE), "segment 40's newest record is 4991 ms old");
        clock.advance(1000);
        assertEquals(1, log.deleteRetainedSegments(Long.MAX_VALUE));
        assertEquals(List.of(80L), log.segmentBaseOffsets());
        assertEquals(80, log.logStartOffset());
    }

    @Test
    void wholeLogPastRetentionRollsSoTheStartReachesTheEnd() {
        threeSegments(LogConfig.builder().retentionMs(1000));
        clock.advance(60_000);
        assertEquals(3, log.deleteRetainedSegments(Long.MAX_VALUE));
        assertEquals(List.of(100L), log.segmentBaseOffsets());
        assertEquals(100, log.logStartOffset());
        assertEquals(100, log.logEndOffset());
        log.append(records(batch(100, 10, clock.millis(), 100)));
        assertEquals(List.of(100L), baseOffsets(log.read(100, 10_000, Long.MAX_VALUE, true).records()));
        assertEquals(0, log.deleteRetainedSegments(Long.MAX_VALUE), "new data is within retention");
    }

    @Test
    void unlimitedRetentionMsKeepsEverything() {
        threeSegments(LogConfig.builder().retentionMs(-1));
        clock.advance(1_000_000_000L);
        assertEquals(0, log.deleteRetainedSegments(Long.MAX_VALUE));
        assertEquals(List.of(0L, 40L, 80L), log.segmentBaseOffsets());
        assertEquals(0, log.logStartOffset());
    }

    @Test
    void sizeRetentionDeletesOldestSegmentsWhileTheRestStillHoldsRetentionBytes() {
        int batch = batchSize();
        threeSegments(LogConfig.builder().retentionMs(-1).retentionBytes(batch * 5L));
        // 10 batches; without segment 0 six remain (>= 5), without segment 40 too only two would.
        assertEquals(1, log.deleteRetainedSegments(Long.MAX_VALUE));
        assertEquals(List.of(40L, 80L), log.segmentBaseOffsets());
        assertEquals(40, log.logStartOffset());
        assertEquals(0, log.deleteRetainedSegments(Long.MAX_VALUE));

        log.updateConfig(log.config().toBuilder().retentionBytes(batch * 2L).build());
        assertEquals(1, log.deleteRetainedSegments(Long.MAX_VALUE));
        assertEquals(List.of(80L), log.segmentBaseOffsets());
    }

    @Test
    void retentionNeverDeletesASegmentHoldingOffsetsAtOrAboveTheHighWatermark() {
        threeSegments(LogConfig.builder().retentionMs(1000));
        clock.advance(60_000);
        assertEquals(0, log.deleteRetainedSegments(39), "offset 39 is in the first segment");
        assertEquals(1, log.deleteRetainedSegments(40));
        assertEquals(1, log.deleteRetainedSegments(99));
        assertEquals(List.of(80L), log.segmentBaseOffsets());
        assertEquals(80, log.logStartOffset());
    }

    @Test
    void onlyTheDeletePolicyDeletes() {
        threeSegments(LogConfig.builder().retentionMs(1000).retentionBytes(1).cleanupPolicy(true, false));
        clock.advance(60_000);
        assertEquals(0, log.deleteRetainedSegments(Long.MAX_VALUE));
        assertEquals(List.of(0L, 40L, 80L), log.segmentBaseOffsets());
    }

    @Test
    void retentionStartSurvivesARestartWithTheCheckpointedLogStartOffset() {
        threeSegments(LogConfig.builder().retentionMs(5000));
        log.setLogStartOffset(5);
        assertEquals(1, log.deleteRetainedSegments(Long.MAX_VALUE));
        long start = log.logStartOffset();
        log.close();
        log = PartitionLog.open(dir(), log.config(), scheduler, clock,
            new LogCheckpoint(java.util.OptionalLong.empty(), java.util.OptionalLong.of(start)));
        assertEquals(40, log.logStartOffset());
        assertEquals(100, log.logEndOffset());
    }
}
