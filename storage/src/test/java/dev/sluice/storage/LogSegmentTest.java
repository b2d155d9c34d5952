package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.baseOffsets;
import static dev.sluice.storage.TestLogs.batch;
import static dev.sluice.storage.TestLogs.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogSegmentTest {
    private static final int LIMIT = LogConfig.maxDecompressedBatchBytes(LogConfig.DEFAULT_MAX_MESSAGE_BYTES);

    private static final long BASE = 100;
    /** Each test batch: 5 records of 50-byte values, about 380 bytes. */
    private static final int RECORDS_PER_BATCH = 5;

    @TempDir
    Path dir;

    private final LogConfig config = LogConfig.builder().indexIntervalBytes(1000).maxIndexSize(4096).build();
    private final List<LogSegment> opened = new ArrayList<>();

    @AfterEach
    void closeSegments() throws IOException {
        for (LogSegment segment : opened) {
            segment.close();
        }
    }

    private LogSegment create() throws IOException {
        LogSegment segment = LogSegment.create(dir, BASE, config, 0);
        opened.add(segment);
        return segment;
    }

    private LogSegment reopen(boolean active) throws IOException {
        LogSegment segment = LogSegment.open(dir, BASE, config, 0, active);
        opened.add(segment);
        return segment;
    }

    /** Appends {@code count} batches of 5 records from BASE, timestamps 1000 + 10 per offset. */
    private List<RecordBatch> fill(LogSegment segment, int count) throws IOException {
        List<RecordBatch> batches = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long base = BASE + (long) i * RECORDS_PER_BATCH;
            RecordBatch batch = batch(base, RECORDS_PER_BATCH, 1000 + base * 10, 50);
            segment.append(records(batch));
            batches.add(batch);
        }
        return batches;
    }

    @Test
    void filesAreNamedByZeroPaddedBaseOffset() throws IOException {
        create();
        assertTrue(Files.exists(dir.resolve("00000000000000000100.log")));
        assertTrue(Files.exists(dir.resolve("00000000000000000100.index")));
        assertTrue(Files.exists(dir.resolve("00000000000000000100.timeindex")));
        assertEquals(100, LogSegment.parseBaseOffset("00000000000000000100.log.deleted"));
        assertEquals(-1, LogSegment.parseBaseOffset("100.log"));
        assertEquals(-1, LogSegment.parseBaseOffset(".sluice-clean-shutdown"));
    }

    @Test
    void appendWritesBatchesAsReceivedAndIndexesEveryInterval() throws IOException {
        LogSegment segment = create();
        List<RecordBatch> batches = fill(segment, 20);
        ByteBuffer expected = ByteBuffer.allocate(segment.size());
        batches.forEach(b -> b.writeTo(expected));
        assertArrayEquals(expected.array(), Files.readAllBytes(segment.logFile()));
        int batchSize = batches.get(0).sizeInBytes();
        int expectedEntries = 0;
        int sinceEntry = 0;
        for (int i = 0; i < 20; i++) {
            if (i > 0 && sinceEntry >= 1000) {
                expectedEntries++;
                sinceEntry = 0;
            }
            sinceEntry += batchSize;
        }
        assertEquals(expectedEntries, segment.offsetIndex().entries());
        assertTrue(expectedEntries >= 5, "about one entry per 1000 bytes");
        assertEquals(BASE + 100, segment.nextOffset());
    }

    @Test
    void findBatchReturnsTheBatchHoldingAnOffsetOrTheNextOne() throws IOException {
        LogSegment segment = create();
        List<RecordBatch> batches = fill(segment, 20);
        for (long offset = BASE; offset < BASE + 100; offset++) {
            LogSegment.BatchInfo found = segment.findBatch(offset, segment.size()).orElseThrow();
            int index = (int) ((offset - BASE) / RECORDS_PER_BATCH);
            assertEquals(batches.get(index).baseOffset(), found.baseOffset(), "offset " + offset);
            assertEquals((long) index * batches.get(0).sizeInBytes(), found.position());
        }
        assertEquals(Optional.empty(), segment.findBatch(BASE + 100, segment.size()));
        assertEquals(BASE, segment.findBatch(0, segment.size()).orElseThrow().baseOffset());
        // Bounded by maxPosition: the last batch is invisible below it.
        assertEquals(Optional.empty(), segment.findBatch(BASE + 99, segment.size() - 1));
    }

    @Test
    void readReturnsWholeBatchesWithinMaxBytes() throws IOException {
        LogSegment segment = create();
        List<RecordBatch> batches = fill(segment, 20);
        int batchSize = batches.get(0).sizeInBytes();

        FileRecords two = segment.read(BASE + 7, batchSize * 3 - 1, Long.MAX_VALUE, segment.size(), false)
            .orElseThrow();
        assertEquals(List.of(105L, 110L), baseOffsets(two));
        assertEquals(batchSize, two.position());

        FileRecords exact = segment.read(BASE, batchSize * 3, Long.MAX_VALUE, segment.size(), false).orElseThrow();
        assertEquals(List.of(100L, 105L, 110L), baseOffsets(exact));

        FileRecords all = segment.read(BASE, Integer.MAX_VALUE, Long.MAX_VALUE, segment.size(), false).orElseThrow();
        assertEquals(segment.size(), all.sizeInBytes());
    }

    @Test
    void readHonoursMinOneBatchAndOffsetLimit() throws IOException {
        LogSegment segment = create();
        List<RecordBatch> batches = fill(segment, 20);
        int batchSize = batches.get(0).sizeInBytes();

        assertEquals(0, segment.read(BASE, batchSize - 1, Long.MAX_VALUE, segment.size(), false)
            .orElseThrow().sizeInBytes());
        assertEquals(List.of(100L), baseOffsets(segment.read(BASE, 1, Long.MAX_VALUE, segment.size(), true)
            .orElseThrow()));
        assertEquals(List.of(100L), baseOffsets(segment.read(BASE, 0, Long.MAX_VALUE, segment.size(), true)
            .orElseThrow()));

        // Offset 117 lies in batch 115-119: nothing from that batch on may be returned.
        assertEquals(List.of(100L, 105L, 110L), baseOffsets(segment.read(BASE, Integer.MAX_VALUE, 117,
            segment.size(), false).orElseThrow()));
        assertEquals(List.of(100L, 105L, 110L, 115L), baseOffsets(segment.read(BASE, Integer.MAX_VALUE, 120,
            segment.size(), true).orElseThrow()));
        assertEquals(0, segment.read(BASE + 1, Integer.MAX_VALUE, 103, segment.size(), true)
            .orElseThrow().sizeInBytes());
    }

    @Test
    void readPastTheLastBatchFindsNothing() throws IOException {
        LogSegment segment = create();
        fill(segment, 3);
        assertEquals(Optional.empty(), segment.read(BASE + 15, 1000, Long.MAX_VALUE, segment.size(), true));
    }

    @Test
    void findOffsetByTimestampReturnsTheFirstRecordAtOrAfter() throws IOException {
        LogSegment segment = create();
        fill(segment, 20);
        // Offset o has timestamp 1000 + 10 * base + (o - base), base = batch base offset.
        long t105 = 1000 + 105 * 10;
        TimestampAndOffset found = segment.findOffsetByTimestamp(t105 + 2, 0, segment.size(), Long.MAX_VALUE, LIMIT)
            .orElseThrow();
        assertEquals(107, found.offset());
        assertEquals(t105 + 2, found.timestamp());

        TimestampAndOffset between = segment.findOffsetByTimestamp(t105 + 5, 0, segment.size(), Long.MAX_VALUE, LIMIT)
            .orElseThrow();
        assertEquals(110, between.offset());

        assertEquals(100, segment.findOffsetByTimestamp(0, 0, segment.size(), Long.MAX_VALUE, LIMIT).orElseThrow().offset());
        assertEquals(103, segment.findOffsetByTimestamp(0, 103, segment.size(), Long.MAX_VALUE, LIMIT)
            .orElseThrow().offset());
        assertEquals(Optional.empty(), segment.findOffsetByTimestamp(Long.MAX_VALUE, 0, segment.size(),
            Long.MAX_VALUE, LIMIT));
    }

    @Test
    void tracksMaxTimestampAndItsRecord() throws IOException {
        LogSegment segment = create();
        segment.append(records(batch(100, 3, 5000, 10)));
        segment.append(records(batch(103, 3, 9000, 10)));
        segment.append(records(batch(106, 3, 7000, 10)));
        assertEquals(new LogSegment.TimestampOffset(9002, 105), segment.maxTimestampSoFar());
        TimestampAndOffset max = segment.recordWithTimestamp(105, 9002, segment.size(), LIMIT).orElseThrow();
        assertEquals(105, max.offset());
        assertEquals(9002, max.timestamp());
    }

    @Test
    void truncateRemovesTheBatchHoldingTheOffsetAndAllAfter() throws IOException {
        LogSegment segment = create();
        List<RecordBatch> batches = fill(segment, 20);
        int batchSize = batches.get(0).sizeInBytes();
        assertEquals(Optional.of(150L), segment.truncateTo(152));
        assertEquals(10 * batchSize, segment.size());
        assertEquals(10L * batchSize, Files.size(segment.logFile()));
        assertEquals(150, segment.nextOffset());
        assertTrue(segment.offsetIndex().lastEntry().position() < segment.size());
        assertTrue(segment.timeIndex().lastEntry().offset() < 150);
        assertEquals(new LogSegment.TimestampOffset(1000 + 145 * 10 + 4, 149), segment.maxTimestampSoFar());
        // Appending continues from the cut.
        segment.append(records(batch(150, 5, 1, 50)));
        assertEquals(155, segment.nextOffset());
        assertEquals(Optional.empty(), segment.truncateTo(155));
        assertEquals(Optional.of(100L), segment.truncateTo(0));
        assertEquals(0, segment.size());
        assertEquals(BASE, segment.nextOffset());
        assertEquals(LogSegment.TimestampOffset.NONE, segment.maxTimestampSoFar());
    }

    @Test
    void recoverRebuildsIndexesIdenticallyAndKeepsValidData() throws IOException {
        LogSegment segment = create();
        fill(segment, 20);
        segment.makeInactive();
        byte[] offsetIndexBytes = Files.readAllBytes(LogSegment.offsetIndexFile(dir, BASE));
        byte[] timeIndexBytes = Files.readAllBytes(LogSegment.timeIndexFile(dir, BASE));
        int size = segment.size();
        segment.close();

        Files.delete(LogSegment.offsetIndexFile(dir, BASE));
        Files.delete(LogSegment.timeIndexFile(dir, BASE));
        LogSegment reopened = reopen(false);
        assertTrue(reopened.indexesLost());
        assertEquals(0, reopened.recover());
        reopened.makeInactive();
        assertEquals(size, reopened.size());
        assertEquals(BASE + 100, reopened.nextOffset());
        assertArrayEquals(offsetIndexBytes, Files.readAllBytes(LogSegment.offsetIndexFile(dir, BASE)));
        assertArrayEquals(timeIndexBytes, Files.readAllBytes(LogSegment.timeIndexFile(dir, BASE)));
    }

    @Test
    void recoverCutsAtTheFirstCorruptBatch() throws IOException {
        LogSegment segment = create();
        List<RecordBatch> batches = fill(segment, 10);
        int batchSize = batches.get(0).sizeInBytes();
        segment.close();
        // Flip one byte inside the fourth batch's records: its CRC no longer matches.
        try (FileChannel channel = FileChannel.open(LogSegment.logFile(dir, BASE), StandardOpenOption.WRITE,
            StandardOpenOption.READ)) {
            long at = 3L * batchSize + RecordBatch.HEADER_SIZE + 5;
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, at);
            channel.write(ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x40)}), at);
        }
        LogSegment reopened = reopen(true);
        assertEquals(7L * batchSize, reopened.recover());
        assertEquals(3 * batchSize, reopened.size());
        assertEquals(115, reopened.nextOffset());
    }

    @Test
    void recoverCutsBatchesWhoseOffsetsGoBackwards() throws IOException {
        LogSegment segment = create();
        segment.append(records(batch(100, 5, 0, 10)));
        segment.close();
        RecordBatch backwards = batch(102, 5, 0, 10);
        try (FileChannel channel = FileChannel.open(LogSegment.logFile(dir, BASE), StandardOpenOption.WRITE)) {
            channel.write(backwards.buffer(), channel.size());
        }
        LogSegment reopened = reopen(true);
        assertEquals(backwards.sizeInBytes(), reopened.recover());
        assertEquals(105, reopened.nextOffset());
    }

    @Test
    void loadTailFindsTheEndWithoutChecksums() throws IOException {
        LogSegment segment = create();
        fill(segment, 20);
        segment.makeInactive();
        segment.close();
        LogSegment reopened = reopen(true);
        assertFalse(reopened.indexesLost());
        assertTrue(reopened.loadTail());
        assertEquals(BASE + 100, reopened.nextOffset());
        assertEquals(new LogSegment.TimestampOffset(1000 + 195 * 10 + 4, 199), reopened.maxTimestampSoFar());
    }

    @Test
    void rollIsDueBySizeAgeAndIndexRoom() throws IOException {
        LogSegment segment = create();
        assertFalse(segment.shouldRoll(config, 100, BASE, Long.MAX_VALUE), "an empty segment never rolls");
        segment.append(records(batch(100, 1, 10_000, 10)));
        int size = segment.size();
        LogConfig small = config.toBuilder().segmentBytes(size + 100).segmentMs(1000).build();
        assertFalse(small.segmentBytes() < size + 100);
        assertFalse(segment.shouldRoll(small, 100, 101, 10_000));
        assertTrue(segment.shouldRoll(small, 101, 101, 10_000));
        assertFalse(segment.shouldRoll(small, 1, 101, 11_000));
        assertTrue(segment.shouldRoll(small, 1, 101, 11_001));
        assertTrue(segment.shouldRoll(small, 1, BASE + Integer.MAX_VALUE + 1L, 10_000));
    }

    @Test
    void preallocatedFileIsCutToItsDataWhenInactive() throws IOException {
        LogConfig preallocating = config.toBuilder().preallocate(true).segmentBytes(64 * 1024).build();
        LogSegment segment = LogSegment.create(dir, BASE, preallocating, 0);
        opened.add(segment);
        assertEquals(64 * 1024, Files.size(segment.logFile()));
        segment.append(records(batch(100, 3, 0, 10)));
        assertEquals(64 * 1024, Files.size(segment.logFile()));
        segment.makeInactive();
        assertEquals(segment.size(), Files.size(segment.logFile()));
    }

    @Test
    void fileRecordsCopyExactlyTheSlice() throws IOException {
        LogSegment segment = create();
        List<RecordBatch> batches = fill(segment, 3);
        FileRecords second = segment.slice(batches.get(0).sizeInBytes(), batches.get(1).sizeInBytes());
        ByteBuffer out = ByteBuffer.allocate(second.sizeInBytes() + 4);
        out.putInt(7);
        second.writeTo(out);
        assertEquals(out.capacity(), out.position());
        assertEquals(batches.get(1).buffer(), out.flip().position(4));
        assertThrows(java.nio.BufferOverflowException.class, () -> second.writeTo(ByteBuffer.allocate(10)));
    }

    @Test
    void fileRecordsOfAClosedSegmentFailWithAClearException() throws IOException {
        LogSegment segment = create();
        fill(segment, 2);
        FileRecords records = segment.read(BASE, 10_000, Long.MAX_VALUE, segment.size(), false).orElseThrow();
        segment.renameToDeleted();
        // Renamed, the open file still serves the slice.
        assertEquals(2, TestLogs.batchesOf(records).size());
        segment.closeAndDelete();
        assertFalse(Files.exists(segment.logFile()));
        assertThrows(SegmentClosedException.class, () -> records.writeTo(ByteBuffer.allocate(records.sizeInBytes())));
    }
}
