package dev.sluice.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One offset per partition, kept in a text file in the data directory, in the format Kafka's
 * brokers use for {@value #RECOVERY_POINT}, {@value #LOG_START_OFFSET} and
 * {@value #HIGH_WATERMARK} (so Kafka's tools and habits apply to Sluice's directories).
 *
 * <h2>Format</h2>
 * UTF-8 text, lines ending in {@code \n}:
 * <pre>
 * 0                          the format version
 * 2                          how many entries follow
 * orders 0 1234              topic, partition, offset, separated by one space
 * orders 1 99
 * </pre>
 * Topic names cannot contain spaces, so the split is unambiguous.
 *
 * <h2>Writing and crashes</h2>
 * {@link #write} puts the whole content in {@code <name>.tmp}, forces it to disk, renames it over
 * the file (atomic on POSIX file systems) and forces the directory. A crash therefore leaves either
 * the old file or the new one, complete; at worst a stale {@code .tmp} file, which the next write
 * replaces. A file that is nevertheless missing or unreadable (wrong version, count that does not
 * match, malformed line) reads as {@link Optional#empty()}: every user of these files must then
 * fall back to something safe (recover every segment, start the log at its first segment, take the
 * high watermark from the log), never guess.
 *
 * <p>Threading: not thread-safe; one writer per file (the broker's housekeeping thread, or the
 * shutdown path after it has stopped).
 */
public final class OffsetCheckpointFile {
    private static final Logger log = LoggerFactory.getLogger(OffsetCheckpointFile.class);

    /** Per partition: every offset below it is flushed to disk ({@link PartitionLog#recoveryPoint()}). */
    public static final String RECOVERY_POINT = "recovery-point-offset-checkpoint";
    /** Per partition: {@link PartitionLog#logStartOffset()}, which DeleteRecords and retention move. */
    public static final String LOG_START_OFFSET = "log-start-offset-checkpoint";
    /** Per partition: the high watermark. */
    public static final String HIGH_WATERMARK = "replication-offset-checkpoint";

    private static final int VERSION = 0;

    /** A topic name and partition index. */
    public record TopicPartition(String topic, int partition) {
        public TopicPartition {
            if (topic.isEmpty() || topic.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("not a topic name: '" + topic + "'");
            }
        }
    }

    private final Path file;

    public OffsetCheckpointFile(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /**
     * Replaces the file atomically with {@code offsets} (entries in topic, partition order).
     *
     * @throws IOException if the content cannot be written and made durable; the old file is then
     *     left as it was
     */
    public void write(Map<TopicPartition, Long> offsets) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append(VERSION).append('\n').append(offsets.size()).append('\n');
        List<Map.Entry<TopicPartition, Long>> sorted = offsets.entrySet().stream()
            .sorted(Map.Entry.comparingByKey(Comparator.comparing(TopicPartition::topic)
                .thenComparingInt(TopicPartition::partition)))
            .toList();
        for (Map.Entry<TopicPartition, Long> e : sorted) {
            text.append(e.getKey().topic()).append(' ').append(e.getKey().partition()).append(' ')
                .append(e.getValue()).append('\n');
        }
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer content = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            while (content.hasRemaining()) {
                channel.write(content);
            }
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(file.toAbsolutePath().getParent());
    }

    /**
     * Reads the file.
     *
     * @return the offsets, or empty if the file is missing or unreadable (logged), in which case
     *     the caller must not trust any entry
     */
    public Optional<Map<TopicPartition, Long>> read() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.warn("Cannot read checkpoint {}: {}", file, e.toString());
            return Optional.empty();
        }
        try {
            return Optional.of(parse(lines));
        } catch (IllegalArgumentException e) {
            log.warn("Ignoring corrupt checkpoint {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * What the recovery-point and log-start-offset files (as {@link #read} returned them) say about
     * one partition, as {@link PartitionLog#open} takes it. Whatever the files cannot vouch for
     * falls back to the safe side: without a trustworthy recovery point (file missing or corrupt,
     * or no entry for the partition, e.g. one created after the last checkpoint) recovery starts
     * at offset 0, which scans every segment; without a log start offset the log starts at its
     * first segment.
     */
    public static LogCheckpoint logCheckpoint(Optional<Map<TopicPartition, Long>> recoveryPoints,
                                              Optional<Map<TopicPartition, Long>> logStartOffsets,
                                              TopicPartition partition) {
        Long recoveryPoint = recoveryPoints.map(m -> m.get(partition)).orElse(null);
        Long logStart = logStartOffsets.map(m -> m.get(partition)).orElse(null);
        return new LogCheckpoint(OptionalLong.of(recoveryPoint == null ? 0 : recoveryPoint),
            logStart == null ? OptionalLong.empty() : OptionalLong.of(logStart));
    }

    /**
     * {@link #logCheckpoint(Optional, Optional, TopicPartition)} with the high watermark that the
     * {@value #HIGH_WATERMARK} file (as {@link #read} returned it) holds for the partition, if any.
     */
    public static LogCheckpoint logCheckpoint(Optional<Map<TopicPartition, Long>> recoveryPoints,
                                              Optional<Map<TopicPartition, Long>> logStartOffsets,
                                              Optional<Map<TopicPartition, Long>> highWatermarks,
                                              TopicPartition partition) {
        LogCheckpoint withoutHighWatermark = logCheckpoint(recoveryPoints, logStartOffsets, partition);
        Long highWatermark = highWatermarks.map(m -> m.get(partition)).orElse(null);
        return new LogCheckpoint(withoutHighWatermark.recoveryPoint(), withoutHighWatermark.logStartOffset(),
            highWatermark == null ? OptionalLong.empty() : OptionalLong.of(highWatermark));
    }

    private static Map<TopicPartition, Long> parse(List<String> lines) {
        if (lines.size() < 2) {
            throw new IllegalArgumentException("fewer than two lines");
        }
        if (Integer.parseInt(lines.get(0).trim()) != VERSION) {
            throw new IllegalArgumentException("unknown version " + lines.get(0));
        }
        int count = Integer.parseInt(lines.get(1).trim());
        if (count < 0 || lines.size() != count + 2) {
            throw new IllegalArgumentException("expected " + count + " entries, found " + (lines.size() - 2));
        }
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        for (String line : lines.subList(2, lines.size())) {
            String[] fields = line.split(" ");
            if (fields.length != 3) {
                throw new IllegalArgumentException("malformed entry '" + line + "'");
            }
            long offset = Long.parseLong(fields[2]);
            if (offset < 0) {
                throw new IllegalArgumentException("negative offset in '" + line + "'");
            }
            offsets.put(new TopicPartition(fields[0], Integer.parseInt(fields[1])), offset);
        }
        return offsets;
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open or sync a directory; the file itself is synced.
            log.debug("Cannot sync directory {}: {}", dir, e.toString());
        }
    }
}
