package dev.sluice.broker.group;

import dev.sluice.broker.LogSafe;
import dev.sluice.broker.coordinator.CoordinatorException;
import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.group.records.ConsumerGroupTargetAssignmentMemberValue;
import dev.sluice.broker.group.records.ShareGroupCurrentMemberAssignmentValue;
import dev.sluice.broker.group.records.ShareGroupMemberMetadataValue;
import dev.sluice.broker.group.records.ShareGroupMetadataValue;
import dev.sluice.broker.group.records.ShareGroupStatePartitionMetadataValue;
import dev.sluice.broker.group.records.ShareGroupTargetAssignmentMetadataValue;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.broker.share.SharePersister;
import dev.sluice.broker.share.ShareStateOutcome;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ShareGroupDescribeResponse;
import dev.sluice.wire.message.ShareGroupHeartbeatRequest;
import dev.sluice.wire.message.ShareGroupHeartbeatResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A share group (KIP-932): members heartbeat their subscription and get partitions from the
 * {@link ShareAssignor}; several members may share a partition, whose records the share-partition
 * leader hands to one member at a time, so there is no revocation: a member's assignment changes
 * at once, and its epoch with it.
 *
 * <p>A partition is assigned only once it has a share-partition state at the share coordinator.
 * A heartbeat that finds a subscribed partition without one marks it initializing (written to the
 * log first) and then asks the share coordinator to initialize it at the group epoch, with start
 * offset -1 (the group's {@code share.auto.offset.reset} decides, on the leader) for a topic new to
 * the group and 0 for partitions added to a topic it knew. Once initialized, the next heartbeat sees
 * more assignable partitions, bumps the group epoch and assigns them. A failed initialization is
 * forgotten and retried by a later heartbeat; one still pending after
 * {@link ShareGroupSettings#INITIALIZE_RETRY_INTERVAL_MS} is retried too.
 *
 * <p>A new target assignment is computed at most every {@code share.assignment.interval.ms}, as
 * Kafka does: a member joining right after another is assigned at a later heartbeat.
 *
 * <p>Not thread-safe: owned by its shard's executor.
 */
final class ShareGroup implements Group {
    private static final Logger log = LoggerFactory.getLogger(ShareGroup.class);
    /** The longest member id a client may generate (a UUID's text). */
    static final int MAX_MEMBER_ID_LENGTH = 36;

    static final class Member {
        final String memberId;
        String rackId;
        String clientId = "";
        String clientHost = "";
        List<String> subscribedTopicNames = List.of();
        int memberEpoch;
        int previousMemberEpoch;
        Map<Uuid, Set<Integer>> assigned = new HashMap<>();

        Member(String memberId) {
            this.memberId = memberId;
        }
    }

    /** A topic's name and some of its partitions. */
    private record TopicPartitions(String name, Set<Integer> partitions) {
    }

    private final String groupId;
    private final GroupShard shard;
    private int groupEpoch;
    private long metadataHash;
    private int assignmentEpoch;
    private long assignmentTimestamp;
    private long stateTimestamp;
    private final LinkedHashMap<String, Member> members = new LinkedHashMap<>();
    private final Map<String, Map<Uuid, Set<Integer>>> target = new HashMap<>();
    /** The assignable partitions the current target was computed from. */
    private Map<Uuid, Set<Integer>> targetCovers = Map.of();
    private final Map<Uuid, TopicPartitions> initializing = new TreeMap<>(ShareGroup::compareIds);
    private final Map<Uuid, TopicPartitions> initialized = new TreeMap<>(ShareGroup::compareIds);
    private final Map<Uuid, String> deleting = new TreeMap<>(ShareGroup::compareIds);
    /** When this coordinator asked for each initializing partition ("topicId:partition"), to retry stale ones. */
    private final Map<String, Long> initializingSince = new HashMap<>();

    ShareGroup(String groupId, GroupShard shard) {
        this.groupId = groupId;
        this.shard = shard;
        this.stateTimestamp = shard.now();
    }

    private static int compareIds(Uuid a, Uuid b) {
        return a.toString().compareTo(b.toString());
    }

    @Override
    public String groupId() {
        return groupId;
    }

    @Override
    public String stateName() {
        return members.isEmpty() ? "Empty" : "Stable";
    }

    @Override
    public String typeName() {
        return "share";
    }

    @Override
    public String protocolType() {
        return "share";
    }

    @Override
    public boolean isEmpty() {
        return members.isEmpty();
    }

    @Override
    public long stateTimestamp() {
        return stateTimestamp;
    }

    int groupEpoch() {
        return groupEpoch;
    }

    /** Every partition with a share-partition state, or one being made or deleted: what deleting the group must delete. */
    Map<Uuid, Set<Integer>> statePartitions() {
        Map<Uuid, Set<Integer>> all = new HashMap<>();
        initialized.forEach((id, t) -> all.computeIfAbsent(id, k -> new TreeSet<>()).addAll(t.partitions()));
        initializing.forEach((id, t) -> all.computeIfAbsent(id, k -> new TreeSet<>()).addAll(t.partitions()));
        return all;
    }

    /** The initialized partitions by topic id, with the topic names the group knew them by. */
    Map<Uuid, Map.Entry<String, Set<Integer>>> initializedPartitions() {
        Map<Uuid, Map.Entry<String, Set<Integer>>> out = new LinkedHashMap<>();
        initialized.forEach((id, t) -> out.put(id, Map.entry(t.name(), Set.copyOf(t.partitions()))));
        return out;
    }

    // ------------------------------------------------------------------ replay

    void replayEpoch(ShareGroupMetadataValue value) {
        groupEpoch = value.epoch();
        metadataHash = value.metadataHash();
    }

    void replayTargetEpoch(ShareGroupTargetAssignmentMetadataValue value) {
        assignmentEpoch = value.assignmentEpoch();
        assignmentTimestamp = value.assignmentTimestamp();
    }

    void replayMember(String memberId, ShareGroupMemberMetadataValue value) {
        if (value == null) {
            members.remove(memberId);
            if (members.isEmpty()) {
                stateTimestamp = shard.now();
            }
            return;
        }
        Member m = members.computeIfAbsent(memberId, Member::new);
        m.rackId = value.rackId();
        m.clientId = value.clientId();
        m.clientHost = value.clientHost();
        m.subscribedTopicNames = List.copyOf(value.subscribedTopicNames());
    }

    void replayTarget(String memberId, ConsumerGroupTargetAssignmentMemberValue value) {
        if (value == null) {
            target.remove(memberId);
            return;
        }
        Map<Uuid, Set<Integer>> a = new HashMap<>();
        value.topicPartitions().forEach(tp -> a.put(tp.topicId(), new HashSet<>(tp.partitions())));
        target.put(memberId, a);
    }

    void replayCurrent(String memberId, ShareGroupCurrentMemberAssignmentValue value) {
        Member m = members.get(memberId);
        if (m == null || value == null) {
            return;
        }
        m.memberEpoch = value.memberEpoch();
        m.previousMemberEpoch = value.previousMemberEpoch();
        Map<Uuid, Set<Integer>> a = new HashMap<>();
        value.assignedPartitions().forEach(tp -> a.put(tp.topicId(), new HashSet<>(tp.partitions())));
        m.assigned = a;
    }

    void replayStatePartitions(ShareGroupStatePartitionMetadataValue value) {
        initializing.clear();
        initialized.clear();
        deleting.clear();
        value.initializingTopics().forEach(t -> initializing.put(t.topicId(),
            new TopicPartitions(t.topicName(), new TreeSet<>(t.partitions()))));
        value.initializedTopics().forEach(t -> initialized.put(t.topicId(),
            new TopicPartitions(t.topicName(), new TreeSet<>(t.partitions()))));
        value.deletingTopics().forEach(t -> deleting.put(t.topicId(), t.topicName()));
        initializingSince.keySet().removeIf(k -> !isInitializing(k));
    }

    private boolean isInitializing(String slot) {
        int colon = slot.lastIndexOf(':');
        TopicPartitions t = initializing.get(Uuid.fromString(slot.substring(0, colon)));
        return t != null && t.partitions().contains(Integer.parseInt(slot.substring(colon + 1)));
    }

    /** After loading: session timers for every member, as if each had just heartbeated. */
    void loaded() {
        members.values().forEach(this::scheduleSession);
        // The target was computed from what was assignable then; taken as now, so that loading
        // alone does not start a new epoch.
        targetCovers = assignable(shard.image());
    }

    void cancelTimers() {
        members.keySet().forEach(id -> shard.cancel(sessionKey(id)));
    }

    // ------------------------------------------------------------------ heartbeat

    /** Checks that need no group state, in Kafka's order; null when the request may go on. */
    static String invalid(ShareGroupHeartbeatRequest r) {
        if (r.memberId() == null || r.memberId().isEmpty() || r.memberId().length() > MAX_MEMBER_ID_LENGTH) {
            return "Invalid member id in the request.";
        }
        if (r.groupId() == null || r.groupId().isEmpty()) {
            return "GroupId can't be empty.";
        }
        if (r.rackId() != null && r.rackId().isEmpty()) {
            return "RackId can't be empty.";
        }
        if (r.memberEpoch() == 0 && (r.subscribedTopicNames() == null || r.subscribedTopicNames().isEmpty())) {
            return "SubscribedTopicNames must be set in first request.";
        }
        if (r.memberEpoch() < -1) {
            return "MemberEpoch is invalid.";
        }
        return null;
    }

    CompletableFuture<ShareGroupHeartbeatResponse> heartbeat(ShareGroupHeartbeatRequest request, String clientId,
                                                             String clientHost) {
        List<CoordinatorRecord> records = new ArrayList<>();
        String memberId = request.memberId();
        int epoch = request.memberEpoch();
        if (epoch == -1) {
            Member m = members.get(memberId);
            if (m == null) {
                return failed(ErrorCode.UNKNOWN_MEMBER_ID, "Member " + memberId + " is not in share group " + groupId + ".");
            }
            log.info("Member {} of share group {} left", LogSafe.of(memberId), LogSafe.of(groupId));
            removeMember(m, records);
            bumpEpoch(records, shard.image());
            return write(records, List.of(), new ShareGroupHeartbeatResponse().setMemberId(memberId).setMemberEpoch(-1)
                .setHeartbeatIntervalMs(heartbeatIntervalMs()));
        }
        Member member = members.get(memberId);
        boolean changed = false;
        if (epoch == 0) {
            if (member == null) {
                if (members.size() >= shard.shareSettings().maxSize()) {
                    return failed(ErrorCode.GROUP_MAX_SIZE_REACHED,
                        "The share group " + groupId + " has reached its maximum capacity of "
                            + shard.shareSettings().maxSize() + " members.");
                }
                member = new Member(memberId);
                members.put(memberId, member);
                changed = true;
            }
        } else if (member == null) {
            return failed(ErrorCode.UNKNOWN_MEMBER_ID, "Member " + memberId + " is not in share group " + groupId + ".");
        } else if (epoch > member.memberEpoch || epoch < member.memberEpoch && epoch != member.previousMemberEpoch) {
            return failed(ErrorCode.FENCED_MEMBER_EPOCH, "The share group member has a member epoch (" + epoch
                + ") which is not the current one (" + member.memberEpoch + ").");
        }
        changed |= updateMember(member, request, clientId, clientHost);
        if (changed) {
            records.add(GroupRecords.memberRecord(GroupRecords.SHARE_GROUP_MEMBER_METADATA, groupId, memberId,
                metadataRecord(member)));
        }
        MetadataImage image = shard.image();
        long hash = subscriptionHash(image);
        if (changed || hash != metadataHash || !assignable(image).equals(targetCovers)) {
            bumpEpoch(records, image);
        }
        List<SharePartitionKey> toInitialize = new ArrayList<>();
        Map<SharePartitionKey, Long> startOffsets = new HashMap<>();
        initializeNewPartitions(image, records, toInitialize, startOffsets);
        long now = shard.now();
        int interval = GroupConfigKeys.intValue(image.groupConfigs(groupId), "share.assignment.interval.ms",
            shard.shareSettings().assignmentIntervalMs());
        if (groupEpoch > assignmentEpoch
            && (assignmentTimestamp == 0 || interval == 0 || now - assignmentTimestamp >= interval)) {
            computeTarget(records, image, now);
        }
        Map<Uuid, Set<Integer>> before = member.assigned;
        int epochBefore = member.memberEpoch;
        reconcile(member, image);
        boolean assignmentChanged = !before.equals(member.assigned);
        if (assignmentChanged || epochBefore != member.memberEpoch || epoch == 0) {
            records.add(GroupRecords.memberRecord(GroupRecords.SHARE_GROUP_CURRENT_MEMBER_ASSIGNMENT, groupId, memberId,
                assignmentRecord(member)));
        }
        scheduleSession(member);
        ShareGroupHeartbeatResponse response = new ShareGroupHeartbeatResponse().setMemberId(memberId)
            .setMemberEpoch(member.memberEpoch).setHeartbeatIntervalMs(heartbeatIntervalMs());
        if (epoch == 0 || request.subscribedTopicNames() != null || assignmentChanged) {
            response.setAssignment(assignment(member.assigned));
        }
        return write(records, toInitialize, response).thenApply(r -> {
            if (r.errorCode() == ErrorCode.NONE.code()) {
                startInitializing(toInitialize, startOffsets);
            }
            return r;
        });
    }

    private CompletableFuture<ShareGroupHeartbeatResponse> write(List<CoordinatorRecord> records,
                                                                 List<SharePartitionKey> initializingNow,
                                                                 ShareGroupHeartbeatResponse response) {
        return shard.write(records).handle((v, failure) -> {
            if (failure != null) {
                // The partitions marked initializing with these records were never written.
                initializingNow.forEach(k -> dropInitializing(k.topicId(), k.partition()));
                return new ShareGroupHeartbeatResponse().setErrorCode(CoordinatorException.clientError(failure).code())
                    .setErrorMessage("the group state could not be written").setMemberEpoch(-1);
            }
            return response;
        });
    }

    private static CompletableFuture<ShareGroupHeartbeatResponse> failed(ErrorCode error, String message) {
        return CompletableFuture.completedFuture(
            new ShareGroupHeartbeatResponse().setErrorCode(error.code()).setErrorMessage(message).setMemberEpoch(-1));
    }

    private boolean updateMember(Member m, ShareGroupHeartbeatRequest r, String clientId, String clientHost) {
        boolean changed = false;
        if (r.rackId() != null && !r.rackId().equals(m.rackId)) {
            m.rackId = r.rackId();
            changed = true;
        }
        if (r.subscribedTopicNames() != null
            && !new TreeSet<>(r.subscribedTopicNames()).equals(new TreeSet<>(m.subscribedTopicNames))) {
            m.subscribedTopicNames = List.copyOf(new TreeSet<>(r.subscribedTopicNames()));
            changed = true;
        }
        if (!clientId.equals(m.clientId) || !clientHost.equals(m.clientHost)) {
            m.clientId = clientId;
            m.clientHost = clientHost;
            changed = true;
        }
        return changed;
    }

    private static ShareGroupMemberMetadataValue metadataRecord(Member m) {
        return new ShareGroupMemberMetadataValue().setRackId(m.rackId).setClientId(m.clientId)
            .setClientHost(m.clientHost).setSubscribedTopicNames(m.subscribedTopicNames);
    }

    private static ShareGroupCurrentMemberAssignmentValue assignmentRecord(Member m) {
        List<ShareGroupCurrentMemberAssignmentValue.TopicPartitions> tps = new ArrayList<>();
        m.assigned.forEach((id, ps) -> tps.add(new ShareGroupCurrentMemberAssignmentValue.TopicPartitions()
            .setTopicId(id).setPartitions(new ArrayList<>(new TreeSet<>(ps)))));
        return new ShareGroupCurrentMemberAssignmentValue().setMemberEpoch(m.memberEpoch)
            .setPreviousMemberEpoch(m.previousMemberEpoch).setState((byte) 0).setAssignedPartitions(tps);
    }

    private static ShareGroupHeartbeatResponse.Assignment assignment(Map<Uuid, Set<Integer>> assigned) {
        List<ShareGroupHeartbeatResponse.TopicPartitions> tps = new ArrayList<>();
        assigned.forEach((id, ps) -> tps.add(new ShareGroupHeartbeatResponse.TopicPartitions().setTopicId(id)
            .setPartitions(new ArrayList<>(new TreeSet<>(ps)))));
        return new ShareGroupHeartbeatResponse.Assignment().setTopicPartitions(tps);
    }

    private void bumpEpoch(List<CoordinatorRecord> records, MetadataImage image) {
        groupEpoch++;
        metadataHash = subscriptionHash(image);
        shard.rebalanced();
        records.add(GroupRecords.groupRecord(GroupRecords.SHARE_GROUP_METADATA, groupId,
            new ShareGroupMetadataValue().setEpoch(groupEpoch).setMetadataHash(metadataHash)));
    }

    private void removeMember(Member m, List<CoordinatorRecord> records) {
        members.remove(m.memberId);
        target.remove(m.memberId);
        shard.cancel(sessionKey(m.memberId));
        records.add(GroupRecords.memberRecord(GroupRecords.SHARE_GROUP_CURRENT_MEMBER_ASSIGNMENT, groupId, m.memberId, null));
        records.add(GroupRecords.memberRecord(GroupRecords.SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER, groupId, m.memberId, null));
        records.add(GroupRecords.memberRecord(GroupRecords.SHARE_GROUP_MEMBER_METADATA, groupId, m.memberId, null));
        if (members.isEmpty()) {
            stateTimestamp = shard.now();
        }
    }

    /** Every record of the group, as tombstones (deleting the group). */
    List<CoordinatorRecord> tombstones() {
        List<CoordinatorRecord> records = new ArrayList<>();
        for (String memberId : members.keySet()) {
            records.add(GroupRecords.memberRecord(GroupRecords.SHARE_GROUP_CURRENT_MEMBER_ASSIGNMENT, groupId, memberId, null));
            records.add(GroupRecords.memberRecord(GroupRecords.SHARE_GROUP_MEMBER_METADATA, groupId, memberId, null));
        }
        for (String memberId : target.keySet()) {
            records.add(GroupRecords.memberRecord(GroupRecords.SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER, groupId, memberId, null));
        }
        records.add(GroupRecords.groupRecord(GroupRecords.SHARE_GROUP_STATE_PARTITION_METADATA, groupId, null));
        records.add(GroupRecords.groupRecord(GroupRecords.SHARE_GROUP_TARGET_ASSIGNMENT_METADATA, groupId, null));
        records.add(GroupRecords.groupRecord(GroupRecords.SHARE_GROUP_METADATA, groupId, null));
        return records;
    }

    // ------------------------------------------------------------------ sessions

    private void scheduleSession(Member m) {
        String memberId = m.memberId;
        int timeout = GroupConfigKeys.intValue(shard.image().groupConfigs(groupId), "share.session.timeout.ms",
            shard.shareSettings().sessionTimeoutMs());
        shard.schedule(sessionKey(memberId), timeout, () -> {
            Member gone = members.get(memberId);
            if (gone == null) {
                return;
            }
            log.info("Member {} of share group {} timed out", LogSafe.of(memberId), LogSafe.of(groupId));
            List<CoordinatorRecord> records = new ArrayList<>();
            removeMember(gone, records);
            bumpEpoch(records, shard.image());
            shard.write(records);
            shard.recount();
        });
    }

    private String sessionKey(String memberId) {
        return "share-session:" + groupId + ":" + memberId;
    }

    private int heartbeatIntervalMs() {
        return GroupConfigKeys.intValue(shard.image().groupConfigs(groupId), "share.heartbeat.interval.ms",
            shard.shareSettings().heartbeatIntervalMs());
    }

    // ------------------------------------------------------------------ assignment

    /** The topics members subscribe to that exist now. */
    private Map<Uuid, TopicImage> subscribedTopics(MetadataImage image) {
        Map<Uuid, TopicImage> topics = new TreeMap<>(ShareGroup::compareIds);
        for (Member m : members.values()) {
            for (String name : m.subscribedTopicNames) {
                image.topic(name).ifPresent(t -> topics.put(t.id(), t));
            }
        }
        return topics;
    }

    /** A hash of the subscribed topics' names, ids and partition counts: changes when one is created, deleted or grows. */
    private long subscriptionHash(MetadataImage image) {
        long hash = 17;
        for (TopicImage t : subscribedTopics(image).values()) {
            hash = 31 * hash + t.name().hashCode();
            hash = 31 * hash + t.id().hashCode();
            hash = 31 * hash + t.partitions().size();
        }
        return hash;
    }

    /** The subscribed partitions that have a share-partition state, by topic id. */
    private Map<Uuid, Set<Integer>> assignable(MetadataImage image) {
        Map<Uuid, Set<Integer>> out = new HashMap<>();
        for (TopicImage t : subscribedTopics(image).values()) {
            TopicPartitions done = initialized.get(t.id());
            if (done == null) {
                continue;
            }
            Set<Integer> ps = new TreeSet<>();
            for (int p : done.partitions()) {
                if (p < t.partitions().size()) {
                    ps.add(p);
                }
            }
            if (!ps.isEmpty()) {
                out.put(t.id(), ps);
            }
        }
        return out;
    }

    private void computeTarget(List<CoordinatorRecord> records, MetadataImage image, long now) {
        Map<Uuid, Set<Integer>> assignable = assignable(image);
        Map<String, Set<Uuid>> subscriptions = new LinkedHashMap<>();
        for (Member m : members.values()) {
            Set<Uuid> ids = new HashSet<>();
            m.subscribedTopicNames.forEach(n -> image.topic(n).ifPresent(t -> ids.add(t.id())));
            subscriptions.put(m.memberId, ids);
        }
        Map<String, Map<Uuid, Set<Integer>>> next = ShareAssignor.assign(subscriptions, assignable, target);
        for (Map.Entry<String, Map<Uuid, Set<Integer>>> e : next.entrySet()) {
            if (!e.getValue().equals(target.get(e.getKey()))) {
                List<ConsumerGroupTargetAssignmentMemberValue.TopicPartitions> tps = new ArrayList<>();
                e.getValue().forEach((id, ps) -> tps.add(new ConsumerGroupTargetAssignmentMemberValue.TopicPartitions()
                    .setTopicId(id).setPartitions(new ArrayList<>(new TreeSet<>(ps)))));
                records.add(GroupRecords.memberRecord(GroupRecords.SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER, groupId,
                    e.getKey(), new ConsumerGroupTargetAssignmentMemberValue().setTopicPartitions(tps)));
            }
        }
        target.clear();
        target.putAll(next);
        targetCovers = assignable;
        assignmentEpoch = groupEpoch;
        assignmentTimestamp = now;
        records.add(GroupRecords.groupRecord(GroupRecords.SHARE_GROUP_TARGET_ASSIGNMENT_METADATA, groupId,
            new ShareGroupTargetAssignmentMetadataValue().setAssignmentEpoch(assignmentEpoch)
                .setAssignmentTimestamp(now)));
    }

    /** The member takes its target at once (share members revoke nothing), minus topics it left. */
    private void reconcile(Member m, MetadataImage image) {
        if (m.memberEpoch == assignmentEpoch) {
            return;
        }
        Set<Uuid> subscribed = new HashSet<>();
        m.subscribedTopicNames.forEach(n -> image.topic(n).ifPresent(t -> subscribed.add(t.id())));
        Map<Uuid, Set<Integer>> next = new HashMap<>();
        target.getOrDefault(m.memberId, Map.of()).forEach((id, ps) -> {
            if (subscribed.contains(id)) {
                next.put(id, new HashSet<>(ps));
            }
        });
        m.previousMemberEpoch = m.memberEpoch;
        m.memberEpoch = assignmentEpoch;
        m.assigned = next;
    }

    // ------------------------------------------------------------------ share-partition states

    /**
     * Marks the subscribed partitions without a state (and not being given one, or asked for too
     * long ago) as initializing, with the record that says so; fills {@code keys} with them and
     * {@code startOffsets} with where each starts.
     */
    private void initializeNewPartitions(MetadataImage image, List<CoordinatorRecord> records,
                                         List<SharePartitionKey> keys, Map<SharePartitionKey, Long> startOffsets) {
        if (shard.sharePersister() == null) {
            return;
        }
        long now = shard.now();
        for (TopicImage t : subscribedTopics(image).values()) {
            if (deleting.containsKey(t.id())) {
                continue;
            }
            TopicPartitions done = initialized.get(t.id());
            TopicPartitions pending = initializing.get(t.id());
            boolean known = done != null || pending != null;
            for (int p = 0; p < t.partitions().size(); p++) {
                if (done != null && done.partitions().contains(p)) {
                    continue;
                }
                String slot = t.id() + ":" + p;
                if (pending != null && pending.partitions().contains(p)) {
                    Long since = initializingSince.get(slot);
                    if (since != null && now - since < ShareGroupSettings.INITIALIZE_RETRY_INTERVAL_MS) {
                        continue;
                    }
                }
                SharePartitionKey key = new SharePartitionKey(groupId, t.id(), p);
                keys.add(key);
                startOffsets.put(key, known ? 0L : -1L);
                initializing.computeIfAbsent(t.id(), k -> new TopicPartitions(t.name(), new TreeSet<>()))
                    .partitions().add(p);
                initializingSince.put(slot, now);
            }
        }
        if (!keys.isEmpty()) {
            records.add(statePartitionsRecord());
        }
    }

    /** Asks the share coordinator to initialize {@code keys}; their outcome comes back on the shard. */
    private void startInitializing(List<SharePartitionKey> keys, Map<SharePartitionKey, Long> startOffsets) {
        if (keys.isEmpty()) {
            return;
        }
        SharePersister persister = shard.sharePersister();
        int stateEpoch = groupEpoch;
        Map<SharePartitionKey, CompletableFuture<ShareStateOutcome>> calls = new LinkedHashMap<>();
        for (SharePartitionKey key : keys) {
            calls.put(key, persister.initialize(key, stateEpoch, startOffsets.get(key)));
        }
        CompletableFuture.allOf(calls.values().toArray(new CompletableFuture<?>[0])).whenComplete((v, f) ->
            shard.execute(() -> finishInitializing(calls)));
    }

    private void finishInitializing(Map<SharePartitionKey, CompletableFuture<ShareStateOutcome>> calls) {
        if (shard.shareGroup(groupId) != this) {
            return;
        }
        boolean changed = false;
        for (Map.Entry<SharePartitionKey, CompletableFuture<ShareStateOutcome>> e : calls.entrySet()) {
            SharePartitionKey key = e.getKey();
            TopicPartitions pending = initializing.get(key.topicId());
            if (pending == null || !pending.partitions().contains(key.partition())) {
                continue;
            }
            ShareStateOutcome outcome = e.getValue().getNow(null);
            dropInitializing(key.topicId(), key.partition());
            changed = true;
            if (outcome != null && outcome.error() == ErrorCode.NONE) {
                initialized.computeIfAbsent(key.topicId(), k -> new TopicPartitions(pending.name(), new TreeSet<>()))
                    .partitions().add(key.partition());
            } else {
                log.warn("Cannot initialize the state of share group {} on {}-{}: {}", LogSafe.of(groupId),
                    pending.name(), key.partition(), outcome == null ? "no answer" : outcome.error());
            }
        }
        if (changed) {
            shard.write(List.of(statePartitionsRecord()));
        }
    }

    private void dropInitializing(Uuid topicId, int partition) {
        TopicPartitions pending = initializing.get(topicId);
        if (pending != null) {
            pending.partitions().remove(partition);
            if (pending.partitions().isEmpty()) {
                initializing.remove(topicId);
            }
        }
        initializingSince.remove(topicId + ":" + partition);
    }

    /** Forgets a topic's states (DeleteShareGroupOffsets, once the share coordinator deleted them). */
    CoordinatorRecord forgetTopic(Uuid topicId) {
        initialized.remove(topicId);
        initializing.remove(topicId);
        deleting.remove(topicId);
        return statePartitionsRecord();
    }

    /** Marks partitions initializing at a new group epoch (AlterShareGroupOffsets): the records and the epoch. */
    int reinitialize(Map<Uuid, Map.Entry<String, Set<Integer>>> partitions, List<CoordinatorRecord> records) {
        bumpEpoch(records, shard.image());
        partitions.forEach((id, e) -> {
            TopicPartitions done = initialized.get(id);
            if (done != null) {
                done.partitions().removeAll(e.getValue());
                if (done.partitions().isEmpty()) {
                    initialized.remove(id);
                }
            }
            initializing.computeIfAbsent(id, k -> new TopicPartitions(e.getKey(), new TreeSet<>()))
                .partitions().addAll(e.getValue());
            e.getValue().forEach(p -> initializingSince.put(id + ":" + p, shard.now()));
        });
        records.add(statePartitionsRecord());
        return groupEpoch;
    }

    /** Records the outcome of {@link #reinitialize} for one partition: initialized, or forgotten to be retried. */
    void reinitialized(Uuid topicId, String topicName, int partition, boolean ok) {
        dropInitializing(topicId, partition);
        if (ok) {
            initialized.computeIfAbsent(topicId, k -> new TopicPartitions(topicName, new TreeSet<>())).partitions()
                .add(partition);
        }
    }

    CoordinatorRecord statePartitionsRecord() {
        List<ShareGroupStatePartitionMetadataValue.TopicPartitionsInfo> init = new ArrayList<>();
        initializing.forEach((id, t) -> init.add(new ShareGroupStatePartitionMetadataValue.TopicPartitionsInfo()
            .setTopicId(id).setTopicName(t.name()).setPartitions(new ArrayList<>(t.partitions()))));
        List<ShareGroupStatePartitionMetadataValue.TopicPartitionsInfo> done = new ArrayList<>();
        initialized.forEach((id, t) -> done.add(new ShareGroupStatePartitionMetadataValue.TopicPartitionsInfo()
            .setTopicId(id).setTopicName(t.name()).setPartitions(new ArrayList<>(t.partitions()))));
        List<ShareGroupStatePartitionMetadataValue.TopicInfo> gone = new ArrayList<>();
        deleting.forEach((id, name) -> gone.add(new ShareGroupStatePartitionMetadataValue.TopicInfo()
            .setTopicId(id).setTopicName(name)));
        return GroupRecords.groupRecord(GroupRecords.SHARE_GROUP_STATE_PARTITION_METADATA, groupId,
            new ShareGroupStatePartitionMetadataValue().setInitializingTopics(init).setInitializedTopics(done)
                .setDeletingTopics(gone));
    }

    // ------------------------------------------------------------------ describe

    ShareGroupDescribeResponse.DescribedGroup describe(MetadataImage image) {
        List<ShareGroupDescribeResponse.Member> described = new ArrayList<>();
        for (Member m : members.values()) {
            List<ShareGroupDescribeResponse.TopicPartitions> tps = new ArrayList<>();
            m.assigned.forEach((id, ps) -> tps.add(new ShareGroupDescribeResponse.TopicPartitions().setTopicId(id)
                .setTopicName(image.topic(id).map(TopicImage::name).orElse(""))
                .setPartitions(new ArrayList<>(new TreeSet<>(ps)))));
            described.add(new ShareGroupDescribeResponse.Member().setMemberId(m.memberId).setRackId(m.rackId)
                .setMemberEpoch(m.memberEpoch).setClientId(m.clientId).setClientHost(m.clientHost)
                .setSubscribedTopicNames(new ArrayList<>(m.subscribedTopicNames))
                .setAssignment(new ShareGroupDescribeResponse.Assignment().setTopicPartitions(tps)));
        }
        return new ShareGroupDescribeResponse.DescribedGroup().setGroupId(groupId).setGroupState(stateName())
            .setGroupEpoch(groupEpoch).setAssignmentEpoch(assignmentEpoch).setAssignorName(ShareAssignor.NAME)
            .setMembers(described);
    }

    /** The names of the topics members subscribe to (for the handler's topic authorization). */
    Set<String> subscribedTopicNames() {
        Set<String> names = new TreeSet<>();
        members.values().forEach(m -> names.addAll(m.subscribedTopicNames));
        return names;
    }
}
