package dev.sluice.broker.cluster;

import dev.sluice.broker.metadata.records.ConfigRecord;
import dev.sluice.broker.metadata.records.PartitionRecord;
import dev.sluice.broker.metadata.records.ProducerIdsRecord;
import dev.sluice.broker.metadata.records.RemoveTopicRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.message.Message;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One batch of metadata records as bytes: the body of a metadata journal entry, without the
 * journal's length and checksum (the Ratis log and the snapshot file carry their own), so a batch
 * means the same bytes in the journal, in a Ratis log entry and in a snapshot.
 *
 * <pre>
 * batch   := count int32      records in the batch
 *            record*
 * record  := type int16 (1 topic, 2 partition, 3 remove topic, 4 config, 5 producer ids)
 *            version int16
 *            size int32
 *            body   (the record class's own encoding at that version)
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class MetadataBatchCodec {
    private static final short VERSION = 0;

    private MetadataBatchCodec() {
    }

    /** The batch as a new array. */
    public static byte[] encode(List<? extends Message> records) {
        int size = 4;
        for (Message r : records) {
            size += 8 + r.size(VERSION);
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putInt(records.size());
        ByteWriter out = new ByteWriter(buffer);
        for (Message r : records) {
            buffer.putShort(typeOf(r)).putShort(VERSION).putInt(r.size(VERSION));
            r.write(out, VERSION);
        }
        return buffer.array();
    }

    /**
     * The records of one whole batch.
     *
     * @throws MalformedDataException when the bytes are not a batch this codec wrote
     */
    public static List<Message> decode(ByteBuffer batch) {
        try {
            ByteReader in = new ByteReader(batch);
            int count = in.readInt();
            if (count < 0 || count > batch.remaining()) {
                throw new MalformedDataException("bad metadata record count " + count);
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
            if (in.remaining() != 0) {
                throw new MalformedDataException(in.remaining() + " bytes after the last metadata record");
            }
            return records;
        } catch (MalformedDataException e) {
            throw e;
        } catch (RuntimeException e) {
            // The generated decoders reject bad bytes in their own ways (a negative length, a short buffer).
            throw new MalformedDataException("malformed metadata batch: " + e.getMessage(), e);
        }
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
}
