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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The leader-epoch history of one partition: for each leader epoch that wrote to the log, the
 * first offset it wrote. It answers OffsetForLeaderEpoch and is kept in the file
 * {@value #FILE_NAME} of the partition directory.
 *
 * <h2>File format</h2>
 * UTF-8 text, lines ending in {@code \n}, the format Kafka uses for the same file:
 * <pre>
 * 0                      the format version
 * N                      the number of entries
 * epoch startOffset      N lines, epochs and start offsets both strictly increasing
 * </pre>
 * Every change rewrites the whole file: it is written to {@code leader-epoch-checkpoint.tmp},
 * forced to disk and renamed over the old one, so a crash leaves either the old or the new
 * history, never a mix. A file that is missing or unreadable is rebuilt by the log from the
 * {@code partitionLeaderEpoch} of its batches ({@link PartitionLog#open}).
 *
 * <p>Threading: changes come from the log's single writer; {@link #endOffsetFor} and
 * {@link #entries} may be called from any thread and read one immutable list.
 */
public final class LeaderEpochCheckpoint {
    public static final String FILE_NAME = "leader-epoch-checkpoint";
    private static final String TEMP_SUFFIX = ".tmp";
    private static final int VERSION = 0;
    /** What OffsetForLeaderEpoch answers for an epoch it knows nothing about. */
    public static final EpochEnd UNDEFINED = new EpochEnd(-1, -1);

    /** An epoch and the first offset written in it. */
    public record Entry(int epoch, long startOffset) {
    }

    /** An OffsetForLeaderEpoch answer: the largest epoch not above the one asked for and where it ended. */
    public record EpochEnd(int epoch, long endOffset) {
    }

    private final Path file;
    private volatile List<Entry> entries;

    private LeaderEpochCheckpoint(Path file, List<Entry> entries) {
        this.file = file;
        this.entries = List.copyOf(entries);
    }

    /**
     * Reads the checkpoint in {@code dir}.
     *
     * @return empty if there is no file or it cannot be parsed (the caller rebuilds it)
     */
    static Optional<LeaderEpochCheckpoint> read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        Files.deleteIfExists(dir.resolve(FILE_NAME + TEMP_SUFFIX));
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return parse(lines).map(parsed -> new LeaderEpochCheckpoint(file, parsed));
    }

    /**
     * The entries of a checkpoint file's text (one copied from another replica, or from the cold
     * tier); empty if it is not a well-formed history.
     */
    public static Optional<List<Entry>> parse(List<String> lines) {
        try {
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                return Optional.empty();
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (count < 0 || lines.size() < 2 + count) {
                return Optional.empty();
            }
            List<Entry> parsed = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String[] parts = lines.get(2 + i).trim().split("\\s+");
                if (parts.length != 2) {
                    return Optional.empty();
                }
                Entry entry = new Entry(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
                if (!parsed.isEmpty()) {
                    Entry last = parsed.get(parsed.size() - 1);
                    if (entry.epoch() <= last.epoch() || entry.startOffset() < last.startOffset()) {
                        return Optional.empty();
                    }
                }
                parsed.add(entry);
            }
            return Optional.of(parsed);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * A history built from entries found in the log, written to disk at once, even if empty (a log
     * whose batches carry no epoch), so the next open does not scan the log again.
     */
    static LeaderEpochCheckpoint rebuilt(Path dir, List<Entry> found) throws IOException {
        LeaderEpochCheckpoint checkpoint = new LeaderEpochCheckpoint(dir.resolve(FILE_NAME), found);
        checkpoint.write(checkpoint.entries);
        return checkpoint;
    }

    public List<Entry> entries() {
        return entries;
    }

    public OptionalInt latestEpoch() {
        List<Entry> current = entries;
        return current.isEmpty() ? OptionalInt.empty() : OptionalInt.of(current.get(current.size() - 1).epoch());
    }

    /**
     * Writer only: records that {@code epoch} starts at {@code startOffset}, if it is newer than the
     * latest epoch known. An older or equal epoch changes nothing (its start is already known).
     *
     * @return whether the history changed
     */
    boolean assign(int epoch, long startOffset) throws IOException {
        List<Entry> current = entries;
        if (epoch < 0) {
            return false;
        }
        if (!current.isEmpty()) {
            Entry last = current.get(current.size() - 1);
            if (epoch <= last.epoch()) {
                return false;
            }
            if (startOffset < last.startOffset()) {
                throw new IllegalArgumentException("epoch " + epoch + " cannot start at " + startOffset
                    + ", before epoch " + last.epoch() + " started at " + last.startOffset());
            }
        }
        List<Entry> next = new ArrayList<>(current);
        next.add(new Entry(epoch, startOffset));
        write(next);
        return true;
    }

    /** Writer only: forgets epochs that start at or after {@code endOffset}, as the log is cut there. */
    void truncateFromEnd(long endOffset) throws IOException {
        List<Entry> current = entries;
        List<Entry> next = current.stream().filter(e -> e.startOffset() < endOffset).toList();
        if (next.size() != current.size()) {
            write(next);
        }
    }

    /**
     * Writer only: the log now starts at {@code startOffset}. Epochs that ended before it are
     * dropped and the epoch holding it starts there.
     */
    void truncateFromStart(long startOffset) throws IOException {
        List<Entry> current = entries;
        int holding = -1;
        for (int i = 0; i < current.size() && current.get(i).startOffset() <= startOffset; i++) {
            holding = i;
        }
        if (holding < 0 || holding == 0 && current.get(0).startOffset() == startOffset) {
            return;
        }
        List<Entry> next = new ArrayList<>(current.subList(holding, current.size()));
        next.set(0, new Entry(next.get(0).epoch(), startOffset));
        write(next);
    }

    /**
     * Writer only: an emptied log takes the history of what lies below its new start from
     * elsewhere (the cold tier), so OffsetForLeaderEpoch keeps answering for those epochs.
     */
    void replace(List<Entry> history) throws IOException {
        write(history);
    }

    /** Writer only: the log was emptied and starts again at {@code startOffset} with no epochs. */
    void clear() throws IOException {
        if (!entries.isEmpty()) {
            write(List.of());
        }
    }

    /**
     * OffsetForLeaderEpoch: where {@code requestedEpoch} ended.
     * <ul>
     *   <li>the latest epoch ends at the log end offset;</li>
     *   <li>an older epoch ends where the next higher known epoch starts, and the answer names the
     *       largest known epoch not above the one asked for (or the asked one itself if it is older
     *       than every known epoch);</li>
     *   <li>a negative epoch, one newer than the latest, or an empty history is {@link #UNDEFINED}.</li>
     * </ul>
     */
    public EpochEnd endOffsetFor(int requestedEpoch, long logEndOffset) {
        List<Entry> current = entries;
        if (requestedEpoch < 0 || current.isEmpty()) {
            return UNDEFINED;
        }
        Entry latest = current.get(current.size() - 1);
        if (requestedEpoch == latest.epoch()) {
            return new EpochEnd(latest.epoch(), logEndOffset);
        }
        if (requestedEpoch > latest.epoch()) {
            return UNDEFINED;
        }
        Entry floor = null;
        for (Entry entry : current) {
            if (entry.epoch() > requestedEpoch) {
                return new EpochEnd(floor == null ? requestedEpoch : floor.epoch(), entry.startOffset());
            }
            floor = entry;
        }
        return UNDEFINED;
    }

    private void write(List<Entry> next) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append(VERSION).append('\n').append(next.size()).append('\n');
        for (Entry entry : next) {
            text.append(entry.epoch()).append(' ').append(entry.startOffset()).append('\n');
        }
        writeAtomically(file, text.toString().getBytes(StandardCharsets.UTF_8));
        entries = List.copyOf(next);
    }

    /** Writes {@code content} to a temporary file, forces it, renames it over {@code target} and syncs the directory. */
    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some platforms cannot sync a directory; the file itself is on disk.
        }
    }
}
