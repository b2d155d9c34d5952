package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.batch;
import static dev.sluice.storage.TestLogs.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.storage.OffsetCheckpointFile.TopicPartition;
import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OffsetCheckpointFileTest {
    @TempDir
    Path root;

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);

    private OffsetCheckpointFile file() {
        return new OffsetCheckpointFile(root.resolve(OffsetCheckpointFile.RECOVERY_POINT));
    }

    @Test
    void writesKafkasTextFormatAndReadsItBack() throws IOException {
        OffsetCheckpointFile file = file();
        file.write(Map.of(ORDERS_1, 99L, ORDERS_0, 1234L, new TopicPartition("a.b_c-d", 7), 0L));
        assertEquals("0\n3\na.b_c-d 7 0\norders 0 1234\norders 1 99\n",
            Files.readString(file.file(), StandardCharsets.UTF_8));
        assertEquals(Optional.of(Map.of(ORDERS_0, 1234L, ORDERS_1, 99L, new TopicPartition("a.b_c-d", 7), 0L)),
            file.read());
        file.write(Map.of());
        assertEquals(Optional.of(Map.of()), file.read());
    }

    @Test
    void writeReplacesTheWholeFileAndLeavesNoTemporaryFile() throws IOException {
        OffsetCheckpointFile file = file();
        file.write(Map.of(ORDERS_0, 1L, ORDERS_1, 2L));
        // A temporary file a crash left behind, longer than what comes next.
        Files.writeString(root.resolve(OffsetCheckpointFile.RECOVERY_POINT + ".tmp"), "garbage ".repeat(100));
        file.write(Map.of(ORDERS_0, 5L));
        assertEquals(Optional.of(Map.of(ORDERS_0, 5L)), file.read());
        try (Stream<Path> files = Files.list(root)) {
            assertEquals(List.of(file.file()), files.toList());
        }
    }

    @Test
    void missingTruncatedOrGarbageFilesReadAsUntrustworthy() throws IOException {
        OffsetCheckpointFile file = file();
        assertEquals(Optional.empty(), file.read(), "missing");
        file.write(Map.of(ORDERS_0, 1L, ORDERS_1, 2L));
        String good = Files.readString(file.file());
        for (String bad : List.of("", "0\n", good.substring(0, good.length() - 4), "1\n0\n", "0\n1\norders 0\n",
            "0\n1\norders x 5\n", "0\n1\norders 0 -3\n", "\u0000\u0000\u0000\u0000", "0\n2\norders 0 1\n")) {
            Files.writeString(file.file(), bad);
            assertEquals(Optional.empty(), file.read(), "content '" + bad + "'");
        }
    }

    @Test
    void topicNamesWithSpacesCannotBeWritten() {
        assertThrows(IllegalArgumentException.class, () -> new TopicPartition("a b", 0));
    }

    @Test
    void logCheckpointScansEverythingWithoutATrustworthyRecoveryPoint() {
        Optional<Map<TopicPartition, Long>> points = Optional.of(Map.of(ORDERS_0, 40L));
        Optional<Map<TopicPartition, Long>> starts = Optional.of(Map.of(ORDERS_0, 5L));
        assertEquals(new LogCheckpoint(OptionalLong.of(40), OptionalLong.of(5)),
            OffsetCheckpointFile.logCheckpoint(points, starts, ORDERS_0));
        assertEquals(new LogCheckpoint(OptionalLong.of(0), OptionalLong.empty()),
            OffsetCheckpointFile.logCheckpoint(points, starts, ORDERS_1), "a partition not in the files");
        assertEquals(new LogCheckpoint(OptionalLong.of(0), OptionalLong.empty()),
            OffsetCheckpointFile.logCheckpoint(Optional.empty(), Optional.empty(), ORDERS_0), "unreadable files");
    }

    @Test
    void logCheckpointCarriesTheHighWatermarkOfThePartitionWhenTheFileHasOne() {
        Optional<Map<TopicPartition, Long>> points = Optional.of(Map.of(ORDERS_0, 40L));
        Optional<Map<TopicPartition, Long>> starts = Optional.of(Map.of(ORDERS_0, 5L));
        Optional<Map<TopicPartition, Long>> highWatermarks = Optional.of(Map.of(ORDERS_0, 38L));
        assertEquals(new LogCheckpoint(OptionalLong.of(40), OptionalLong.of(5), OptionalLong.of(38)),
            OffsetCheckpointFile.logCheckpoint(points, starts, highWatermarks, ORDERS_0));
        assertEquals(new LogCheckpoint(OptionalLong.of(0), OptionalLong.empty(), OptionalLong.empty()),
            OffsetCheckpointFile.logCheckpoint(points, starts, highWatermarks, ORDERS_1), "a partition not in the files");
        assertEquals(new LogCheckpoint(OptionalLong.of(40), OptionalLong.of(5), OptionalLong.empty()),
            OffsetCheckpointFile.logCheckpoint(points, starts, Optional.empty(), ORDERS_0), "an unreadable file");
    }

    /**
     * A crashed log with damage in its first segment (which a recovery point past it would not
     * scan) and a garbage checkpoint: the fallback scans every segment and cuts the damage.
     */
    @Test
    void garbageCheckpointStillRecoversADamagedEarlierSegment() throws IOException {
        ManualScheduler scheduler = new ManualScheduler();
        int batchSize = batch(0, 10, 0, 100).sizeInBytes();
        LogConfig config = LogConfig.builder().segmentBytes(batchSize * 4).build();
        Path dir = root.resolve("orders-0");
        Path image = root.resolve("image");
        try (PartitionLog log = PartitionLog.open(dir, config, scheduler, new ManualClock(1000), LogCheckpoint.NONE)) {
            for (int i = 0; i < 10; i++) {
                log.append(records(batch(log.logEndOffset(), 10, 1000 + i, 100)));
            }
            log.flush();
            Files.createDirectories(image);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.copy(f, image.resolve(f.getFileName()));
                }
            }
        }
        try (FileChannel channel = FileChannel.open(image.resolve("00000000000000000000.log"),
            StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {0x55, 0x55}), 2L * batchSize + RecordBatch.HEADER_SIZE + 3);
        }
        OffsetCheckpointFile points = file();
        Files.writeString(points.file(), "0\n1\nimage 0 100\ntrailing garbage\n");
        OffsetCheckpointFile starts = new OffsetCheckpointFile(root.resolve(OffsetCheckpointFile.LOG_START_OFFSET));
        LogCheckpoint checkpoint = OffsetCheckpointFile.logCheckpoint(points.read(), starts.read(),
            new TopicPartition("image", 0));
        try (PartitionLog reopened = PartitionLog.open(image, config, scheduler, new ManualClock(1000), checkpoint)) {
            assertEquals(0, reopened.logStartOffset());
            assertEquals(20, reopened.logEndOffset(), "cut at the damaged third batch");
            assertEquals(List.of(0L), reopened.segmentBaseOffsets());
        }
        assertFalse(Files.exists(image.resolve("00000000000000000040.log")));
    }
}
