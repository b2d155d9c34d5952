package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.batch;
import static dev.sluice.storage.TestLogs.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reopening logs whose files a crash (or a disk) left damaged. A "crash image" is a copy of the
 * directory taken while the log is open and flushed: the active indexes still preallocated, no
 * clean-shutdown marker.
 */
class PartitionLogRecoveryTest {
    @TempDir
    Path root;

    private final ManualClock clock = new ManualClock(1_000_000);
    private final ManualScheduler scheduler = new ManualScheduler();
    private final int batchSize = batch(0, 10, 0, 100).sizeInBytes();
    /** Four batches of ten records per segment; an index entry per batch. */
    private final LogConfig config = LogConfig.builder().segmentBytes(batchSize * 4).indexIntervalBytes(batchSize)
        .build();

    private PartitionLog open(Path dir) {
        return PartitionLog.open(dir, config, scheduler, clock, LogCheckpoint.NONE);
    }

    /** Appends {@code batches} batches of 10 records (offsets from the log end), timestamps 1000 + offset. */
    private static List<RecordBatch> fill(PartitionLog log, int batches) {
        List<RecordBatch> written = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            long base = log.logEndOffset();
            RecordBatch batch = batch(base, 10, 1000 + base, 100);
            log.append(records(batch));
            written.add(batch);
        }
        return written;
    }

    private Path crashImage(PartitionLog log) throws IOException {
        log.flush();
        Path image = root.resolve("image-" + System.nanoTime());
        copyDir(log.dir(), image);
        return image;
    }

    private static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    /** Every batch from the log start to the end, read back and checked. */
    private static List<RecordBatch> readAll(PartitionLog log) {
        List<RecordBatch> all = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            List<RecordBatch> batches = TestLogs.batchesOf(log.read(offset, Integer.MAX_VALUE, Long.MAX_VALUE, true)
                .records());
            all.addAll(batches);
            offset = batches.get(batches.size() - 1).nextOffset();
        }
        return all;
    }

    private static void assertSameBatches(List<RecordBatch> expected, List<RecordBatch> actual) {
        assertEquals(expected.size(), actual.size(), "batch count");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).buffer(), actual.get(i).buffer(), "batch " + i);
        }
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            channel.write(ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x01)}), position);
        }
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    @Test
    void tornLastBatchIsLostAndNothingElseAtEveryCutPosition() throws IOException {
        // Small batches keep this to a few hundred reopenings.
        int small = batch(0, 2, 0, 8).sizeInBytes();
        LogConfig smallConfig = LogConfig.builder().segmentBytes(small * 4).indexIntervalBytes(small).build();
        PartitionLog log = PartitionLog.open(root.resolve("source"), smallConfig, scheduler, clock,
            LogCheckpoint.NONE);
        List<RecordBatch> batches = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            RecordBatch batch = batch(log.logEndOffset(), 2, 1000 + i, 8);
            log.append(records(batch));
            batches.add(batch);
        }
        Path image = crashImage(log);
        log.close();
        // Segments 0 (offsets 0-7) and 8 (8-13, three batches); the last batch starts at 2 * small.
        Path lastLog = image.resolve("00000000000000000008.log");
        assertEquals(3L * small, Files.size(lastLog));
        List<RecordBatch> survivors = batches.subList(0, 6);
        for (int cut = 2 * small; cut < 3 * small; cut++) {
            Path dir = root.resolve("cut-" + cut);
            copyDir(image, dir);
            truncate(dir.resolve("00000000000000000008.log"), cut);
            PartitionLog reopened = PartitionLog.open(dir, smallConfig, scheduler, clock, LogCheckpoint.NONE);
            try {
                assertEquals(12, reopened.logEndOffset(), "cut at byte " + cut);
                assertEquals(2L * small, Files.size(dir.resolve("00000000000000000008.log")), "cut " + cut);
                assertSameBatches(survivors, readAll(reopened));
                // The log takes appends where it now ends.
                reopened.append(records(batch(12, 1, 0, 1)));
            } finally {
                reopened.close();
            }
        }
    }

    @Test
    void garbageAfterTheLastBatchIsCut() throws IOException {
        PartitionLog log = open(root.resolve("source"));
        List<RecordBatch> batches = fill(log, 6);
        Path image = crashImage(log);
        log.close();
        Path lastLog = image.resolve("00000000000000000040.log");
        long size = Files.size(lastLog);
        byte[] garbage = new byte[5000];
        new Random(42).nextBytes(garbage);
        Files.write(lastLog, garbage, StandardOpenOption.APPEND);

        PartitionLog reopened = open(image);
        assertEquals(60, reopened.logEndOffset());
        assertEquals(size, Files.size(lastLog));
        assertSameBatches(batches, readAll(reopened));
        reopened.close();
    }

    @Test
    void plausibleHeaderWithAHugeLengthIsCut() throws IOException {
        PartitionLog log = open(root.resolve("source"));
        fill(log, 5);
        Path image = crashImage(log);
        log.close();
        Path lastLog = image.resolve("00000000000000000040.log");
        ByteBuffer header = batch(50, 10, 0, 100).buffer();
        header.putInt(8, Integer.MAX_VALUE - 12);
        header.limit(RecordBatch.HEADER_SIZE);
        Files.write(lastLog, Arrays.copyOf(header), StandardOpenOption.APPEND);
        PartitionLog reopened = open(image);
        assertEquals(50, reopened.logEndOffset());
        reopened.close();
    }

    @Test
    void corruptBatchInTheMiddleOfTheLastSegmentCutsEverythingFromIt() throws IOException {
        PartitionLog log = open(root.resolve("source"));
        List<RecordBatch> batches = fill(log, 8);
        Path image = crashImage(log);
        log.close();
        // Segment 40 holds four batches; damage the record bytes of the second (offsets 50-59).
        flipByte(image.resolve("00000000000000000040.log"), batchSize + RecordBatch.HEADER_SIZE + 20);
        PartitionLog reopened = open(image);
        assertEquals(50, reopened.logEndOffset());
        assertEquals((long) batchSize, Files.size(image.resolve("00000000000000000040.log")));
        assertSameBatches(batches.subList(0, 5), readAll(reopened));
        reopened.close();
    }

    @Test
    void missingIndexFilesAreRebuiltAsTheyWere() throws IOException {
        Path dir = root.resolve("log");
        PartitionLog log = open(dir);
        List<RecordBatch> batches = fill(log, 10);
        log.close();
        byte[] index0 = Files.readAllBytes(dir.resolve("00000000000000000000.index"));
        byte[] timeIndex40 = Files.readAllBytes(dir.resolve("00000000000000000040.timeindex"));
        byte[] index80 = Files.readAllBytes(dir.resolve("00000000000000000080.index"));
        assertTrue(index0.length > 0);
        Files.delete(dir.resolve("00000000000000000000.index"));
        Files.delete(dir.resolve("00000000000000000040.timeindex"));
        Files.delete(dir.resolve("00000000000000000080.index"));

        PartitionLog reopened = open(dir);
        assertEquals(100, reopened.logEndOffset());
        assertSameBatches(batches, readAll(reopened));
        assertEquals(40, reopened.offsetForTimestamp(1040).orElseThrow().offset());
        reopened.close();
        assertArrayEquals(index0, Files.readAllBytes(dir.resolve("00000000000000000000.index")));
        assertArrayEquals(timeIndex40, Files.readAllBytes(dir.resolve("00000000000000000040.timeindex")));
        assertArrayEquals(index80, Files.readAllBytes(dir.resolve("00000000000000000080.index")));
    }

    @Test
    void untrimmedIndexOfAnOlderSegmentIsRebuilt() throws IOException {
        Path dir = root.resolve("log");
        PartitionLog log = open(dir);
        List<RecordBatch> batches = fill(log, 10);
        log.close();
        // As if the crash came before the trim at roll reached the disk: zeros up to full size.
        Path index = dir.resolve("00000000000000000040.index");
        byte[] trimmed = Files.readAllBytes(index);
        try (FileChannel channel = FileChannel.open(index, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(1), config.maxIndexSize() - 1L);
        }
        PartitionLog reopened = open(dir);
        assertSameBatches(batches, readAll(reopened));
        reopened.close();
        assertArrayEquals(trimmed, Files.readAllBytes(index));
    }

    @Test
    void recoveryCuttingAnOlderSegmentDropsEveryLaterSegment() throws IOException {
        Path dir = root.resolve("log");
        PartitionLog log = open(dir);
        List<RecordBatch> batches = fill(log, 10);
        log.close();
        // The index of segment 40 is gone, so it is scanned, and its third batch is corrupt.
        Files.delete(dir.resolve("00000000000000000040.index"));
        flipByte(dir.resolve("00000000000000000040.log"), 2L * batchSize + RecordBatch.HEADER_SIZE + 3);
        PartitionLog reopened = open(dir);
        assertEquals(60, reopened.logEndOffset());
        assertEquals(List.of(0L, 40L), reopened.segmentBaseOffsets());
        assertFalse(Files.exists(dir.resolve("00000000000000000080.log")));
        assertSameBatches(batches.subList(0, 6), readAll(reopened));
        reopened.append(records(batch(60, 10, 0, 100)));
        reopened.close();
    }

    @Test
    void cleanShutdownMarkerSkipsTheChecksumScan() throws IOException {
        Path dir = root.resolve("log");
        PartitionLog log = open(dir);
        fill(log, 6);
        log.close();
        Path marker = dir.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE);
        assertEquals("60", Files.readString(marker));
        // A bad CRC the scan would catch: with the marker the last segment is not scanned.
        Path lastLog = dir.resolve("00000000000000000040.log");
        flipByte(lastLog, RecordBatch.HEADER_SIZE + 3);
        PartitionLog clean = open(dir);
        assertFalse(Files.exists(marker), "the marker is removed once the log is open");
        assertEquals(60, clean.logEndOffset());
        // Then a crash: no marker, so the next open scans and cuts.
        Path image = crashImage(clean);
        clean.close();
        PartitionLog recovered = open(image);
        assertEquals(40, recovered.logEndOffset());
        recovered.close();
    }

    @Test
    void markerThatDisagreesWithTheFilesIsIgnored() throws IOException {
        Path dir = root.resolve("log");
        PartitionLog log = open(dir);
        List<RecordBatch> batches = fill(log, 6);
        log.close();
        Path lastLog = dir.resolve("00000000000000000040.log");
        Files.write(lastLog, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, StandardOpenOption.APPEND);
        PartitionLog reopened = open(dir);
        assertEquals(60, reopened.logEndOffset());
        assertEquals(2L * batchSize, Files.size(lastLog));
        assertSameBatches(batches, readAll(reopened));
        reopened.close();

        // A marker recording another end offset: the files win, after a scan.
        Files.writeString(dir.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE), "65");
        PartitionLog again = open(dir);
        assertEquals(60, again.logEndOffset());
        again.close();
    }

    @Test
    void leftoverFilesAreCleanedUp() throws IOException {
        Path dir = root.resolve("log");
        PartitionLog log = open(dir);
        fill(log, 6);
        log.close();
        Files.write(dir.resolve("00000000000000000007.log.deleted"), new byte[10]);
        Files.write(dir.resolve("00000000000000000007.index.deleted"), new byte[8]);
        Files.write(dir.resolve("00000000000000000000.log.cleaned"), new byte[10]);
        Files.write(dir.resolve("00000000000000000090.index"), new byte[8]);
        Files.write(dir.resolve("00000000000000000090.timeindex"), new byte[12]);
        Files.write(dir.resolve("00000000000000000040.index.swap"), new byte[8]);
        PartitionLog reopened = open(dir);
        reopened.close();
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of(PartitionLog.CLEAN_SHUTDOWN_FILE,
                "00000000000000000000.index", "00000000000000000000.log", "00000000000000000000.timeindex",
                "00000000000000000040.index", "00000000000000000040.log", "00000000000000000040.timeindex",
                LeaderEpochCheckpoint.FILE_NAME), names);
        }
    }

    @Test
    void interruptedSwapReplacesTheSegmentsItCovers() throws IOException {
        Path dir = root.resolve("log");
        PartitionLog log = open(dir);
        fill(log, 10);
        log.close();
        // A compacted replacement for segments 0 and 40 (offsets 0-79): one batch of offsets 70-79.
        RecordBatch compacted = batch(70, 10, 5000, 100);
        Files.write(dir.resolve("00000000000000000000.log.swap"), Arrays.copyOf(compacted.buffer()));
        Files.write(dir.resolve("00000000000000000000.index.swap"), new byte[8]);
        PartitionLog reopened = open(dir);
        assertEquals(List.of(0L, 80L), reopened.segmentBaseOffsets());
        assertEquals(100, reopened.logEndOffset());
        List<RecordBatch> all = readAll(reopened);
        assertEquals(70, all.get(0).baseOffset());
        assertEquals(3, all.size());
        reopened.close();
        assertFalse(Files.exists(dir.resolve("00000000000000000040.log")));
        assertFalse(Files.exists(dir.resolve("00000000000000000000.log.swap")));
    }

    @Test
    void checkpointRestoresTheLogStartAndScansFromTheRecoveryPoint() throws IOException {
        PartitionLog log = open(root.resolve("source"));
        fill(log, 10);
        log.setLogStartOffset(45);
        Path image = crashImage(log);
        log.close();
        // A damaged batch in segment 40, before the last segment: found only thanks to the recovery point.
        flipByte(image.resolve("00000000000000000040.log"), 3L * batchSize + RecordBatch.HEADER_SIZE + 1);
        LogCheckpoint checkpoint = new LogCheckpoint(OptionalLong.of(50), OptionalLong.of(45));
        PartitionLog reopened = PartitionLog.open(image, config, scheduler, clock, checkpoint);
        assertEquals(45, reopened.logStartOffset());
        assertEquals(70, reopened.logEndOffset());
        assertEquals(List.of(40L), reopened.segmentBaseOffsets());
        reopened.close();
    }

    @Test
    void preallocatedSegmentIsCutToItsDataAfterACrash() throws IOException {
        LogConfig preallocating = config.toBuilder().preallocate(true).build();
        PartitionLog log = PartitionLog.open(root.resolve("source"), preallocating, scheduler, clock,
            LogCheckpoint.NONE);
        List<RecordBatch> batches = fill(log, 6);
        Path image = crashImage(log);
        log.close();
        assertEquals(preallocating.segmentBytes(), Files.size(image.resolve("00000000000000000040.log")));
        PartitionLog reopened = PartitionLog.open(image, preallocating, scheduler, clock, LogCheckpoint.NONE);
        assertEquals(60, reopened.logEndOffset());
        assertSameBatches(batches, readAll(reopened));
        reopened.close();
        assertEquals(2L * batchSize, Files.size(image.resolve("00000000000000000040.log")));
    }

    @Test
    void reopenedLogKeepsEverythingAfterACleanClose() throws IOException {
        Path dir = root.resolve("log");
        PartitionLog log = open(dir);
        List<RecordBatch> batches = fill(log, 9);
        long max = log.maxTimestampAndOffset().orElseThrow().offset();
        log.close();
        PartitionLog reopened = open(dir);
        assertEquals(90, reopened.logEndOffset());
        assertSameBatches(batches, readAll(reopened));
        assertEquals(max, reopened.maxTimestampAndOffset().orElseThrow().offset());
        assertEquals(85, reopened.offsetForTimestamp(1085).orElseThrow().offset());
        reopened.close();
    }

    /** Bytes of a buffer, position to limit. */
    private static final class Arrays {
        static byte[] copyOf(ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            return bytes;
        }
    }
}
