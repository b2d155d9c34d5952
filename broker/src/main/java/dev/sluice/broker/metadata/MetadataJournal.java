package dev.sluice.broker.metadata;

import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.message.Message;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-node metadata log: every metadata change, in order, in one file. Each change is one
 * entry holding all the records of that change, so a change is applied whole or not at all.
 *
 * <pre>
 * entry   := length int32      bytes after this field
 *            crc    uint32     CRC-32C of everything after this field
 *            batch             the change's records, as {@link MetadataRecords} encodes them
 * </pre>
 *
 * <p>Appends are forced to disk before they return: metadata changes are rare and must survive a
 * crash. {@link #rewrite} replaces the file with a snapshot of the current state (written to a
 * temporary file, forced, then renamed) so the journal does not grow forever.
 *
 * <p>Damage is told apart by where it is, because the two causes need opposite treatment:
 * <ul>
 *   <li><b>A torn tail</b> (the process or machine died in the middle of an append, so the change
 *       was never acknowledged): after the first incomplete or failing entry nothing valid
 *       follows. {@link #replay} truncates it, so the log holds exactly the acknowledged changes.</li>
 *   <li><b>Damage in the middle</b> (a valid entry somewhere after the first bad one): acknowledged
 *       changes lie behind the damage, and truncating would silently drop them (and with them the
 *       topics whose data directories the broker would then no longer recognise). {@link #replay}
 *       refuses with a {@link CorruptJournalException} naming the file and the offset, and start-up
 *       stops until an operator has looked.</li>
 * </ul>
 *
 * <p>A failed append (disk full, EIO) is never left in the file for later entries to follow: the
 * file is truncated back to the end of the last good entry and forced. If even that fails, the
 * journal stops: every later append is refused without touching the file, so nothing is ever
 * written behind damage. A restart then finds at most a torn tail.
 *
 * <p>Not thread-safe: owned by the thread of its {@link JournalMetadataLog}.
 */
final class MetadataJournal implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(MetadataJournal.class);
    static final String FILE_NAME = "metadata.journal";
    /** Entry header: length and CRC. */
    private static final int HEADER = 8;

    /** Opens the journal file; a seam so that tests can fail writes on a real file. */
    @FunctionalInterface
    interface ChannelOpener {
        FileChannel open(Path file) throws IOException;
    }

    /** Start-up must stop: the journal is damaged before its end, so acknowledged changes follow the damage. */
    static final class CorruptJournalException extends IOException {
        private static final long serialVersionUID = 1L;

        CorruptJournalException(String message) {
            super(message);
        }
    }

    /**
     * An append that is not in the journal: either its write failed ({@link #refused()} false; the
     * journal goes on, or has {@link #stopped()} if it could not be rolled back), or it was refused
     * untried because the journal had already stopped.
     */
    static final class AppendFailedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final boolean refused;

        AppendFailedException(String message, Throwable cause, boolean refused) {
            super(message, cause);
            this.refused = refused;
        }

        boolean refused() {
            return refused;
        }
    }

    private final Path file;
    private final ChannelOpener opener;
    private FileChannel channel;
    private int entries;
    /** Where the last good entry ends: the next append starts here, a failed one is cut back to it. */
    private long end;
    /** Why the journal stopped taking appends, or null while it takes them. */
    private IOException stoppedBy;

    private MetadataJournal(Path file, ChannelOpener opener) {
        this.file = file;
        this.opener = opener;
    }

    static MetadataJournal open(Path dir) throws IOException {
        return open(dir, f -> FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE));
    }

    static MetadataJournal open(Path dir, ChannelOpener opener) throws IOException {
        Files.createDirectories(dir);
        MetadataJournal journal = new MetadataJournal(dir.resolve(FILE_NAME), opener);
        Files.deleteIfExists(dir.resolve(FILE_NAME + ".tmp"));
        journal.channel = opener.open(journal.file);
        return journal;
    }

    Path file() {
        return file;
    }

    /** Entries read by the last {@link #replay}, plus those appended since. */
    int entries() {
        return entries;
    }

    /** Whether appends are refused because a failed one could not be rolled back. */
    boolean stopped() {
        return stoppedBy != null;
    }

    /**
     * Reads every complete entry and truncates a torn tail.
     *
     * @throws CorruptJournalException when valid entries follow damaged bytes
     */
    List<List<Message>> replay() throws IOException {
        long size = channel.size();
        if (size > Integer.MAX_VALUE) {
            throw new CorruptJournalException("metadata journal " + file + " is " + size
                + " bytes, more than a journal of this broker can hold; it is not a journal this broker wrote");
        }
        ByteBuffer all = ByteBuffer.allocate((int) size);
        while (all.hasRemaining()) {
            if (channel.read(all, all.position()) < 0) {
                break;
            }
        }
        all.flip();
        List<List<Message>> changes = new ArrayList<>();
        int valid = 0;
        while (true) {
            List<Message> change = entryAt(all, valid);
            if (change == null) {
                break;
            }
            changes.add(change);
            valid += 4 + all.getInt(valid);
        }
        if (valid < size) {
            int next = nextValidEntry(all, valid + 1);
            if (next >= 0) {
                throw new CorruptJournalException("metadata journal " + file + " is damaged at byte offset " + valid
                    + " but holds a valid change at byte offset " + next + " after it; refusing to start rather than"
                    + " drop acknowledged metadata changes. Restore the file from a backup, or, to give up every"
                    + " change from offset " + valid + " on, truncate it to " + valid + " bytes");
            }
            log.warn("metadata journal {} ends with {} bytes of an incomplete change at byte offset {}; truncating them",
                file, size - valid, valid);
            channel.truncate(valid);
            channel.force(true);
        }
        channel.position(valid);
        end = valid;
        entries = changes.size();
        return changes;
    }

    /** The change whose entry starts at {@code offset}, or null if no whole, intact entry starts there. */
    private static List<Message> entryAt(ByteBuffer all, int offset) {
        if (all.limit() - offset < HEADER) {
            return null;
        }
        int length = all.getInt(offset);
        if (length < HEADER || length > all.limit() - offset - 4) {
            return null;
        }
        ByteBuffer body = all.slice(offset + HEADER, length - 4);
        CRC32C crc = new CRC32C();
        crc.update(body.duplicate());
        if ((int) crc.getValue() != all.getInt(offset + 4)) {
            return null;
        }
        try {
            return MetadataRecords.decode(body);
        } catch (MalformedDataException e) {
            return null;
        }
    }

    /**
     * The first offset at or after {@code from} where an intact entry starts, or -1. Every byte
     * offset is tried, since damage may have destroyed the lengths that would chain there; a
     * torn tail is at most one entry long, so this costs little where it is common.
     */
    private static int nextValidEntry(ByteBuffer all, int from) {
        for (int offset = from; offset + HEADER <= all.limit(); offset++) {
            if (entryAt(all, offset) != null) {
                return offset;
            }
        }
        return -1;
    }

    private static ByteBuffer encode(List<? extends Message> records) {
        int size = HEADER + MetadataRecords.size(records);
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putInt(size - 4).putInt(0);
        MetadataRecords.write(records, buffer);
        CRC32C crc = new CRC32C();
        crc.update(buffer.array(), HEADER, size - HEADER);
        buffer.putInt(4, (int) crc.getValue());
        return buffer.flip();
    }

    /**
     * Appends one change and forces it to disk. On failure the file is cut back to the last good
     * entry; if that fails too the journal stops and refuses this and every later append.
     *
     * @throws AppendFailedException when the change is not (and will never be) in the journal
     */
    void append(List<? extends Message> records) throws AppendFailedException {
        if (stoppedBy != null) {
            throw new AppendFailedException("metadata journal " + file + " stopped taking changes after a write failure ("
                + stoppedBy.getMessage() + "); restart the broker once the disk is fixed", stoppedBy, true);
        }
        ByteBuffer entry = encode(records);
        try {
            while (entry.hasRemaining()) {
                channel.write(entry);
            }
            channel.force(false);
        } catch (IOException e) {
            throw rollBack(e);
        }
        end += entry.limit();
        entries++;
    }

    private AppendFailedException rollBack(IOException failure) {
        try {
            channel.truncate(end);
            channel.force(true);
            channel.position(end);
        } catch (IOException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
            stoppedBy = failure;
            log.error("metadata journal {}: a write failed ({}) and cutting the file back to its last good change at"
                + " byte offset {} failed too ({}); no further metadata change is taken until the broker is restarted",
                file, failure.toString(), end, rollbackFailure.toString());
            return new AppendFailedException("metadata journal " + file + " could not be written and stopped: "
                + failure.getMessage(), failure, false);
        }
        log.error("metadata journal {}: a write failed ({}); the change was cut back off the file and not applied",
            file, failure.toString());
        return new AppendFailedException("metadata journal " + file + " could not be written: " + failure.getMessage(),
            failure, false);
    }

    /** Replaces the journal with one entry holding {@code snapshot}, atomically; the old file stays in use on failure. */
    void rewrite(List<? extends Message> snapshot) throws IOException {
        if (stoppedBy != null) {
            throw new IOException("metadata journal " + file + " is stopped", stoppedBy);
        }
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        long length = 0;
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
            if (!snapshot.isEmpty()) {
                ByteBuffer entry = encode(snapshot);
                length = entry.limit();
                while (entry.hasRemaining()) {
                    out.write(entry);
                }
            }
            out.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        // Renaming over the open file is safe on POSIX: the old channel keeps the old inode until closed.
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            log.debug("could not force directory {}: {}", file.getParent(), e.toString());
        }
        channel.close();
        channel = opener.open(file);
        channel.position(length);
        end = length;
        entries = snapshot.isEmpty() ? 0 : 1;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
