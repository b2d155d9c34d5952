package dev.sluice.broker.group;

import dev.sluice.broker.LogSafe;
import dev.sluice.broker.coordinator.CoordinatorContext;
import dev.sluice.broker.coordinator.CoordinatorException;
import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.coordinator.CoordinatorResult;
import dev.sluice.broker.coordinator.CoordinatorStateMachine;
import dev.sluice.broker.group.GroupCoordinator.CommittedOffset;
import dev.sluice.broker.group.GroupCoordinator.DeletedOffsets;
import dev.sluice.broker.group.GroupCoordinator.GroupOffsets;
import dev.sluice.broker.group.GroupCoordinator.OffsetToCommit;
import dev.sluice.broker.group.GroupCoordinator.PartitionKey;
import dev.sluice.broker.group.GroupCoordinator.ShareGroupPartitions;
import dev.sluice.broker.group.GroupCoordinator.ShareTopicPartition;
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
import dev.sluice.broker.group.records.ShareGroupCurrentMemberAssignmentValue;
import dev.sluice.broker.group.records.ShareGroupMemberMetadataValue;
import dev.sluice.broker.group.records.ShareGroupMetadataValue;
import dev.sluice.broker.group.records.ShareGroupStatePartitionMetadataValue;
import dev.sluice.broker.group.records.ShareGroupTargetAssignmentMetadataValue;
import dev.sluice.broker.group.records.StreamsGroupCurrentMemberAssignmentValue;
import dev.sluice.broker.group.records.StreamsGroupMemberMetadataValue;
import dev.sluice.broker.group.records.StreamsGroupMetadataValue;
import dev.sluice.broker.group.records.StreamsGroupTargetAssignmentMemberValue;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.share.SharePersister;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ConsumerGroupDescribeResponse;
import dev.sluice.wire.message.ConsumerGroupHeartbeatRequest;
import dev.sluice.wire.message.ConsumerGroupHeartbeatResponse;
import dev.sluice.wire.message.DescribeGroupsResponse;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.HeartbeatRequest;
import dev.sluice.wire.message.HeartbeatResponse;
import dev.sluice.wire.message.JoinGroupRequest;
import dev.sluice.wire.message.JoinGroupResponse;
import dev.sluice.wire.message.LeaveGroupRequest;
import dev.sluice.wire.message.LeaveGroupResponse;
import dev.sluice.wire.message.ListGroupsResponse;
import dev.sluice.wire.message.ShareGroupDescribeResponse;
import dev.sluice.wire.message.ShareGroupHeartbeatRequest;
import dev.sluice.wire.message.ShareGroupHeartbeatResponse;
import dev.sluice.wire.message.StreamsGroupDescribeResponse;
import dev.sluice.wire.message.StreamsGroupHeartbeatRequest;
import dev.sluice.wire.message.StreamsGroupHeartbeatResponse;
import dev.sluice.wire.message.SyncGroupRequest;
import dev.sluice.wire.message.SyncGroupResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The groups and committed offsets of one {@code __consumer_offsets} partition: the group
 * coordinator's state machine on the {@link dev.sluice.broker.coordinator.CoordinatorRuntime}, fed
 * by requests and timers one at a time on its partition's executor.
 *
 * <p>Every change is written to the partition as one batch (records as {@link GroupRecords}
 * describes) before the request that caused it is answered, so an acknowledged commit or
 * assignment survives a restart. When the partition is loaded here, the runtime replays it from
 * the log start into a fresh shard; compaction keeps the partition as small as the live state.
 *
 * <p>Transactional offsets (TxnOffsetCommit, KIP-98/KIP-447) are written as the producer's
 * transactional batch and kept pending per producer: OffsetFetch does not return them (with
 * {@code require_stable} it answers UNSTABLE_OFFSET_COMMIT for their partitions) until the
 * producer's COMMIT marker makes them committed offsets; an ABORT drops them. A tombstone of a
 * partition (OffsetDelete, DeleteGroups, expiry) drops its pending offsets too, and an offset with
 * a pending transactional one does not expire.
 *
 * <p>Threading: not thread-safe; the runtime calls every method on the partition's executor. Only
 * {@link #groupCount} may be read from any thread.
 */
final class GroupShard implements CoordinatorStateMachine {
    private static final Logger log = LoggerFactory.getLogger(GroupShard.class);

    private final CoordinatorContext context;
    private final GroupConfig config;
    private final Supplier<MetadataImage> image;
    private final Map<String, Group> groups = new HashMap<>();
    private final Map<String, Map<PartitionKey, OffsetAndMetadata>> offsets = new HashMap<>();
    /**
     * Offsets written for transactional producers (TxnOffsetCommit) whose transactions have not
     * ended yet, by producer id.
     */
    private final Map<Long, OpenTransaction> transactions = new HashMap<>();
    /**
     * The same pending offsets indexed by group and partition: the producers with one there. Fetches,
     * expiry and tombstones ask per group and partition, and a shard may see many producers at once
     * (one per task of an exactly-once stream application).
     */
    private final Map<String, Map<PartitionKey, Set<Long>>> pendingByGroup = new HashMap<>();
    /** The offset records applied so far, in log order: {@link OffsetAndMetadata#order}. */
    private long offsetRecords;
    private volatile int groupCount;
    private final AtomicLong rebalances;
    private final ShareGroupSettings shareSettings;
    /** Null where share groups cannot have share-partition states (tests of other groups). */
    private final SharePersister sharePersister;

    GroupShard(CoordinatorContext context, GroupConfig config, Supplier<MetadataImage> image, AtomicLong rebalances) {
        this(context, config, image, rebalances, ShareGroupSettings.DEFAULTS, null);
    }

    GroupShard(CoordinatorContext context, GroupConfig config, Supplier<MetadataImage> image, AtomicLong rebalances,
               ShareGroupSettings shareSettings, SharePersister sharePersister) {
        this.shareSettings = shareSettings;
        this.sharePersister = sharePersister;
        this.context = context;
        this.rebalances = rebalances;
        this.config = config;
        this.image = image;
    }

    /** The offsets one transactional producer wrote, pending until its transaction ends. */
    private static final class OpenTransaction {
        /** The newest epoch the producer wrote with: an older one is fenced. */
        short producerEpoch;
        final Map<String, Map<PartitionKey, OffsetAndMetadata>> offsets = new HashMap<>();

        OpenTransaction(short producerEpoch) {
            this.producerEpoch = producerEpoch;
        }
    }

    /** Groups on this shard, as of the last request it handled (for a gauge); any thread. */
    int groupCount() {
        return groupCount;
    }

    /** Takes the group count for {@link #groupCount} after an operation. */
    void recount() {
        groupCount = groups.size();
    }

    /** Counts a rebalance: a classic group's new generation or a consumer group's new epoch. */
    void rebalanced() {
        rebalances.incrementAndGet();
    }

    long now() {
        return context.now();
    }

    GroupConfig config() {
        return config;
    }

    ShareGroupSettings shareSettings() {
        return shareSettings;
    }

    SharePersister sharePersister() {
        return sharePersister;
    }

    /** The share group {@code groupId}, or null. */
    ShareGroup shareGroup(String groupId) {
        return groups.get(groupId) instanceof ShareGroup sg ? sg : null;
    }

    MetadataImage image() {
        return image.get();
    }

    // ------------------------------------------------------------------ timers

    /** Runs {@code task} on the executor after {@code delayMs}, replacing any timer under {@code key}. */
    void schedule(String key, long delayMs, Runnable task) {
        context.schedule(key, delayMs, task);
    }

    void cancel(String key) {
        context.cancel(key);
    }

    /** Runs {@code task} on the shard's executor, from any thread. */
    void execute(Runnable task) {
        context.execute(task);
    }

    // ------------------------------------------------------------------ writing

    /**
     * Appends {@code entries} as one batch; the future completes on the executor once the batch is
     * written, or fails with a {@link CoordinatorException}.
     */
    CompletableFuture<Void> write(List<CoordinatorRecord> entries) {
        return context.append(entries);
    }

    // ------------------------------------------------------------------ loading

    @Override
    public void loaded() {
        for (Group g : groups.values()) {
            if (g instanceof ClassicGroup c) {
                c.startSessionTimers();
            } else if (g instanceof ConsumerGroup cg) {
                cg.loaded();
            } else if (g instanceof ShareGroup sg) {
                sg.loaded();
            } else if (g instanceof StreamsGroup st) {
                st.loaded();
            }
        }
        recount();
        schedule("expire-offsets", config.offsetsRetentionCheckMs(), this::expireOffsets);
    }

    /** Answers waiting joins and syncs; the runtime has stopped the timers and drops the shard. */
    @Override
    public void unloaded() {
        for (Group g : groups.values()) {
            if (g instanceof ClassicGroup c) {
                c.failAllPending(ErrorCode.NOT_COORDINATOR);
            }
        }
    }

    @Override
    public void replay(ByteBuffer keyBytes, ByteBuffer valueBytes) {
        ByteReader key = new ByteReader(keyBytes.duplicate());
        short type = GroupRecords.readPrefix(key);
        ByteReader value = valueBytes == null ? null : new ByteReader(valueBytes.duplicate());
        short version = value == null ? -1 : GroupRecords.readPrefix(value);
        switch (type) {
            case GroupRecords.OFFSET_COMMIT_V0, GroupRecords.OFFSET_COMMIT -> {
                OffsetCommitKey k = new OffsetCommitKey(key, (short) 0);
                PartitionKey tp = new PartitionKey(k.topic(), k.partition());
                if (value == null) {
                    dropOffset(k.group(), tp);
                } else {
                    OffsetCommitValue v = new OffsetCommitValue(value, version);
                    groups.computeIfAbsent(k.group(), g -> new ClassicGroup(g, this));
                    commitOffset(k.group(), tp, new OffsetAndMetadata(v.offset(), v.leaderEpoch(), v.metadata(),
                        v.commitTimestamp(), v.expireTimestamp()));
                }
            }
            case GroupRecords.GROUP_METADATA -> {
                GroupMetadataKey k = new GroupMetadataKey(key, (short) 0);
                if (value == null) {
                    if (groups.get(k.group()) instanceof ClassicGroup) {
                        groups.remove(k.group());
                    }
                } else {
                    GroupMetadataValue v = new GroupMetadataValue(value, version);
                    Group g = groups.get(k.group());
                    ClassicGroup c = g instanceof ClassicGroup existing ? existing : new ClassicGroup(k.group(), this);
                    groups.put(k.group(), c);
                    c.replay(v);
                }
            }
            case GroupRecords.CONSUMER_GROUP_METADATA -> {
                ConsumerGroupMetadataKey k = new ConsumerGroupMetadataKey(key, (short) 0);
                if (value == null) {
                    if (groups.get(k.groupId()) instanceof ConsumerGroup) {
                        groups.remove(k.groupId());
                    }
                } else {
                    consumerGroup(k.groupId()).replayEpoch(new ConsumerGroupMetadataValue(value, version).epoch());
                }
            }
            case GroupRecords.CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA -> {
                ConsumerGroupMetadataKey k = new ConsumerGroupMetadataKey(key, (short) 0);
                if (value != null) {
                    consumerGroup(k.groupId()).replayTargetEpoch(
                        new ConsumerGroupTargetAssignmentMetadataValue(value, version).assignmentEpoch());
                }
            }
            case GroupRecords.CONSUMER_GROUP_MEMBER_METADATA, GroupRecords.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER,
                 GroupRecords.CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT -> {
                ConsumerGroupMemberMetadataKey k = new ConsumerGroupMemberMetadataKey(key, (short) 0);
                if (value == null && !(groups.get(k.groupId()) instanceof ConsumerGroup)) {
                    return;
                }
                ConsumerGroup cg = consumerGroup(k.groupId());
                switch (type) {
                    case GroupRecords.CONSUMER_GROUP_MEMBER_METADATA -> cg.replayMember(k.memberId(),
                        value == null ? null : new ConsumerGroupMemberMetadataValue(value, version));
                    case GroupRecords.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER -> cg.replayTarget(k.memberId(),
                        value == null ? null : new ConsumerGroupTargetAssignmentMemberValue(value, version));
                    default -> cg.replayCurrent(k.memberId(),
                        value == null ? null : new ConsumerGroupCurrentMemberAssignmentValue(value, version));
                }
            }
            case GroupRecords.CONSUMER_GROUP_PARTITION_METADATA -> {
                // Subscription metadata: recomputed from the cluster metadata instead.
            }
            case GroupRecords.SHARE_GROUP_METADATA, GroupRecords.SHARE_GROUP_TARGET_ASSIGNMENT_METADATA,
                 GroupRecords.SHARE_GROUP_STATE_PARTITION_METADATA -> {
                ConsumerGroupMetadataKey k = new ConsumerGroupMetadataKey(key, (short) 0);
                if (value == null) {
                    if (type == GroupRecords.SHARE_GROUP_METADATA && groups.get(k.groupId()) instanceof ShareGroup) {
                        groups.remove(k.groupId());
                    }
                    return;
                }
                ShareGroup sg = replayedShareGroup(k.groupId());
                switch (type) {
                    case GroupRecords.SHARE_GROUP_METADATA -> sg.replayEpoch(new ShareGroupMetadataValue(value, version));
                    case GroupRecords.SHARE_GROUP_TARGET_ASSIGNMENT_METADATA ->
                        sg.replayTargetEpoch(new ShareGroupTargetAssignmentMetadataValue(value, version));
                    default -> sg.replayStatePartitions(new ShareGroupStatePartitionMetadataValue(value, version));
                }
            }
            case GroupRecords.STREAMS_GROUP_METADATA, GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_METADATA,
                 GroupRecords.STREAMS_GROUP_TOPOLOGY -> {
                ConsumerGroupMetadataKey k = new ConsumerGroupMetadataKey(key, (short) 0);
                if (value == null) {
                    if (type == GroupRecords.STREAMS_GROUP_METADATA && groups.get(k.groupId()) instanceof StreamsGroup) {
                        groups.remove(k.groupId());
                    }
                    return;
                }
                StreamsGroup st = replayedStreamsGroup(k.groupId());
                switch (type) {
                    case GroupRecords.STREAMS_GROUP_METADATA -> st.replayMetadata(new StreamsGroupMetadataValue(value, version));
                    case GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_METADATA ->
                        st.replayTargetEpoch(new ShareGroupTargetAssignmentMetadataValue(value, version));
                    default -> st.replayTopology(new StreamsGroupHeartbeatRequest.Topology(value, version));
                }
            }
            case GroupRecords.STREAMS_GROUP_MEMBER_METADATA, GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_MEMBER,
                 GroupRecords.STREAMS_GROUP_CURRENT_MEMBER_ASSIGNMENT -> {
                ConsumerGroupMemberMetadataKey k = new ConsumerGroupMemberMetadataKey(key, (short) 0);
                if (value == null && !(groups.get(k.groupId()) instanceof StreamsGroup)) {
                    return;
                }
                StreamsGroup st = replayedStreamsGroup(k.groupId());
                switch (type) {
                    case GroupRecords.STREAMS_GROUP_MEMBER_METADATA -> st.replayMember(k.memberId(),
                        value == null ? null : new StreamsGroupMemberMetadataValue(value, version));
                    case GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_MEMBER -> st.replayTarget(k.memberId(),
                        value == null ? null : new StreamsGroupTargetAssignmentMemberValue(value, version));
                    default -> st.replayCurrent(k.memberId(),
                        value == null ? null : new StreamsGroupCurrentMemberAssignmentValue(value, version));
                }
            }
            case GroupRecords.SHARE_GROUP_MEMBER_METADATA, GroupRecords.SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER,
                 GroupRecords.SHARE_GROUP_CURRENT_MEMBER_ASSIGNMENT -> {
                ConsumerGroupMemberMetadataKey k = new ConsumerGroupMemberMetadataKey(key, (short) 0);
                if (value == null && !(groups.get(k.groupId()) instanceof ShareGroup)) {
                    return;
                }
                ShareGroup sg = replayedShareGroup(k.groupId());
                switch (type) {
                    case GroupRecords.SHARE_GROUP_MEMBER_METADATA -> sg.replayMember(k.memberId(),
                        value == null ? null : new ShareGroupMemberMetadataValue(value, version));
                    case GroupRecords.SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER -> sg.replayTarget(k.memberId(),
                        value == null ? null : new ConsumerGroupTargetAssignmentMemberValue(value, version));
                    default -> sg.replayCurrent(k.memberId(),
                        value == null ? null : new ShareGroupCurrentMemberAssignmentValue(value, version));
                }
            }
            default -> log.debug("Ignoring a record of unknown key type {} in {}", type, context.partitionName());
        }
    }

    /**
     * A record of a transactional batch: an offset the producer's transaction commits or aborts
     * later. A tombstone is one whatever the batch, as in Kafka; other record types are not written
     * transactionally and are ignored.
     */
    @Override
    public void replay(long producerId, short producerEpoch, ByteBuffer keyBytes, ByteBuffer valueBytes) {
        ByteReader key = new ByteReader(keyBytes.duplicate());
        short type = GroupRecords.readPrefix(key);
        if (type != GroupRecords.OFFSET_COMMIT_V0 && type != GroupRecords.OFFSET_COMMIT) {
            log.debug("Ignoring a transactional record of key type {} in {}", type, context.partitionName());
            return;
        }
        OffsetCommitKey k = new OffsetCommitKey(key, (short) 0);
        PartitionKey tp = new PartitionKey(k.topic(), k.partition());
        if (valueBytes == null) {
            dropOffset(k.group(), tp);
            return;
        }
        ByteReader value = new ByteReader(valueBytes.duplicate());
        short version = GroupRecords.readPrefix(value);
        OffsetCommitValue v = new OffsetCommitValue(value, version);
        groups.computeIfAbsent(k.group(), g -> new ClassicGroup(g, this));
        pend(producerId, producerEpoch, k.group(), Map.of(tp, new OffsetAndMetadata(v.offset(), v.leaderEpoch(),
            v.metadata(), v.commitTimestamp(), v.expireTimestamp())));
    }

    /**
     * The transaction of {@code producerId} ended. On COMMIT each of its offsets becomes the
     * committed one unless a later record (a plain commit, or another transaction's offset) already
     * committed that partition: Kafka keeps the most recent record, so the outcome does not depend
     * on which records compaction has removed.
     */
    @Override
    public void replayEndTransaction(long producerId, boolean commit) {
        OpenTransaction open = transactions.remove(producerId);
        if (open == null) {
            return;
        }
        open.offsets.forEach((groupId, written) -> {
            Map<PartitionKey, Set<Long>> byPartition = pendingByGroup.get(groupId);
            for (PartitionKey tp : written.keySet()) {
                Set<Long> producers = byPartition.get(tp);
                producers.remove(producerId);
                if (producers.isEmpty()) {
                    byPartition.remove(tp);
                }
            }
            if (byPartition.isEmpty()) {
                pendingByGroup.remove(groupId);
            }
        });
        if (!commit) {
            return;
        }
        for (Map.Entry<String, Map<PartitionKey, OffsetAndMetadata>> e : open.offsets.entrySet()) {
            groups.computeIfAbsent(e.getKey(), g -> new ClassicGroup(g, this));
            Map<PartitionKey, OffsetAndMetadata> committed = offsets.computeIfAbsent(e.getKey(), g -> new HashMap<>());
            for (Map.Entry<PartitionKey, OffsetAndMetadata> o : e.getValue().entrySet()) {
                OffsetAndMetadata current = committed.get(o.getKey());
                if (current == null || current.order() < o.getValue().order()) {
                    committed.put(o.getKey(), o.getValue());
                }
            }
        }
        recount();
    }

    /** A committed offset applied: the newest record of its partition so far. */
    private void commitOffset(String groupId, PartitionKey tp, OffsetAndMetadata o) {
        offsets.computeIfAbsent(groupId, g -> new HashMap<>()).put(tp, o.withOrder(++offsetRecords));
    }

    /** Offsets of a transactional producer applied: pending until its transaction ends. */
    private void pend(long producerId, short producerEpoch, String groupId, Map<PartitionKey, OffsetAndMetadata> written) {
        OpenTransaction open = transactions.computeIfAbsent(producerId, id -> new OpenTransaction(producerEpoch));
        open.producerEpoch = (short) Math.max(open.producerEpoch, producerEpoch);
        Map<PartitionKey, OffsetAndMetadata> mine = open.offsets.computeIfAbsent(groupId, g -> new HashMap<>());
        Map<PartitionKey, Set<Long>> byPartition = pendingByGroup.computeIfAbsent(groupId, g -> new HashMap<>());
        for (Map.Entry<PartitionKey, OffsetAndMetadata> o : written.entrySet()) {
            mine.put(o.getKey(), o.getValue().withOrder(++offsetRecords));
            byPartition.computeIfAbsent(o.getKey(), tp -> new HashSet<>()).add(producerId);
        }
    }

    /** A tombstone of a partition's offset: drops the committed one and every pending one. */
    private void dropOffset(String groupId, PartitionKey tp) {
        Map<PartitionKey, OffsetAndMetadata> m = offsets.get(groupId);
        if (m != null) {
            m.remove(tp);
            if (m.isEmpty()) {
                offsets.remove(groupId);
            }
        }
        Map<PartitionKey, Set<Long>> byPartition = pendingByGroup.get(groupId);
        Set<Long> producers = byPartition == null ? null : byPartition.remove(tp);
        if (producers == null) {
            return;
        }
        if (byPartition.isEmpty()) {
            pendingByGroup.remove(groupId);
        }
        for (long producerId : producers) {
            Map<PartitionKey, OffsetAndMetadata> pending = transactions.get(producerId).offsets.get(groupId);
            pending.remove(tp);
            if (pending.isEmpty()) {
                transactions.get(producerId).offsets.remove(groupId);
            }
        }
    }

    /** Whether a transaction still open has an offset of {@code groupId} for {@code tp}. */
    private boolean hasPendingOffset(String groupId, PartitionKey tp) {
        return pendingByGroup.getOrDefault(groupId, Map.of()).containsKey(tp);
    }

    /** Whether a transaction still open has offsets of {@code groupId}. */
    private boolean hasPendingOffsets(String groupId) {
        return pendingByGroup.containsKey(groupId);
    }

    /** The partitions of {@code groupId} that a transaction still open has offsets for. */
    private Set<PartitionKey> pendingPartitions(String groupId) {
        return pendingByGroup.getOrDefault(groupId, Map.of()).keySet();
    }

    private StreamsGroup replayedStreamsGroup(String groupId) {
        Group g = groups.get(groupId);
        if (g instanceof StreamsGroup st) {
            return st;
        }
        StreamsGroup st = new StreamsGroup(groupId, this);
        groups.put(groupId, st);
        return st;
    }

    private ShareGroup replayedShareGroup(String groupId) {
        Group g = groups.get(groupId);
        if (g instanceof ShareGroup sg) {
            return sg;
        }
        ShareGroup sg = new ShareGroup(groupId, this);
        groups.put(groupId, sg);
        return sg;
    }

    private ConsumerGroup consumerGroup(String groupId) {
        Group g = groups.get(groupId);
        if (g instanceof ConsumerGroup cg) {
            return cg;
        }
        ConsumerGroup cg = new ConsumerGroup(groupId, this);
        groups.put(groupId, cg);
        return cg;
    }

    // ------------------------------------------------------------------ classic protocol

    CompletableFuture<JoinGroupResponse> join(JoinGroupRequest request, short version, String clientId, String host) {
        String groupId = request.groupId();
        if (request.sessionTimeoutMs() < config.minSessionTimeoutMs()
            || request.sessionTimeoutMs() > config.maxSessionTimeoutMs()) {
            return done(ClassicGroup.joinError(request.memberId(), ErrorCode.INVALID_SESSION_TIMEOUT));
        }
        Group g = groups.get(groupId);
        if (g instanceof ShareGroup || g instanceof StreamsGroup st && !st.isEmpty()) {
            return done(ClassicGroup.joinError(request.memberId(), ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
        }
        if (g instanceof StreamsGroup st) {
            // An empty streams group becomes a classic one; its committed offsets stay.
            st.cancelTimers();
            write(st.tombstones());
            groups.remove(groupId);
            g = null;
        }
        if (g instanceof ConsumerGroup cg) {
            if (!cg.isEmpty()) {
                if (config.migrationPolicy().equals("disabled")) {
                    return done(ClassicGroup.joinError(request.memberId(), ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
                }
                // A consumer not yet on KIP-848 joins a group of KIP-848 members (KIP-848 migration).
                return cg.classicJoin(request, version, clientId, host);
            }
            // An empty consumer group becomes a classic one; its committed offsets stay.
            cg.cancelTimers();
            write(cg.tombstones());
            g = null;
        }
        if (g == null) {
            if (!request.memberId().isEmpty()) {
                return done(ClassicGroup.joinError(request.memberId(), ErrorCode.UNKNOWN_MEMBER_ID));
            }
            g = new ClassicGroup(groupId, this);
            groups.put(groupId, g);
        }
        return ((ClassicGroup) g).join(request, version, clientId, host);
    }

    CompletableFuture<SyncGroupResponse> sync(SyncGroupRequest request) {
        Group g = groups.get(request.groupId());
        if (g instanceof ConsumerGroup cg) {
            return done(cg.classicSync(request));
        }
        return g instanceof ClassicGroup c ? c.sync(request) : done(ClassicGroup.syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }

    CompletableFuture<HeartbeatResponse> heartbeat(HeartbeatRequest request) {
        Group g = groups.get(request.groupId());
        if (g instanceof ConsumerGroup cg) {
            return done(cg.classicHeartbeat(request));
        }
        return done(g instanceof ClassicGroup c ? c.heartbeat(request)
            : new HeartbeatResponse().setErrorCode(ErrorCode.UNKNOWN_MEMBER_ID.code()));
    }

    CompletableFuture<LeaveGroupResponse> leave(LeaveGroupRequest request, short version) {
        Group g = groups.get(request.groupId());
        if (g instanceof ConsumerGroup cg) {
            return cg.classicLeave(request, version);
        }
        return done(g instanceof ClassicGroup c ? c.leave(request, version)
            : new LeaveGroupResponse().setErrorCode(ErrorCode.UNKNOWN_MEMBER_ID.code()));
    }

    /**
     * A consumer group whose last KIP-848 member left, with classic members still in it, becomes a
     * classic group again ({@code group.consumer.migration.policy} downgrade or bidirectional, and no
     * more members than {@code group.max.size}): the consumer group's records are tombstoned, the
     * classic group's written, and the classic members rejoin. Whether it did; the caller bumps the
     * consumer group's epoch otherwise.
     */
    boolean downgradeIfOnlyClassicMembers(ConsumerGroup cg, List<CoordinatorRecord> records) {
        if (!config.downgradeEnabled() || !cg.onlyClassicMembers() || groups.get(cg.groupId()) != cg) {
            return false;
        }
        GroupMetadataValue value = cg.toClassicRecord();
        if (value.members().size() > config.maxSize() || value.protocol() == null) {
            return false;
        }
        cg.cancelTimers();
        records.addAll(cg.allTombstones());
        records.add(GroupRecords.classicGroup(cg.groupId(), value));
        ClassicGroup classic = new ClassicGroup(cg.groupId(), this);
        classic.replay(value);
        groups.put(cg.groupId(), classic);
        classic.rebalanceAfterDowngrade();
        log.info("Consumer group {} has only classic members left and became a classic group", LogSafe.of(cg.groupId()));
        return true;
    }

    // ------------------------------------------------------------------ consumer protocol

    CompletableFuture<ConsumerGroupHeartbeatResponse> consumerHeartbeat(ConsumerGroupHeartbeatRequest request,
                                                                        String clientId, String host) {
        Group g = groups.get(request.groupId());
        if (g instanceof ShareGroup || g instanceof StreamsGroup) {
            return done(new ConsumerGroupHeartbeatResponse().setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code())
                .setErrorMessage("Group " + request.groupId() + " is not a consumer group.").setMemberEpoch(-1));
        }
        if (g instanceof ClassicGroup c) {
            if (!c.isEmpty()) {
                String refusal = upgradeRefusal(c);
                if (refusal != null) {
                    return done(new ConsumerGroupHeartbeatResponse().setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code())
                        .setErrorMessage(refusal).setMemberEpoch(-1));
                }
                // KIP-848 migration: the classic members become members of a consumer group, still
                // speaking their protocol, and the new member joins it.
                List<CoordinatorRecord> records = new ArrayList<>();
                records.add(GroupRecords.classicGroupTombstone(c.groupId()));
                ConsumerGroup upgraded = ConsumerGroup.fromClassic(c, this, records);
                if (upgraded == null) {
                    return done(new ConsumerGroupHeartbeatResponse().setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code())
                        .setErrorMessage("Cannot upgrade classic group " + c.groupId() + " to a consumer group: a"
                            + " member's subscription is not the consumer protocol.").setMemberEpoch(-1));
                }
                c.failAllPending(ErrorCode.REBALANCE_IN_PROGRESS);
                c.cancelTimers();
                groups.put(c.groupId(), upgraded);
                write(records);
                log.info("Classic group {} became a consumer group as a KIP-848 member joined", LogSafe.of(c.groupId()));
                return upgraded.heartbeat(request, clientId, host);
            }
            if (request.memberEpoch() != 0) {
                return done(new ConsumerGroupHeartbeatResponse().setErrorCode(ErrorCode.UNKNOWN_MEMBER_ID.code())
                    .setMemberEpoch(-1));
            }
            // An empty classic group (perhaps only offsets) becomes a consumer group.
            c.cancelTimers();
            if (c.hasProtocolType()) {
                write(List.of(GroupRecords.classicGroupTombstone(request.groupId())));
            }
            groups.remove(request.groupId());
        }
        if (g instanceof ConsumerGroup == false && request.memberEpoch() != 0) {
            return done(new ConsumerGroupHeartbeatResponse().setErrorCode(ErrorCode.UNKNOWN_MEMBER_ID.code())
                .setErrorMessage("group " + request.groupId() + " does not exist").setMemberEpoch(-1));
        }
        return consumerGroup(request.groupId()).heartbeat(request, clientId, host);
    }

    CompletableFuture<ConsumerGroupDescribeResponse.DescribedGroup> describeConsumerGroup(String groupId) {
        Group g = groups.get(groupId);
        if (g instanceof ConsumerGroup cg) {
            return done(cg.describe(image()));
        }
        return done(new ConsumerGroupDescribeResponse.DescribedGroup().setGroupId(groupId)
            .setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code())
            .setErrorMessage(g == null ? "group " + groupId + " not found" : "group " + groupId + " is not a consumer group")
            .setGroupState("Dead").setAssignorName(""));
    }

    /** Why a classic group with members cannot become a consumer group now; null when it can. */
    private String upgradeRefusal(ClassicGroup c) {
        if (!config.upgradeEnabled()) {
            return "Cannot upgrade classic group " + c.groupId() + " to consumer group because online upgrade is disabled.";
        }
        if (!"consumer".equals(c.protocolType())) {
            return "Cannot upgrade classic group " + c.groupId()
                + " to consumer group because the group does not use the consumer embedded protocol.";
        }
        if (c.members().size() > config.consumerMaxSize()) {
            return "Cannot upgrade classic group " + c.groupId()
                + " to consumer group because the group size exceeds the consumer group maximum size.";
        }
        return null;
    }

    // ------------------------------------------------------------------ streams groups

    CompletableFuture<StreamsGroup.HeartbeatResult> streamsHeartbeat(StreamsGroupHeartbeatRequest request,
                                                                     String clientId, String host) {
        String groupId = request.groupId();
        Group g = groups.get(groupId);
        if (request.memberEpoch() == -1 && !(g instanceof StreamsGroup)) {
            return done(new StreamsGroup.HeartbeatResult(new StreamsGroupHeartbeatResponse()
                .setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code()).setErrorMessage("Streams group " + groupId
                    + " not found.").setMemberEpoch(-1), List.of()));
        }
        if (g instanceof ClassicGroup c && c.isEmpty() && request.memberEpoch() == 0) {
            // An empty classic group (perhaps only offsets) becomes a streams group.
            c.cancelTimers();
            if (c.hasProtocolType()) {
                write(List.of(GroupRecords.classicGroupTombstone(groupId)));
            }
            groups.remove(groupId);
            g = null;
        }
        if (g != null && !(g instanceof StreamsGroup)) {
            return done(new StreamsGroup.HeartbeatResult(new StreamsGroupHeartbeatResponse()
                .setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code()).setErrorMessage("Group " + groupId
                    + " is not a streams group.").setMemberEpoch(-1), List.of()));
        }
        if (g == null && request.memberEpoch() != 0) {
            return done(new StreamsGroup.HeartbeatResult(new StreamsGroupHeartbeatResponse()
                .setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code()).setErrorMessage("Streams group " + groupId
                    + " not found.").setMemberEpoch(-1), List.of()));
        }
        StreamsGroup st = g == null ? replayedStreamsGroup(groupId) : (StreamsGroup) g;
        return st.heartbeat(request, clientId, host);
    }

    CompletableFuture<StreamsGroupDescribeResponse.DescribedGroup> describeStreamsGroup(String groupId,
                                                                                     boolean includeDescription) {
        Group g = groups.get(groupId);
        if (g instanceof StreamsGroup st) {
            return done(st.describe(image(), includeDescription));
        }
        return done(new StreamsGroupDescribeResponse.DescribedGroup().setGroupId(groupId)
            .setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code())
            .setErrorMessage(g == null ? "Group " + groupId + " not found." : "Group " + groupId + " is not a streams group.")
            .setGroupState("Dead").setAssignorName(""));
    }

    // ------------------------------------------------------------------ share groups

    CompletableFuture<ShareGroupHeartbeatResponse> shareHeartbeat(ShareGroupHeartbeatRequest request, String clientId,
                                                                  String host) {
        String groupId = request.groupId();
        Group g = groups.get(groupId);
        if (g != null && !(g instanceof ShareGroup)) {
            return done(new ShareGroupHeartbeatResponse().setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code())
                .setErrorMessage("Group " + groupId + " is not a share group.").setMemberEpoch(-1));
        }
        if (g == null && request.memberEpoch() != 0) {
            return done(new ShareGroupHeartbeatResponse().setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code())
                .setErrorMessage("Share group " + groupId + " not found.").setMemberEpoch(-1));
        }
        ShareGroup sg = g == null ? replayedShareGroup(groupId) : (ShareGroup) g;
        return sg.heartbeat(request, clientId, host);
    }

    CompletableFuture<ShareGroupDescribeResponse.DescribedGroup> describeShareGroup(String groupId) {
        Group g = groups.get(groupId);
        if (g instanceof ShareGroup sg) {
            return done(sg.describe(image()));
        }
        return done(new ShareGroupDescribeResponse.DescribedGroup().setGroupId(groupId)
            .setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code())
            .setErrorMessage(g == null ? "Group " + groupId + " not found." : "Group " + groupId + " is not a share group.")
            .setGroupState("Dead").setAssignorName(""));
    }

    /**
     * The share-partitions whose states deleting {@code groupId} must delete first: those of an
     * empty share group; none for any other group (the deletion itself then answers).
     */
    CompletableFuture<Map<Uuid, Set<Integer>>> shareStatesOfEmptyGroup(String groupId) {
        return done(groups.get(groupId) instanceof ShareGroup sg && sg.isEmpty() ? sg.statePartitions() : Map.of());
    }

    /**
     * What a share group's offsets APIs need: the error for the group (GROUP_ID_NOT_FOUND,
     * NON_EMPTY_GROUP when {@code mustBeEmpty}), or its initialized partitions by topic id with
     * their names.
     */
    CompletableFuture<ShareGroupPartitions> sharePartitions(String groupId, boolean mustBeEmpty) {
        Group g = groups.get(groupId);
        if (!(g instanceof ShareGroup sg)) {
            return done(new ShareGroupPartitions(ErrorCode.GROUP_ID_NOT_FOUND, Map.of()));
        }
        if (mustBeEmpty && !sg.isEmpty()) {
            return done(new ShareGroupPartitions(ErrorCode.NON_EMPTY_GROUP, Map.of()));
        }
        return done(new ShareGroupPartitions(ErrorCode.NONE, sg.initializedPartitions()));
    }

    /**
     * AlterShareGroupOffsets, first step: the (empty, or new) share group marks the partitions
     * initializing at a new group epoch, which fences the leaders still holding the old states;
     * answers that epoch, or the group's error.
     */
    CoordinatorResult<Map.Entry<ErrorCode, Integer>> prepareShareReset(String groupId,
            Map<Uuid, Map.Entry<String, Set<Integer>>> partitions) {
        Group g = groups.get(groupId);
        if (g != null && !(g instanceof ShareGroup)) {
            return CoordinatorResult.answer(Map.entry(ErrorCode.GROUP_ID_NOT_FOUND, -1));
        }
        if (g != null && !g.isEmpty()) {
            return CoordinatorResult.answer(Map.entry(ErrorCode.NON_EMPTY_GROUP, -1));
        }
        ShareGroup sg = g == null ? replayedShareGroup(groupId) : (ShareGroup) g;
        List<CoordinatorRecord> records = new ArrayList<>();
        int epoch = sg.reinitialize(partitions, records);
        return CoordinatorResult.write(records, Map.entry(ErrorCode.NONE, epoch), () -> { })
            .orOnFailure(failure -> Map.entry(CoordinatorException.clientError(failure), -1));
    }

    /** AlterShareGroupOffsets, last step: which partitions the share coordinator initialized. */
    CoordinatorResult<ErrorCode> finishShareReset(String groupId, Map<Uuid, String> names,
                                                  Map<ShareTopicPartition, Boolean> outcomes) {
        ShareGroup sg = shareGroup(groupId);
        if (sg == null) {
            return CoordinatorResult.answer(ErrorCode.GROUP_ID_NOT_FOUND);
        }
        outcomes.forEach((k, ok) -> sg.reinitialized(k.topicId(), names.get(k.topicId()), k.partition(), ok));
        return CoordinatorResult.write(List.of(sg.statePartitionsRecord()), ErrorCode.NONE, () -> { })
            .orOnFailure(CoordinatorException::clientError);
    }

    /** DeleteShareGroupOffsets, last step: forgets the topics whose states the share coordinator deleted. */
    CoordinatorResult<ErrorCode> forgetShareTopics(String groupId, Set<Uuid> topics) {
        ShareGroup sg = shareGroup(groupId);
        if (sg == null) {
            return CoordinatorResult.answer(ErrorCode.GROUP_ID_NOT_FOUND);
        }
        if (!sg.isEmpty()) {
            return CoordinatorResult.answer(ErrorCode.NON_EMPTY_GROUP);
        }
        CoordinatorRecord last = null;
        for (Uuid topic : topics) {
            last = sg.forgetTopic(topic);
        }
        return last == null ? CoordinatorResult.answer(ErrorCode.NONE)
            : CoordinatorResult.write(List.of(last), ErrorCode.NONE, () -> { }).orOnFailure(CoordinatorException::clientError);
    }

    // ------------------------------------------------------------------ offsets

    /**
     * Commits offsets for {@code groupId}: each partition's error, in request order, answered
     * once the commit is durable.
     */
    CoordinatorResult<List<ErrorCode>> commit(String groupId, String memberId, String instanceId, int generation,
                                              short version, long retentionMs, List<OffsetToCommit> partitions) {
        ErrorCode groupError = ErrorCode.NONE;
        Group g = groups.get(groupId);
        boolean createSimple = false;
        if (g == null) {
            if (generation < 0 && (memberId == null || memberId.isEmpty())) {
                createSimple = true;
            } else {
                groupError = version >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
            }
        } else if (g instanceof ClassicGroup c) {
            groupError = c.validateCommit(memberId, instanceId, generation);
        } else if (g instanceof ConsumerGroup cg) {
            groupError = cg.validateMember(memberId, generation, version < 9);
        } else if (g instanceof StreamsGroup st) {
            groupError = st.validateCommit(memberId, generation);
        } else {
            groupError = ErrorCode.GROUP_ID_NOT_FOUND;
        }
        List<ErrorCode> errors = new ArrayList<>();
        List<CoordinatorRecord> entries = new ArrayList<>();
        Map<PartitionKey, OffsetAndMetadata> accepted =
            accept(groupId, groupError, partitions, retentionMs, errors, entries);
        if (entries.isEmpty()) {
            return CoordinatorResult.answer(fill(errors, ErrorCode.NONE));
        }
        boolean create = createSimple;
        return CoordinatorResult.write(entries, fill(errors, ErrorCode.NONE), () -> {
            if (create && !groups.containsKey(groupId)) {
                groups.put(groupId, new ClassicGroup(groupId, this));
            }
            accepted.forEach((tp, o) -> commitOffset(groupId, tp, o));
        }).orOnFailure(failure -> {
            ErrorCode e = CoordinatorException.clientError(failure);
            return fill(errors, e == ErrorCode.UNKNOWN_SERVER_ERROR ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : e);
        });
    }

    /**
     * TxnOffsetCommit: writes offsets for the transactional producer {@code producerId} as its
     * transactional batch; they stay pending until the producer's transaction ends (see
     * {@link #replayEndTransaction}). The member is checked as for OffsetCommit when the request
     * names one (v3+); without member and generation (v0-2, or a producer outside any group) the
     * commit is accepted whatever the group's state, as Kafka does for transactions. A group that
     * does not exist is created as a simple group when the generation is -1, else the answer is
     * GROUP_ID_NOT_FOUND; a consumer group member's epoch that is not its current one is
     * STALE_MEMBER_EPOCH (the handler answers both as ILLEGAL_GENERATION before v6). An epoch older than the producer's pending offsets here is
     * INVALID_PRODUCER_EPOCH (the partition's producer state fences the rest once it checks
     * coordinator writes). Each partition's error, in request order, answered once written.
     */
    CoordinatorResult<List<ErrorCode>> txnCommit(String groupId, String memberId, String instanceId, int generation,
                                                 long producerId, short producerEpoch,
                                                 List<OffsetToCommit> partitions) {
        ErrorCode groupError = ErrorCode.NONE;
        Group g = groups.get(groupId);
        OpenTransaction open = transactions.get(producerId);
        boolean anonymous = generation < 0 && (memberId == null || memberId.isEmpty()) && instanceId == null;
        if (open != null && producerEpoch < open.producerEpoch) {
            groupError = ErrorCode.INVALID_PRODUCER_EPOCH;
        } else if (g == null) {
            groupError = generation < 0 ? ErrorCode.NONE : ErrorCode.GROUP_ID_NOT_FOUND;
        } else if (g instanceof ClassicGroup c) {
            if (!anonymous) {
                groupError = c.validateCommit(memberId, instanceId, generation);
            } else if (c.state() == ClassicGroup.State.COMPLETING_REBALANCE) {
                groupError = ErrorCode.REBALANCE_IN_PROGRESS;
            }
        } else if (g instanceof ConsumerGroup cg) {
            groupError = cg.validateMember(memberId, generation, false);
        } else if (g instanceof StreamsGroup st) {
            groupError = anonymous ? ErrorCode.NONE : st.validateCommit(memberId, generation);
        } else {
            groupError = ErrorCode.GROUP_ID_NOT_FOUND;
        }
        List<ErrorCode> errors = new ArrayList<>();
        List<CoordinatorRecord> entries = new ArrayList<>();
        Map<PartitionKey, OffsetAndMetadata> accepted = accept(groupId, groupError, partitions, -1, errors, entries);
        if (entries.isEmpty()) {
            return CoordinatorResult.answer(fill(errors, ErrorCode.NONE));
        }
        return CoordinatorResult.write(entries, fill(errors, ErrorCode.NONE), () -> {
            groups.computeIfAbsent(groupId, id -> new ClassicGroup(id, this));
            pend(producerId, producerEpoch, groupId, accepted);
        }).transactional(producerId, producerEpoch)
            .orOnFailure(failure -> fill(errors, txnWriteError(failure)));
    }

    /**
     * The offsets of a commit that pass the checks, with their records added to {@code entries};
     * {@code errors} gets each partition's error in order, null for the accepted ones.
     */
    private Map<PartitionKey, OffsetAndMetadata> accept(String groupId, ErrorCode groupError,
                                                        List<OffsetToCommit> partitions, long retentionMs,
                                                        List<ErrorCode> errors, List<CoordinatorRecord> entries) {
        Map<PartitionKey, OffsetAndMetadata> accepted = new LinkedHashMap<>();
        long now = now();
        for (OffsetToCommit p : partitions) {
            if (groupError != ErrorCode.NONE) {
                errors.add(groupError);
            } else if (p.metadata() != null && p.metadata().length() > config.offsetMetadataMaxBytes()) {
                errors.add(ErrorCode.OFFSET_METADATA_TOO_LARGE);
            } else {
                OffsetAndMetadata o = new OffsetAndMetadata(p.offset(), p.leaderEpoch(),
                    p.metadata() == null ? "" : p.metadata(), now, retentionMs > 0 ? now + retentionMs : -1);
                entries.add(GroupRecords.offset(groupId, p.topic(), p.partition(), o));
                accepted.put(new PartitionKey(p.topic(), p.partition()), o);
                errors.add(null);
            }
        }
        return accepted;
    }

    /** The error a transactional producer is told when its offsets could not be written. */
    static ErrorCode txnWriteError(Throwable failure) {
        return CoordinatorException.of(failure).map(e -> switch (e.error()) {
            // The partition's producer state refused the producer: it must learn why, not retry.
            case INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, INVALID_TXN_STATE, TRANSACTION_ABORTABLE,
                 UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_ID_MAPPING -> e.error();
            default -> CoordinatorException.clientError(failure);
        }).orElse(ErrorCode.UNKNOWN_SERVER_ERROR);
    }

    private static List<ErrorCode> fill(List<ErrorCode> errors, ErrorCode forPending) {
        List<ErrorCode> out = new ArrayList<>(errors.size());
        for (ErrorCode e : errors) {
            out.add(e == null ? forPending : e);
        }
        return out;
    }

    /**
     * Fetches committed offsets; {@code partitions} null means every offset the group has. A member
     * id (OffsetFetch v9+) is checked against a consumer group's members. With
     * {@code requireStable} a partition with a pending transactional offset is answered
     * UNSTABLE_OFFSET_COMMIT (the client retries until the transaction ends); without it the last
     * committed offset is returned.
     */
    CompletableFuture<GroupOffsets> fetchOffsets(String groupId, String memberId, int memberEpoch,
                                                 List<PartitionKey> partitions, boolean requireStable) {
        Group g = groups.get(groupId);
        if (g instanceof ShareGroup) {
            return done(new GroupOffsets(ErrorCode.GROUP_ID_NOT_FOUND, List.of()));
        }
        if (memberId != null && g instanceof StreamsGroup st) {
            ErrorCode error = st.validateFetch(memberId, memberEpoch);
            if (error != ErrorCode.NONE) {
                return done(new GroupOffsets(error, List.of()));
            }
        }
        if (memberId != null && g instanceof ConsumerGroup cg) {
            ErrorCode error = cg.validateMember(memberId, memberEpoch, false);
            if (error != ErrorCode.NONE) {
                return done(new GroupOffsets(error, List.of()));
            }
        }
        Map<PartitionKey, OffsetAndMetadata> committed = offsets.getOrDefault(groupId, Map.of());
        Set<PartitionKey> unstable = requireStable ? pendingPartitions(groupId) : Set.of();
        List<CommittedOffset> out = new ArrayList<>();
        if (partitions == null) {
            List<Map.Entry<PartitionKey, OffsetAndMetadata>> sorted = new ArrayList<>(committed.entrySet());
            sorted.sort(Map.Entry.comparingByKey(
                Comparator.comparing(PartitionKey::topic).thenComparingInt(PartitionKey::partition)));
            for (Map.Entry<PartitionKey, OffsetAndMetadata> e : sorted) {
                out.add(committedOffset(e.getKey(), e.getValue(), unstable));
            }
        } else {
            for (PartitionKey tp : partitions) {
                out.add(committedOffset(tp, committed.get(tp), unstable));
            }
        }
        return done(new GroupOffsets(ErrorCode.NONE, out));
    }

    private static CommittedOffset committedOffset(PartitionKey tp, OffsetAndMetadata o, Set<PartitionKey> unstable) {
        if (unstable.contains(tp)) {
            return new CommittedOffset(tp.topic(), tp.partition(), -1, -1, "", ErrorCode.UNSTABLE_OFFSET_COMMIT);
        }
        return o == null ? new CommittedOffset(tp.topic(), tp.partition(), -1, -1, "")
            : new CommittedOffset(tp.topic(), tp.partition(), o.offset(), o.leaderEpoch(), o.metadata());
    }

    CoordinatorResult<DeletedOffsets> deleteOffsets(String groupId, List<PartitionKey> partitions) {
        Group g = groups.get(groupId);
        if (g == null) {
            return CoordinatorResult.answer(new DeletedOffsets(ErrorCode.GROUP_ID_NOT_FOUND, Map.of()));
        }
        Set<String> subscribed;
        if (g instanceof ClassicGroup c) {
            if (!c.isEmpty() && !"consumer".equals(c.protocolType())) {
                return CoordinatorResult.answer(new DeletedOffsets(ErrorCode.NON_EMPTY_GROUP, Map.of()));
            }
            subscribed = c.subscribedTopics();
        } else if (g instanceof ConsumerGroup cg) {
            subscribed = cg.subscribedTopicNames();
        } else if (g instanceof StreamsGroup st) {
            subscribed = st.subscribedTopicNames();
        } else {
            return CoordinatorResult.answer(new DeletedOffsets(ErrorCode.GROUP_ID_NOT_FOUND, Map.of()));
        }
        Map<PartitionKey, ErrorCode> result = new LinkedHashMap<>();
        List<CoordinatorRecord> entries = new ArrayList<>();
        Map<PartitionKey, OffsetAndMetadata> committed = offsets.getOrDefault(groupId, Map.of());
        List<PartitionKey> removed = new ArrayList<>();
        for (PartitionKey tp : partitions) {
            if (!g.isEmpty() && subscribed.contains(tp.topic())) {
                result.put(tp, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
            } else {
                result.put(tp, ErrorCode.NONE);
                if (committed.containsKey(tp) || hasPendingOffset(groupId, tp)) {
                    entries.add(GroupRecords.offsetTombstone(groupId, tp.topic(), tp.partition()));
                    removed.add(tp);
                }
            }
        }
        return CoordinatorResult.write(entries, new DeletedOffsets(ErrorCode.NONE, result),
            () -> removeOffsets(groupId, removed))
            .orOnFailure(failure -> new DeletedOffsets(CoordinatorException.clientError(failure), Map.of()));
    }

    private void removeOffsets(String groupId, List<PartitionKey> removed) {
        removed.forEach(tp -> dropOffset(groupId, tp));
    }

    /**
     * Deletes each empty group with its offsets: NONE, GROUP_ID_NOT_FOUND or NON_EMPTY_GROUP.
     * Pending transactional offsets do not keep a group from being deleted (Kafka decides on the
     * group's state alone); their partitions get tombstones too, which drop them, so a later
     * COMMIT marker brings nothing back.
     */
    CoordinatorResult<ErrorCode> deleteGroup(String groupId) {
        Group g = groups.get(groupId);
        if (g == null) {
            return CoordinatorResult.answer(ErrorCode.GROUP_ID_NOT_FOUND);
        }
        if (!g.isEmpty()) {
            return CoordinatorResult.answer(ErrorCode.NON_EMPTY_GROUP);
        }
        return CoordinatorResult.write(deletion(g), ErrorCode.NONE, () -> {
            if (groups.get(groupId) == g) {
                forget(g);
            }
        }).orOnFailure(CoordinatorException::clientError);
    }

    private List<CoordinatorRecord> deletion(Group g) {
        List<CoordinatorRecord> entries = new ArrayList<>();
        Set<PartitionKey> tombstoned = new LinkedHashSet<>(offsets.getOrDefault(g.groupId(), Map.of()).keySet());
        tombstoned.addAll(pendingPartitions(g.groupId()));
        for (PartitionKey tp : tombstoned) {
            entries.add(GroupRecords.offsetTombstone(g.groupId(), tp.topic(), tp.partition()));
        }
        if (g instanceof ConsumerGroup cg) {
            entries.addAll(cg.tombstones());
        } else if (g instanceof ShareGroup sg) {
            entries.addAll(sg.tombstones());
        } else if (g instanceof StreamsGroup st) {
            entries.addAll(st.tombstones());
        } else {
            entries.add(GroupRecords.classicGroupTombstone(g.groupId()));
        }
        return entries;
    }

    private void forget(Group g) {
        groups.remove(g.groupId());
        offsets.remove(g.groupId());
        for (PartitionKey tp : List.copyOf(pendingPartitions(g.groupId()))) {
            dropOffset(g.groupId(), tp);
        }
        if (g instanceof ClassicGroup c) {
            c.cancelTimers();
        } else if (g instanceof ConsumerGroup cg) {
            cg.cancelTimers();
        } else if (g instanceof ShareGroup sg) {
            sg.cancelTimers();
        } else if (g instanceof StreamsGroup st) {
            st.cancelTimers();
        }
    }

    /**
     * Drops the offsets of empty groups once {@code offsets.retention.minutes} have passed since
     * the group became empty (since the commit, for groups without members ever); a group left with
     * neither members nor offsets is deleted. An offset with a pending transactional one stays until
     * that transaction ends, and a group with pending offsets is not deleted, as in Kafka.
     */
    private void expireOffsets() {
        // A simple group whose only offsets were transactional ones that aborted has no record of its
        // own to tombstone: it goes once nothing is left of it, as Kafka's expiry pass removes it.
        groups.values().removeIf(g -> g instanceof ClassicGroup c && !c.hasProtocolType() && c.isEmpty()
            && !offsets.containsKey(g.groupId()) && !hasPendingOffsets(g.groupId()));
        recount();
        long now = now();
        List<CoordinatorRecord> entries = new ArrayList<>();
        Map<String, List<PartitionKey>> expired = new HashMap<>();
        List<Group> emptied = new ArrayList<>();
        for (Map.Entry<String, Map<PartitionKey, OffsetAndMetadata>> e : offsets.entrySet()) {
            Group g = groups.get(e.getKey());
            if (g != null && !g.isEmpty()) {
                continue;
            }
            boolean membership = g instanceof ConsumerGroup || g instanceof ClassicGroup c && c.hasProtocolType();
            List<PartitionKey> gone = new ArrayList<>();
            for (Map.Entry<PartitionKey, OffsetAndMetadata> o : e.getValue().entrySet()) {
                OffsetAndMetadata v = o.getValue();
                long base = membership ? Math.max(g.stateTimestamp(), v.commitTimestamp()) : v.commitTimestamp();
                boolean due = v.expireTimestamp() >= 0 ? now >= v.expireTimestamp()
                    : now - base >= config.offsetsRetentionMs();
                if (due && !hasPendingOffset(e.getKey(), o.getKey())) {
                    gone.add(o.getKey());
                    entries.add(GroupRecords.offsetTombstone(e.getKey(), o.getKey().topic(), o.getKey().partition()));
                }
            }
            if (!gone.isEmpty()) {
                expired.put(e.getKey(), gone);
                if (gone.size() == e.getValue().size() && g != null && !hasPendingOffsets(g.groupId())) {
                    emptied.add(g);
                    if (g instanceof ConsumerGroup cg) {
                        entries.addAll(cg.tombstones());
                    } else if (((ClassicGroup) g).hasProtocolType()) {
                        entries.add(GroupRecords.classicGroupTombstone(g.groupId()));
                    }
                }
            }
        }
        schedule("expire-offsets", config.offsetsRetentionCheckMs(), this::expireOffsets);
        if (entries.isEmpty()) {
            return;
        }
        context.write(CoordinatorResult.write(entries, null, () -> {
            int count = 0;
            for (Map.Entry<String, List<PartitionKey>> e : expired.entrySet()) {
                count += e.getValue().size();
                removeOffsets(e.getKey(), e.getValue());
            }
            for (Group g : emptied) {
                if (groups.get(g.groupId()) == g && g.isEmpty() && !hasPendingOffsets(g.groupId())) {
                    forget(g);
                }
            }
            log.info("Expired {} committed offsets and removed {} empty groups in {}", count, emptied.size(),
                context.partitionName());
        }));
    }

    // ------------------------------------------------------------------ describe and list

    CompletableFuture<DescribeGroupsResponse.DescribedGroup> describe(String groupId, short version) {
        Group g = groups.get(groupId);
        DescribeGroupsResponse.DescribedGroup d = new DescribeGroupsResponse.DescribedGroup().setGroupId(groupId)
            .setProtocolType("").setProtocolData("").setMembers(new ArrayList<>());
        if (g == null) {
            if (version >= 6) {
                d.setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code()).setErrorMessage("group " + groupId + " not found");
            }
            return done(d.setGroupState("Dead"));
        }
        if (!(g instanceof ClassicGroup c)) {
            return done(d.setGroupState("Dead").setErrorCode(ErrorCode.GROUP_ID_NOT_FOUND.code())
                .setErrorMessage(version >= 6 ? "group " + groupId + " is not a classic group" : null));
        }
        boolean stable = c.state() == ClassicGroup.State.STABLE;
        d.setGroupState(c.stateName()).setProtocolType(c.protocolType())
            .setProtocolData(stable && c.protocolName() != null ? c.protocolName() : "");
        for (ClassicGroup.Member m : c.members().values()) {
            d.members().add(new DescribeGroupsResponse.DescribedGroupMember().setMemberId(m.memberId)
                .setGroupInstanceId(m.groupInstanceId).setClientId(m.clientId).setClientHost(m.clientHost)
                .setMemberMetadata(stable ? m.metadata(c.protocolName()) : new byte[0])
                .setMemberAssignment(stable ? m.assignment : new byte[0]));
        }
        return done(d);
    }

    /** Groups whose state and type pass the filters (lower-case; empty matches everything). */
    CompletableFuture<List<ListGroupsResponse.ListedGroup>> list(Set<String> states, Set<String> types) {
        List<ListGroupsResponse.ListedGroup> out = new ArrayList<>();
        for (Group g : groups.values()) {
            if (!states.isEmpty() && !states.contains(g.stateName().toLowerCase(Locale.ROOT))) {
                continue;
            }
            if (!types.isEmpty() && !types.contains(g.typeName())) {
                continue;
            }
            out.add(new ListGroupsResponse.ListedGroup().setGroupId(g.groupId()).setProtocolType(g.protocolType())
                .setGroupState(g.stateName()).setGroupType(g.typeName()));
        }
        return done(out);
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    @Override
    public String toString() {
        return groups.size() + " groups, the offsets of " + offsets.size() + " groups and " + transactions.size()
            + " open transactions";
    }
}
