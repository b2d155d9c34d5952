package dev.sluice.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transaction index of one segment, {@code <20-digit base offset>.txnindex}: the transactions
 * aborted by an ABORT marker that lies in the segment, in the order of their markers. A
 * read_committed fetch lists them so the consumer can drop the aborted records it receives.
 *
 * <h2>Layout</h2>
 * Kafka's: fixed 34-byte entries back to back from byte 0, nothing else, big-endian:
 * <pre>
 * int16  version           0
 * int64  producer id
 * int64  first offset      the transaction's first batch in this partition
 * int64  last offset       its ABORT marker, in this segment
 * int64  last stable offset the partition's last stable offset right after the marker: the first
 *                          offset of the earliest transaction still open, else last offset + 1
 * </pre>
 * Entries are appended in marker order, so their last offsets increase.
 *
 * <h2>Lifecycle and recovery</h2>
 * The file is created only when the segment's first abort is appended: a segment without aborts
 * has no {@code .txnindex}. Entries are written after the marker they describe, and forced to
 * disk with the segment ({@link #flush}). After a crash the file may therefore (a) end in a torn
 * entry, which loading ignores and the next write cuts off; (b) hold entries for markers the
 * recovered segment lost, which the segment's recovery drops with {@link #truncateTo}; or
 * (c) lack the entry of a marker that reached the log, which the partition's producer-state replay
 * adds back ({@link #appendIfNewer}), since replaying a marker recomputes the entry. The file is
 * renamed and deleted with its segment; a compaction swap writes the merged entries of the
 * replaced segments under the cleaned segment's name.
 *
 * <p>Threading: the partition's writer appends, truncates, renames and closes; readers on any
 * thread call {@link #entries()}, which returns an immutable list published in a volatile field
 * (loaded from the file on first use), so a reader never blocks the writer nor sees a torn entry.
 */
public final class TransactionIndex {
    private static final Logger log = LoggerFactory.getLogger(TransactionIndex.class);
    public static final String SUFFIX = ".txnindex";
    static final int ENTRY_BYTES = 34;
    private static final short VERSION = 0;

    private volatile Path file;
    /** Null until loaded from the file; then every whole entry of the file, in order. */
    private volatile List<AbortedTxn> entries;
    /** Writer only: open once the segment wrote (or truncated) its index. */
    private FileChannel channel;

    TransactionIndex(Path file) {
        this.file = file;
    }

    static Path file(Path dir, long baseOffset) {
        return dir.resolve(LogSegment.fileNamePrefix(baseOffset) + SUFFIX);
    }

    Path file() {
        return file;
    }

    /** The aborted transactions of the segment, in marker order (empty without a file). Any thread. */
    List<AbortedTxn> entries() {
        List<AbortedTxn> loaded = entries;
        if (loaded != null) {
            return loaded;
        }
        synchronized (this) {
            if (entries == null) {
                try {
                    entries = read(file);
                } catch (IOException e) {
                    throw new LogStorageException("cannot read the transaction index " + file, e);
                }
            }
            return entries;
        }
    }

    /** Every whole entry of {@code file}, none if it does not exist; a torn last entry is left out. */
    static List<AbortedTxn> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        return decode(Files.readAllBytes(file), file.toString());
    }

    /** The whole entries of an index file's bytes ({@code name} says where they came from, for the log). */
    public static List<AbortedTxn> decode(byte[] bytes, String name) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        List<AbortedTxn> out = new ArrayList<>(bytes.length / ENTRY_BYTES);
        while (in.remaining() >= ENTRY_BYTES) {
            short version = in.getShort();
            if (version != VERSION) {
                log.warn("Ignoring {} from byte {} on: entry version {}", name, in.position() - 2, version);
                break;
            }
            out.add(new AbortedTxn(in.getLong(), in.getLong(), in.getLong(), in.getLong()));
        }
        if (bytes.length % ENTRY_BYTES != 0) {
            log.warn("{} ends in a torn entry ({} bytes); ignoring it", name, bytes.length % ENTRY_BYTES);
        }
        return List.copyOf(out);
    }

    /**
     * Adds to {@code out} the entries of one segment's index (in order) that a read_committed fetch
     * from {@code fetchOffset} up to {@code upperBoundOffset} must know of: marker at or after the
     * fetch offset, first offset below the bound.
     *
     * @return whether the search may stop here: an entry's last stable offset reaches the bound,
     *     so no transaction with data below it was still open at that marker, and a later segment
     *     can hold no abort that matters
     */
    public static boolean collect(List<AbortedTxn> entries, long fetchOffset, long upperBoundOffset,
                                  List<AbortedTxn> out) {
        for (AbortedTxn txn : entries) {
            if (txn.lastOffset() >= fetchOffset && txn.firstOffset() < upperBoundOffset) {
                out.add(txn);
            }
            if (txn.lastStableOffset() >= upperBoundOffset) {
                return true;
            }
        }
        return false;
    }

    /** The 34 bytes of one entry. */
    static ByteBuffer encode(AbortedTxn txn) {
        ByteBuffer out = ByteBuffer.allocate(ENTRY_BYTES);
        out.putShort(VERSION).putLong(txn.producerId()).putLong(txn.firstOffset()).putLong(txn.lastOffset())
            .putLong(txn.lastStableOffset());
        return out.flip();
    }

    /** Writes {@code txns} as a complete index file at {@code target}, forced to disk; nothing if empty. */
    static void write(Path target, Collection<AbortedTxn> txns) throws IOException {
        Files.deleteIfExists(target);
        if (txns.isEmpty()) {
            return;
        }
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (AbortedTxn txn : txns) {
                writeFully(out, encode(txn), out.size());
            }
            out.force(true);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes, long position) throws IOException {
        long at = position;
        while (bytes.hasRemaining()) {
            at += out.write(bytes, at);
        }
    }

    /** Writer only: the channel, opened (and the file created) on first need, past any torn tail. */
    private FileChannel channel() throws IOException {
        if (channel == null) {
            List<AbortedTxn> current = entries();
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
            long whole = (long) current.size() * ENTRY_BYTES;
            if (channel.size() != whole) {
                channel.truncate(whole);
            }
        }
        return channel;
    }

    /**
     * Writer only: records {@code txn}, whose marker is in this segment, unless an entry for this
     * marker or a later one is there already (a replay after a restart meets markers indexed before).
     *
     * @return whether it was appended
     */
    boolean appendIfNewer(AbortedTxn txn) throws IOException {
        List<AbortedTxn> current = entries();
        if (!current.isEmpty() && current.get(current.size() - 1).lastOffset() >= txn.lastOffset()) {
            return false;
        }
        FileChannel out = channel();
        writeFully(out, encode(txn), (long) current.size() * ENTRY_BYTES);
        List<AbortedTxn> grown = new ArrayList<>(current.size() + 1);
        grown.addAll(current);
        grown.add(txn);
        entries = List.copyOf(grown);
        return true;
    }

    /** Writer only: drops the entries whose marker is at or above {@code offset}. */
    void truncateTo(long offset) throws IOException {
        List<AbortedTxn> current = entries();
        int keep = 0;
        while (keep < current.size() && current.get(keep).lastOffset() < offset) {
            keep++;
        }
        if (keep == current.size()) {
            return;
        }
        List<AbortedTxn> kept = List.copyOf(current.subList(0, keep));
        entries = kept;
        if (keep == 0) {
            closeChannel();
            Files.deleteIfExists(file);
        } else {
            channel().truncate((long) keep * ENTRY_BYTES);
        }
    }

    /** Writer only: forgets every entry and deletes the file (the segment was emptied or rebuilt). */
    void reset() throws IOException {
        closeChannel();
        entries = List.of();
        Files.deleteIfExists(file);
    }

    void flush() throws IOException {
        if (channel != null) {
            channel.force(true);
        }
    }

    /** Renames the file (if it exists) to {@code <name><suffix>}; entries stay readable from memory. */
    void renameTo(Path target) throws IOException {
        entries();
        if (Files.exists(file)) {
            Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
        }
        // An open channel follows the renamed file (same inode).
        file = target;
    }

    void close() throws IOException {
        closeChannel();
    }

    void deleteIfExists() throws IOException {
        closeChannel();
        Files.deleteIfExists(file);
    }

    private void closeChannel() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
