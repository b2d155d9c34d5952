package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.baseOffsets;
import static dev.sluice.storage.TestLogs.batch;
import static dev.sluice.storage.TestLogs.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted log opens the indexes of its older segments only when they are first used, checks
 * them then, and rebuilds them from the segment's batches if they are damaged.
 */
class LazyIndexTest {
    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(1_000_000);
    private final ManualScheduler scheduler = new ManualScheduler();

    /** 1 MiB segments of 64 KiB batches, an index entry every 4 KiB: several segments, many entries. */
    private final LogConfig config = LogConfig.defaults().toBuilder().segmentBytes(1024 * 1024).build();

    private long fill(PartitionLog log, int batches) {
        long offset = 0;
        for (int i = 0; i < batches; i++) {
            log.append(records(batch(offset, 64, clock.millis() + i, 1000)));
            offset += 64;
        }
        return offset;
    }

    @Test
    void olderSegmentsOpenTheirIndexesOnFirstUse() {
        long end;
        try (PartitionLog log = PartitionLog.open(dir, config, scheduler, clock, LogCheckpoint.NONE)) {
            end = fill(log, 60);
            assertTrue(log.segmentCount() >= 3, "the test needs several segments");
        }
        try (PartitionLog log = PartitionLog.open(dir, config, scheduler, clock, LogCheckpoint.NONE)) {
            List<LogSegment> segments = log.segmentList();
            for (LogSegment s : segments.subList(0, segments.size() - 1)) {
                assertFalse(s.indexesLoaded(), s + " was opened eagerly");
            }
            assertTrue(segments.get(segments.size() - 1).indexesLoaded(), "the active segment is ready for appends");
            assertEquals(end, log.logEndOffset());

            long target = segments.get(1).baseOffset() + 100;
            LogReadResult read = log.read(target, 200_000, end, true);
            assertTrue(segments.get(1).indexesLoaded());
            assertFalse(segments.get(0).indexesLoaded(), "reading one segment leaves the others alone");
            long first = baseOffsets(read.records()).get(0);
            assertTrue(first <= target && target < first + 64, "the batch holding " + target + " comes first");
        }
    }

    @Test
    void aDamagedOldIndexIsRebuiltWhenFirstUsed() throws Exception {
        long end;
        try (PartitionLog log = PartitionLog.open(dir, config, scheduler, clock, LogCheckpoint.NONE)) {
            end = fill(log, 60);
        }
        // Damage the first segment's offset index the way a crash mid-write could: its last entry
        // points past the end of the segment.
        try (FileChannel index = FileChannel.open(LogSegment.offsetIndexFile(dir, 0), StandardOpenOption.WRITE)) {
            long length = index.size();
            assertTrue(length >= 16, "the index has entries");
            index.write(ByteBuffer.allocate(8).putInt(7).putInt(Integer.MAX_VALUE).flip(), length - 8);
        }
        try (PartitionLog log = PartitionLog.open(dir, config, scheduler, clock, LogCheckpoint.NONE)) {
            for (long target : new long[] {0, 63, 64, 500, 900}) {
                LogReadResult read = log.read(target, 100_000, end, true);
                long first = baseOffsets(read.records()).get(0);
                assertTrue(first <= target && target < first + 64, "offset " + target + " read from batch " + first);
            }
            assertTrue(log.segmentList().get(0).indexesLoaded());
        }
    }
}
