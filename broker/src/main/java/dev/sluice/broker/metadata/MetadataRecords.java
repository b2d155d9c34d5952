package dev.sluice.broker.metadata;

import dev.sluice.broker.metadata.records.AccessControlEntryRecord;
import dev.sluice.broker.metadata.records.BrokerRegistrationChangeRecord;
import dev.sluice.broker.metadata.records.ClientQuotaRecord;
import dev.sluice.broker.metadata.records.ConfigRecord;
import dev.sluice.broker.metadata.records.DelegationTokenRecord;
import dev.sluice.broker.metadata.records.FeatureLevelRecord;
import dev.sluice.broker.metadata.records.NextBrokerEpochRecord;
import dev.sluice.broker.metadata.records.PartitionRecord;
import dev.sluice.broker.metadata.records.ProducerIdsRecord;
import dev.sluice.broker.metadata.records.RegisterBrokerRecord;
import dev.sluice.broker.metadata.records.RemoveAccessControlEntryRecord;
import dev.sluice.broker.metadata.records.RemoveDelegationTokenRecord;
import dev.sluice.broker.metadata.records.RemoveTopicRecord;
import dev.sluice.broker.metadata.records.RemoveUserScramCredentialRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.broker.metadata.records.UnregisterBrokerRecord;
import dev.sluice.broker.metadata.records.UserScramCredentialRecord;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.message.Message;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte form of one batch of metadata records, shared by every {@link MetadataLog} so that a
 * journal entry and a quorum log entry hold the same bytes.
 *
 * <pre>
 * batch   := count int32       records in the batch
 *            record*
 * record  := type int16        1 topic, 2 partition, 3 remove topic, 4 config, 5 producer ids,
 *                              6 register broker, 7 broker registration change, 8 unregister broker,
 *                              9 next broker epoch, 10 user SCRAM credential,
 *                              11 remove user SCRAM credential, 12 ACL, 13 remove ACL,
 *                              14 client quota, 15 feature level, 16 delegation token,
 *                              17 remove delegation token
 *            version int16
 *            size int32        bytes of body
 *            body              the record class's own encoding at that version
 * </pre>
 *
 * Type ids are never reused or renumbered: logs written by older versions must still read.
 * Stateless and thread-safe.
 */
public final class MetadataRecords {
    private static final short VERSION = 0;

    private MetadataRecords() {
    }

    /** The bytes of one batch. */
    public static byte[] encode(List<? extends Message> records) {
        ByteBuffer buffer = ByteBuffer.allocate(size(records));
        write(records, buffer);
        return buffer.array();
    }

    /**
     * The records of one batch.
     *
     * @throws MalformedDataException when the bytes are not a whole batch this version can read
     */
    public static List<Message> decode(byte[] batch) {
        return decode(ByteBuffer.wrap(batch));
    }

    /** Bytes {@link #write} takes for {@code records}. */
    static int size(List<? extends Message> records) {
        int size = 4;
        for (Message r : records) {
            size += 8 + r.size(VERSION);
        }
        return size;
    }

    /** Writes the batch at {@code buffer}'s position, which must have {@link #size} bytes left. */
    static void write(List<? extends Message> records, ByteBuffer buffer) {
        buffer.putInt(records.size());
        ByteWriter out = new ByteWriter(buffer);
        for (Message r : records) {
            buffer.putShort(typeOf(r)).putShort(VERSION).putInt(r.size(VERSION));
            r.write(out, VERSION);
        }
    }

    /** Reads a batch from {@code body}'s position to its limit; trailing bytes are malformed. */
    static List<Message> decode(ByteBuffer body) {
        try {
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
                records.add(read(type, recordIn, version));
            }
            if (in.remaining() != 0) {
                throw new MalformedDataException(in.remaining() + " bytes follow the last record of the batch");
            }
            return records;
        } catch (MalformedDataException e) {
            throw e;
        } catch (RuntimeException e) {
            // A body the generated decoder rejects in its own way (a negative length, a short buffer).
            throw new MalformedDataException("malformed metadata record batch: " + e);
        }
    }

    private static Message read(short type, ByteReader in, short version) {
        return switch (type) {
            case 1 -> new TopicRecord(in, version);
            case 2 -> new PartitionRecord(in, version);
            case 3 -> new RemoveTopicRecord(in, version);
            case 4 -> new ConfigRecord(in, version);
            case 5 -> new ProducerIdsRecord(in, version);
            case 6 -> new RegisterBrokerRecord(in, version);
            case 7 -> new BrokerRegistrationChangeRecord(in, version);
            case 8 -> new UnregisterBrokerRecord(in, version);
            case 9 -> new NextBrokerEpochRecord(in, version);
            case 10 -> new UserScramCredentialRecord(in, version);
            case 11 -> new RemoveUserScramCredentialRecord(in, version);
            case 12 -> new AccessControlEntryRecord(in, version);
            case 13 -> new RemoveAccessControlEntryRecord(in, version);
            case 14 -> new ClientQuotaRecord(in, version);
            case 15 -> new FeatureLevelRecord(in, version);
            case 16 -> new DelegationTokenRecord(in, version);
            case 17 -> new RemoveDelegationTokenRecord(in, version);
            default -> throw new MalformedDataException("unknown metadata record type " + type);
        };
    }

    private static short typeOf(Message record) {
        if (record instanceof TopicRecord) {
            return 1;
        } else if (record instanceof PartitionRecord) {
            return 2;
        } else if (record instanceof RemoveTopicRecord) {
            return 3;
        } else if (record instanceof ConfigRecord) {
            return 4;
        } else if (record instanceof ProducerIdsRecord) {
            return 5;
        } else if (record instanceof RegisterBrokerRecord) {
            return 6;
        } else if (record instanceof BrokerRegistrationChangeRecord) {
            return 7;
        } else if (record instanceof UnregisterBrokerRecord) {
            return 8;
        } else if (record instanceof NextBrokerEpochRecord) {
            return 9;
        } else if (record instanceof UserScramCredentialRecord) {
            return 10;
        } else if (record instanceof RemoveUserScramCredentialRecord) {
            return 11;
        } else if (record instanceof AccessControlEntryRecord) {
            return 12;
        } else if (record instanceof RemoveAccessControlEntryRecord) {
            return 13;
        } else if (record instanceof ClientQuotaRecord) {
            return 14;
        } else if (record instanceof FeatureLevelRecord) {
            return 15;
        } else if (record instanceof DelegationTokenRecord) {
            return 16;
        } else if (record instanceof RemoveDelegationTokenRecord) {
            return 17;
        }
        throw new IllegalArgumentException("not a metadata record: " + record.getClass());
    }
}
