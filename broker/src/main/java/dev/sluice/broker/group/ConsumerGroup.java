package dev.sluice.broker.group;

import com.google.re2j.PatternSyntaxException;
import dev.sluice.broker.LogSafe;
import dev.sluice.broker.coordinator.CoordinatorException;
import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.group.records.ConsumerGroupCurrentMemberAssignmentValue;
import dev.sluice.broker.group.records.ConsumerGroupMemberMetadataValue;
import dev.sluice.broker.group.records.ConsumerGroupTargetAssignmentMemberValue;
import dev.sluice.broker.group.records.GroupMetadataValue;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ConsumerGroupDescribeResponse;
import dev.sluice.wire.message.ConsumerGroupHeartbeatRequest;
import dev.sluice.wire.message.ConsumerGroupHeartbeatResponse;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.HeartbeatRequest;
import dev.sluice.wire.message.HeartbeatResponse;
import dev.sluice.wire.message.JoinGroupRequest;
import dev.sluice.wire.message.JoinGroupResponse;
import dev.sluice.wire.message.LeaveGroupRequest;
import dev.sluice.wire.message.LeaveGroupResponse;
import dev.sluice.wire.message.SyncGroupRequest;
import dev.sluice.wire.message.SyncGroupResponse;
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
 * A group of the consumer rebalance protocol (KIP-848): members heartbeat their subscription, the
 * coordinator computes the assignment itself and moves each member towards it in steps.
 *
 * <p>Every change of membership, subscription or subscribed topics' partitions bumps the group
 * epoch; a new target assignment is then computed for that epoch with the server-side assignor
 * (uniform or range). A member moves to the target epoch only after it has given up the partitions
 * it must lose: first it is told to revoke them (it keeps its epoch and the partitions it keeps),
 * and once a heartbeat shows it no longer owns them it gets its new partitions, minus any that
 * another member has not released yet, which follow on a later heartbeat. A member that does not
 * heartbeat for the session timeout, or does not revoke within its rebalance timeout, is removed.
 * A static member that leaves with epoch -2 keeps its place for the session timeout, and its
 * instance coming back takes it over without a rebalance.
 *
 * <p>Members that joined with JoinGroup (the classic protocol, KIP-848 migration) are members like
 * any other, with their JoinGroup protocols kept beside them: see {@link #classicJoin}.
 *
 * <p>Not thread-safe: owned by its shard's executor.
 */
final class ConsumerGroup implements Group {
    private static final Logger log = LoggerFactory.getLogger(ConsumerGroup.class);
    /** The epoch of a static member that left and whose place is kept for its instance (KIP-848). */
    static final int LEFT_STATIC_EPOCH = -2;
    static final byte STABLE = 0;
    static final byte UNREVOKED_PARTITIONS = 1;
    static final byte UNRELEASED_PARTITIONS = 2;

    /** A classic member's session timeout and its protocols (assignor names and subscription bytes), as it joined. */
    record Classic(int sessionTimeoutMs, List<ClassicGroup.Protocol> protocols) {
    }

    static final class Member {
        final String memberId;
        String instanceId;
        String rackId;
        String clientId = "";
        String clientHost = "";
        List<String> subscribedTopicNames = List.of();
        String subscribedTopicRegex;
        /** {@link #subscribedTopicRegex} compiled, null when there is none. */
        SubscriptionRegex subscribedPattern;
        int rebalanceTimeoutMs = -1;
        String serverAssignor;
        int memberEpoch;
        int previousMemberEpoch = -1;
        byte state = STABLE;
        Map<Uuid, Set<Integer>> assigned = new HashMap<>();
        Map<Uuid, Set<Integer>> pendingRevocation = new HashMap<>();
        /** What a member that joined with JoinGroup (the classic protocol) joined with; null for KIP-848 members. */
        Classic classic;

        Member(String memberId) {
            this.memberId = memberId;
        }

        ConsumerGroupMemberMetadataValue metadataRecord() {
            ConsumerGroupMemberMetadataValue v = new ConsumerGroupMemberMetadataValue().setInstanceId(instanceId)
                .setRackId(rackId).setClientId(clientId).setClientHost(clientHost)
                .setSubscribedTopicNames(subscribedTopicNames).setSubscribedTopicRegex(subscribedTopicRegex)
                .setRebalanceTimeoutMs(rebalanceTimeoutMs).setServerAssignor(serverAssignor);
            if (classic != null) {
                List<ConsumerGroupMemberMetadataValue.ClassicProtocol> protocols = new ArrayList<>();
                classic.protocols().forEach(p -> protocols.add(new ConsumerGroupMemberMetadataValue.ClassicProtocol()
                    .setName(p.name()).setMetadata(p.metadata())));
                v.setClassicMemberMetadata(new ConsumerGroupMemberMetadataValue.ClassicMemberMetadata()
                    .setSessionTimeoutMs(classic.sessionTimeoutMs()).setSupportedProtocols(protocols));
            }
            return v;
        }

        ConsumerGroupCurrentMemberAssignmentValue assignmentRecord() {
            return new ConsumerGroupCurrentMemberAssignmentValue().setMemberEpoch(memberEpoch)
                .setPreviousMemberEpoch(previousMemberEpoch).setState(state)
                .setAssignedPartitions(toRecord(assigned)).setPartitionsPendingRevocation(toRecord(pendingRevocation));
        }

        private static List<ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions> toRecord(
                Map<Uuid, Set<Integer>> partitions) {
            List<ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions> out = new ArrayList<>();
            partitions.forEach((id, ps) -> out.add(new ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions()
                .setTopicId(id).setPartitions(new ArrayList<>(new TreeSet<>(ps)))));
            return out;
        }
    }

    private final String groupId;
    private final GroupShard shard;
    private int groupEpoch;
    private int assignmentEpoch;
    private long stateTimestamp;
    private final LinkedHashMap<String, Member> members = new LinkedHashMap<>();
    private final Map<String, Map<Uuid, Set<Integer>>> target = new HashMap<>();
    /** Classic members told to join again, whose join timer runs (their rebalance timeout). */
    private final Set<String> awaitingJoin = new HashSet<>();
    /** Subscribed topics with their partition counts when the target was last computed. */
    private Map<Uuid, Integer> assignedTopics = Map.of();
    /** The metadata version {@link #assignedTopics} was last compared with; metadata changes rarely. */
    private long checkedImageVersion = -1;
    /** Topics each subscription pattern matched in the metadata of {@link #resolvedImageVersion}. */
    private final Map<String, List<TopicImage>> resolved = new HashMap<>();
    private long resolvedImageVersion = -1;

    ConsumerGroup(String groupId, GroupShard shard) {
        this.groupId = groupId;
        this.shard = shard;
        this.stateTimestamp = shard.now();
    }

    @Override
    public String groupId() {
        return groupId;
    }

    @Override
    public String stateName() {
        if (members.isEmpty()) {
            return "Empty";
        }
        if (groupEpoch > assignmentEpoch) {
            return "Assigning";
        }
        for (Member m : members.values()) {
            if (m.memberEpoch != LEFT_STATIC_EPOCH && (m.memberEpoch != assignmentEpoch || m.state != STABLE)) {
                return "Reconciling";
            }
        }
        return "Stable";
    }

    @Override
    public String typeName() {
        return "consumer";
    }

    @Override
    public String protocolType() {
        return "consumer";
    }

    @Override
    public boolean isEmpty() {
        return members.isEmpty();
    }

    @Override
    public long stateTimestamp() {
        return stateTimestamp;
    }

    // ------------------------------------------------------------------ loading

    void replayEpoch(int epoch) {
        groupEpoch = epoch;
    }

    void replayTargetEpoch(int epoch) {
        assignmentEpoch = epoch;
    }

    void replayMember(String memberId, ConsumerGroupMemberMetadataValue value) {
        if (value == null) {
            members.remove(memberId);
            return;
        }
        Member m = members.computeIfAbsent(memberId, Member::new);
        m.instanceId = value.instanceId();
        m.rackId = value.rackId();
        m.clientId = value.clientId();
        m.clientHost = value.clientHost();
        m.subscribedTopicNames = List.copyOf(value.subscribedTopicNames());
        setRegex(m, value.subscribedTopicRegex());
        m.rebalanceTimeoutMs = value.rebalanceTimeoutMs();
        m.serverAssignor = value.serverAssignor();
        ConsumerGroupMemberMetadataValue.ClassicMemberMetadata c = value.classicMemberMetadata();
        m.classic = c == null ? null : new Classic(c.sessionTimeoutMs(), c.supportedProtocols().stream()
            .map(p -> new ClassicGroup.Protocol(p.name(), p.metadata())).toList());
    }

    void replayTarget(String memberId, ConsumerGroupTargetAssignmentMemberValue value) {
        if (value == null) {
            target.remove(memberId);
            return;
        }
        Map<Uuid, Set<Integer>> a = new HashMap<>();
        for (ConsumerGroupTargetAssignmentMemberValue.TopicPartitions tp : value.topicPartitions()) {
            a.put(tp.topicId(), new HashSet<>(tp.partitions()));
        }
        target.put(memberId, a);
    }

    void replayCurrent(String memberId, ConsumerGroupCurrentMemberAssignmentValue value) {
        Member m = members.get(memberId);
        if (m == null) {
            if (value == null) {
                return;
            }
            m = members.computeIfAbsent(memberId, Member::new);
        }
        if (value == null) {
            m.assigned = new HashMap<>();
            m.pendingRevocation = new HashMap<>();
            return;
        }
        m.memberEpoch = value.memberEpoch();
        m.previousMemberEpoch = value.previousMemberEpoch();
        m.state = value.state();
        m.assigned = toMap(value.assignedPartitions());
        m.pendingRevocation = toMap(value.partitionsPendingRevocation());
    }

    private static Map<Uuid, Set<Integer>> toMap(List<ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions> list) {
        Map<Uuid, Set<Integer>> m = new HashMap<>();
        for (ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions tp : list) {
            m.put(tp.topicId(), new HashSet<>(tp.partitions()));
        }
        return m;
    }

    /** After loading: the subscribed topics as the loaded target saw them, and a session for each member. */
    void loaded() {
        assignedTopics = subscribedTopicPartitions(shard.image());
        for (Member m : members.values()) {
            scheduleSession(m);
        }
    }

    // ------------------------------------------------------------------ heartbeat

    CompletableFuture<ConsumerGroupHeartbeatResponse> heartbeat(ConsumerGroupHeartbeatRequest request, String clientId,
                                                                 String clientHost) {
        List<CoordinatorRecord> records = new ArrayList<>();
        int epoch = request.memberEpoch();
        String memberId = request.memberId();
        if (epoch < 0) {
            Member m = members.get(memberId);
            if (m == null) {
                return failed(ErrorCode.UNKNOWN_MEMBER_ID, "member " + memberId + " is not in group " + groupId);
            }
            if (epoch == LEFT_STATIC_EPOCH && m.instanceId != null) {
                return leaveStatic(m, records);
            }
            log.info("Member {} of consumer group {} left", LogSafe.of(memberId), LogSafe.of(groupId));
            removeMember(m, records);
            if (!shard.downgradeIfOnlyClassicMembers(this, records)) {
                bumpEpoch(records);
                computeTarget(records);
            }
            return write(records, new ConsumerGroupHeartbeatResponse().setMemberId(memberId).setMemberEpoch(epoch)
                .setHeartbeatIntervalMs(heartbeatIntervalMs()));
        }
        Member member = members.get(memberId);
        boolean changed = false;
        boolean joined = false;
        if (epoch == 0) {
            if (member == null) {
                Member previous = request.instanceId() == null ? null : staticMember(request.instanceId());
                if (previous != null && previous.memberEpoch == LEFT_STATIC_EPOCH) {
                    member = takeOver(previous, memberId, records);
                    joined = true;
                } else {
                    if (previous != null) {
                        removeMember(previous, records);
                    }
                    if (members.size() >= shard.config().consumerMaxSize()) {
                        return failed(ErrorCode.GROUP_MAX_SIZE_REACHED, "group " + groupId + " has reached its maximum size");
                    }
                    member = new Member(memberId);
                    members.put(memberId, member);
                    changed = true;
                    joined = true;
                }
            }
        } else if (member == null) {
            return failed(ErrorCode.UNKNOWN_MEMBER_ID, "member " + memberId + " is not in group " + groupId);
        } else if (epoch != member.memberEpoch
            && !(epoch == member.previousMemberEpoch && ownsOnly(request.topicPartitions(), member.assigned))) {
            return failed(ErrorCode.FENCED_MEMBER_EPOCH, "member epoch " + epoch + " of " + memberId
                + " is not its current epoch " + member.memberEpoch);
        }
        changed |= updateMember(member, request, clientId, clientHost);
        if (changed) {
            records.add(GroupRecords.member(groupId, memberId, member.metadataRecord()));
        }
        MetadataImage image = shard.image();
        if (changed || image.version() != checkedImageVersion
            && !subscribedTopicPartitions(image).equals(assignedTopics)) {
            bumpEpoch(records);
        }
        checkedImageVersion = image.version();
        if (groupEpoch > assignmentEpoch) {
            computeTarget(records);
        }
        Map<Uuid, Set<Integer>> before = copy(member.assigned);
        int epochBefore = member.memberEpoch;
        byte stateBefore = member.state;
        reconcile(member, request.topicPartitions());
        boolean assignmentChanged = !before.equals(member.assigned);
        if (assignmentChanged || epochBefore != member.memberEpoch || stateBefore != member.state || epoch == 0) {
            records.add(GroupRecords.currentAssignment(groupId, memberId, member.assignmentRecord()));
        }
        scheduleSession(member);
        ConsumerGroupHeartbeatResponse response = new ConsumerGroupHeartbeatResponse().setMemberId(memberId)
            .setMemberEpoch(member.memberEpoch).setHeartbeatIntervalMs(heartbeatIntervalMs());
        if (epoch == 0 || assignmentChanged || request.topicPartitions() != null
            && !owned(request.topicPartitions()).equals(member.assigned)) {
            response.setAssignment(assignment(member.assigned));
        }
        CompletableFuture<ConsumerGroupHeartbeatResponse> answer = write(records, response);
        if (!joined) {
            return answer;
        }
        // A member whose joining could not be written (its subscription too large for a batch of
        // __consumer_offsets, say) must not stay in memory only: each such join would otherwise
        // keep up to a request's worth of subscription that no log record backs.
        Member added = member;
        return answer.thenApply(r -> {
            if (r.errorCode() != ErrorCode.NONE.code() && members.get(memberId) == added) {
                fence(added);
            }
            return r;
        });
    }

    private CompletableFuture<ConsumerGroupHeartbeatResponse> write(List<CoordinatorRecord> records,
                                                                    ConsumerGroupHeartbeatResponse response) {
        return shard.write(records).handle((v, failure) -> {
            if (failure != null) {
                return new ConsumerGroupHeartbeatResponse().setErrorCode(CoordinatorException.clientError(failure).code())
                    .setErrorMessage("the group state could not be written");
            }
            return response;
        });
    }

    private static CompletableFuture<ConsumerGroupHeartbeatResponse> failed(ErrorCode error, String message) {
        return CompletableFuture.completedFuture(
            new ConsumerGroupHeartbeatResponse().setErrorCode(error.code()).setErrorMessage(message).setMemberEpoch(-1));
    }

    /** Validates a heartbeat that no member state depends on; null if fine. */
    static ErrorCode validate(ConsumerGroupHeartbeatRequest request, GroupConfig config, StringBuilder message) {
        if (request.groupId() == null || request.groupId().isEmpty()) {
            message.append("the group id is empty");
            return ErrorCode.INVALID_REQUEST;
        }
        // Null means unchanged; an empty one would be stored and shown as an id (Kafka refuses it too).
        if (request.instanceId() != null && request.instanceId().isEmpty()
            || request.rackId() != null && request.rackId().isEmpty()) {
            message.append("the instance id and rack id may be null but not empty");
            return ErrorCode.INVALID_REQUEST;
        }
        if (request.memberEpoch() == -2 && request.instanceId() == null) {
            message.append("only a static member (with an instance id) leaves with epoch -2");
            return ErrorCode.INVALID_REQUEST;
        }
        if (request.memberEpoch() == 0) {
            if (request.rebalanceTimeoutMs() == -1) {
                message.append("a joining member must give its rebalance timeout");
                return ErrorCode.INVALID_REQUEST;
            }
            if (request.topicPartitions() == null || !request.topicPartitions().isEmpty()) {
                message.append("a joining member must send an empty list of owned partitions");
                return ErrorCode.INVALID_REQUEST;
            }
            if (request.subscribedTopicNames() == null && request.subscribedTopicRegex() == null) {
                message.append("a joining member must give its subscription");
                return ErrorCode.INVALID_REQUEST;
            }
        }
        if (request.memberId().isEmpty() && request.memberEpoch() != 0) {
            message.append("the member id is empty");
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }
        if (request.memberEpoch() < -2) {
            message.append("member epoch " + request.memberEpoch() + " is not valid");
            return ErrorCode.INVALID_REQUEST;
        }
        if (request.serverAssignor() != null && !config.assignors().contains(request.serverAssignor())) {
            message.append("assignor " + request.serverAssignor() + " is not one of " + config.assignors());
            return ErrorCode.UNSUPPORTED_ASSIGNOR;
        }
        if (request.subscribedTopicRegex() != null && !request.subscribedTopicRegex().isEmpty()) {
            try {
                SubscriptionRegex.compile(request.subscribedTopicRegex());
            } catch (PatternSyntaxException e) {
                message.append("invalid subscription pattern: " + e.getDescription());
                return ErrorCode.INVALID_REGULAR_EXPRESSION;
            }
        }
        return null;
    }

    /**
     * KIP-848: a static member that leaves (epoch -2) keeps its place, its partitions and its
     * target for the session timeout, so that its instance, back within that time, takes them
     * over without a rebalance ({@link #takeOver}); nobody else gets them meanwhile. Its session
     * timer runs from the leave.
     */
    private CompletableFuture<ConsumerGroupHeartbeatResponse> leaveStatic(Member m, List<CoordinatorRecord> records) {
        log.info("Static member {} (instance {}) of consumer group {} left; its partitions wait {} ms for the instance"
                + " to come back", LogSafe.of(m.memberId), LogSafe.of(m.instanceId), LogSafe.of(groupId),
            sessionTimeoutMs());
        if (m.memberEpoch != LEFT_STATIC_EPOCH) {
            m.previousMemberEpoch = m.memberEpoch;
            m.memberEpoch = LEFT_STATIC_EPOCH;
            records.add(GroupRecords.currentAssignment(groupId, m.memberId, m.assignmentRecord()));
        }
        shard.cancel(revocationKey(m.memberId));
        scheduleSession(m);
        return write(records, new ConsumerGroupHeartbeatResponse().setMemberId(m.memberId)
            .setMemberEpoch(LEFT_STATIC_EPOCH).setHeartbeatIntervalMs(heartbeatIntervalMs()));
    }

    /**
     * A static member's instance back under a new member id after leaving with epoch -2: the new
     * member takes the old one's subscription, partitions, target and epoch; the group's epoch
     * does not move, so nobody else notices.
     */
    private Member takeOver(Member previous, String memberId, List<CoordinatorRecord> records) {
        Member m = new Member(memberId);
        m.instanceId = previous.instanceId;
        m.rackId = previous.rackId;
        m.rebalanceTimeoutMs = previous.rebalanceTimeoutMs;
        m.subscribedTopicNames = previous.subscribedTopicNames;
        setRegex(m, previous.subscribedTopicRegex);
        m.serverAssignor = previous.serverAssignor;
        m.memberEpoch = previous.previousMemberEpoch;
        m.previousMemberEpoch = -1;
        m.state = previous.state;
        m.assigned = copy(previous.assigned);
        m.pendingRevocation = copy(previous.pendingRevocation);
        Map<Uuid, Set<Integer>> goal = target.get(previous.memberId);
        removeMember(previous, records);
        members.put(memberId, m);
        records.add(GroupRecords.member(groupId, memberId, m.metadataRecord()));
        if (goal != null) {
            target.put(memberId, goal);
            records.add(GroupRecords.targetAssignment(groupId, memberId, targetValue(goal)));
        }
        log.info("Static member {} of consumer group {} is back as {} with its partitions",
            LogSafe.of(m.instanceId), LogSafe.of(groupId), LogSafe.of(memberId));
        return m;
    }

    private Member staticMember(String instanceId) {
        for (Member m : members.values()) {
            if (instanceId.equals(m.instanceId)) {
                return m;
            }
        }
        return null;
    }

    private static boolean ownsOnly(List<ConsumerGroupHeartbeatRequest.TopicPartitions> owned,
                                    Map<Uuid, Set<Integer>> assigned) {
        if (owned == null) {
            return false;
        }
        for (ConsumerGroupHeartbeatRequest.TopicPartitions tp : owned) {
            Set<Integer> a = assigned.getOrDefault(tp.topicId(), Set.of());
            if (!a.containsAll(tp.partitions())) {
                return false;
            }
        }
        return true;
    }

    private static Map<Uuid, Set<Integer>> owned(List<ConsumerGroupHeartbeatRequest.TopicPartitions> list) {
        Map<Uuid, Set<Integer>> m = new HashMap<>();
        for (ConsumerGroupHeartbeatRequest.TopicPartitions tp : list) {
            if (!tp.partitions().isEmpty()) {
                m.computeIfAbsent(tp.topicId(), k -> new HashSet<>()).addAll(tp.partitions());
            }
        }
        return m;
    }

    /** Applies the fields a heartbeat sets (null means unchanged); whether anything that matters changed. */
    private boolean updateMember(Member m, ConsumerGroupHeartbeatRequest r, String clientId, String clientHost) {
        boolean changed = false;
        m.clientId = clientId;
        m.clientHost = clientHost;
        if (r.instanceId() != null && !r.instanceId().equals(m.instanceId)) {
            m.instanceId = r.instanceId();
            changed = true;
        }
        if (r.rackId() != null && !r.rackId().equals(m.rackId)) {
            m.rackId = r.rackId();
            changed = true;
        }
        if (r.rebalanceTimeoutMs() > 0 && r.rebalanceTimeoutMs() != m.rebalanceTimeoutMs) {
            m.rebalanceTimeoutMs = r.rebalanceTimeoutMs();
        }
        if (r.subscribedTopicNames() != null && !new TreeSet<>(r.subscribedTopicNames()).equals(
            new TreeSet<>(m.subscribedTopicNames))) {
            m.subscribedTopicNames = List.copyOf(new TreeSet<>(r.subscribedTopicNames()));
            changed = true;
        }
        if (r.subscribedTopicRegex() != null && !r.subscribedTopicRegex().equals(m.subscribedTopicRegex)) {
            setRegex(m, r.subscribedTopicRegex().isEmpty() ? null : r.subscribedTopicRegex());
            changed = true;
        }
        if (r.serverAssignor() != null && !r.serverAssignor().equals(m.serverAssignor)) {
            m.serverAssignor = r.serverAssignor();
            changed = true;
        }
        return changed;
    }

    /** Validated by {@link #validate} before it gets here, or written by this broker. */
    private static void setRegex(Member m, String regex) {
        m.subscribedTopicRegex = regex;
        try {
            m.subscribedPattern = regex == null ? null : SubscriptionRegex.compile(regex);
        } catch (PatternSyntaxException e) {
            // Only a damaged record could hold one; the member then matches no topic by pattern.
            m.subscribedPattern = null;
        }
    }

    private void bumpEpoch(List<CoordinatorRecord> records) {
        groupEpoch++;
        shard.rebalanced();
        records.add(GroupRecords.consumerGroupEpoch(groupId, groupEpoch));
    }

    private void removeMember(Member m, List<CoordinatorRecord> records) {
        members.remove(m.memberId);
        target.remove(m.memberId);
        shard.cancel(sessionKey(m.memberId));
        shard.cancel(revocationKey(m.memberId));
        shard.cancel(joinKey(m.memberId));
        awaitingJoin.remove(m.memberId);
        records.add(GroupRecords.memberTombstone(GroupRecords.CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT, groupId,
            m.memberId));
        records.add(GroupRecords.memberTombstone(GroupRecords.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER, groupId,
            m.memberId));
        records.add(GroupRecords.memberTombstone(GroupRecords.CONSUMER_GROUP_MEMBER_METADATA, groupId, m.memberId));
        if (members.isEmpty()) {
            stateTimestamp = shard.now();
        }
    }

    // ------------------------------------------------------------------ assignment

    /** Topics some member subscribes to (by name or pattern), with their partition counts. */
    private Map<Uuid, Integer> subscribedTopicPartitions(MetadataImage image) {
        Map<Uuid, Integer> topics = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        for (Member m : members.values()) {
            for (TopicImage t : subscribedTopics(m, image)) {
                topics.put(t.id(), t.partitions().size());
            }
        }
        return topics;
    }

    private List<TopicImage> subscribedTopics(Member m, MetadataImage image) {
        List<TopicImage> topics = new ArrayList<>();
        for (String name : m.subscribedTopicNames) {
            image.topic(name).ifPresent(topics::add);
        }
        if (m.subscribedPattern != null) {
            for (TopicImage t : matchingTopics(m.subscribedPattern, image)) {
                if (!m.subscribedTopicNames.contains(t.name())) {
                    topics.add(t);
                }
            }
        }
        return topics;
    }

    /**
     * The non-internal topics whose names {@code regex} matches, resolved once per pattern and
     * metadata version: members usually share one pattern, and a heartbeat should not match every
     * topic name again for each of them.
     */
    private List<TopicImage> matchingTopics(SubscriptionRegex regex, MetadataImage image) {
        if (image.version() != resolvedImageVersion || resolved.size() > members.size()) {
            // Also cleared when patterns members no longer use could pile up.
            resolved.clear();
            resolvedImageVersion = image.version();
        }
        return resolved.computeIfAbsent(regex.toString(), k -> {
            List<TopicImage> matching = new ArrayList<>();
            for (TopicImage t : image.topics()) {
                if (!t.isInternal() && regex.matches(t.name())) {
                    matching.add(t);
                }
            }
            return matching;
        });
    }

    private String assignorName() {
        Map<String, Integer> votes = new HashMap<>();
        for (Member m : members.values()) {
            if (m.serverAssignor != null) {
                votes.merge(m.serverAssignor, 1, Integer::sum);
            }
        }
        return votes.entrySet().stream().max(Map.Entry.<String, Integer>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey()))
            .map(Map.Entry::getKey).orElse(shard.config().assignors().get(0));
    }

    private static ConsumerGroupTargetAssignmentMemberValue targetValue(Map<Uuid, Set<Integer>> assignment) {
        List<ConsumerGroupTargetAssignmentMemberValue.TopicPartitions> tps = new ArrayList<>();
        assignment.forEach((id, ps) -> tps.add(new ConsumerGroupTargetAssignmentMemberValue.TopicPartitions()
            .setTopicId(id).setPartitions(new ArrayList<>(new TreeSet<>(ps)))));
        return new ConsumerGroupTargetAssignmentMemberValue().setTopicPartitions(tps);
    }

    /** Computes the target assignment for the current group epoch and records what changed. */
    private void computeTarget(List<CoordinatorRecord> records) {
        MetadataImage image = shard.image();
        Map<String, List<TopicImage>> subscriptions = new LinkedHashMap<>();
        for (Member m : members.values()) {
            subscriptions.put(m.memberId, subscribedTopics(m, image));
        }
        Map<String, Map<Uuid, Set<Integer>>> next = ServerAssignor.assign(assignorName(), subscriptions, target);
        for (Map.Entry<String, Map<Uuid, Set<Integer>>> e : next.entrySet()) {
            if (!e.getValue().equals(target.get(e.getKey()))) {
                records.add(GroupRecords.targetAssignment(groupId, e.getKey(), targetValue(e.getValue())));
            }
        }
        target.clear();
        target.putAll(next);
        assignmentEpoch = groupEpoch;
        assignedTopics = subscribedTopicPartitions(image);
        checkedImageVersion = image.version();
        records.add(GroupRecords.targetAssignmentEpoch(groupId, assignmentEpoch));
    }

    /**
     * Moves {@code m} towards its target: first it must revoke what it loses; then it takes the
     * target epoch and whatever of its new partitions no other member still holds.
     */
    private void reconcile(Member m, List<ConsumerGroupHeartbeatRequest.TopicPartitions> owned) {
        if (m.state == UNREVOKED_PARTITIONS) {
            if (owned == null || intersects(owned(owned), m.pendingRevocation)) {
                return;
            }
            m.pendingRevocation = new HashMap<>();
            shard.cancel(revocationKey(m.memberId));
        }
        if (m.memberEpoch == assignmentEpoch && m.state == STABLE) {
            return;
        }
        Map<Uuid, Set<Integer>> goal = target.getOrDefault(m.memberId, Map.of());
        Map<Uuid, Set<Integer>> keep = new HashMap<>();
        Map<Uuid, Set<Integer>> revoke = new HashMap<>();
        m.assigned.forEach((id, ps) -> {
            for (int p : ps) {
                (goal.getOrDefault(id, Set.of()).contains(p) ? keep : revoke).computeIfAbsent(id, k -> new HashSet<>()).add(p);
            }
        });
        if (!revoke.isEmpty()) {
            m.assigned = keep;
            m.pendingRevocation = revoke;
            m.state = UNREVOKED_PARTITIONS;
            String memberId = m.memberId;
            int epoch = m.memberEpoch;
            shard.schedule(revocationKey(memberId), Math.max(m.rebalanceTimeoutMs, 1),
                () -> revocationExpired(memberId, epoch));
            return;
        }
        Set<String> held = new HashSet<>();
        for (Member other : members.values()) {
            if (other != m) {
                other.assigned.forEach((id, ps) -> ps.forEach(p -> held.add(id + ":" + p)));
                other.pendingRevocation.forEach((id, ps) -> ps.forEach(p -> held.add(id + ":" + p)));
            }
        }
        boolean unreleased = false;
        Map<Uuid, Set<Integer>> next = copy(keep);
        for (Map.Entry<Uuid, Set<Integer>> e : goal.entrySet()) {
            for (int p : e.getValue()) {
                if (keep.getOrDefault(e.getKey(), Set.of()).contains(p)) {
                    continue;
                }
                if (held.contains(e.getKey() + ":" + p)) {
                    unreleased = true;
                } else {
                    next.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(p);
                }
            }
        }
        if (m.memberEpoch != assignmentEpoch) {
            m.previousMemberEpoch = m.memberEpoch;
            m.memberEpoch = assignmentEpoch;
        }
        m.assigned = next;
        m.state = unreleased ? UNRELEASED_PARTITIONS : STABLE;
    }

    private static boolean intersects(Map<Uuid, Set<Integer>> a, Map<Uuid, Set<Integer>> b) {
        for (Map.Entry<Uuid, Set<Integer>> e : a.entrySet()) {
            Set<Integer> other = b.get(e.getKey());
            if (other != null) {
                for (int p : e.getValue()) {
                    if (other.contains(p)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static Map<Uuid, Set<Integer>> copy(Map<Uuid, Set<Integer>> m) {
        Map<Uuid, Set<Integer>> c = new HashMap<>();
        m.forEach((k, v) -> c.put(k, new HashSet<>(v)));
        return c;
    }

    private static ConsumerGroupHeartbeatResponse.Assignment assignment(Map<Uuid, Set<Integer>> assigned) {
        List<ConsumerGroupHeartbeatResponse.TopicPartitions> list = new ArrayList<>();
        assigned.forEach((id, ps) -> {
            if (!ps.isEmpty()) {
                list.add(new ConsumerGroupHeartbeatResponse.TopicPartitions().setTopicId(id)
                    .setPartitions(new ArrayList<>(new TreeSet<>(ps))));
            }
        });
        return new ConsumerGroupHeartbeatResponse.Assignment().setTopicPartitions(list);
    }

    // ------------------------------------------------------------------ classic members (KIP-848 migration)

    /**
     * A consumer group made from a classic group with members whose protocol type is "consumer"
     * (a KIP-848 member joins it, {@code group.consumer.migration.policy} allowing the upgrade): each
     * classic member becomes a member that still speaks the classic protocol, with its subscription
     * and the partitions it holds, at the classic generation, which the group epoch and the target
     * assignment take too; nothing moves until the new member's heartbeat bumps the epoch.
     * {@code records} gets the group's records. Null when a member's bytes are not the consumer
     * protocol.
     */
    static ConsumerGroup fromClassic(ClassicGroup classic, GroupShard shard, List<CoordinatorRecord> records) {
        ConsumerGroup cg = new ConsumerGroup(classic.groupId(), shard);
        MetadataImage image = shard.image();
        int generation = classic.generation();
        for (ClassicGroup.Member cm : classic.members().values()) {
            byte[] metadata = cm.metadata(classic.protocolName());
            var subscription = ConsumerProtocol.subscription(metadata);
            if (subscription.isEmpty()) {
                return null;
            }
            Member m = new Member(cm.memberId);
            m.instanceId = cm.groupInstanceId;
            m.clientId = cm.clientId;
            m.clientHost = cm.clientHost;
            m.rebalanceTimeoutMs = cm.rebalanceTimeoutMs;
            m.rackId = subscription.get().rackId();
            m.subscribedTopicNames = List.copyOf(new TreeSet<>(subscription.get().topics()));
            m.classic = new Classic(cm.sessionTimeoutMs, List.copyOf(cm.protocols));
            m.memberEpoch = generation;
            m.previousMemberEpoch = generation;
            m.assigned = byId(ConsumerProtocol.assignment(cm.assignment), image);
            cg.members.put(m.memberId, m);
            cg.target.put(m.memberId, copy(m.assigned));
        }
        cg.groupEpoch = generation;
        cg.assignmentEpoch = generation;
        cg.assignedTopics = cg.subscribedTopicPartitions(image);
        cg.checkedImageVersion = image.version();
        records.add(GroupRecords.consumerGroupEpoch(cg.groupId, generation));
        for (Member m : cg.members.values()) {
            records.add(GroupRecords.member(cg.groupId, m.memberId, m.metadataRecord()));
            records.add(GroupRecords.targetAssignment(cg.groupId, m.memberId, targetValue(m.assigned)));
            records.add(GroupRecords.currentAssignment(cg.groupId, m.memberId, m.assignmentRecord()));
        }
        records.add(GroupRecords.targetAssignmentEpoch(cg.groupId, generation));
        cg.members.values().forEach(cg::scheduleSession);
        return cg;
    }

    private static Map<Uuid, Set<Integer>> byId(Map<String, Set<Integer>> byName, MetadataImage image) {
        Map<Uuid, Set<Integer>> out = new HashMap<>();
        byName.forEach((name, ps) -> image.topic(name).ifPresent(t -> out.computeIfAbsent(t.id(), k -> new HashSet<>())
            .addAll(ps)));
        return out;
    }

    private static Map<String, Set<Integer>> byName(Map<Uuid, Set<Integer>> byId, MetadataImage image) {
        Map<String, Set<Integer>> out = new HashMap<>();
        byId.forEach((id, ps) -> image.topic(id).ifPresent(t -> out.computeIfAbsent(t.name(), k -> new HashSet<>())
            .addAll(ps)));
        return out;
    }

    /** Whether every member left speaks the classic protocol (and there is one): the group may become classic again. */
    boolean onlyClassicMembers() {
        return !members.isEmpty() && members.values().stream().allMatch(m -> m.classic != null);
    }

    /**
     * The classic group record of this group's classic members, at the group epoch, each with its
     * partitions as consumer-protocol assignment bytes: what the group becomes when its last KIP-848
     * member has left. The protocol is the first one every member supports.
     */
    GroupMetadataValue toClassicRecord() {
        MetadataImage image = shard.image();
        String protocol = null;
        for (ClassicGroup.Protocol p : members.values().iterator().next().classic.protocols()) {
            if (members.values().stream().allMatch(m -> m.classic.protocols().stream()
                .anyMatch(q -> q.name().equals(p.name())))) {
                protocol = p.name();
                break;
            }
        }
        List<GroupMetadataValue.MemberMetadata> list = new ArrayList<>();
        String leader = null;
        for (Member m : members.values()) {
            String chosen = protocol;
            byte[] subscription = m.classic.protocols().stream().filter(p -> p.name().equals(chosen)).findFirst()
                .map(ClassicGroup.Protocol::metadata).orElse(new byte[0]);
            list.add(new GroupMetadataValue.MemberMetadata().setMemberId(m.memberId).setGroupInstanceId(m.instanceId)
                .setClientId(m.clientId).setClientHost(m.clientHost)
                .setRebalanceTimeout(m.rebalanceTimeoutMs > 0 ? m.rebalanceTimeoutMs : m.classic.sessionTimeoutMs())
                .setSessionTimeout(m.classic.sessionTimeoutMs()).setSubscription(subscription)
                .setAssignment(ConsumerProtocol.encodeAssignment(byName(m.assigned, image),
                    ConsumerProtocol.version(subscription))));
            if (leader == null) {
                leader = m.memberId;
            }
        }
        return new GroupMetadataValue().setProtocolType("consumer").setGeneration(groupEpoch).setProtocol(protocol)
            .setLeader(leader).setCurrentStateTimestamp(shard.now()).setMembers(list);
    }

    /** Tombstones for every record of the group, members included (it becomes a classic group). */
    List<CoordinatorRecord> allTombstones() {
        List<CoordinatorRecord> records = new ArrayList<>();
        for (String id : members.keySet()) {
            records.add(GroupRecords.memberTombstone(GroupRecords.CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT, groupId, id));
            records.add(GroupRecords.memberTombstone(GroupRecords.CONSUMER_GROUP_MEMBER_METADATA, groupId, id));
        }
        records.addAll(tombstones());
        return records;
    }

    /**
     * JoinGroup from a member speaking the classic protocol (a consumer not yet on KIP-848): it is
     * a member of this group like any other, its subscription taken from the consumer-protocol
     * bytes it sends, and its join is answered at once with its member epoch as the generation;
     * SyncGroup then hands it its partitions. It gives partitions up by joining again (the
     * partitions it still owns are in its subscription), which its heartbeats ask for with
     * REBALANCE_IN_PROGRESS whenever the group's assignment moved on without it.
     */
    CompletableFuture<JoinGroupResponse> classicJoin(JoinGroupRequest request, short version, String clientId,
                                                     String clientHost) {
        if (!"consumer".equals(request.protocolType()) || request.protocols().isEmpty()) {
            return done(ClassicGroup.joinError(request.memberId(), ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
        }
        List<ClassicGroup.Protocol> protocols = new ArrayList<>();
        request.protocols().forEach(p -> protocols.add(new ClassicGroup.Protocol(p.name(), p.metadata())));
        var subscription = ConsumerProtocol.subscription(protocols.get(0).metadata());
        if (subscription.isEmpty()) {
            return done(ClassicGroup.joinError(request.memberId(), ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
        }
        String memberId = request.memberId();
        String instanceId = request.groupInstanceId();
        List<CoordinatorRecord> records = new ArrayList<>();
        Member member;
        if (instanceId != null) {
            Member existing = staticMember(instanceId);
            if (existing != null && !memberId.isEmpty() && !memberId.equals(existing.memberId)) {
                return done(ClassicGroup.joinError(memberId, ErrorCode.FENCED_INSTANCE_ID));
            }
            if (existing != null && memberId.isEmpty()) {
                member = takeOver(existing, java.util.UUID.randomUUID().toString(), records);
            } else if (existing != null) {
                member = existing;
            } else {
                if (members.size() >= shard.config().consumerMaxSize()) {
                    return done(ClassicGroup.joinError(memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
                }
                member = new Member(memberId.isEmpty() ? java.util.UUID.randomUUID().toString() : memberId);
                members.put(member.memberId, member);
            }
        } else if (memberId.isEmpty()) {
            String fresh = java.util.UUID.randomUUID().toString();
            if (version >= 4) {
                // As for a classic group: the member learns its id and joins again with it.
                return done(ClassicGroup.joinError(fresh, ErrorCode.MEMBER_ID_REQUIRED));
            }
            if (members.size() >= shard.config().consumerMaxSize()) {
                return done(ClassicGroup.joinError(memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
            }
            member = new Member(fresh);
            members.put(fresh, member);
        } else {
            member = members.get(memberId);
            if (member == null) {
                if (members.size() >= shard.config().consumerMaxSize()) {
                    return done(ClassicGroup.joinError(memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
                }
                // A member id this coordinator handed out in MEMBER_ID_REQUIRED.
                member = new Member(memberId);
                members.put(memberId, member);
            }
        }
        member.instanceId = instanceId;
        member.clientId = clientId;
        member.clientHost = clientHost;
        member.classic = new Classic(request.sessionTimeoutMs(), protocols);
        if (request.rebalanceTimeoutMs() > 0) {
            member.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
        }
        String rack = subscription.get().rackId();
        if (rack != null && !rack.equals(member.rackId)) {
            member.rackId = rack;
        }
        boolean subscriptionChanged = !new TreeSet<>(subscription.get().topics()).equals(
            new TreeSet<>(member.subscribedTopicNames)) || member.subscribedTopicRegex != null;
        if (subscriptionChanged) {
            member.subscribedTopicNames = List.copyOf(new TreeSet<>(subscription.get().topics()));
            setRegex(member, null);
        }
        records.add(GroupRecords.member(groupId, member.memberId, member.metadataRecord()));
        MetadataImage image = shard.image();
        if (subscriptionChanged || image.version() != checkedImageVersion
            && !subscribedTopicPartitions(image).equals(assignedTopics)) {
            bumpEpoch(records);
        }
        checkedImageVersion = image.version();
        if (groupEpoch > assignmentEpoch) {
            computeTarget(records);
        }
        List<ConsumerGroupHeartbeatRequest.TopicPartitions> owned = new ArrayList<>();
        Map<Uuid, Set<Integer>> ownedById = new HashMap<>();
        for (var tp : subscription.get().ownedPartitions()) {
            image.topic(tp.topic()).ifPresent(t -> ownedById.computeIfAbsent(t.id(), k -> new HashSet<>())
                .addAll(tp.partitions()));
        }
        ownedById.forEach((id, ps) -> owned.add(new ConsumerGroupHeartbeatRequest.TopicPartitions().setTopicId(id)
            .setPartitions(new ArrayList<>(ps))));
        // Joining again is how a classic member gives up partitions: what it no longer lists, it
        // has revoked (an eager member lists nothing). What it lists and must lose, it is told by the
        // SyncGroup answer that leaves it out, and gives up before it joins once more.
        member.assigned.keySet().retainAll(ownedById.keySet());
        member.assigned.forEach((id, ps) -> ps.retainAll(ownedById.getOrDefault(id, Set.of())));
        member.assigned.values().removeIf(Set::isEmpty);
        reconcile(member, owned);
        records.add(GroupRecords.currentAssignment(groupId, member.memberId, member.assignmentRecord()));
        shard.cancel(joinKey(member.memberId));
        awaitingJoin.remove(member.memberId);
        scheduleSession(member);
        JoinGroupResponse response = new JoinGroupResponse().setMemberId(member.memberId)
            .setGenerationId(member.memberEpoch).setProtocolType("consumer")
            .setProtocolName(protocols.get(0).name()).setLeader("").setMembers(new ArrayList<>());
        String joined = member.memberId;
        return shard.write(records).handle((v, failure) -> failure != null
            ? ClassicGroup.joinError(joined, CoordinatorException.clientError(failure)) : response);
    }

    /** The member a classic request names, or the error to answer (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID). */
    private Object classicMember(String memberId, String instanceId) {
        Member m;
        if (instanceId != null) {
            m = staticMember(instanceId);
            if (m == null) {
                return ErrorCode.UNKNOWN_MEMBER_ID;
            }
            if (memberId != null && !memberId.isEmpty() && !memberId.equals(m.memberId)) {
                return ErrorCode.FENCED_INSTANCE_ID;
            }
        } else {
            m = members.get(memberId);
        }
        if (m == null || m.classic == null) {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }
        return m;
    }

    /** SyncGroup from a classic member: its partitions, as consumer-protocol assignment bytes. */
    SyncGroupResponse classicSync(SyncGroupRequest request) {
        Object found = classicMember(request.memberId(), request.groupInstanceId());
        if (found instanceof ErrorCode e) {
            return ClassicGroup.syncError(e);
        }
        Member m = (Member) found;
        if (request.generationId() != m.memberEpoch) {
            return ClassicGroup.syncError(ErrorCode.ILLEGAL_GENERATION);
        }
        String protocol = m.classic.protocols().get(0).name();
        if (request.protocolType() != null && !"consumer".equals(request.protocolType())
            || request.protocolName() != null && !protocol.equals(request.protocolName())) {
            return ClassicGroup.syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
        }
        if (m.memberEpoch < assignmentEpoch && m.state != UNREVOKED_PARTITIONS) {
            return ClassicGroup.syncError(ErrorCode.REBALANCE_IN_PROGRESS);
        }
        scheduleSession(m);
        byte[] assignment = ConsumerProtocol.encodeAssignment(byName(m.assigned, shard.image()),
            ConsumerProtocol.version(m.classic.protocols().get(0).metadata()));
        return new SyncGroupResponse().setProtocolType("consumer").setProtocolName(protocol).setAssignment(assignment);
    }

    /**
     * Heartbeat from a classic member: REBALANCE_IN_PROGRESS while the group's assignment has moved
     * on without it, or partitions meant for it have been released since it joined, so that it joins
     * again; it has its rebalance timeout to do so.
     */
    HeartbeatResponse classicHeartbeat(HeartbeatRequest request) {
        Object found = classicMember(request.memberId(), request.groupInstanceId());
        if (found instanceof ErrorCode e) {
            return new HeartbeatResponse().setErrorCode(e.code());
        }
        Member m = (Member) found;
        if (request.generationId() != m.memberEpoch) {
            return new HeartbeatResponse().setErrorCode(ErrorCode.ILLEGAL_GENERATION.code());
        }
        scheduleSession(m);
        boolean behind = m.memberEpoch < assignmentEpoch || m.state == UNREVOKED_PARTITIONS
            || m.state == UNRELEASED_PARTITIONS && !waitingOnOthers(m);
        if (!behind) {
            return new HeartbeatResponse();
        }
        String memberId = m.memberId;
        if (awaitingJoin.add(memberId)) {
            int epoch = m.memberEpoch;
            shard.schedule(joinKey(memberId), Math.max(m.rebalanceTimeoutMs, 1), () -> {
                awaitingJoin.remove(memberId);
                Member late = members.get(memberId);
                if (late != null && late.memberEpoch == epoch) {
                    log.info("Classic member {} of consumer group {} did not join again within {} ms; removing it",
                        LogSafe.of(memberId), LogSafe.of(groupId), late.rebalanceTimeoutMs);
                    fence(late);
                }
            });
        }
        return new HeartbeatResponse().setErrorCode(ErrorCode.REBALANCE_IN_PROGRESS.code());
    }

    /** Whether some partition of {@code m}'s target is still held by another member. */
    private boolean waitingOnOthers(Member m) {
        Map<Uuid, Set<Integer>> goal = target.getOrDefault(m.memberId, Map.of());
        for (Member other : members.values()) {
            if (other == m) {
                continue;
            }
            if (intersects(goal, other.assigned) || intersects(goal, other.pendingRevocation)) {
                return true;
            }
        }
        return false;
    }

    /** LeaveGroup from classic members: each leaves as a KIP-848 member would. */
    CompletableFuture<LeaveGroupResponse> classicLeave(LeaveGroupRequest request, short version) {
        List<LeaveGroupResponse.MemberResponse> answers = new ArrayList<>();
        List<CoordinatorRecord> records = new ArrayList<>();
        boolean left = false;
        List<LeaveGroupRequest.MemberIdentity> identities = version >= 3 ? request.members()
            : List.of(new LeaveGroupRequest.MemberIdentity().setMemberId(request.memberId()));
        for (LeaveGroupRequest.MemberIdentity id : identities) {
            Object found = classicMember(id.memberId(), id.groupInstanceId());
            LeaveGroupResponse.MemberResponse r = new LeaveGroupResponse.MemberResponse().setMemberId(id.memberId())
                .setGroupInstanceId(id.groupInstanceId());
            if (found instanceof ErrorCode e) {
                Member consumer = id.groupInstanceId() == null ? members.get(id.memberId()) : staticMember(id.groupInstanceId());
                if (consumer == null) {
                    r.setErrorCode(e.code());
                    answers.add(r);
                    continue;
                }
                found = consumer;
            }
            Member m = (Member) found;
            log.info("Member {} of consumer group {} left with LeaveGroup", LogSafe.of(m.memberId), LogSafe.of(groupId));
            removeMember(m, records);
            left = true;
            answers.add(r);
        }
        if (left && !shard.downgradeIfOnlyClassicMembers(this, records)) {
            bumpEpoch(records);
            computeTarget(records);
        }
        LeaveGroupResponse response = new LeaveGroupResponse();
        if (version >= 3) {
            response.setMembers(answers);
        } else if (!answers.isEmpty() && answers.get(0).errorCode() != ErrorCode.NONE.code()) {
            response.setErrorCode(answers.get(0).errorCode());
        }
        return shard.write(records).handle((v, failure) -> failure != null
            ? new LeaveGroupResponse().setErrorCode(CoordinatorException.clientError(failure).code()) : response);
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    // ------------------------------------------------------------------ timers

    private void scheduleSession(Member m) {
        String memberId = m.memberId;
        int timeout = m.classic != null ? m.classic.sessionTimeoutMs() : sessionTimeoutMs();
        shard.schedule(sessionKey(memberId), timeout, () -> {
            Member gone = members.get(memberId);
            if (gone != null) {
                log.info("Member {} of consumer group {} has failed (session timeout of {} ms expired); removing it",
                    LogSafe.of(memberId), LogSafe.of(groupId), timeout);
                fence(gone);
            }
        });
    }

    private void revocationExpired(String memberId, int epoch) {
        Member m = members.get(memberId);
        if (m != null && m.state == UNREVOKED_PARTITIONS && m.memberEpoch == epoch) {
            log.info("Member {} of consumer group {} did not revoke its partitions within {} ms; removing it",
                LogSafe.of(memberId), LogSafe.of(groupId), m.rebalanceTimeoutMs);
            fence(m);
        }
    }

    private void fence(Member m) {
        List<CoordinatorRecord> records = new ArrayList<>();
        removeMember(m, records);
        if (!shard.downgradeIfOnlyClassicMembers(this, records)) {
            bumpEpoch(records);
            computeTarget(records);
        }
        shard.write(records);
    }

    void cancelTimers() {
        for (String id : members.keySet()) {
            shard.cancel(sessionKey(id));
            shard.cancel(revocationKey(id));
            shard.cancel(joinKey(id));
        }
    }

    private String joinKey(String memberId) {
        return "consumer-classic-join:" + groupId + ":" + memberId;
    }

    private String sessionKey(String memberId) {
        return "consumer-session:" + groupId + ":" + memberId;
    }

    private String revocationKey(String memberId) {
        return "consumer-revoke:" + groupId + ":" + memberId;
    }

    // ------------------------------------------------------------------ offsets and describe

    /** NONE if a commit or fetch by {@code memberId} at {@code epoch} may proceed. */
    /** {@code consumer.session.timeout.ms} of this group (a GROUP config), else the broker's. */
    private int sessionTimeoutMs() {
        return groupInt(GroupConfigKeys.CONSUMER_SESSION_TIMEOUT_MS, shard.config().consumerSessionTimeoutMs());
    }

    /** {@code consumer.heartbeat.interval.ms} of this group (a GROUP config), else the broker's. */
    private int heartbeatIntervalMs() {
        return groupInt(GroupConfigKeys.CONSUMER_HEARTBEAT_INTERVAL_MS, shard.config().consumerHeartbeatIntervalMs());
    }

    private int groupInt(String key, int brokerValue) {
        return GroupConfigKeys.intValue(shard.image().groupConfigs(groupId), key, brokerValue);
    }

    ErrorCode validateMember(String memberId, int epoch, boolean staleIsIllegalGeneration) {
        if ((memberId == null || memberId.isEmpty()) && epoch < 0) {
            return members.isEmpty() ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
        }
        Member m = members.get(memberId);
        if (m == null) {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }
        if (epoch != m.memberEpoch) {
            return staleIsIllegalGeneration ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
        }
        return ErrorCode.NONE;
    }

    /** Names of the topics the members subscribe to (for OffsetDelete). */
    Set<String> subscribedTopicNames() {
        Set<String> names = new HashSet<>();
        MetadataImage image = shard.image();
        for (Member m : members.values()) {
            names.addAll(m.subscribedTopicNames);
            for (TopicImage t : subscribedTopics(m, image)) {
                names.add(t.name());
            }
        }
        return names;
    }

    ConsumerGroupDescribeResponse.DescribedGroup describe(MetadataImage image) {
        List<ConsumerGroupDescribeResponse.Member> list = new ArrayList<>();
        for (Member m : members.values()) {
            list.add(new ConsumerGroupDescribeResponse.Member().setMemberId(m.memberId).setInstanceId(m.instanceId)
                .setRackId(m.rackId).setMemberEpoch(m.memberEpoch).setClientId(m.clientId).setClientHost(m.clientHost)
                .setSubscribedTopicNames(m.subscribedTopicNames).setSubscribedTopicRegex(m.subscribedTopicRegex)
                .setAssignment(describeAssignment(m.assigned, image))
                .setTargetAssignment(describeAssignment(target.getOrDefault(m.memberId, Map.of()), image))
                .setMemberType(m.classic != null ? (byte) 0 : (byte) 1));
        }
        return new ConsumerGroupDescribeResponse.DescribedGroup().setGroupId(groupId).setGroupState(stateName())
            .setGroupEpoch(groupEpoch).setAssignmentEpoch(assignmentEpoch).setAssignorName(assignorName())
            .setMembers(list);
    }

    private static ConsumerGroupDescribeResponse.Assignment describeAssignment(Map<Uuid, Set<Integer>> a,
                                                                               MetadataImage image) {
        List<ConsumerGroupDescribeResponse.TopicPartitions> list = new ArrayList<>();
        a.forEach((id, ps) -> {
            String name = image.topic(id).map(TopicImage::name).orElse("");
            list.add(new ConsumerGroupDescribeResponse.TopicPartitions().setTopicId(id).setTopicName(name)
                .setPartitions(new ArrayList<>(new TreeSet<>(ps))));
        });
        return new ConsumerGroupDescribeResponse.Assignment().setTopicPartitions(list);
    }

    /** Tombstones for everything the group wrote (DeleteGroups of an empty group). */
    List<CoordinatorRecord> tombstones() {
        List<CoordinatorRecord> records = new ArrayList<>();
        for (String id : target.keySet()) {
            records.add(GroupRecords.memberTombstone(GroupRecords.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER, groupId, id));
        }
        records.add(GroupRecords.consumerGroupTombstone(GroupRecords.CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA, groupId));
        records.add(GroupRecords.consumerGroupTombstone(GroupRecords.CONSUMER_GROUP_METADATA, groupId));
        return records;
    }

    @Override
    public String toString() {
        return "consumer group " + groupId + " (epoch " + groupEpoch + ", " + members.size() + " members)";
    }
}
