package dev.sluice.broker.share;

import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.share.records.ShareSnapshotValue;
import dev.sluice.broker.share.records.ShareStateKey;
import dev.sluice.broker.share.records.ShareUpdateValue;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.message.Message;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of {@code __share_group_state}, in Kafka's layout so Kafka's tools can read the
 * topic: the key is an int16 record type, 0 for a snapshot and 1 for an update, and a
 * {@link ShareStateKey}; the value an int16 version (0) and a {@link ShareSnapshotValue} or
 * {@link ShareUpdateValue}. A snapshot holds a share-partition's whole state; an update the ranges
 * one write changed, merged into what came before; a null snapshot value deletes the state.
 */
final class ShareStateRecords {
    static final short SNAPSHOT = 0;
    static final short UPDATE = 1;
    private static final short KEY_VERSION = 0;
    private static final short VALUE_VERSION = 0;

    /** A record read back: its type, the share-partition, and the state (a snapshot) or change (an update). */
    record Read(short type, SharePartitionKey key, ShareSnapshotValue snapshot, ShareUpdateValue update) {
    }

    private ShareStateRecords() {
    }

    static CoordinatorRecord snapshot(SharePartitionKey key, ShareState s) {
        List<ShareSnapshotValue.StateBatch> batches = new ArrayList<>();
        for (StateBatches.Batch b : s.batches()) {
            batches.add(new ShareSnapshotValue.StateBatch().setFirstOffset(b.firstOffset()).setLastOffset(b.lastOffset())
                .setDeliveryState(b.deliveryState()).setDeliveryCount(b.deliveryCount()));
        }
        ShareSnapshotValue value = new ShareSnapshotValue().setSnapshotEpoch(s.snapshotEpoch())
            .setStateEpoch(s.stateEpoch()).setLeaderEpoch(s.leaderEpoch()).setStartOffset(s.startOffset())
            .setDeliveryCompleteCount(s.deliveryCompleteCount()).setCreateTimestamp(s.createTimestamp())
            .setWriteTimestamp(s.writeTimestamp()).setStateBatches(batches);
        return new CoordinatorRecord(key(SNAPSHOT, key), encode(VALUE_VERSION, value));
    }

    static CoordinatorRecord update(SharePartitionKey key, int snapshotEpoch, int leaderEpoch, long startOffset,
                                    int deliveryCompleteCount, List<StateBatches.Batch> written) {
        List<ShareUpdateValue.StateBatch> batches = new ArrayList<>();
        for (StateBatches.Batch b : written) {
            batches.add(new ShareUpdateValue.StateBatch().setFirstOffset(b.firstOffset()).setLastOffset(b.lastOffset())
                .setDeliveryState(b.deliveryState()).setDeliveryCount(b.deliveryCount()));
        }
        ShareUpdateValue value = new ShareUpdateValue().setSnapshotEpoch(snapshotEpoch).setLeaderEpoch(leaderEpoch)
            .setStartOffset(startOffset).setDeliveryCompleteCount(deliveryCompleteCount).setStateBatches(batches);
        return new CoordinatorRecord(key(UPDATE, key), encode(VALUE_VERSION, value));
    }

    static CoordinatorRecord tombstone(SharePartitionKey key) {
        return new CoordinatorRecord(key(SNAPSHOT, key), null);
    }

    private static byte[] key(short type, SharePartitionKey key) {
        return encode(type, new ShareStateKey().setGroupId(key.groupId()).setTopicId(key.topicId())
            .setPartition(key.partition()));
    }

    /** {@code message} at version 0, the only one of these schemas, after the int16 {@code prefix} (a type or a version). */
    private static byte[] encode(short prefix, Message message) {
        short version = 0;
        ByteBuffer buffer = ByteBuffer.allocate(2 + message.size(version));
        ByteWriter out = new ByteWriter(buffer);
        out.writeShort(prefix);
        message.write(out, version);
        return buffer.array();
    }

    /**
     * Reads one record of the topic.
     *
     * @param value null for a tombstone
     * @throws UnsupportedVersionException for a record type or value version this broker does not know
     */
    static Read read(ByteBuffer key, ByteBuffer value) {
        ByteReader in = new ByteReader(key);
        short type = in.readShort();
        if (type != SNAPSHOT && type != UPDATE) {
            throw new UnsupportedVersionException("share state record type " + type);
        }
        ShareStateKey k = new ShareStateKey();
        k.read(in, KEY_VERSION);
        SharePartitionKey partition = new SharePartitionKey(k.groupId(), k.topicId(), k.partition());
        if (value == null) {
            return new Read(type, partition, null, null);
        }
        ByteReader v = new ByteReader(value);
        short version = v.readShort();
        if (version != VALUE_VERSION) {
            throw new UnsupportedVersionException("share state value version " + version);
        }
        if (type == SNAPSHOT) {
            ShareSnapshotValue snapshot = new ShareSnapshotValue();
            snapshot.read(v, version);
            return new Read(type, partition, snapshot, null);
        }
        ShareUpdateValue update = new ShareUpdateValue();
        update.read(v, version);
        return new Read(type, partition, null, update);
    }

    static ShareState state(ShareSnapshotValue v) {
        List<StateBatches.Batch> batches = new ArrayList<>();
        for (ShareSnapshotValue.StateBatch b : v.stateBatches()) {
            batches.add(new StateBatches.Batch(b.firstOffset(), b.lastOffset(), b.deliveryState(), b.deliveryCount()));
        }
        return new ShareState(v.snapshotEpoch(), v.stateEpoch(), v.leaderEpoch(), v.startOffset(),
            v.deliveryCompleteCount(), v.createTimestamp(), v.writeTimestamp(), batches, 0);
    }

    static List<StateBatches.Batch> batches(ShareUpdateValue v) {
        List<StateBatches.Batch> batches = new ArrayList<>();
        for (ShareUpdateValue.StateBatch b : v.stateBatches()) {
            batches.add(new StateBatches.Batch(b.firstOffset(), b.lastOffset(), b.deliveryState(), b.deliveryCount()));
        }
        return batches;
    }
}
