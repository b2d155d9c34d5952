package dev.sluice.broker.group;

import dev.sluice.broker.group.records.ConsumerGroupCurrentMemberAssignmentValue;
import dev.sluice.broker.group.records.ConsumerGroupMemberMetadataKey;
import dev.sluice.broker.group.records.ConsumerGroupMemberMetadataValue;
import dev.sluice.broker.group.records.ConsumerGroupMetadataKey;
import dev.sluice.broker.group.records.ConsumerGroupMetadataValue;
import dev.sluice.broker.group.records.ConsumerGroupTargetAssignmentMemberValue;
import dev.sluice.broker.group.records.ConsumerGroupTargetAssignmentMetadataValue;
import dev.sluice.broker.group.records.GroupMetadataKey;
import dev.sluice.broker.group.records.GroupMetadataValue;
import dev.sluice.broker.group.records.OffsetCommitKey;
import dev.sluice.broker.group.records.OffsetCommitValue;
import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.message.Message;
import java.nio.ByteBuffer;

/**
 * The records the group coordinator keeps in {@code __consumer_offsets}, in Kafka's layout so that
 * the topic can be read by Kafka's own tools.
 *
 * <p>A key is an int16 key type followed by the key struct; a value is an int16 version followed
 * by the value struct at that version; a null value (tombstone) deletes what the key names, and
 * compaction keeps only the newest record of each key. Key types:
 * <ul>
 *   <li>0, 1: a committed offset ({@link OffsetCommitKey} → {@link OffsetCommitValue}, written at
 *       version 3, or 1 when it carries an explicit expiry time);</li>
 *   <li>2: a classic group ({@link GroupMetadataKey} → {@link GroupMetadataValue}, version 3);</li>
 *   <li>3: a consumer group's epoch; 5: one of its members' subscription; 6: the epoch of its
 *       target assignment; 7: one member's target assignment; 8: one member's current assignment
 *       (KIP-848; values at version 0). Type 4 (subscription metadata) is read and ignored.</li>
 *   <li>11: a share group's epoch; 10: one member's subscription; 12: the epoch of its target
 *       assignment; 13: one member's target; 14: one member's current assignment; 15: which
 *       partitions have a share-partition state (KIP-932; values at version 0, keys laid out as
 *       types 3 and 5).</li>
 *   <li>17: a streams group's epoch; 19: one member's process and client; 20: the epoch of its
 *       target assignment; 21: one member's target tasks; 22: one member's current tasks; 23: the
 *       group's topology, written as the StreamsGroupHeartbeat request's Topology struct at version
 *       0, whose layout is that of Kafka's topology record (KIP-1071; values at version 0).</li>
 * </ul>
 */
final class GroupRecords {
    static final short OFFSET_COMMIT_V0 = 0;
    static final short OFFSET_COMMIT = 1;
    static final short GROUP_METADATA = 2;
    static final short CONSUMER_GROUP_METADATA = 3;
    static final short CONSUMER_GROUP_PARTITION_METADATA = 4;
    static final short CONSUMER_GROUP_MEMBER_METADATA = 5;
    static final short CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA = 6;
    static final short CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER = 7;
    static final short CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT = 8;
    static final short SHARE_GROUP_MEMBER_METADATA = 10;
    static final short SHARE_GROUP_METADATA = 11;
    static final short SHARE_GROUP_TARGET_ASSIGNMENT_METADATA = 12;
    static final short SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER = 13;
    static final short SHARE_GROUP_CURRENT_MEMBER_ASSIGNMENT = 14;
    static final short SHARE_GROUP_STATE_PARTITION_METADATA = 15;
    static final short STREAMS_GROUP_METADATA = 17;
    static final short STREAMS_GROUP_MEMBER_METADATA = 19;
    static final short STREAMS_GROUP_TARGET_ASSIGNMENT_METADATA = 20;
    static final short STREAMS_GROUP_TARGET_ASSIGNMENT_MEMBER = 21;
    static final short STREAMS_GROUP_CURRENT_MEMBER_ASSIGNMENT = 22;
    static final short STREAMS_GROUP_TOPOLOGY = 23;

    private GroupRecords() {
    }

    static CoordinatorRecord offset(String group, String topic, int partition, OffsetAndMetadata offset) {
        short version = offset.expireTimestamp() >= 0 ? (short) 1 : (short) 3;
        OffsetCommitValue value = new OffsetCommitValue().setOffset(offset.offset())
            .setLeaderEpoch(version >= 3 ? offset.leaderEpoch() : -1)
            .setMetadata(offset.metadata() == null ? "" : offset.metadata())
            .setCommitTimestamp(offset.commitTimestamp())
            .setExpireTimestamp(version == 1 ? offset.expireTimestamp() : -1);
        return new CoordinatorRecord(offsetKey(group, topic, partition), encode(version, value));
    }

