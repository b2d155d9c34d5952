package dev.sluice.broker.metadata;

import dev.sluice.broker.metadata.records.ConfigRecord;
import dev.sluice.broker.metadata.records.PartitionRecord;
import dev.sluice.broker.metadata.records.ProducerIdsRecord;
import dev.sluice.broker.metadata.records.RemoveTopicRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
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
 *            count  int32      records in the entry
 *            record*
 * record  := type int16 (1 topic, 2 partition, 3 remove topic, 4 config, 5 producer ids)
 *            version int16
 *            size int32
 *            body   (the record class's own encoding at that version)
 * </pre>
 *
 * <p>Appends are forced to disk before they return: metadata changes are rare and must survive a
 * crash. After a crash the file may end in a torn entry; {@link #replay} stops at the first entry
 * that is incomplete or fails its CRC and truncates the file there, so the log holds exactly the
 * changes that were acknowledged. {@link #rewrite} replaces the file with a snapshot of the current
 * state (written to a temporary file, forced, then renamed) so the journal does not grow forever.
 *
 * <p>Not thread-safe: owned by the controller's thread.
 */
final class MetadataJournal implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(MetadataJournal.class);
    static final String FILE_NAME = "metadata.journal";
    private static final short VERSION = 0;

    private final Path file;
    private FileChannel channel;
    private int entries;

    private MetadataJournal(Path file) {
        this.file = file;
    }

    static MetadataJournal open(Path dir) throws IOException {
        Files.createDirectories(dir);
        MetadataJournal journal = new MetadataJournal(dir.resolve(FILE_NAME));
        Files.deleteIfExists(dir.resolve(FILE_NAME + ".tmp"));
        journal.channel = FileChannel.open(journal.file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        return journal;
    }

    /** Entries read by the last {@link #replay}, plus those appended since. */
    int entries() {
        return entries;
    }

    /** Reads every complete entry, truncating a torn or corrupt tail. */
    List<List<Message>> replay() throws IOException {
        long size = channel.size();
        ByteBuffer all = ByteBuffer.allocate((int) Math.min(size, Integer.MAX_VALUE));
        channel.read(all, 0);
        all.flip();
        List<List<Message>> changes = new ArrayList<>();
        long valid = 0;
        while (all.remaining() >= 8) {
            int start = all.position();
            int length = all.getInt(start);
            if (length < 8 || length > all.remaining() - 4) {
                break;
            }
            ByteBuffer body = all.slice(start + 8, length - 4);
            CRC32C crc = new CRC32C();
            crc.update(body.duplicate());
            if ((int) crc.getValue() != all.getInt(start + 4)) {
                break;
            }
            try {
                changes.add(decode(body));
            } catch (MalformedDataException e) {
                break;
            }
            all.position(start + 4 + length);
            valid = all.position();
        }
        if (valid < size) {
            log.warn("metadata journal {} ends with {} bytes of an incomplete change; truncating them", file, size - valid);
            channel.truncate(valid);
            channel.force(true);
        }
        channel.position(valid);
        entries = changes.size();
        return changes;
    }

    private static List<Message> decode(ByteBuffer body) {
        ByteReader in = new ByteReader(body);
        int count = in.readInt();
        if (count < 0 || count > body.remaining()) {
            throw new MalformedDataException("bad record count " + count);
        }
        List<Message> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            short type = in.readShort();
            short version = in.readShort();
            int recordSize = in.readInt();
            ByteReader recordIn = new ByteReader(in.readSlice(recordSize));
            records.add(switch (type) {
                case 1 -> new TopicRecord(recordIn, version);
                case 2 -> new PartitionRecord(recordIn, version);
                case 3 -> new RemoveTopicRecord(recordIn, version);
                case 4 -> new ConfigRecord(recordIn, version);
                case 5 -> new ProducerIdsRecord(recordIn, version);
                default -> throw new MalformedDataException("unknown metadata record type " + type);
            });
        }
        return records;
    }

    private static short typeOf(Message record) {
        if (record instanceof TopicRecord) {
            return 1;
        }
        if (record instanceof PartitionRecord) {
            return 2;
        }
        if (record instanceof RemoveTopicRecord) {
            return 3;
        }
        if (record instanceof ConfigRecord) {
            return 4;
        }
        if (record instanceof ProducerIdsRecord) {
            return 5;
        }
        throw new IllegalArgumentException("not a metadata record: " + record.getClass());
    }

    private static ByteBuffer encode(List<? extends Message> records) {
        int size = 12;
        for (Message r : records) {
            size += 8 + r.size(VERSION);
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putInt(size - 4).putInt(0).putInt(records.size());
        ByteWriter out = new ByteWriter(buffer);
        for (Message r : records) {
            buffer.putShort(typeOf(r)).putShort(VERSION).putInt(r.size(VERSION));
            r.write(out, VERSION);
        }
        CRC32C crc = new CRC32C();
        crc.update(buffer.array(), 8, size - 8);
        buffer.putInt(4, (int) crc.getValue());
        return buffer.flip();
    }

    /** Appends one change and forces it to disk. */
    void append(List<? extends Message> records) throws IOException {
        ByteBuffer entry = encode(records);
        while (entry.hasRemaining()) {
            channel.write(entry);
        }
        channel.force(false);
        entries++;
    }

    /** Replaces the journal with one entry holding {@code snapshot}, atomically. */
    void rewrite(List<? extends Message> snapshot) throws IOException {
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
            if (!snapshot.isEmpty()) {
                ByteBuffer entry = encode(snapshot);
                while (entry.hasRemaining()) {
                    out.write(entry);
                }
            }
            out.force(true);
        }
        channel.close();
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            log.debug("could not force directory {}: {}", file.getParent(), e.toString());
        }
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channel.position(channel.size());
        entries = snapshot.isEmpty() ? 0 : 1;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
