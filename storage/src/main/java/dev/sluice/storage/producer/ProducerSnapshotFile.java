package dev.sluice.storage.producer;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A producer-state snapshot: the idempotent-producer state of a partition as it stood just before
 * offset {@code N}, in the file {@code <N as 20 digits>.snapshot} of the partition directory (the
 * name Kafka uses). Replaying the log's batches from offset {@code N} on top of it gives the state
 * at the log end, so recovery need not read the log from its start.
 *
 * <h2>Layout</h2>
 * Big-endian:
 * <pre>
 * int16  version            1
 * int32  crc                CRC-32C of every byte after this field
 * int32  producer count
 * per producer:
 *   int64  producer id
 *   int16  epoch
 *   int32  coordinator epoch        -1 if none
 *   int64  transaction first offset -1 without an open transaction
 *   int64  last timestamp            the newest batch or marker timestamp, for expiry
 *   int32  batch count               at most {@link ProducerStateManager#WINDOW}, oldest first
 *   per batch:
 *     int32 first sequence, int32 last sequence, int64 first offset, int64 last offset,
 *     int64 max timestamp
 * </pre>
 *
 * <h2>Writing and recovery</h2>
 * A snapshot is written to {@code <name>.tmp}, forced to disk and renamed into place, so a file
 * with the final name is whole unless the disk damaged it afterwards. Reading checks the version,
 * the CRC and that nothing is left over; a file that fails is reported as corrupt and the caller
 * falls back to an older snapshot or to a scan of the log.
 */
public final class ProducerSnapshotFile {
    public static final String SUFFIX = ".snapshot";
    private static final String TEMP_SUFFIX = ".tmp";
    private static final short VERSION = 1;
    private static final int HEADER_BYTES = 2 + 4 + 4;
    private static final int PRODUCER_BYTES = 8 + 2 + 4 + 8 + 8 + 4;
    private static final int BATCH_BYTES = 4 + 4 + 8 + 8 + 8;

    /** A snapshot that fails its checks. */
    public static final class CorruptSnapshotException extends IOException {
        private static final long serialVersionUID = 1L;

        CorruptSnapshotException(String message) {
            super(message);
        }
    }

    private ProducerSnapshotFile() {
    }

    public static Path path(Path dir, long offset) {
        return dir.resolve(String.format("%020d", offset) + SUFFIX);
    }

    /** The offset a snapshot file name holds, or -1 if {@code file} is not a snapshot. */
    public static long offsetOf(Path file) {
        String name = file.getFileName().toString();
        if (!name.endsWith(SUFFIX) || name.length() != 20 + SUFFIX.length()) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(0, 20));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Snapshot offsets present in {@code dir}, ascending. Leftover temporary files are removed. */
    public static List<Long> list(Path dir) throws IOException {
        List<Long> offsets = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                if (file.getFileName().toString().endsWith(SUFFIX + TEMP_SUFFIX)) {
                    Files.deleteIfExists(file);
                    continue;
                }
                long offset = offsetOf(file);
                if (offset >= 0) {
                    offsets.add(offset);
                }
            }
        }
        offsets.sort(Comparator.naturalOrder());
        return offsets;
    }

    static byte[] encode(Collection<ProducerEntry> producers) {
        int size = HEADER_BYTES;
        for (ProducerEntry entry : producers) {
            size += PRODUCER_BYTES + entry.batches().size() * BATCH_BYTES;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.putShort(VERSION).putInt(0).putInt(producers.size());
        for (ProducerEntry entry : producers) {
            List<ProducerEntry.BatchMetadata> batches = entry.batches();
            out.putLong(entry.producerId()).putShort(entry.epoch()).putInt(entry.coordinatorEpoch())
                .putLong(entry.currentTxnFirstOffset()).putLong(entry.lastTimestamp()).putInt(batches.size());
            for (ProducerEntry.BatchMetadata b : batches) {
                out.putInt(b.firstSequence()).putInt(b.lastSequence()).putLong(b.firstOffset())
                    .putLong(b.lastOffset()).putLong(b.timestamp());
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 6, size - 6);
        out.putInt(2, (int) crc.getValue());
        return out.array();
    }

    static List<ProducerEntry> decode(ByteBuffer in, String source) throws CorruptSnapshotException {
        try {
            short version = in.getShort();
            if (version != VERSION) {
                throw new CorruptSnapshotException(source + " has unknown version " + version);
            }
            int storedCrc = in.getInt();
            CRC32C crc = new CRC32C();
            crc.update(in.duplicate());
            if ((int) crc.getValue() != storedCrc) {
                throw new CorruptSnapshotException(source + " fails its CRC");
            }
            int count = in.getInt();
            if (count < 0 || (long) count * PRODUCER_BYTES > in.remaining()) {
                throw new CorruptSnapshotException(source + " claims " + count + " producers");
            }
            List<ProducerEntry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ProducerEntry entry = new ProducerEntry(in.getLong(), in.getShort());
                int coordinatorEpoch = in.getInt();
                long txnFirstOffset = in.getLong();
                long lastTimestamp = in.getLong();
                int batches = in.getInt();
                if (batches < 0 || batches > ProducerStateManager.WINDOW) {
                    throw new CorruptSnapshotException(source + " claims " + batches + " batches for a producer");
                }
                for (int b = 0; b < batches; b++) {
                    entry.add(new ProducerEntry.BatchMetadata(in.getInt(), in.getInt(), in.getLong(), in.getLong(),
                        in.getLong()));
                }
                entry.restore(coordinatorEpoch, txnFirstOffset, lastTimestamp);
                entries.add(entry);
            }
            if (in.hasRemaining()) {
                throw new CorruptSnapshotException(source + " has " + in.remaining() + " bytes after its last producer");
            }
            return entries;
        } catch (BufferUnderflowException e) {
            throw new CorruptSnapshotException(source + " is cut short");
        }
    }

    /** Writes the snapshot for {@code offset} atomically (temporary file, fsync, rename, directory sync). */
    public static void write(Path dir, long offset, Collection<ProducerEntry> producers) throws IOException {
        Path target = path(dir, offset);
        Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer content = ByteBuffer.wrap(encode(producers));
            while (content.hasRemaining()) {
                channel.write(content);
            }
            channel.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            // Some platforms cannot sync a directory; the file itself is on disk.
        }
    }

    /**
     * Reads the snapshot for {@code offset}.
     *
     * @throws CorruptSnapshotException if it fails its checks
     */
    public static List<ProducerEntry> read(Path dir, long offset) throws IOException {
        Path file = path(dir, offset);
        return decode(ByteBuffer.wrap(Files.readAllBytes(file)), file.toString());
    }
}
