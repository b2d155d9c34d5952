package dev.sluice.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code cleaner-offset-checkpoint} file of a data directory: for each compacted log, its
 * first dirty offset (everything below it has been compacted at least once). The format is
 * Kafka's, UTF-8 text with {@code \n} line ends:
 * <pre>
 * 0                      version
 * 2                      number of entries
 * orders 0 1500          topic, partition, first dirty offset, separated by one space
 * orders 1 930
 * </pre>
 * Written atomically: the content goes to {@code cleaner-offset-checkpoint.tmp}, is fsynced, and
 * the file is renamed over the old one, then the directory is synced, so after a crash the file is
 * either the old or the new one. An unreadable file is ignored (logged): every log then counts as
 * dirty from its start, which costs a cleaning pass, never data.
 */
final class CleanerCheckpoint {
    private static final Logger log = LoggerFactory.getLogger(CleanerCheckpoint.class);
    static final String FILE_NAME = "cleaner-offset-checkpoint";
    private static final int VERSION = 0;

    /** A topic partition as the file names it. */
    record Entry(String topic, int partition) implements Comparable<Entry> {
        @Override
        public int compareTo(Entry o) {
            int byTopic = topic.compareTo(o.topic);
            return byTopic != 0 ? byTopic : Integer.compare(partition, o.partition);
        }
    }

    private final Path file;

    CleanerCheckpoint(Path dataDir) {
        this.file = dataDir.resolve(FILE_NAME);
    }

    Path file() {
        return file;
    }

    /** The offsets in the file; empty if it is missing or unreadable. */
    Map<Entry, Long> read() {
        Map<Entry, Long> offsets = new TreeMap<>();
        if (!Files.exists(file)) {
            return offsets;
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                throw new IllegalArgumentException("unknown version or missing count");
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (lines.size() < 2 + count) {
                throw new IllegalArgumentException("expected " + count + " entries, found " + (lines.size() - 2));
            }
            for (int i = 0; i < count; i++) {
                String line = lines.get(2 + i);
                // Topic names cannot hold spaces, so the last two fields are the numbers.
                int last = line.lastIndexOf(' ');
                int middle = line.lastIndexOf(' ', last - 1);
                if (middle <= 0) {
                    throw new IllegalArgumentException("malformed line '" + line + "'");
                }
                offsets.put(new Entry(line.substring(0, middle), Integer.parseInt(line.substring(middle + 1, last))),
                    Long.parseLong(line.substring(last + 1)));
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Ignoring unreadable {}: {}", file, e.toString());
            offsets.clear();
        }
        return offsets;
    }

    /** Replaces the file with {@code offsets}, atomically. */
    void write(Map<Entry, Long> offsets) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append(VERSION).append('\n').append(offsets.size()).append('\n');
        for (Map.Entry<Entry, Long> e : new TreeMap<>(offsets).entrySet()) {
            text.append(e.getKey().topic()).append(' ').append(e.getKey().partition()).append(' ')
                .append(e.getValue()).append('\n');
        }
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            log.debug("Cannot sync directory {}: {}", file.getParent(), e.toString());
        }
    }
}
