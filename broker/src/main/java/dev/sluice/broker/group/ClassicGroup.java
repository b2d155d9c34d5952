package dev.sluice.broker.group;

import dev.sluice.broker.LogSafe;
import dev.sluice.broker.coordinator.CoordinatorException;
import dev.sluice.broker.group.records.GroupMetadataValue;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group of the classic rebalance protocol: members join (JoinGroup), the coordinator waits for
 * every known member to rejoin, starts a new generation and hands the leader every member's
 * subscription; the leader computes the assignment and sends it with its SyncGroup, which the
 * coordinator writes to {@code __consumer_offsets} before answering every member's SyncGroup.
 *
 * <p>States: Empty → PreparingRebalance (waiting for joins; the first rebalance of an empty group
 * waits {@code group.initial.rebalance.delay.ms}, extended while members keep arriving, up to the
 * rebalance timeout) → CompletingRebalance (waiting for the leader's assignment) → Stable. A member
 * that stops heartbeating for its session timeout, leaves, or changes its subscription starts a new
 * rebalance. Static members ({@code group.instance.id}, KIP-345) keep their place across restarts;
 * a newer instance fences the older one (FENCED_INSTANCE_ID). Unknown members joining with v4+ are
 * handed an id and asked to join again with it (MEMBER_ID_REQUIRED, KIP-394).
 *
 * <p>Not thread-safe: owned by its shard's executor; every timer fires on that executor.
 */
final class ClassicGroup implements Group {
    private static final Logger log = LoggerFactory.getLogger(ClassicGroup.class);

    enum State {
        EMPTY("Empty"), PREPARING_REBALANCE("PreparingRebalance"), COMPLETING_REBALANCE("CompletingRebalance"),
        STABLE("Stable"), DEAD("Dead");

        final String label;

        State(String label) {
            this.label = label;
        }
    }

    /** One protocol (assignor) a member supports, with its subscription bytes. */
    record Protocol(String name, byte[] metadata) {
    }

    static final class Member {
        String memberId;
        final String groupInstanceId;
        String clientId;
        String clientHost;
        int rebalanceTimeoutMs;
        int sessionTimeoutMs;
        List<Protocol> protocols;
        byte[] assignment = new byte[0];
        CompletableFuture<JoinGroupResponse> awaitingJoin;
        short joinVersion;
        CompletableFuture<SyncGroupResponse> awaitingSync;
        boolean isNew;

        Member(String memberId, String groupInstanceId, String clientId, String clientHost, int rebalanceTimeoutMs,
               int sessionTimeoutMs, List<Protocol> protocols) {
            this.memberId = memberId;
            this.groupInstanceId = groupInstanceId;
            this.clientId = clientId;
            this.clientHost = clientHost;
            this.rebalanceTimeoutMs = rebalanceTimeoutMs;
            this.sessionTimeoutMs = sessionTimeoutMs;
            this.protocols = protocols;
        }

        byte[] metadata(String protocol) {
            for (Protocol p : protocols) {
                if (p.name().equals(protocol)) {
                    return p.metadata();
                }
            }
            return new byte[0];
        }

        boolean sameProtocols(List<Protocol> other) {
            if (other.size() != protocols.size()) {
                return false;
            }
            for (int i = 0; i < other.size(); i++) {
                if (!other.get(i).name().equals(protocols.get(i).name())
                    || !Arrays.equals(other.get(i).metadata(), protocols.get(i).metadata())) {
                    return false;
                }
            }
            return true;
        }
    }

    private final String groupId;
    private final GroupShard shard;
    private State state = State.EMPTY;
    private long stateTimestamp;
    private String protocolType;
    private String protocolName;
    private int generationId;
    private String leaderId;
    private final LinkedHashMap<String, Member> members = new LinkedHashMap<>();
    private final Map<String, String> staticMembers = new HashMap<>();
    private final Set<String> pendingMembers = new HashSet<>();
    private final Set<String> pendingSync = new HashSet<>();
    private boolean newMemberAdded;
    private int remainingInitialDelayMs;

    ClassicGroup(String groupId, GroupShard shard) {
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
        return state.label;
    }

    @Override
    public String typeName() {
        return "classic";
    }

    @Override
    public String protocolType() {
        return protocolType == null ? "" : protocolType;
    }

    @Override
    public boolean isEmpty() {
        return state == State.EMPTY;
    }

    @Override
    public long stateTimestamp() {
        return stateTimestamp;
    }

    State state() {
        return state;
    }

    String protocolName() {
        return protocolName;
    }

    /** Whether offsets are committed here by a simple consumer (no membership, no protocol type). */
    boolean hasProtocolType() {
        return protocolType != null && !protocolType.isEmpty();
    }

    Map<String, Member> members() {
        return members;
    }

    private void transition(State next) {
        state = next;
        stateTimestamp = shard.now();
    }

    // ------------------------------------------------------------------ loading

    /** Restores the group from its newest {@code __consumer_offsets} record. */
    void replay(GroupMetadataValue value) {
        members.clear();
        staticMembers.clear();
        protocolType = value.protocolType();
        generationId = value.generation();
        protocolName = value.protocol();
        leaderId = value.leader();
        stateTimestamp = value.currentStateTimestamp() >= 0 ? value.currentStateTimestamp() : shard.now();
        for (GroupMetadataValue.MemberMetadata m : value.members()) {
            Member member = new Member(m.memberId(), m.groupInstanceId(), m.clientId(), m.clientHost(),
                m.rebalanceTimeout() > 0 ? m.rebalanceTimeout() : m.sessionTimeout(), m.sessionTimeout(),
                List.of(new Protocol(protocolName == null ? "" : protocolName, m.subscription())));
            member.assignment = m.assignment();
            members.put(member.memberId, member);
            if (member.groupInstanceId != null) {
                staticMembers.put(member.groupInstanceId, member.memberId);
            }
        }
        state = members.isEmpty() ? State.EMPTY : State.STABLE;
    }

    int generation() {
        return generationId;
    }

    /**
     * A consumer group became this classic group (its last KIP-848 member left): its members hold
     * their partitions at the consumer group's epoch as generation, and rejoin now, as classic
     * members do, to agree on an assignment among themselves.
     */
    void rebalanceAfterDowngrade() {
        startSessionTimers();
        prepareRebalance("the group became a classic group");
    }

    /** After loading: every member gets a full session to show it is still there. */
    void startSessionTimers() {
        for (Member m : members.values()) {
            scheduleSessionExpiry(m);
        }
    }

    // ------------------------------------------------------------------ JoinGroup

    CompletableFuture<JoinGroupResponse> join(JoinGroupRequest request, short version, String clientId,
                                               String clientHost) {
        CompletableFuture<JoinGroupResponse> response = new CompletableFuture<>();
        List<Protocol> protocols = new ArrayList<>();
        for (JoinGroupRequest.JoinGroupRequestProtocol p : request.protocols()) {
            protocols.add(new Protocol(p.name(), p.metadata()));
        }
        int rebalanceTimeout = request.rebalanceTimeoutMs() > 0 ? request.rebalanceTimeoutMs() : request.sessionTimeoutMs();
        if (!supportsProtocols(request.protocolType(), protocols)) {
            return CompletableFuture.completedFuture(joinError(request.memberId(), ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
        }
        String memberId = request.memberId();
        String instanceId = request.groupInstanceId();
        if (memberId.isEmpty()) {
            if (instanceId == null && members.size() + pendingMembers.size() >= shard.config().maxSize()) {
                return CompletableFuture.completedFuture(joinError("", ErrorCode.GROUP_MAX_SIZE_REACHED));
            }
            String newId = (clientId.isEmpty() ? "member" : clientId) + "-" + UUID.randomUUID();
            if (instanceId != null) {
                String existing = staticMembers.get(instanceId);
                if (existing != null) {
                    replaceStaticMember(existing, newId, request, protocols, rebalanceTimeout, version, clientId,
                        clientHost, response);
                    return response;
                }
                if (members.size() >= shard.config().maxSize()) {
                    return CompletableFuture.completedFuture(joinError("", ErrorCode.GROUP_MAX_SIZE_REACHED));
                }
            } else if (version >= 4) {
                pendingMembers.add(newId);
                shard.schedule(pendingKey(newId), request.sessionTimeoutMs(), () -> expirePending(newId));
                return CompletableFuture.completedFuture(joinError(newId, ErrorCode.MEMBER_ID_REQUIRED));
            }
            Member member = new Member(newId, instanceId, clientId, clientHost, rebalanceTimeout,
                request.sessionTimeoutMs(), protocols);
            addMemberAndRebalance(member, request.protocolType(), version, response);
            return response;
        }
        if (pendingMembers.remove(memberId)) {
            shard.cancel(pendingKey(memberId));
            Member member = new Member(memberId, instanceId, clientId, clientHost, rebalanceTimeout,
                request.sessionTimeoutMs(), protocols);
            addMemberAndRebalance(member, request.protocolType(), version, response);
            return response;
        }
        ErrorCode fenced = checkMember(memberId, instanceId);
        if (fenced != ErrorCode.NONE) {
            return CompletableFuture.completedFuture(joinError(memberId, fenced));
        }
        Member member = members.get(memberId);
        switch (state) {
            case PREPARING_REBALANCE -> {
                updateMember(member, protocols, rebalanceTimeout, request.sessionTimeoutMs(), version, response);
                maybeCompleteJoin();
            }
            case COMPLETING_REBALANCE -> {
                if (member.sameProtocols(protocols)) {
                    // A retried JoinGroup of the generation that is being assigned: answer it again.
                    response.complete(joinResponse(member, version));
                } else {
                    updateMember(member, protocols, rebalanceTimeout, request.sessionTimeoutMs(), version, response);
                    prepareRebalance("member " + memberId + " changed its subscription");
                }
            }
            case STABLE -> {
                if (memberId.equals(leaderId) || !member.sameProtocols(protocols)) {
                    updateMember(member, protocols, rebalanceTimeout, request.sessionTimeoutMs(), version, response);
                    prepareRebalance(memberId.equals(leaderId) ? "the leader rejoined"
                        : "member " + memberId + " changed its subscription");
                } else {
                    response.complete(joinResponse(member, version));
                }
            }
            default -> response.complete(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        }
        scheduleSessionExpiry(member);
        return response;
    }

    private void replaceStaticMember(String oldId, String newId, JoinGroupRequest request, List<Protocol> protocols,
                                     int rebalanceTimeout, short version, String clientId, String clientHost,
                                     CompletableFuture<JoinGroupResponse> response) {
        Member old = members.remove(oldId);
        shard.cancel(sessionKey(oldId));
        if (old.awaitingJoin != null) {
            old.awaitingJoin.complete(joinError(oldId, ErrorCode.FENCED_INSTANCE_ID));
        }
        if (old.awaitingSync != null) {
            old.awaitingSync.complete(syncError(ErrorCode.FENCED_INSTANCE_ID));
        }
        pendingSync.remove(oldId);
        Member member = new Member(newId, old.groupInstanceId, clientId, clientHost, rebalanceTimeout,
            request.sessionTimeoutMs(), protocols);
        member.assignment = old.assignment;
        members.put(newId, member);
        staticMembers.put(member.groupInstanceId, newId);
        boolean wasLeader = oldId.equals(leaderId);
        if (wasLeader) {
            leaderId = newId;
        }
        // The instance restarted and the group would still choose the same protocol: it keeps its
        // assignment and the group carries on without a rebalance, once the new member id is
        // recorded (a client whose subscription changed asks for a rebalance itself when its
        // assignment no longer matches it). The leader too from JoinGroup v9 (KIP-814): it is told
        // to skip the assignment, gets the members to learn their subscriptions from, and its
        // SyncGroup returns the assignment it had.
        boolean skipAssignment = wasLeader && version >= 9;
        if (state == State.STABLE && (!wasLeader || skipAssignment) && selectProtocol().equals(protocolName)) {
            scheduleSessionExpiry(member);
            shard.write(List.of(GroupRecords.classicGroup(groupId, toRecord()))).whenComplete((v, failure) -> {
                if (failure != null) {
                    response.complete(joinError(newId, CoordinatorException.clientError(failure)));
                } else {
                    response.complete(joinResponse(member, version).setSkipAssignment(skipAssignment));
                }
            });
            return;
        }
        member.awaitingJoin = response;
        member.joinVersion = version;
        scheduleSessionExpiry(member);
        if (state == State.PREPARING_REBALANCE) {
            maybeCompleteJoin();
        } else {
            prepareRebalance("static member " + member.groupInstanceId + " rejoined");
        }
    }

    private void addMemberAndRebalance(Member member, String type, short version,
                                       CompletableFuture<JoinGroupResponse> response) {
        if (members.isEmpty()) {
            protocolType = type;
        }
        member.isNew = true;
        member.awaitingJoin = response;
        member.joinVersion = version;
        members.put(member.memberId, member);
        if (member.groupInstanceId != null) {
            staticMembers.put(member.groupInstanceId, member.memberId);
        }
        if (leaderId == null) {
            leaderId = member.memberId;
        }
        newMemberAdded = true;
        scheduleSessionExpiry(member);
        if (state == State.PREPARING_REBALANCE) {
            maybeCompleteJoin();
        } else {
            prepareRebalance("member " + member.memberId + " joined");
        }
    }

    private void updateMember(Member member, List<Protocol> protocols, int rebalanceTimeout, int sessionTimeout,
                              short version, CompletableFuture<JoinGroupResponse> response) {
        member.protocols = protocols;
        member.rebalanceTimeoutMs = rebalanceTimeout;
        member.sessionTimeoutMs = sessionTimeout;
        if (member.awaitingJoin != null && member.awaitingJoin != response) {
            // The member gave up on its earlier JoinGroup and sent another; the newer one is answered.
            member.awaitingJoin.complete(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
        }
        member.awaitingJoin = response;
        member.joinVersion = version;
    }

    private boolean supportsProtocols(String type, List<Protocol> protocols) {
        if (type == null || type.isEmpty() || protocols.isEmpty()) {
            return false;
        }
        if (members.isEmpty()) {
            return true;
        }
        if (!type.equals(protocolType)) {
            return false;
        }
        Set<String> common = commonProtocols();
        for (Protocol p : protocols) {
            if (common.contains(p.name())) {
                return true;
            }
        }
        return false;
    }

    /** The protocols every member supports (the group must not be empty). */
    private Set<String> commonProtocols() {
        Set<String> common = null;
        for (Member m : members.values()) {
            Set<String> names = new HashSet<>();
            m.protocols.forEach(p -> names.add(p.name()));
            if (common == null) {
                common = names;
            } else {
                common.retainAll(names);
            }
        }
        return common;
    }

    private void prepareRebalance(String reason) {
        if (state == State.COMPLETING_REBALANCE) {
            resetAssignments(ErrorCode.REBALANCE_IN_PROGRESS);
        }
        shard.cancel(syncKey());
        boolean initial = state == State.EMPTY;
        transition(State.PREPARING_REBALANCE);
        log.info("Preparing to rebalance group {} in state PreparingRebalance with old generation {} ({})",
            LogSafe.of(groupId), generationId, LogSafe.of(reason));
        int rebalanceTimeout = maxRebalanceTimeout();
        if (initial && shard.config().initialRebalanceDelayMs() > 0) {
            int delay = Math.min(shard.config().initialRebalanceDelayMs(), rebalanceTimeout);
            remainingInitialDelayMs = Math.max(rebalanceTimeout - delay, 0);
            newMemberAdded = false;
            shard.schedule(joinKey(), delay, this::initialDelayExpired);
        } else {
            remainingInitialDelayMs = -1;
            shard.schedule(joinKey(), rebalanceTimeout, this::completeJoin);
            maybeCompleteJoin();
        }
    }

    /** The initial delay is extended while new members keep arriving, as long as the rebalance timeout allows. */
    private void initialDelayExpired() {
        if (state != State.PREPARING_REBALANCE) {
            return;
        }
        if (newMemberAdded && remainingInitialDelayMs > 0) {
            newMemberAdded = false;
            int delay = Math.min(shard.config().initialRebalanceDelayMs(), remainingInitialDelayMs);
            remainingInitialDelayMs -= delay;
            shard.schedule(joinKey(), delay, this::initialDelayExpired);
            return;
        }
        remainingInitialDelayMs = -1;
        completeJoin();
    }

    private int maxRebalanceTimeout() {
        int max = 0;
        for (Member m : members.values()) {
            max = Math.max(max, m.rebalanceTimeoutMs);
        }
        return max;
    }

    /** Completes the join phase at once when every known member has rejoined (outside the initial delay). */
    private void maybeCompleteJoin() {
        if (state != State.PREPARING_REBALANCE || remainingInitialDelayMs >= 0) {
            return;
        }
        if (!pendingMembers.isEmpty()) {
            return;
        }
        for (Member m : members.values()) {
            if (m.awaitingJoin == null) {
                return;
            }
        }
        completeJoin();
    }

    /** Ends the join phase: members that did not rejoin are dropped and a new generation starts. */
    private void completeJoin() {
        if (state != State.PREPARING_REBALANCE) {
            return;
        }
        shard.cancel(joinKey());
        for (Member m : new ArrayList<>(members.values())) {
            if (m.awaitingJoin == null && m.groupInstanceId == null) {
                removeMember(m, ErrorCode.UNKNOWN_MEMBER_ID);
            }
        }
        generationId++;
        boolean anyJoined = members.values().stream().anyMatch(m -> m.awaitingJoin != null);
        if (!anyJoined) {
            for (Member m : new ArrayList<>(members.values())) {
                removeMember(m, ErrorCode.UNKNOWN_MEMBER_ID);
            }
            protocolName = null;
            leaderId = null;
            transition(State.EMPTY);
            log.info("Group {} with generation {} is now empty", LogSafe.of(groupId), generationId);
            shard.write(List.of(GroupRecords.classicGroup(groupId, toRecord())));
            return;
        }
        protocolName = selectProtocol();
        Member leader = members.get(leaderId);
        if (leader == null || leader.awaitingJoin == null) {
            leaderId = members.values().stream().filter(m -> m.awaitingJoin != null).findFirst().orElseThrow().memberId;
        }
        transition(State.COMPLETING_REBALANCE);
        shard.rebalanced();
        log.info("Stabilized group {} generation {} with {} members, protocol {}", LogSafe.of(groupId), generationId,
            members.size(), LogSafe.of(protocolName));
        pendingSync.clear();
        for (Member m : members.values()) {
            if (m.awaitingJoin != null) {
                CompletableFuture<JoinGroupResponse> waiting = m.awaitingJoin;
                m.awaitingJoin = null;
                m.isNew = false;
                pendingSync.add(m.memberId);
                waiting.complete(joinResponse(m, m.joinVersion));
                scheduleSessionExpiry(m);
            }
        }
        int generation = generationId;
        shard.schedule(syncKey(), maxRebalanceTimeout(), () -> syncExpired(generation));
    }

    /** Members that joined but sent no SyncGroup within the rebalance timeout are dropped. */
    private void syncExpired(int generation) {
        if (generation != generationId || state != State.COMPLETING_REBALANCE && state != State.STABLE) {
            return;
        }
        if (pendingSync.isEmpty()) {
            return;
        }
        for (String id : new ArrayList<>(pendingSync)) {
            Member m = members.get(id);
            if (m != null) {
                removeMember(m, ErrorCode.UNKNOWN_MEMBER_ID);
            }
        }
        pendingSync.clear();
        if (members.isEmpty()) {
            toEmpty();
        } else {
            prepareRebalance("members did not sync in time");
        }
    }

    private void toEmpty() {
        generationId++;
        protocolName = null;
        leaderId = null;
        transition(State.EMPTY);
        shard.write(List.of(GroupRecords.classicGroup(groupId, toRecord())));
    }

    /** The protocol every member supports that most members rank first among those. */
    private String selectProtocol() {
        Set<String> candidates = commonProtocols();
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (Member m : members.values()) {
            for (Protocol p : m.protocols) {
                if (candidates.contains(p.name())) {
                    votes.merge(p.name(), 1, Integer::sum);
                    break;
                }
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
            .orElse(candidates.iterator().next());
    }

    private JoinGroupResponse joinResponse(Member member, short version) {
        JoinGroupResponse r = new JoinGroupResponse().setGenerationId(generationId)
            .setProtocolType(protocolType).setProtocolName(protocolName == null && version < 7 ? "" : protocolName)
            .setLeader(leaderId == null ? "" : leaderId).setMemberId(member.memberId);
        List<JoinGroupResponse.JoinGroupResponseMember> list = new ArrayList<>();
        if (member.memberId.equals(leaderId)) {
            for (Member m : members.values()) {
                list.add(new JoinGroupResponse.JoinGroupResponseMember().setMemberId(m.memberId)
                    .setGroupInstanceId(version >= 5 ? m.groupInstanceId : null).setMetadata(m.metadata(protocolName)));
            }
        }
        return r.setMembers(list);
    }

    static JoinGroupResponse joinError(String memberId, ErrorCode error) {
        return new JoinGroupResponse().setErrorCode(error.code()).setGenerationId(-1).setProtocolName("")
            .setLeader("").setMemberId(memberId == null ? "" : memberId).setMembers(List.of());
    }

    private void expirePending(String memberId) {
        if (pendingMembers.remove(memberId)) {
            maybeCompleteJoin();
        }
    }

    /** NONE, or why {@code memberId} (with {@code instanceId}) is not a member. */
    private ErrorCode checkMember(String memberId, String instanceId) {
        if (instanceId != null) {
            String current = staticMembers.get(instanceId);
            if (current != null && !current.equals(memberId)) {
                return ErrorCode.FENCED_INSTANCE_ID;
            }
        }
        return members.containsKey(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    }

    // ------------------------------------------------------------------ SyncGroup

    CompletableFuture<SyncGroupResponse> sync(SyncGroupRequest request) {
        ErrorCode error = checkMember(request.memberId(), request.groupInstanceId());
        if (error == ErrorCode.NONE && request.generationId() != generationId) {
            error = ErrorCode.ILLEGAL_GENERATION;
        }
        if (error == ErrorCode.NONE && (request.protocolType() != null && !request.protocolType().equals(protocolType)
            || request.protocolName() != null && !request.protocolName().equals(protocolName))) {
            error = ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
        }
        if (error != ErrorCode.NONE) {
            return CompletableFuture.completedFuture(syncError(error));
        }
        Member member = members.get(request.memberId());
        scheduleSessionExpiry(member);
        switch (state) {
            case PREPARING_REBALANCE:
                return CompletableFuture.completedFuture(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
            case STABLE:
                pendingSync.remove(member.memberId);
                return CompletableFuture.completedFuture(syncResponse(member));
            case COMPLETING_REBALANCE:
                break;
            default:
                return CompletableFuture.completedFuture(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        }
        CompletableFuture<SyncGroupResponse> response = new CompletableFuture<>();
        if (member.awaitingSync != null) {
            member.awaitingSync.complete(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        }
        member.awaitingSync = response;
        pendingSync.remove(member.memberId);
        if (member.memberId.equals(leaderId)) {
            Map<String, byte[]> assignments = new HashMap<>();
            for (SyncGroupRequest.SyncGroupRequestAssignment a : request.assignments()) {
                assignments.put(a.memberId(), a.assignment());
            }
            for (Member m : members.values()) {
                m.assignment = assignments.getOrDefault(m.memberId, new byte[0]);
            }
            int generation = generationId;
            shard.write(List.of(GroupRecords.classicGroup(groupId, toRecord()))).whenComplete((v, failure) -> {
                if (generation != generationId || state != State.COMPLETING_REBALANCE) {
                    return;
                }
                if (failure != null) {
                    resetAssignments(CoordinatorException.clientError(failure));
                    prepareRebalance("the assignment could not be written");
                    return;
                }
                transition(State.STABLE);
                for (Member m : members.values()) {
                    if (m.awaitingSync != null) {
                        CompletableFuture<SyncGroupResponse> waiting = m.awaitingSync;
                        m.awaitingSync = null;
                        waiting.complete(syncResponse(m));
                    }
                }
            });
        }
        return response;
    }

    private SyncGroupResponse syncResponse(Member m) {
        return new SyncGroupResponse().setProtocolType(protocolType).setProtocolName(protocolName)
            .setAssignment(m.assignment);
    }

    static SyncGroupResponse syncError(ErrorCode error) {
        return new SyncGroupResponse().setErrorCode(error.code()).setAssignment(new byte[0]);
    }

    private void resetAssignments(ErrorCode error) {
        for (Member m : members.values()) {
            m.assignment = new byte[0];
            if (m.awaitingSync != null) {
                CompletableFuture<SyncGroupResponse> waiting = m.awaitingSync;
                m.awaitingSync = null;
                waiting.complete(syncError(error));
            }
        }
    }

    // ------------------------------------------------------------------ Heartbeat and LeaveGroup

    HeartbeatResponse heartbeat(HeartbeatRequest request) {
        ErrorCode error = checkMember(request.memberId(), request.groupInstanceId());
        if (error == ErrorCode.NONE && state == State.EMPTY) {
            error = ErrorCode.UNKNOWN_MEMBER_ID;
        }
        if (error == ErrorCode.NONE && request.generationId() != generationId) {
            error = ErrorCode.ILLEGAL_GENERATION;
        }
        if (error == ErrorCode.NONE) {
            scheduleSessionExpiry(members.get(request.memberId()));
            if (state == State.PREPARING_REBALANCE) {
                error = ErrorCode.REBALANCE_IN_PROGRESS;
            }
        }
        return new HeartbeatResponse().setErrorCode(error.code());
    }

    /** Removes each listed member (by member id or instance id); answers per member. */
    LeaveGroupResponse leave(LeaveGroupRequest request, short version) {
        List<LeaveGroupRequest.MemberIdentity> leaving = version >= 3 ? request.members()
            : List.of(new LeaveGroupRequest.MemberIdentity().setMemberId(request.memberId()));
        List<LeaveGroupResponse.MemberResponse> results = new ArrayList<>();
        boolean removedAny = false;
        for (LeaveGroupRequest.MemberIdentity identity : leaving) {
            String memberId = identity.memberId();
            ErrorCode error = ErrorCode.NONE;
            if (identity.groupInstanceId() != null) {
                String current = staticMembers.get(identity.groupInstanceId());
                if (current == null) {
                    error = ErrorCode.UNKNOWN_MEMBER_ID;
                } else if (!memberId.isEmpty() && !memberId.equals(current)) {
                    error = ErrorCode.FENCED_INSTANCE_ID;
                } else {
                    memberId = current;
                }
            }
            if (error == ErrorCode.NONE) {
                if (pendingMembers.remove(memberId)) {
                    shard.cancel(pendingKey(memberId));
                    removedAny = true;
                } else if (members.containsKey(memberId)) {
                    log.info("Member {} of group {} left ({})", LogSafe.of(memberId), LogSafe.of(groupId),
                        identity.reason() == null ? "no reason given" : LogSafe.of(identity.reason()));
                    removeMember(members.get(memberId), ErrorCode.UNKNOWN_MEMBER_ID);
                    removedAny = true;
                } else {
                    error = ErrorCode.UNKNOWN_MEMBER_ID;
                }
            }
            results.add(new LeaveGroupResponse.MemberResponse().setMemberId(identity.memberId())
                .setGroupInstanceId(identity.groupInstanceId()).setErrorCode(error.code()));
        }
        if (removedAny) {
            afterMembersLeft("members left");
        }
        LeaveGroupResponse response = new LeaveGroupResponse();
        if (version >= 3) {
            response.setMembers(results);
        } else {
            response.setErrorCode(results.get(0).errorCode());
        }
        return response;
    }

    private void afterMembersLeft(String reason) {
        switch (state) {
            case STABLE, COMPLETING_REBALANCE -> {
                if (members.isEmpty()) {
                    resetAssignments(ErrorCode.UNKNOWN_MEMBER_ID);
                    shard.cancel(syncKey());
                    toEmpty();
                } else {
                    prepareRebalance(reason);
                }
            }
            case PREPARING_REBALANCE -> maybeCompleteJoin();
            default -> {
            }
        }
    }

    private void removeMember(Member m, ErrorCode answerWith) {
        members.remove(m.memberId);
        shard.cancel(sessionKey(m.memberId));
        pendingSync.remove(m.memberId);
        if (m.groupInstanceId != null && m.memberId.equals(staticMembers.get(m.groupInstanceId))) {
            staticMembers.remove(m.groupInstanceId);
        }
        if (m.awaitingJoin != null) {
            m.awaitingJoin.complete(joinError(m.memberId, answerWith));
            m.awaitingJoin = null;
        }
        if (m.awaitingSync != null) {
            m.awaitingSync.complete(syncError(answerWith));
            m.awaitingSync = null;
        }
        if (m.memberId.equals(leaderId)) {
            leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
        }
    }

    /** Empties the group of every member (DeleteGroups is refused for such a group; this is for shutdown). */
    void failAllPending(ErrorCode error) {
        for (Member m : members.values()) {
            if (m.awaitingJoin != null) {
                m.awaitingJoin.complete(joinError(m.memberId, error));
                m.awaitingJoin = null;
            }
            if (m.awaitingSync != null) {
                m.awaitingSync.complete(syncError(error));
                m.awaitingSync = null;
            }
        }
    }

    private void scheduleSessionExpiry(Member m) {
        String memberId = m.memberId;
        shard.schedule(sessionKey(memberId), m.sessionTimeoutMs, () -> sessionExpired(memberId));
    }

    private void sessionExpired(String memberId) {
        Member m = members.get(memberId);
        if (m == null) {
            return;
        }
        if (m.awaitingJoin != null && !m.isNew || m.awaitingSync != null) {
            // Waiting in a rebalance is alive; the join and sync phases' own timeouts deal with it.
            scheduleSessionExpiry(m);
            return;
        }
        if (m.awaitingJoin != null && m.isNew && shard.now() - stateTimestamp < GroupConfig.NEW_MEMBER_JOIN_TIMEOUT_MS) {
            scheduleSessionExpiry(m);
            return;
        }
        log.info("Member {} of group {} has failed (session timeout of {} ms expired); removing it",
            LogSafe.of(memberId), LogSafe.of(groupId), m.sessionTimeoutMs);
        removeMember(m, ErrorCode.UNKNOWN_MEMBER_ID);
        afterMembersLeft("member " + memberId + " failed");
    }

    // ------------------------------------------------------------------ OffsetCommit validation

    /**
     * NONE if a commit from {@code memberId} at {@code generation} may proceed; a commit without a
     * member and generation is allowed only while the group is empty (admin tools, simple consumers).
     */
    ErrorCode validateCommit(String memberId, String instanceId, int generation) {
        if (generation < 0 && (memberId == null || memberId.isEmpty()) && state == State.EMPTY) {
            return ErrorCode.NONE;
        }
        if (state == State.COMPLETING_REBALANCE) {
            return ErrorCode.REBALANCE_IN_PROGRESS;
        }
        ErrorCode error = checkMember(memberId, instanceId);
        if (error != ErrorCode.NONE) {
            return error;
        }
        if (generation != generationId) {
            return ErrorCode.ILLEGAL_GENERATION;
        }
        Member m = members.get(memberId);
        scheduleSessionExpiry(m);
        return ErrorCode.NONE;
    }

    /** Topics the members subscribe to, read from their consumer-protocol subscriptions where possible. */
    Set<String> subscribedTopics() {
        Set<String> topics = new HashSet<>();
        if (!"consumer".equals(protocolType) || protocolName == null) {
            return topics;
        }
        for (Member m : members.values()) {
            topics.addAll(ConsumerProtocol.subscribedTopics(m.metadata(protocolName)));
        }
        return topics;
    }

    // ------------------------------------------------------------------ describe and persist

    GroupMetadataValue toRecord() {
        List<GroupMetadataValue.MemberMetadata> list = new ArrayList<>();
        for (Member m : members.values()) {
            list.add(new GroupMetadataValue.MemberMetadata().setMemberId(m.memberId)
                .setGroupInstanceId(m.groupInstanceId).setClientId(m.clientId).setClientHost(m.clientHost)
                .setRebalanceTimeout(m.rebalanceTimeoutMs).setSessionTimeout(m.sessionTimeoutMs)
                .setSubscription(m.metadata(protocolName)).setAssignment(m.assignment));
        }
        return new GroupMetadataValue().setProtocolType(protocolType == null ? "" : protocolType)
            .setGeneration(generationId).setProtocol(protocolName).setLeader(leaderId)
            .setCurrentStateTimestamp(stateTimestamp).setMembers(list);
    }

    /** Removes every member and forgets the group's timers (the group is being deleted or unloaded). */
    void cancelTimers() {
        for (String id : members.keySet()) {
            shard.cancel(sessionKey(id));
        }
        for (String id : pendingMembers) {
            shard.cancel(pendingKey(id));
        }
        shard.cancel(joinKey());
        shard.cancel(syncKey());
    }

    private String sessionKey(String memberId) {
        return "classic-session:" + groupId + ":" + memberId;
    }

    private String pendingKey(String memberId) {
        return "classic-pending:" + groupId + ":" + memberId;
    }

    private String joinKey() {
        return "classic-join:" + groupId;
    }

    private String syncKey() {
        return "classic-sync:" + groupId;
    }

    @Override
    public String toString() {
        return "classic group " + groupId + " (" + state.label + ", generation " + generationId + ", "
            + members.size() + " members, protocol " + Objects.requireNonNullElse(protocolName, "none") + ")";
    }
}