    static CoordinatorRecord offsetTombstone(String group, String topic, int partition) {
        return new CoordinatorRecord(offsetKey(group, topic, partition), null);
    }

    private static byte[] offsetKey(String group, String topic, int partition) {
        return encode(OFFSET_COMMIT, new OffsetCommitKey().setGroup(group).setTopic(topic).setPartition(partition),
            (short) 0);
    }

    static CoordinatorRecord classicGroup(String group, GroupMetadataValue value) {
        return new CoordinatorRecord(groupKey(group), encode((short) 3, value));
    }

    static CoordinatorRecord classicGroupTombstone(String group) {
        return new CoordinatorRecord(groupKey(group), null);
    }

    private static byte[] groupKey(String group) {
        return encode(GROUP_METADATA, new GroupMetadataKey().setGroup(group), (short) 0);
    }

    static CoordinatorRecord consumerGroupEpoch(String group, int epoch) {
        return new CoordinatorRecord(consumerGroupKey(CONSUMER_GROUP_METADATA, group),
            encode((short) 0, new ConsumerGroupMetadataValue().setEpoch(epoch)));
    }

    static CoordinatorRecord targetAssignmentEpoch(String group, int epoch) {
        return new CoordinatorRecord(consumerGroupKey(CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA, group),
            encode((short) 0, new ConsumerGroupTargetAssignmentMetadataValue().setAssignmentEpoch(epoch)));
    }

    static CoordinatorRecord consumerGroupTombstone(short type, String group) {
        return new CoordinatorRecord(consumerGroupKey(type, group), null);
    }

    static CoordinatorRecord member(String group, String member, ConsumerGroupMemberMetadataValue value) {
        return new CoordinatorRecord(memberKey(CONSUMER_GROUP_MEMBER_METADATA, group, member), encode((short) 0, value));
    }

    static CoordinatorRecord targetAssignment(String group, String member, ConsumerGroupTargetAssignmentMemberValue value) {
        return new CoordinatorRecord(memberKey(CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER, group, member), encode((short) 0, value));
    }

    static CoordinatorRecord currentAssignment(String group, String member, ConsumerGroupCurrentMemberAssignmentValue value) {
        return new CoordinatorRecord(memberKey(CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT, group, member), encode((short) 0, value));
    }

    static CoordinatorRecord memberTombstone(short type, String group, String member) {
        return new CoordinatorRecord(memberKey(type, group, member), null);
    }

    /** A record under a group-wide key (types 3, 4, 6, 11, 12, 15); a null {@code value} is a tombstone. */
    static CoordinatorRecord groupRecord(short type, String group, Message value) {
        return new CoordinatorRecord(consumerGroupKey(type, group), value == null ? null : encode((short) 0, value));
    }

    /** A record under a member key (types 5, 7, 8, 10, 13, 14); a null {@code value} is a tombstone. */
    static CoordinatorRecord memberRecord(short type, String group, String member, Message value) {
        return new CoordinatorRecord(memberKey(type, group, member), value == null ? null : encode((short) 0, value));
    }

    static CoordinatorRecord streamsTopology(String group, dev.sluice.wire.message.StreamsGroupHeartbeatRequest.Topology t) {
        return groupRecord(STREAMS_GROUP_TOPOLOGY, group, t);
    }

    private static byte[] consumerGroupKey(short type, String group) {
        return encode(type, new ConsumerGroupMetadataKey().setGroupId(group), (short) 0);
    }

    private static byte[] memberKey(short type, String group, String member) {
        return encode(type, new ConsumerGroupMemberMetadataKey().setGroupId(group).setMemberId(member), (short) 0);
    }

    private static byte[] encode(short version, Message message) {
        return encode(version, message, version);
    }

    /** {@code prefix} (a key type or a value version), then {@code message} at {@code version}. */
    private static byte[] encode(short prefix, Message message, short version) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + message.size(version));
        ByteWriter out = new ByteWriter(buffer);
        out.writeShort(prefix);
        message.write(out, version);
        return buffer.array();
    }

    /** Reads the int16 that starts a key or a value and leaves the reader after it. */
    static short readPrefix(ByteReader in) {
        return in.readShort();
    }
}
