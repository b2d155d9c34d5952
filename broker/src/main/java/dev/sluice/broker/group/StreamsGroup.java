package dev.sluice.broker.group;

import dev.sluice.broker.LogSafe;
import dev.sluice.broker.coordinator.CoordinatorException;
import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.group.records.ShareGroupTargetAssignmentMetadataValue;
import dev.sluice.broker.group.records.StreamsGroupCurrentMemberAssignmentValue;
import dev.sluice.broker.group.records.StreamsGroupMemberMetadataValue;
import dev.sluice.broker.group.records.StreamsGroupMetadataValue;
import dev.sluice.broker.group.records.StreamsGroupTargetAssignmentMemberValue;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.StreamsGroupDescribeResponse;
import dev.sluice.wire.message.StreamsGroupHeartbeatRequest;
import dev.sluice.wire.message.StreamsGroupHeartbeatResponse;
import java.util.ArrayList;
import java.util.Comparator;
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
 * A streams group (KIP-1071): the instances of one Kafka Streams application, each stream thread a
 * member, with the coordinator holding the application's topology and assigning its tasks.
 *
 * <p>The first member to join brings the topology; the coordinator checks it against the cluster
 * metadata on every heartbeat ({@link StreamsTopology}): source topics must exist, the partition
 * counts of repartition topics are derived from their inputs, changelogs get one partition per
 * task, and the internal topics that are missing are created by the broker (the heartbeat hands
 * them to the caller, which creates them with the client's rights). Until all of that holds, the
 * members are told why (the heartbeat's Status) and get no tasks.
 *
 * <p>Tasks move as partitions do in a KIP-848 consumer group: every change of membership or of the
 * configured topology bumps the group epoch; a target assignment is computed (balanced, each task
 * kept by its owner where the balance allows) at most every {@code streams.assignment.interval.ms},
 * and the first one of a group after {@code streams.initial.rebalance.delay.ms}; a member first
 * gives up the active tasks it loses, and gets a task only once no other member holds it.
 * Standby replicas ({@code streams.num.standby.replicas}) and warm-up tasks are not assigned, as no
 * warm-up tasks are by Kafka 4.4.
 *
 * <p>Static members ({@code group.instance.id}) are as in Kafka 4.4: one that closes leaves with
 * epoch -2 and keeps its place and tasks for the session timeout; its instance, back under a new
 * member id within that time, takes them over without a rebalance. An instance still held by a
 * member that has not left is UNRELEASED_INSTANCE_ID; a request naming an instance another member
 * id holds is FENCED_INSTANCE_ID.
 *
 * <p>Not thread-safe: owned by its shard's executor.
 */
final class StreamsGroup implements Group {
    private static final Logger log = LoggerFactory.getLogger(StreamsGroup.class);
    static final byte STABLE = 1;
    static final byte UNREVOKED_TASKS = 2;
    static final byte UNRELEASED_TASKS = 3;
    static final String ASSIGNOR = "sticky";
    private static final int TASK_OFFSET_INTERVAL_MS = 60_000;
    private static final long ACCEPTABLE_RECOVERY_LAG = 10_000;
    /** The epoch of a static member that left for now and may come back (KIP-848, KIP-1071). */
    static final int LEFT_STATIC_EPOCH = -2;

    /** One task: a subtopology's share of one partition of its input topics. */
    record TaskId(String subtopology, int partition) implements Comparable<TaskId> {
        @Override
        public int compareTo(TaskId o) {
            int c = subtopology.compareTo(o.subtopology);
            return c != 0 ? c : Integer.compare(partition, o.partition);
        }
    }

    static final class Member {
        final String memberId;
        String instanceId;
        String rackId;
        String clientId = "";
        String clientHost = "";
        int rebalanceTimeoutMs = -1;
        int topologyEpoch;
        String processId = "";
        StreamsGroupHeartbeatRequest.Endpoint endpoint;
        List<StreamsGroupHeartbeatRequest.KeyValue> clientTags = List.of();
        int memberEpoch;
        int previousMemberEpoch;
        byte state = STABLE;
        Set<TaskId> active = new TreeSet<>();
        Set<TaskId> pendingRevocation = new TreeSet<>();
        List<StreamsGroupHeartbeatRequest.TaskOffset> taskOffsets = List.of();
        List<StreamsGroupHeartbeatRequest.TaskOffset> taskEndOffsets = List.of();

        Member(String memberId) {
            this.memberId = memberId;
        }
    }

    /** What a heartbeat answers, and the internal topics the broker should create for the group. */
    record HeartbeatResult(StreamsGroupHeartbeatResponse response, List<Controller.NewTopic> topicsToCreate) {
    }

    private final String groupId;
    private final GroupShard shard;
    private int groupEpoch = 1;
    private long metadataHash;
    private int validatedTopologyEpoch = -1;
    private int assignmentEpoch = 1;
    private long assignmentTimestamp;
    private long stateTimestamp;
    private StreamsGroupHeartbeatRequest.Topology topology;
    private final LinkedHashMap<String, Member> members = new LinkedHashMap<>();
    private final Map<String, Set<TaskId>> target = new HashMap<>();
    private boolean initialDelayRunning;
    private boolean shutdownRequested;
    private int endpointEpoch;
    /** The topology as last checked against the metadata (not kept: recomputed after a load). */
    private StreamsTopology.Configured configured;

    StreamsGroup(String groupId, GroupShard shard) {
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
        if (topology == null || validatedTopologyEpoch != topology.epoch()) {
            return "NotReady";
        }
        if (groupEpoch > assignmentEpoch) {
            return "Assigning";
        }
        for (Member m : members.values()) {
            if (m.memberEpoch != assignmentEpoch || m.state != STABLE) {
                return "Reconciling";
            }
        }
        return "Stable";
    }

    @Override
    public String typeName() {
        return "streams";
    }

    @Override
    public String protocolType() {
        return "streams";
    }

    @Override
    public boolean isEmpty() {
        return members.isEmpty();
    }

    @Override
    public long stateTimestamp() {
        return stateTimestamp;
    }

    // ------------------------------------------------------------------ replay

    void replayMetadata(StreamsGroupMetadataValue v) {
        groupEpoch = v.epoch();
        metadataHash = v.metadataHash();
        validatedTopologyEpoch = v.validatedTopologyEpoch();
    }

    void replayTargetEpoch(ShareGroupTargetAssignmentMetadataValue v) {
        assignmentEpoch = v.assignmentEpoch();
        assignmentTimestamp = v.assignmentTimestamp();
    }

    void replayTopology(StreamsGroupHeartbeatRequest.Topology t) {
        topology = t;
        configured = null;
    }

    void replayMember(String memberId, StreamsGroupMemberMetadataValue v) {
        if (v == null) {
            members.remove(memberId);
            if (members.isEmpty()) {
                stateTimestamp = shard.now();
            }
            return;
        }
        Member m = members.computeIfAbsent(memberId, Member::new);
        m.instanceId = v.instanceId();
        m.rackId = v.rackId();
        m.clientId = v.clientId();
        m.clientHost = v.clientHost();
        m.rebalanceTimeoutMs = v.rebalanceTimeoutMs();
        m.topologyEpoch = v.topologyEpoch();
        m.processId = v.processId();
        m.endpoint = v.userEndpoint() == null ? null : new StreamsGroupHeartbeatRequest.Endpoint()
            .setHost(v.userEndpoint().host()).setPort(v.userEndpoint().port());
        List<StreamsGroupHeartbeatRequest.KeyValue> tags = new ArrayList<>();
        v.clientTags().forEach(t -> tags.add(new StreamsGroupHeartbeatRequest.KeyValue().setKey(t.key()).setValue(t.value())));
        m.clientTags = tags;
    }

    void replayTarget(String memberId, StreamsGroupTargetAssignmentMemberValue v) {
        if (v == null) {
            target.remove(memberId);
            return;
        }
        Set<TaskId> tasks = new TreeSet<>();
        v.activeTasks().forEach(t -> t.partitions().forEach(p -> tasks.add(new TaskId(t.subtopologyId(), p))));
        target.put(memberId, tasks);
    }

    void replayCurrent(String memberId, StreamsGroupCurrentMemberAssignmentValue v) {
        Member m = members.get(memberId);
        if (m == null || v == null) {
            return;
        }
        m.memberEpoch = v.memberEpoch();
        m.previousMemberEpoch = v.previousMemberEpoch();
        m.state = v.state();
        m.active = recordTasks(v.activeTasks());
        m.pendingRevocation = recordTasks(v.activeTasksPendingRevocation());
    }

    private static Set<TaskId> recordTasks(List<StreamsGroupCurrentMemberAssignmentValue.TaskIds> list) {
        Set<TaskId> out = new TreeSet<>();
        list.forEach(t -> t.partitions().forEach(p -> out.add(new TaskId(t.subtopologyId(), p))));
        return out;
    }

    /** After loading: a session for every member, and the revocation timers of those giving tasks up. */
    void loaded() {
        for (Member m : members.values()) {
            scheduleSession(m);
            if (m.state == UNREVOKED_TASKS) {
                scheduleRevocation(m);
            }
        }
    }

    void cancelTimers() {
        for (String id : members.keySet()) {
            shard.cancel(sessionKey(id));
            shard.cancel(revocationKey(id));
        }
        shard.cancel(initialDelayKey());
    }

    // ------------------------------------------------------------------ heartbeat

    /** Checks that need no group state, in Kafka's order; null when the request may go on. */
    static String invalid(StreamsGroupHeartbeatRequest r) {
        if (r.topology() != null) {
            for (StreamsGroupHeartbeatRequest.Subtopology s : r.topology().subtopologies()) {
                if (!s.sourceTopicRegex().isEmpty()) {
                    return "Regular expressions for source topics are not supported yet.";
                }
            }
        }
        if (r.memberId() == null || r.memberId().isBlank()) {
            return "MemberId can't be empty.";
        }
        if (r.groupId() == null || r.groupId().isBlank()) {
            return "GroupId can't be empty.";
        }
        if (r.instanceId() != null && r.instanceId().isBlank()) {
            return "InstanceId can't be empty.";
        }
        if (r.rackId() != null && r.rackId().isBlank()) {
            return "RackId can't be empty.";
        }
        if (r.memberEpoch() == 0) {
            if (r.rebalanceTimeoutMs() == -1) {
                return "RebalanceTimeoutMs must be provided in first request.";
            }
            if (r.activeTasks() == null || !r.activeTasks().isEmpty() || r.standbyTasks() == null
                || !r.standbyTasks().isEmpty() || r.warmupTasks() == null || !r.warmupTasks().isEmpty()) {
                return "ActiveTasks, StandbyTasks and WarmupTasks must be empty when (re-)joining.";
            }
            if (r.topology() == null) {
                return "Topology must be non-null when (re-)joining.";
            }
        }
        if (r.memberEpoch() == LEFT_STATIC_EPOCH && r.instanceId() == null) {
            return "InstanceId can't be null when leaving with MemberEpoch -2: only a static member leaves so.";
        }
        if (r.memberEpoch() < LEFT_STATIC_EPOCH) {
            return "MemberEpoch is " + r.memberEpoch() + ", but must be greater than or equal to -2.";
        }
        boolean anyTasks = r.activeTasks() != null || r.standbyTasks() != null || r.warmupTasks() != null;
        boolean allTasks = r.activeTasks() != null && r.standbyTasks() != null && r.warmupTasks() != null;
        if (anyTasks && !allTasks) {
            return "If one task-type is non-null, all must be non-null.";
        }
        if (r.memberEpoch() != 0 && r.topology() != null) {
            return "Topology can only be provided when (re-)joining.";
        }
        return null;
    }

    CompletableFuture<HeartbeatResult> heartbeat(StreamsGroupHeartbeatRequest request, String clientId,
                                                 String clientHost) {
        List<CoordinatorRecord> records = new ArrayList<>();
        String memberId = request.memberId();
        int epoch = request.memberEpoch();
        String instanceId = request.instanceId();
        if (epoch < 0) {
            Object found = leaving(memberId, instanceId);
            if (found instanceof HeartbeatFailure f) {
                return failed(f.error(), f.message());
            }
            Member m = (Member) found;
            if (epoch == LEFT_STATIC_EPOCH) {
                return leaveStatic(m, records);
            }
            log.info("Member {} of streams group {} left", LogSafe.of(memberId), LogSafe.of(groupId));
            removeMember(m, records);
            bumpEpoch(records);
            return write(records, new StreamsGroupHeartbeatResponse().setMemberId(memberId).setMemberEpoch(-1)
                .setHeartbeatIntervalMs(heartbeatIntervalMs()).setStatus(new ArrayList<>()), List.of());
        }
        if (instanceId != null && epoch != 0 && ownerOf(instanceId, memberId) instanceof HeartbeatFailure f) {
            return failed(f.error(), f.message());
        }
        Member member = members.get(memberId);
        boolean wasEmpty = members.isEmpty();
        boolean changed = false;
        if (epoch == 0) {
            Member previous = member == null && instanceId != null ? staticMember(instanceId) : null;
            if (previous != null && previous.memberEpoch != LEFT_STATIC_EPOCH) {
                return failed(ErrorCode.UNRELEASED_INSTANCE_ID, "Instance " + instanceId + " is still member "
                    + previous.memberId + " of streams group " + groupId + ", which has not left.");
            }
            if (previous != null) {
                // Not a change of membership: the group's epoch stays unless the member itself changed.
                member = takeOver(previous, memberId, records);
            } else if (member == null) {
                if (members.size() >= shard.config().streamsMaxSize()) {
                    return failed(ErrorCode.GROUP_MAX_SIZE_REACHED, "The streams group " + groupId
                        + " has reached its maximum size.");
                }
                member = new Member(memberId);
                members.put(memberId, member);
                changed = true;
            }
        } else if (member == null) {
            return failed(ErrorCode.UNKNOWN_MEMBER_ID, "Member " + memberId + " is not in streams group " + groupId + ".");
        } else if (epoch > member.memberEpoch || epoch < member.memberEpoch && (epoch != member.previousMemberEpoch
            || request.activeTasks() == null || !member.active.containsAll(tasks(request.activeTasks())))) {
            return failed(ErrorCode.FENCED_MEMBER_EPOCH, "The streams group member has a member epoch (" + epoch
                + ") which is not the current one (" + member.memberEpoch + ").");
        }
        if (request.topology() != null) {
            if (topology == null) {
                topology = request.topology();
                configured = null;
                records.add(GroupRecords.streamsTopology(groupId, topology));
            } else if (request.topology().epoch() >= topology.epoch() && !request.topology().equals(topology)) {
                if (changed) {
                    members.remove(memberId);
                }
                return failed(ErrorCode.INVALID_REQUEST, "Topology updates are not supported yet.");
            }
        }
        changed |= updateMember(member, request, clientId, clientHost);
        if (changed) {
            records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_MEMBER_METADATA, groupId, memberId,
                memberRecord(member)));
        }
        if (request.shutdownApplication()) {
            shutdownRequested = true;
        }
        if (request.taskOffsets() != null) {
            member.taskOffsets = List.copyOf(request.taskOffsets());
        }
        if (request.taskEndOffsets() != null) {
            member.taskEndOffsets = List.copyOf(request.taskEndOffsets());
        }
        MetadataImage image = shard.image();
        configured = topology == null ? null : StreamsTopology.configure(topology, image);
        if (configured != null && configured.error() != null) {
            if (changed && epoch == 0 && member.memberEpoch == 0) {
                members.remove(memberId);
            }
            return failed(ErrorCode.STREAMS_INVALID_TOPOLOGY, configured.error());
        }
        int validated = configured != null && configured.ready() ? topology.epoch() : -1;
        long hash = configured == null ? 0 : configured.metadataHash();
        if (changed || hash != metadataHash || validated != validatedTopologyEpoch) {
            validatedTopologyEpoch = validated;
            metadataHash = hash;
            bumpEpoch(records);
        }
        List<StreamsGroupHeartbeatResponse.Status> statuses = new ArrayList<>();
        int delay = groupInt("streams.initial.rebalance.delay.ms", shard.config().streamsInitialRebalanceDelayMs());
        if (wasEmpty && delay > 0 && !initialDelayRunning) {
            initialDelayRunning = true;
            shard.schedule(initialDelayKey(), delay, this::initialDelayExpired);
        }
        long now = shard.now();
        int interval = groupInt("streams.assignment.interval.ms", shard.config().streamsAssignmentIntervalMs());
        if (groupEpoch > assignmentEpoch) {
            if (!initialDelayRunning && (assignmentTimestamp == 0 || interval == 0 || now - assignmentTimestamp >= interval)) {
                computeTarget(records, now);
            } else {
                statuses.add(status(5, "Assignment delayed due to the configured initial rebalance delay or"
                    + " assignment interval."));
            }
        } else if (initialDelayRunning) {
            statuses.add(status(5, "Assignment delayed due to the configured initial rebalance delay."));
        }
        if (configured != null) {
            configured.statuses().forEach(s -> statuses.add(status(s.code(), s.detail())));
        }
        if (shutdownRequested) {
            statuses.add(status(4, "A KafkaStreams instance encountered a fatal error and requested a shutdown for"
                + " the entire application."));
        }
        Set<TaskId> before = new TreeSet<>(member.active);
        int epochBefore = member.memberEpoch;
        byte stateBefore = member.state;
        reconcile(member, request.activeTasks() == null ? null : tasks(request.activeTasks()));
        boolean assignmentChanged = !before.equals(member.active);
        if (assignmentChanged || epochBefore != member.memberEpoch || stateBefore != member.state || epoch == 0) {
            records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_CURRENT_MEMBER_ASSIGNMENT, groupId,
                memberId, currentRecord(member)));
        }
        if (assignmentChanged && member.endpoint != null || changed && member.endpoint != null) {
            endpointEpoch++;
        }
        scheduleSession(member);
        StreamsGroupHeartbeatResponse response = new StreamsGroupHeartbeatResponse().setMemberId(memberId)
            .setMemberEpoch(member.memberEpoch).setHeartbeatIntervalMs(heartbeatIntervalMs())
            .setTaskOffsetIntervalMs(TASK_OFFSET_INTERVAL_MS).setAcceptableRecoveryLag(ACCEPTABLE_RECOVERY_LAG)
            .setStatus(statuses).setEndpointInformationEpoch(endpointEpoch);
        if (epoch == 0 || assignmentChanged) {
            response.setActiveTasks(responseTasks(member.active)).setStandbyTasks(new ArrayList<>())
                .setWarmupTasks(new ArrayList<>());
        }
        if (request.endpointInformationEpoch() != endpointEpoch) {
            response.setPartitionsByUserEndpoint(partitionsByEndpoint(image));
        }
        List<Controller.NewTopic> toCreate = configured == null ? List.of() : configured.topicsToCreate();
        return write(records, response, toCreate);
    }

    private CompletableFuture<HeartbeatResult> write(List<CoordinatorRecord> records,
                                                     StreamsGroupHeartbeatResponse response,
                                                     List<Controller.NewTopic> toCreate) {
        return shard.write(records).handle((v, failure) -> {
            if (failure != null) {
                return new HeartbeatResult(new StreamsGroupHeartbeatResponse()
                    .setErrorCode(CoordinatorException.clientError(failure).code())
                    .setErrorMessage("the group state could not be written").setMemberEpoch(-1), List.of());
            }
            return new HeartbeatResult(response, toCreate);
        });
    }

    private static CompletableFuture<HeartbeatResult> failed(ErrorCode error, String message) {
        return CompletableFuture.completedFuture(new HeartbeatResult(new StreamsGroupHeartbeatResponse()
            .setErrorCode(error.code()).setErrorMessage(message).setMemberEpoch(-1), List.of()));
    }

    /** Why a heartbeat is refused before it changes anything. */
    private record HeartbeatFailure(ErrorCode error, String message) {
    }

    /** The member a leave (epoch -1 or -2) names: by its instance for a static member, else by id. */
    private Object leaving(String memberId, String instanceId) {
        if (instanceId != null) {
            return ownerOf(instanceId, memberId);
        }
        Member m = members.get(memberId);
        return m != null ? m : new HeartbeatFailure(ErrorCode.UNKNOWN_MEMBER_ID, "Member " + memberId
            + " is not in streams group " + groupId + ".");
    }

    /**
     * The member holding {@code instanceId}, which must be {@code memberId}: an instance nobody
     * holds is UNKNOWN_MEMBER_ID, one another member id holds FENCED_INSTANCE_ID.
     */
    private Object ownerOf(String instanceId, String memberId) {
        Member owner = staticMember(instanceId);
        if (owner == null) {
            return new HeartbeatFailure(ErrorCode.UNKNOWN_MEMBER_ID, "Instance " + instanceId
                + " is not in streams group " + groupId + ".");
        }
        if (!owner.memberId.equals(memberId)) {
            return new HeartbeatFailure(ErrorCode.FENCED_INSTANCE_ID, "Instance " + instanceId + " is member "
                + owner.memberId + " of streams group " + groupId + ", not " + memberId + ".");
        }
        return owner;
    }

    private Member staticMember(String instanceId) {
        for (Member m : members.values()) {
            if (instanceId.equals(m.instanceId)) {
                return m;
            }
        }
        return null;
    }

    /**
     * A static member leaving for now (epoch -2, what Kafka Streams sends on close unless told to
     * leave the group): it keeps its place and its active tasks for the session timeout, so that
     * its instance, back within that time, takes them over without a rebalance; the tasks it was
     * giving up are free at once.
     */
    private CompletableFuture<HeartbeatResult> leaveStatic(Member m, List<CoordinatorRecord> records) {
        log.info("Static member {} (instance {}) of streams group {} left; its tasks wait {} ms for the instance to"
                + " come back", LogSafe.of(m.memberId), LogSafe.of(m.instanceId), LogSafe.of(groupId),
            groupInt("streams.session.timeout.ms", shard.config().streamsSessionTimeoutMs()));
        if (m.memberEpoch != LEFT_STATIC_EPOCH) {
            m.previousMemberEpoch = m.memberEpoch;
            m.memberEpoch = LEFT_STATIC_EPOCH;
        }
        m.pendingRevocation = new TreeSet<>();
        m.state = STABLE;
        records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_CURRENT_MEMBER_ASSIGNMENT, groupId,
            m.memberId, currentRecord(m)));
        shard.cancel(revocationKey(m.memberId));
        scheduleSession(m);
        return write(records, new StreamsGroupHeartbeatResponse().setMemberId(m.memberId)
            .setMemberEpoch(LEFT_STATIC_EPOCH).setHeartbeatIntervalMs(heartbeatIntervalMs())
            .setStatus(new ArrayList<>()), List.of());
    }

    /**
     * A static member's instance back under a new member id after leaving with epoch -2: the new
     * member takes the old one's place, tasks, target and epoch, and the group's epoch does not
     * move, so the other members see no rebalance.
     */
    private Member takeOver(Member previous, String memberId, List<CoordinatorRecord> records) {
        Member m = new Member(memberId);
        m.instanceId = previous.instanceId;
        m.rackId = previous.rackId;
        m.rebalanceTimeoutMs = previous.rebalanceTimeoutMs;
        m.topologyEpoch = previous.topologyEpoch;
        m.processId = previous.processId;
        m.endpoint = previous.endpoint;
        m.clientTags = previous.clientTags;
        m.clientId = previous.clientId;
        m.clientHost = previous.clientHost;
        m.memberEpoch = previous.previousMemberEpoch;
        m.previousMemberEpoch = -1;
        m.state = previous.state;
        m.active = new TreeSet<>(previous.active);
        Set<TaskId> goal = target.get(previous.memberId);
        removeMember(previous, records);
        members.put(memberId, m);
        records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_MEMBER_METADATA, groupId, memberId,
            memberRecord(m)));
        if (goal != null) {
            target.put(memberId, goal);
            records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_MEMBER, groupId,
                memberId, targetRecord(goal)));
        }
        log.info("Static member {} of streams group {} is back as {} with its tasks", LogSafe.of(m.instanceId),
            LogSafe.of(groupId), LogSafe.of(memberId));
        return m;
    }

    private static StreamsGroupHeartbeatResponse.Status status(int code, String detail) {
        return new StreamsGroupHeartbeatResponse.Status().setStatusCode((byte) code).setStatusDetail(detail);
    }

    private static Set<TaskId> tasks(List<StreamsGroupHeartbeatRequest.TaskIds> list) {
        Set<TaskId> out = new TreeSet<>();
        list.forEach(t -> t.partitions().forEach(p -> out.add(new TaskId(t.subtopologyId(), p))));
        return out;
    }

    private boolean updateMember(Member m, StreamsGroupHeartbeatRequest r, String clientId, String clientHost) {
        boolean changed = false;
        if (!clientId.equals(m.clientId) || !clientHost.equals(m.clientHost)) {
            m.clientId = clientId;
            m.clientHost = clientHost;
            changed = true;
        }
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
            changed = true;
        }
        if (r.processId() != null && !r.processId().equals(m.processId)) {
            m.processId = r.processId();
            changed = true;
        }
        if (r.userEndpoint() != null && !r.userEndpoint().equals(m.endpoint)) {
            m.endpoint = r.userEndpoint();
            changed = true;
        }
        if (r.clientTags() != null && !r.clientTags().equals(m.clientTags)) {
            m.clientTags = List.copyOf(r.clientTags());
            changed = true;
        }
        if (r.topology() != null && r.topology().epoch() != m.topologyEpoch) {
            m.topologyEpoch = r.topology().epoch();
            changed = true;
        }
        return changed;
    }

    private void bumpEpoch(List<CoordinatorRecord> records) {
        groupEpoch++;
        shard.rebalanced();
        List<StreamsGroupMetadataValue.LastAssignmentConfig> configs = List.of(
            new StreamsGroupMetadataValue.LastAssignmentConfig().setKey("num.standby.replicas").setValue("0"));
        records.add(GroupRecords.groupRecord(GroupRecords.STREAMS_GROUP_METADATA, groupId, new StreamsGroupMetadataValue()
            .setEpoch(groupEpoch).setMetadataHash(metadataHash).setValidatedTopologyEpoch(validatedTopologyEpoch)
            .setLastAssignmentConfigs(configs)));
        if (members.isEmpty()) {
            // An empty group is assigned at its epoch: nothing to assign.
            target.clear();
            assignmentEpoch = groupEpoch;
            assignmentTimestamp = 0;
            records.add(GroupRecords.groupRecord(GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_METADATA, groupId,
                new ShareGroupTargetAssignmentMetadataValue().setAssignmentEpoch(assignmentEpoch)));
        }
    }

    private void removeMember(Member m, List<CoordinatorRecord> records) {
        members.remove(m.memberId);
        target.remove(m.memberId);
        shard.cancel(sessionKey(m.memberId));
        shard.cancel(revocationKey(m.memberId));
        records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_CURRENT_MEMBER_ASSIGNMENT, groupId, m.memberId, null));
        records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_MEMBER, groupId, m.memberId, null));
        records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_MEMBER_METADATA, groupId, m.memberId, null));
        if (members.isEmpty()) {
            stateTimestamp = shard.now();
            shutdownRequested = false;
        }
    }

    private void fence(Member m) {
        List<CoordinatorRecord> records = new ArrayList<>();
        removeMember(m, records);
        bumpEpoch(records);
        shard.write(records);
        shard.recount();
    }

    // ------------------------------------------------------------------ assignment

    private void initialDelayExpired() {
        initialDelayRunning = false;
        if (members.isEmpty() || groupEpoch <= assignmentEpoch && !target.isEmpty()) {
            return;
        }
        List<CoordinatorRecord> records = new ArrayList<>();
        computeTarget(records, shard.now());
        shard.write(records);
    }

    /**
     * The target for the current group epoch: every task of the configured topology (none while it
     * is not ready) spread evenly over the members, a task staying with the member that has it as long
     * as that member is under its share.
     */
    private void computeTarget(List<CoordinatorRecord> records, long now) {
        List<TaskId> all = new ArrayList<>();
        if (configured != null && configured.ready()) {
            configured.tasks().forEach((subtopology, count) -> {
                for (int p = 0; p < count; p++) {
                    all.add(new TaskId(subtopology, p));
                }
            });
        }
        all.sort(Comparator.comparingInt(TaskId::partition).thenComparing(TaskId::subtopology));
        Map<String, Set<TaskId>> next = new LinkedHashMap<>();
        members.keySet().forEach(id -> next.put(id, new TreeSet<>()));
        int quota = members.isEmpty() ? 0 : (all.size() + members.size() - 1) / members.size();
        Map<TaskId, String> owner = new HashMap<>();
        for (Member m : members.values()) {
            m.active.forEach(t -> owner.put(t, m.memberId));
            m.pendingRevocation.forEach(t -> owner.putIfAbsent(t, m.memberId));
        }
        List<TaskId> rest = new ArrayList<>();
        for (TaskId t : all) {
            String previous = owner.get(t);
            if (previous != null && next.containsKey(previous) && next.get(previous).size() < quota) {
                next.get(previous).add(t);
            } else {
                rest.add(t);
            }
        }
        for (TaskId t : rest) {
            String least = null;
            for (Map.Entry<String, Set<TaskId>> e : next.entrySet()) {
                if (least == null || e.getValue().size() < next.get(least).size()) {
                    least = e.getKey();
                }
            }
            if (least != null) {
                next.get(least).add(t);
            }
        }
        for (Map.Entry<String, Set<TaskId>> e : next.entrySet()) {
            if (!e.getValue().equals(target.get(e.getKey()))) {
                records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_MEMBER, groupId,
                    e.getKey(), targetRecord(e.getValue())));
            }
        }
        target.clear();
        target.putAll(next);
        assignmentEpoch = groupEpoch;
        assignmentTimestamp = now;
        records.add(GroupRecords.groupRecord(GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_METADATA, groupId,
            new ShareGroupTargetAssignmentMetadataValue().setAssignmentEpoch(assignmentEpoch)
                .setAssignmentTimestamp(now)));
    }

    /**
     * Moves {@code m} towards its target: first it gives up the active tasks it loses (it keeps
     * its epoch until a heartbeat shows it no longer owns them); then it takes the target epoch
     * with every new task no other member still holds, the rest following on later heartbeats.
     */
    private void reconcile(Member m, Set<TaskId> owned) {
        if (m.state == UNREVOKED_TASKS) {
            if (owned == null || !java.util.Collections.disjoint(owned, m.pendingRevocation)) {
                return;
            }
            m.pendingRevocation = new TreeSet<>();
            m.state = STABLE;
            shard.cancel(revocationKey(m.memberId));
        }
        if (m.memberEpoch == assignmentEpoch && m.state == STABLE) {
            return;
        }
        Set<TaskId> goal = target.getOrDefault(m.memberId, Set.of());
        Set<TaskId> keep = new TreeSet<>();
        Set<TaskId> revoke = new TreeSet<>();
        for (TaskId t : m.active) {
            (goal.contains(t) ? keep : revoke).add(t);
        }
        if (!revoke.isEmpty()) {
            m.active = keep;
            m.pendingRevocation = revoke;
            m.state = UNREVOKED_TASKS;
            scheduleRevocation(m);
            return;
        }
        Set<TaskId> held = new HashSet<>();
        for (Member other : members.values()) {
            if (other != m) {
                held.addAll(other.active);
                held.addAll(other.pendingRevocation);
            }
        }
        boolean unreleased = false;
        Set<TaskId> next = new TreeSet<>(keep);
        for (TaskId t : goal) {
            if (keep.contains(t)) {
                continue;
            }
            if (held.contains(t)) {
                unreleased = true;
            } else {
                next.add(t);
            }
        }
        if (m.memberEpoch != assignmentEpoch) {
            m.previousMemberEpoch = m.memberEpoch;
            m.memberEpoch = assignmentEpoch;
        }
        m.active = next;
        m.state = unreleased ? UNRELEASED_TASKS : STABLE;
    }

    // ------------------------------------------------------------------ records and responses

    private static StreamsGroupMemberMetadataValue memberRecord(Member m) {
        List<StreamsGroupMemberMetadataValue.KeyValue> tags = new ArrayList<>();
        m.clientTags.forEach(t -> tags.add(new StreamsGroupMemberMetadataValue.KeyValue().setKey(t.key()).setValue(t.value())));
        return new StreamsGroupMemberMetadataValue().setInstanceId(m.instanceId).setRackId(m.rackId)
            .setClientId(m.clientId).setClientHost(m.clientHost).setRebalanceTimeoutMs(m.rebalanceTimeoutMs)
            .setTopologyEpoch(m.topologyEpoch).setProcessId(m.processId)
            .setUserEndpoint(m.endpoint == null ? null : new StreamsGroupMemberMetadataValue.Endpoint()
                .setHost(m.endpoint.host()).setPort(m.endpoint.port()))
            .setClientTags(tags);
    }

    private static Map<String, List<Integer>> bySubtopology(Set<TaskId> tasks) {
        Map<String, List<Integer>> out = new TreeMap<>();
        for (TaskId t : tasks) {
            out.computeIfAbsent(t.subtopology(), k -> new ArrayList<>()).add(t.partition());
        }
        return out;
    }

    private static StreamsGroupTargetAssignmentMemberValue targetRecord(Set<TaskId> tasks) {
        List<StreamsGroupTargetAssignmentMemberValue.TaskIds> active = new ArrayList<>();
        bySubtopology(tasks).forEach((s, ps) -> active.add(new StreamsGroupTargetAssignmentMemberValue.TaskIds()
            .setSubtopologyId(s).setPartitions(ps)));
        return new StreamsGroupTargetAssignmentMemberValue().setActiveTasks(active).setStandbyTasks(new ArrayList<>())
            .setWarmupTasks(new ArrayList<>());
    }

    private StreamsGroupCurrentMemberAssignmentValue currentRecord(Member m) {
        return new StreamsGroupCurrentMemberAssignmentValue().setMemberEpoch(m.memberEpoch)
            .setPreviousMemberEpoch(m.previousMemberEpoch).setState(m.state)
            .setActiveTasks(currentTasks(m.active, m.memberEpoch)).setStandbyTasks(new ArrayList<>())
            .setWarmupTasks(new ArrayList<>())
            .setActiveTasksPendingRevocation(currentTasks(m.pendingRevocation, m.memberEpoch))
            .setStandbyTasksPendingRevocation(new ArrayList<>()).setWarmupTasksPendingRevocation(new ArrayList<>());
    }

    private static List<StreamsGroupCurrentMemberAssignmentValue.TaskIds> currentTasks(Set<TaskId> tasks, int epoch) {
        List<StreamsGroupCurrentMemberAssignmentValue.TaskIds> out = new ArrayList<>();
        bySubtopology(tasks).forEach((s, ps) -> out.add(new StreamsGroupCurrentMemberAssignmentValue.TaskIds()
            .setSubtopologyId(s).setPartitions(ps)
            .setAssignmentEpochs(ps.stream().map(p -> epoch).toList())));
        return out;
    }

    private static List<StreamsGroupHeartbeatResponse.TaskIds> responseTasks(Set<TaskId> tasks) {
        List<StreamsGroupHeartbeatResponse.TaskIds> out = new ArrayList<>();
        bySubtopology(tasks).forEach((s, ps) -> out.add(new StreamsGroupHeartbeatResponse.TaskIds().setSubtopologyId(s)
            .setPartitions(ps)));
        return out;
    }

    /** Each member with an endpoint and the partitions its active tasks read, for interactive queries. */
    private List<StreamsGroupHeartbeatResponse.EndpointToPartitions> partitionsByEndpoint(MetadataImage image) {
        List<StreamsGroupHeartbeatResponse.EndpointToPartitions> out = new ArrayList<>();
        for (Member m : members.values()) {
            if (m.endpoint == null) {
                continue;
            }
            Map<String, List<Integer>> partitions = new TreeMap<>();
            for (TaskId t : m.active) {
                for (String topic : inputTopics(t.subtopology())) {
                    int count = image.topic(topic).map(ti -> ti.partitions().size()).orElse(0);
                    if (t.partition() < count) {
                        partitions.computeIfAbsent(topic, k -> new ArrayList<>()).add(t.partition());
                    }
                }
            }
            List<StreamsGroupHeartbeatResponse.TopicPartition> active = new ArrayList<>();
            partitions.forEach((topic, ps) -> active.add(new StreamsGroupHeartbeatResponse.TopicPartition().setTopic(topic)
                .setPartitions(ps)));
            out.add(new StreamsGroupHeartbeatResponse.EndpointToPartitions()
                .setUserEndpoint(new StreamsGroupHeartbeatResponse.Endpoint().setHost(m.endpoint.host())
                    .setPort(m.endpoint.port()))
                .setActivePartitions(active).setStandbyPartitions(new ArrayList<>()));
        }
        return out;
    }

    /** The topics a subtopology reads: its source and repartition-source topics. */
    private List<String> inputTopics(String subtopology) {
        List<String> topics = new ArrayList<>();
        if (topology != null) {
            for (StreamsGroupHeartbeatRequest.Subtopology s : topology.subtopologies()) {
                if (s.subtopologyId().equals(subtopology)) {
                    topics.addAll(s.sourceTopics());
                    s.repartitionSourceTopics().forEach(t -> topics.add(t.name()));
                }
            }
        }
        return topics;
    }

    /** Every topic the topology reads from (for OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC). */
    Set<String> subscribedTopicNames() {
        Set<String> names = new HashSet<>();
        if (topology != null) {
            for (StreamsGroupHeartbeatRequest.Subtopology s : topology.subtopologies()) {
                names.addAll(s.sourceTopics());
                s.repartitionSourceTopics().forEach(t -> names.add(t.name()));
            }
        }
        return names;
    }

    /** Tombstones for everything the group wrote (DeleteGroups of an empty group). */
    List<CoordinatorRecord> tombstones() {
        List<CoordinatorRecord> records = new ArrayList<>();
        for (String id : target.keySet()) {
            records.add(GroupRecords.memberRecord(GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_MEMBER, groupId, id, null));
        }
        records.add(GroupRecords.groupRecord(GroupRecords.STREAMS_GROUP_TARGET_ASSIGNMENT_METADATA, groupId, null));
        records.add(GroupRecords.groupRecord(GroupRecords.STREAMS_GROUP_METADATA, groupId, null));
        records.add(GroupRecords.groupRecord(GroupRecords.STREAMS_GROUP_TOPOLOGY, groupId, null));
        return records;
    }

    // ------------------------------------------------------------------ offsets

    /**
     * NONE if a commit by {@code memberId} at {@code epoch} may proceed: the member's current
     * epoch, or its previous one while it still holds the tasks it commits for (a member committing
     * before it gives tasks up); STALE_MEMBER_EPOCH or UNKNOWN_MEMBER_ID otherwise. An admin's commit
     * (no member, epoch -1) is accepted while the group has no members.
     */
    ErrorCode validateCommit(String memberId, int epoch) {
        if ((memberId == null || memberId.isEmpty()) && epoch < 0) {
            return members.isEmpty() ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
        }
        Member m = members.get(memberId);
        if (m == null) {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }
        if (epoch == m.memberEpoch) {
            return ErrorCode.NONE;
        }
        if (epoch > m.memberEpoch || epoch != m.previousMemberEpoch) {
            return ErrorCode.STALE_MEMBER_EPOCH;
        }
        return ErrorCode.NONE;
    }

    /** NONE if {@code memberId} at {@code epoch} may fetch offsets: its exact epoch, or an admin (no member). */
    ErrorCode validateFetch(String memberId, int epoch) {
        if (memberId == null || memberId.isEmpty()) {
            return ErrorCode.NONE;
        }
        Member m = members.get(memberId);
        if (m == null) {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }
        return epoch == m.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
    }

    // ------------------------------------------------------------------ timers

    private void scheduleSession(Member m) {
        String memberId = m.memberId;
        int timeout = groupInt("streams.session.timeout.ms", shard.config().streamsSessionTimeoutMs());
        shard.schedule(sessionKey(memberId), timeout, () -> {
            Member gone = members.get(memberId);
            if (gone != null) {
                log.info("Member {} of streams group {} has failed (session timeout of {} ms expired); removing it",
                    LogSafe.of(memberId), LogSafe.of(groupId), timeout);
                fence(gone);
            }
        });
    }

    private void scheduleRevocation(Member m) {
        String memberId = m.memberId;
        int epoch = m.memberEpoch;
        shard.schedule(revocationKey(memberId), Math.max(m.rebalanceTimeoutMs, 1), () -> {
            Member late = members.get(memberId);
            if (late != null && late.state == UNREVOKED_TASKS && late.memberEpoch == epoch) {
                log.info("Member {} of streams group {} did not give up its tasks within {} ms; removing it",
                    LogSafe.of(memberId), LogSafe.of(groupId), late.rebalanceTimeoutMs);
                fence(late);
            }
        });
    }

    private String sessionKey(String memberId) {
        return "streams-session:" + groupId + ":" + memberId;
    }

    private String revocationKey(String memberId) {
        return "streams-revoke:" + groupId + ":" + memberId;
    }

    private String initialDelayKey() {
        return "streams-initial-delay:" + groupId;
    }

    private int heartbeatIntervalMs() {
        return groupInt("streams.heartbeat.interval.ms", shard.config().streamsHeartbeatIntervalMs());
    }

    private int groupInt(String key, int brokerValue) {
        return GroupConfigKeys.intValue(shard.image().groupConfigs(groupId), key, brokerValue);
    }

    // ------------------------------------------------------------------ describe

    StreamsGroupDescribeResponse.DescribedGroup describe(MetadataImage image, boolean includeDescription) {
        List<StreamsGroupDescribeResponse.Member> described = new ArrayList<>();
        for (Member m : members.values()) {
            List<StreamsGroupDescribeResponse.KeyValue> tags = new ArrayList<>();
            m.clientTags.forEach(t -> tags.add(new StreamsGroupDescribeResponse.KeyValue().setKey(t.key()).setValue(t.value())));
            described.add(new StreamsGroupDescribeResponse.Member().setMemberId(m.memberId).setMemberEpoch(m.memberEpoch)
                .setInstanceId(m.instanceId).setRackId(m.rackId).setClientId(m.clientId).setClientHost(m.clientHost)
                .setTopologyEpoch(m.topologyEpoch).setProcessId(m.processId)
                .setUserEndpoint(m.endpoint == null ? null : new StreamsGroupDescribeResponse.Endpoint()
                    .setHost(m.endpoint.host()).setPort(m.endpoint.port()))
                .setClientTags(tags).setTaskOffsets(describeOffsets(m.taskOffsets))
                .setTaskEndOffsets(describeOffsets(m.taskEndOffsets))
                .setAssignment(describeAssignment(m.active))
                .setTargetAssignment(describeAssignment(target.getOrDefault(m.memberId, Set.of())))
                .setIsClassic(false));
        }
        return new StreamsGroupDescribeResponse.DescribedGroup().setGroupId(groupId).setGroupState(stateName())
            .setGroupEpoch(groupEpoch).setAssignmentEpoch(assignmentEpoch).setTopology(describeTopology(image))
            .setMembers(described).setAssignorName(ASSIGNOR)
            .setTopologyDescriptionStatus(includeDescription ? (byte) 1 : (byte) 0);
    }

    private static List<StreamsGroupDescribeResponse.TaskOffset> describeOffsets(
            List<StreamsGroupHeartbeatRequest.TaskOffset> offsets) {
        List<StreamsGroupDescribeResponse.TaskOffset> out = new ArrayList<>();
        offsets.forEach(o -> out.add(new StreamsGroupDescribeResponse.TaskOffset().setSubtopologyId(o.subtopologyId())
            .setPartition(o.partition()).setOffset(o.offset())));
        return out;
    }

    private static StreamsGroupDescribeResponse.Assignment describeAssignment(Set<TaskId> tasks) {
        List<StreamsGroupDescribeResponse.TaskIds> active = new ArrayList<>();
        bySubtopology(tasks).forEach((s, ps) -> active.add(new StreamsGroupDescribeResponse.TaskIds().setSubtopologyId(s)
            .setPartitions(ps)));
        return new StreamsGroupDescribeResponse.Assignment().setActiveTasks(active).setStandbyTasks(new ArrayList<>())
            .setWarmupTasks(new ArrayList<>());
    }

    /** The topology with the partition counts decided for its internal topics where it is configured. */
    private StreamsGroupDescribeResponse.Topology describeTopology(MetadataImage image) {
        StreamsGroupDescribeResponse.Topology out = new StreamsGroupDescribeResponse.Topology()
            .setEpoch(topology == null ? -1 : topology.epoch()).setSubtopologies(new ArrayList<>());
        if (topology == null) {
            return out;
        }
        StreamsTopology.Configured c = configured != null ? configured : StreamsTopology.configure(topology, image);
        for (StreamsGroupHeartbeatRequest.Subtopology s : topology.subtopologies()) {
            out.subtopologies().add(new StreamsGroupDescribeResponse.Subtopology().setSubtopologyId(s.subtopologyId())
                .setSourceTopics(new ArrayList<>(s.sourceTopics()))
                .setRepartitionSinkTopics(new ArrayList<>(s.repartitionSinkTopics()))
                .setStateChangelogTopics(describeTopics(s.stateChangelogTopics(), c))
                .setRepartitionSourceTopics(describeTopics(s.repartitionSourceTopics(), c)));
        }
        return out;
    }

    private static List<StreamsGroupDescribeResponse.TopicInfo> describeTopics(
            List<StreamsGroupHeartbeatRequest.TopicInfo> infos, StreamsTopology.Configured c) {
        List<StreamsGroupDescribeResponse.TopicInfo> out = new ArrayList<>();
        for (StreamsGroupHeartbeatRequest.TopicInfo i : infos) {
            List<StreamsGroupDescribeResponse.KeyValue> configs = new ArrayList<>();
            i.topicConfigs().forEach(kv -> configs.add(new StreamsGroupDescribeResponse.KeyValue().setKey(kv.key())
                .setValue(kv.value())));
            int partitions = c == null ? i.partitions() : c.internalPartitions().getOrDefault(i.name(), i.partitions());
            out.add(new StreamsGroupDescribeResponse.TopicInfo().setName(i.name()).setPartitions(partitions)
                .setReplicationFactor(i.replicationFactor()).setTopicConfigs(configs));
        }
        return out;
    }

    @Override
    public String toString() {
        return "streams group " + groupId + " (epoch " + groupEpoch + ", " + members.size() + " members)";
    }
}
