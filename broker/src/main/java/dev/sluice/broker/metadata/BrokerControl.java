package dev.sluice.broker.metadata;

import dev.sluice.broker.metadata.MetadataLog.AppendFailure;
import dev.sluice.broker.metadata.records.BrokerRegistrationChangeRecord;
import dev.sluice.broker.metadata.records.RegisterBrokerRecord;
import dev.sluice.broker.metadata.records.UnregisterBrokerRecord;
import dev.sluice.wire.message.AlterPartitionReassignmentsRequest;
import dev.sluice.wire.message.AlterPartitionReassignmentsResponse;
import dev.sluice.wire.message.AlterPartitionRequest;
import dev.sluice.wire.message.AlterPartitionResponse;
import dev.sluice.wire.message.BrokerHeartbeatRequest;
import dev.sluice.wire.message.BrokerHeartbeatResponse;
import dev.sluice.wire.message.BrokerRegistrationRequest;
import dev.sluice.wire.message.BrokerRegistrationResponse;
import dev.sluice.wire.message.ElectLeadersRequest;
import dev.sluice.wire.message.ElectLeadersResponse;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ListPartitionReassignmentsRequest;
import dev.sluice.wire.message.ListPartitionReassignmentsResponse;
import dev.sluice.wire.message.Message;
import dev.sluice.wire.message.UnregisterBrokerResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's decisions about brokers: registrations, heartbeats and sessions, fencing,
 * controlled shutdown, and what each of them does to partition leaders and ISRs; also the ISR
 * changes leaders ask for (AlterPartition). Decides on the view's current image and writes through
 * the controller's commit, which returns once the change is applied.
 *
 * <p>Sessions (when each broker was last heard from, and how far it had applied the metadata log)
 * are kept in memory by the active controller only: a node that becomes active starts every
 * registered broker on a fresh session and probes it, since it cannot know what the previous
 * active controller heard.
 *
 * <p>A single node runs one for the administrators' partition decisions only (ElectLeaders,
 * reassignments, UnregisterBroker), with itself as an implicit broker: it registers none, yet it
 * is the broker every replica is on.
 *
 * <p>Threading: not thread-safe; every method runs on the controller thread. Probes connect on
 * {@code probes} and come back to the controller thread to act.
 */
final class BrokerControl {
    private static final Logger log = LoggerFactory.getLogger(BrokerControl.class);
    /** Kafka's topic and broker config key. */
    static final String UNCLEAN_LEADER_ELECTION = "unclean.leader.election.enable";
    /** AlterPartition's leader recovery state of a partition whose leader was elected cleanly. */
    private static final byte RECOVERED = 0;

    /** What the active controller last heard from one broker. */
    private record Session(long lastContactMs, long metadataOffset) {
    }

    private final int nodeId;
    private final MetadataView view;
    private final ClusterSettings settings;
    private final BooleanSupplier isLeader;
    private final Supplier<AppendFailure> notController;
    /** Writes a change and returns its offset once applied; throws {@link AppendFailure}. */
    private final Function<List<Message>, Long> commit;
    private final Executor controllerThread;
    private final Executor probes;
    private final Map<Integer, Session> sessions = new HashMap<>();
    /** Offsets of the changes that began each broker's controlled shutdown, while it lasts. */
    private final Map<Integer, Long> shutdownOffsets = new HashMap<>();
    /** Incarnations whose registration was refused, so that each refusal is logged once. */
    private final java.util.Set<dev.sluice.wire.codec.Uuid> refusedRegistrations = new java.util.HashSet<>();
    /**
     * The metadata offset a fenced broker must have applied before it is unfenced again: that of
     * its fencing, or, for brokers already fenced when this node took the lead, the offset it had
     * applied then. A broker that was cut off and comes back has so learnt that it was fenced and
     * that its leaderships moved before it is given any again.
     */
    private final Map<Integer, Long> fencedAt = new HashMap<>();
    /** Whether this node was the active controller when last asked; sessions are only valid while it is. */
    private boolean active;

    /** The broker that counts as registered and active without a registration, or -1: a single node itself. */
    private final int implicitBroker;

    BrokerControl(int nodeId, MetadataView view, ClusterSettings settings, BooleanSupplier isLeader,
                  Supplier<AppendFailure> notController, Function<List<Message>, Long> commit,
                  Executor controllerThread, Executor probes) {
        this(nodeId, view, settings, isLeader, notController, commit, controllerThread, probes, -1);
    }

    /** A single node's: {@code nodeId} is the broker every replica is on, registered or not. */
    static BrokerControl singleNode(int nodeId, MetadataView view, BooleanSupplier isLeader,
                                    Supplier<AppendFailure> notController, Function<List<Message>, Long> commit,
                                    Executor controllerThread) {
        return new BrokerControl(nodeId, view, new ClusterSettings(ClusterSettings.DEFAULT_SESSION_TIMEOUT_MS,
            () -> false, ""), isLeader, notController, commit, controllerThread, Runnable::run, nodeId);
    }

    private BrokerControl(int nodeId, MetadataView view, ClusterSettings settings, BooleanSupplier isLeader,
                          Supplier<AppendFailure> notController, Function<List<Message>, Long> commit,
                          Executor controllerThread, Executor probes, int implicitBroker) {
        this.implicitBroker = implicitBroker;
        this.nodeId = nodeId;
        this.view = view;
        this.settings = settings;
        this.isLeader = isLeader;
        this.notController = notController;
        this.commit = commit;
        this.controllerThread = controllerThread;
        this.probes = probes;
    }

    // ------------------------------------------------------------------ leadership of the controller

    /**
     * Whether this node is the active controller. On becoming it, every registered broker gets a
     * fresh session and every unfenced one a probe; on losing it, the sessions are forgotten.
     */
    boolean ensureActive() {
        if (!isLeader.getAsBoolean()) {
            if (active) {
                active = false;
                sessions.clear();
                shutdownOffsets.clear();
                fencedAt.clear();
            }
            return false;
        }
        if (!active) {
            active = true;
            long now = settings.clockMs().getAsLong();
            for (BrokerRegistration b : view.image().brokers().values()) {
                sessions.put(b.id(), new Session(now, -1));
                if (!b.fenced()) {
                    probe(b);
                } else {
                    fencedAt.put(b.id(), view.appliedOffset());
                }
            }
            log.info("node {} is the active controller; {} registered broker(s) start on fresh sessions", nodeId,
                sessions.size());
        }
        return true;
    }

    private void touch(int brokerId, long metadataOffset) {
        sessions.put(brokerId, new Session(settings.clockMs().getAsLong(), metadataOffset));
    }

    /** Kafka's notion: an unfenced broker heard from within the session timeout. */
    private boolean hasValidSession(BrokerRegistration b) {
        Session s = sessions.get(b.id());
        return !b.fenced() && s != null && settings.clockMs().getAsLong() - s.lastContactMs() <= settings.sessionTimeoutMs();
    }

    // ------------------------------------------------------------------ registration

    BrokerRegistrationResponse register(BrokerRegistrationRequest request) {
        BrokerRegistrationResponse response = new BrokerRegistrationResponse();
        if (!ensureActive()) {
            return response.setErrorCode(notController.get().error().code());
        }
        MetadataImage image = view.image();
        if (!image.clusterId().equals(request.clusterId())) {
            log.info("refused the registration of broker {}: cluster id {} is not this cluster's {}",
                request.brokerId(), request.clusterId(), image.clusterId());
            return response.setErrorCode(ErrorCode.INCONSISTENT_CLUSTER_ID.code());
        }
        BrokerRegistration existing = image.brokers().get(request.brokerId());
        if (existing != null && existing.incarnationId().equals(request.incarnationId())) {
            // A retry of a registration whose answer was lost: the same process keeps its epoch.
            touch(existing.id(), -1);
            return response.setBrokerEpoch(existing.epoch());
        }
        if (existing != null && hasValidSession(existing)) {
            if (refusedRegistrations.add(request.incarnationId())) {
                log.info("refused the registration of broker {} incarnation {}: incarnation {} of it is still alive;"
                    + " it is accepted once that one's session ends", request.brokerId(), request.incarnationId(),
                    existing.incarnationId());
            }
            return response.setErrorCode(ErrorCode.DUPLICATE_BROKER_REGISTRATION.code());
        }
        long epoch = Math.max(image.nextBrokerEpoch(), 1);
        List<Message> records = new ArrayList<>();
        if (existing != null) {
            // The previous incarnation died without shutting down cleanly: it leads and follows nothing any more.
            records.addAll(leaving(image, existing.id()));
        }
        List<RegisterBrokerRecord.BrokerEndpoint> endpoints = new ArrayList<>();
        for (BrokerRegistrationRequest.Listener l : request.listeners()) {
            endpoints.add(new RegisterBrokerRecord.BrokerEndpoint().setName(l.name()).setHost(l.host())
                .setPort(l.port()).setSecurityProtocol(l.securityProtocol()));
        }
        records.add(new RegisterBrokerRecord().setBrokerId(request.brokerId()).setIncarnationId(request.incarnationId())
            .setBrokerEpoch(epoch).setEndpoints(endpoints).setRack(request.rack()).setFenced(true));
        try {
            commit.apply(records);
        } catch (AppendFailure e) {
            return response.setErrorCode(e.error().code());
        }
        touch(request.brokerId(), -1);
        shutdownOffsets.remove(request.brokerId());
        log.info("registered broker {} incarnation {} with epoch {}", request.brokerId(), request.incarnationId(), epoch);
        return response.setBrokerEpoch(epoch);
    }

    UnregisterBrokerResponse unregister(int brokerId) {
        UnregisterBrokerResponse response = new UnregisterBrokerResponse();
        if (!ensureActive()) {
            AppendFailure failure = notController.get();
            return response.setErrorCode(failure.error().code()).setErrorMessage(failure.getMessage());
        }
        MetadataImage image = view.image();
        BrokerRegistration b = image.brokers().get(brokerId);
        if (b == null && brokerId == implicitBroker) {
            // The running node itself: as a live Kafka broker registers again at once, it stays.
            return response.setErrorMessage(null);
        }
        if (b == null) {
            return response.setErrorCode(ErrorCode.BROKER_ID_NOT_REGISTERED.code())
                .setErrorMessage("Broker ID " + brokerId + " is not currently registered");
        }
        List<Message> records = new ArrayList<>(leaving(image, brokerId));
        records.add(new UnregisterBrokerRecord().setBrokerId(brokerId).setBrokerEpoch(b.epoch()));
        try {
            commit.apply(records);
        } catch (AppendFailure e) {
            return response.setErrorCode(e.error().code()).setErrorMessage(e.getMessage());
        }
        sessions.remove(brokerId);
        shutdownOffsets.remove(brokerId);
        log.info("unregistered broker {} (epoch {})", brokerId, b.epoch());
        return response.setErrorMessage(null);
    }

    // ------------------------------------------------------------------ heartbeats and sessions

    BrokerHeartbeatResponse heartbeat(BrokerHeartbeatRequest request) {
        BrokerHeartbeatResponse response = new BrokerHeartbeatResponse();
        if (!ensureActive()) {
            return response.setErrorCode(notController.get().error().code());
        }
        MetadataImage image = view.image();
        BrokerRegistration b = image.brokers().get(request.brokerId());
        if (b == null || b.epoch() != request.brokerEpoch()) {
            return response.setErrorCode(ErrorCode.STALE_BROKER_EPOCH.code());
        }
        touch(b.id(), request.currentMetadataOffset());
        boolean caughtUp = request.currentMetadataOffset() >= Math.max(b.registrationOffset(),
            b.fenced() ? fencedAt.getOrDefault(b.id(), -1L) : -1L);
        boolean fenced;
        boolean shutDown = false;
        try {
            if (b.fenced()) {
                fenced = true;
                shutDown = request.wantShutDown();
                if (!shutDown && !request.wantFence() && caughtUp) {
                    commit.apply(unfencing(image, b));
                    fenced = false;
                    log.info("unfenced broker {} (epoch {}): it has caught up with the metadata log", b.id(), b.epoch());
                }
            } else if (request.wantFence() || (b.inControlledShutdown() && readyToShutDown(image, b))) {
                commit.apply(fencing(image, b));
                fenced = true;
                shutDown = request.wantShutDown() || b.inControlledShutdown();
                log.info("fenced broker {} (epoch {}): {}", b.id(), b.epoch(),
                    b.inControlledShutdown() ? "its controlled shutdown is complete" : "it asked to be fenced");
            } else if (request.wantShutDown() && !b.inControlledShutdown()) {
                shutdownOffsets.put(b.id(), commit.apply(controlledShutdown(image, b)));
                fenced = false;
                log.info("broker {} (epoch {}) began a controlled shutdown; its leaderships moved", b.id(), b.epoch());
            } else {
                fenced = false;
            }
        } catch (AppendFailure e) {
            return response.setErrorCode(e.error().code());
        }
        return response.setIsCaughtUp(caughtUp).setIsFenced(fenced).setShouldShutDown(shutDown);
    }

    /**
     * A broker in controlled shutdown may stop once it leads nothing and every other active broker
     * has applied the change that moved its leaderships, so that the new leaders know they lead.
     */
    private boolean readyToShutDown(MetadataImage image, BrokerRegistration b) {
        for (TopicImage topic : image.topics()) {
            for (PartitionImage p : topic.partitions()) {
                if (p.leader() == b.id()) {
                    return false;
                }
            }
        }
        long offset = shutdownOffsets.computeIfAbsent(b.id(), id -> view.appliedOffset());
        for (BrokerRegistration other : image.brokers().values()) {
            Session s = sessions.get(other.id());
            if (other.id() != b.id() && other.active() && (s == null || s.metadataOffset() < offset)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Fences the unfenced broker whose session expired longest ago, if any. One per check, as
     * Kafka's controller does: after this thread was held up (a slow write, a long pause), heartbeats
     * that are only late must not fence every broker at once; a truly dead one is fenced at a
     * later check.
     */
    void checkSessions() {
        if (!ensureActive()) {
            return;
        }
        long now = settings.clockMs().getAsLong();
        BrokerRegistration stalest = null;
        long stalestContact = Long.MAX_VALUE;
        for (BrokerRegistration b : view.image().brokers().values()) {
            Session s = sessions.get(b.id());
            if (b.fenced()) {
                continue;
            }
            if (s == null) {
                sessions.put(b.id(), new Session(now, -1));
            } else if (now - s.lastContactMs() > settings.sessionTimeoutMs() && s.lastContactMs() < stalestContact) {
                stalest = b;
                stalestContact = s.lastContactMs();
            }
        }
        if (stalest != null) {
            fence(stalest.id(), stalest.epoch(), "no heartbeat for " + (now - stalestContact) + " ms ("
                + "broker.session.timeout.ms is " + settings.sessionTimeoutMs() + ")");
        }
    }

    /**
     * Evidence from outside that {@code brokerId} may be gone: a TCP connect to its inter-broker
     * endpoint, off the controller thread, decides. Refused: nothing listens there, so it is
     * fenced at once rather than at its session's end. Accepted or timed out: nothing is done (a
     * broker that is only unreachable is left to its session). Completes with whether it was fenced.
     */
    CompletableFuture<Boolean> suspect(int brokerId) {
        if (!ensureActive()) {
            return CompletableFuture.completedFuture(false);
        }
        BrokerRegistration b = view.image().brokers().get(brokerId);
        if (b == null || b.fenced()) {
            return CompletableFuture.completedFuture(false);
        }
        return probe(b);
    }

    private CompletableFuture<Boolean> probe(BrokerRegistration b) {
        Optional<BrokerRegistration.Endpoint> endpoint = b.endpoint(settings.interBrokerListener())
            .or(() -> b.endpoints().stream().findFirst());
        if (endpoint.isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        return CompletableFuture.supplyAsync(() -> refuses(endpoint.get()), probes)
            .thenApplyAsync(refused -> refused && fence(b.id(), b.epoch(), "its listener "
                + endpoint.get().listener() + " refused a connection"), controllerThread);
    }

    /** Whether nothing listens at {@code endpoint}; a timeout or any other failure is no evidence. */
    private boolean refuses(BrokerRegistration.Endpoint endpoint) {
        String host = endpoint.host().isEmpty() || endpoint.host().equals("0.0.0.0") || endpoint.host().equals("::")
            ? "localhost" : endpoint.host();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, endpoint.port()), settings.probeTimeoutMs());
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Fences registration {@code epoch} of {@code brokerId} if it is still the current, unfenced one; runs on the controller thread. */
    private boolean fence(int brokerId, long epoch, String why) {
        if (!ensureActive()) {
            return false;
        }
        MetadataImage image = view.image();
        BrokerRegistration b = image.brokers().get(brokerId);
        if (b == null || b.epoch() != epoch || b.fenced()) {
            return false;
        }
        try {
            fencedAt.put(brokerId, commit.apply(fencing(image, b)));
        } catch (AppendFailure e) {
            log.warn("could not fence broker {} ({}): {}", brokerId, why, e.getMessage());
            return false;
        }
        log.info("fenced broker {} (epoch {}): {}", brokerId, epoch, why);
        return true;
    }

    // ------------------------------------------------------------------ the records of each transition

    private List<Message> fencing(MetadataImage image, BrokerRegistration b) {
        List<Message> records = new ArrayList<>();
        records.add(change(b, true, b.inControlledShutdown()));
        records.addAll(leaving(image, b.id()));
        return records;
    }

    private List<Message> controlledShutdown(MetadataImage image, BrokerRegistration b) {
        List<Message> records = new ArrayList<>();
        records.add(change(b, false, true));
        records.addAll(leaving(image, b.id()));
        return records;
    }

    private List<Message> unfencing(MetadataImage image, BrokerRegistration b) {
        List<Message> records = new ArrayList<>();
        records.add(change(b, false, false));
        IntPredicate active = r -> r == b.id() || image.broker(r).map(BrokerRegistration::active).orElse(false);
        for (TopicImage topic : image.topics()) {
            boolean unclean = uncleanElection(image, topic);
            for (PartitionImage p : topic.partitions()) {
                LeaderElection.ifLeaderless(p, active, unclean)
                    .ifPresent(changed -> records.add(MetadataView.partitionRecord(topic.id(), changed)));
            }
        }
        return records;
    }

    /** The partition changes when {@code brokerId} may no longer lead or be in sync. */
    private List<Message> leaving(MetadataImage image, int brokerId) {
        List<Message> records = new ArrayList<>();
        IntPredicate active = r -> r != brokerId && image.broker(r).map(BrokerRegistration::active).orElse(false);
        for (TopicImage topic : image.topics()) {
            boolean unclean = uncleanElection(image, topic);
            for (PartitionImage p : topic.partitions()) {
                if (p.leader() == brokerId || p.isr().contains(brokerId)) {
                    LeaderElection.without(p, brokerId, active, unclean)
                        .ifPresent(changed -> records.add(MetadataView.partitionRecord(topic.id(), changed)));
                }
            }
        }
        return records;
    }

    private static BrokerRegistrationChangeRecord change(BrokerRegistration b, boolean fenced, boolean shuttingDown) {
        return new BrokerRegistrationChangeRecord().setBrokerId(b.id()).setBrokerEpoch(b.epoch()).setFenced(fenced)
            .setInControlledShutdown(shuttingDown);
    }

    /** The topic's own setting, else the cluster-wide dynamic default, else the broker configuration. */
    private boolean uncleanElection(MetadataImage image, TopicImage topic) {
        String value = topic.configs().get(UNCLEAN_LEADER_ELECTION);
        if (value == null) {
            value = image.brokerConfigs("").get(UNCLEAN_LEADER_ELECTION);
        }
        return value == null ? settings.uncleanLeaderElection().getAsBoolean() : Boolean.parseBoolean(value.trim());
    }

    // ------------------------------------------------------------------ ElectLeaders

    /** ElectLeaders' election types. */
    private static final byte PREFERRED = 0;
    private static final byte UNCLEAN = 1;

    /**
     * Elects leaders as an administrator asks (Kafka's ElectLeaders). PREFERRED: the first replica
     * leads if it is in sync and active (ELECTION_NOT_NEEDED when it leads already,
     * PREFERRED_LEADER_NOT_AVAILABLE when it cannot). UNCLEAN: a partition without a leader gets
     * one, out of sync if need be (ELECTION_NOT_NEEDED when it has one,
     * ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is active). No partitions listed (null) means
     * every partition, and then only those where an election was needed are answered.
     */
    ElectLeadersResponse electLeaders(ElectLeadersRequest request) {
        ElectLeadersResponse response = new ElectLeadersResponse();
        MetadataImage image = view.image();
        boolean all = request.topicPartitions() == null;
        Map<String, List<Integer>> asked = new LinkedHashMap<>();
        if (all) {
            image.topics().forEach(t -> asked.put(t.name(), IntStream.range(0, t.partitions().size()).boxed().toList()));
        } else {
            for (ElectLeadersRequest.TopicPartitions tp : request.topicPartitions()) {
                asked.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).addAll(tp.partitions());
            }
        }
        ErrorCode refusal = ErrorCode.NONE;
        String refusalMessage = null;
        if (!ensureActive()) {
            AppendFailure failure = notController.get();
            refusal = failure.error();
            refusalMessage = failure.getMessage();
        } else if (request.electionType() != PREFERRED && request.electionType() != UNCLEAN) {
            refusal = ErrorCode.INVALID_REQUEST;
            refusalMessage = "unknown election type " + request.electionType();
        }
        IntPredicate active = active(image);
        List<Message> records = new ArrayList<>();
        Map<String, Map<Integer, PartitionImage>> elected = new HashMap<>();
        List<ElectLeadersResponse.ReplicaElectionResult> results = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : asked.entrySet()) {
            TopicImage topic = image.topic(e.getKey()).orElse(null);
            List<ElectLeadersResponse.PartitionResult> partitions = new ArrayList<>();
            for (int index : e.getValue()) {
                ElectLeadersResponse.PartitionResult result = new ElectLeadersResponse.PartitionResult()
                    .setPartitionId(index).setErrorMessage(null);
                if (refusal != ErrorCode.NONE) {
                    partitions.add(result.setErrorCode(refusal.code()).setErrorMessage(refusalMessage));
                    continue;
                }
                if (topic == null || index < 0 || index >= topic.partitions().size()) {
                    partitions.add(result.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("no partition " + e.getKey() + "-" + index));
                    continue;
                }
                PartitionImage p = elected.getOrDefault(topic.name(), Map.of())
                    .getOrDefault(index, topic.partitions().get(index));
                ErrorCode error;
                String message = null;
                Optional<PartitionImage> changed = Optional.empty();
                if (request.electionType() == PREFERRED) {
                    changed = LeaderElection.preferred(p, active);
                    error = p.leader() == p.replicas().get(0) ? ErrorCode.ELECTION_NOT_NEEDED
                        : changed.isPresent() ? ErrorCode.NONE : ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE;
                    if (error == ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE) {
                        message = "preferred replica " + p.replicas().get(0) + " is not an active in-sync replica";
                    }
                } else {
                    changed = LeaderElection.ifLeaderless(p, active, true);
                    error = p.leader() != LeaderElection.NO_LEADER ? ErrorCode.ELECTION_NOT_NEEDED
                        : changed.isPresent() ? ErrorCode.NONE : ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
                    if (error == ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE) {
                        message = "no replica of the partition is on an active broker";
                    }
                }
                if (changed.isPresent()) {
                    elected.computeIfAbsent(topic.name(), t -> new HashMap<>()).put(index, changed.get());
                    records.add(MetadataView.partitionRecord(topic.id(), changed.get()));
                }
                if (!all || error != ErrorCode.ELECTION_NOT_NEEDED) {
                    partitions.add(result.setErrorCode(error.code()).setErrorMessage(message));
                }
            }
            if (!partitions.isEmpty()) {
                results.add(new ElectLeadersResponse.ReplicaElectionResult().setTopic(e.getKey())
                    .setPartitionResult(partitions));
            }
        }
        commitOr(records, failure -> {
            for (ElectLeadersResponse.ReplicaElectionResult r : results) {
                for (ElectLeadersResponse.PartitionResult pr : r.partitionResult()) {
                    if (pr.errorCode() == ErrorCode.NONE.code()) {
                        pr.setErrorCode(failure.error().code()).setErrorMessage(failure.getMessage());
                    }
                }
            }
        });
        return response.setReplicaElectionResults(results);
    }

    /** Commits {@code records}, if any; hands {@code answerFailure} the reason they were not written. */
    private void commitOr(List<Message> records, Consumer<AppendFailure> answerFailure) {
        if (records.isEmpty()) {
            return;
        }
        try {
            commit.apply(records);
        } catch (AppendFailure failure) {
            answerFailure.accept(failure);
        }
    }

    // ------------------------------------------------------------------ reassignments

    /** Whether a broker may lead: registered, unfenced and not shutting down (or the implicit broker). */
    private IntPredicate active(MetadataImage image) {
        return r -> r == implicitBroker || image.broker(r).map(BrokerRegistration::active).orElse(false);
    }

    /**
     * Starts, replaces or cancels (null replicas) partition reassignments, as Kafka's
     * AlterPartitionReassignments: UNKNOWN_TOPIC_OR_PARTITION for a partition that does not
     * exist; INVALID_REPLICA_ASSIGNMENT for an empty target, a broker listed twice or not
     * registered, a change of replication factor when {@code allowReplicationFactorChange} is
     * off, or a change that would leave no in-sync replica; NO_REASSIGNMENT_IN_PROGRESS for a
     * cancellation of nothing. Every accepted partition changes in one metadata batch; see
     * {@link Reassignments} for what each change is.
     */
    AlterPartitionReassignmentsResponse alterReassignments(AlterPartitionReassignmentsRequest request) {
        AlterPartitionReassignmentsResponse response = new AlterPartitionReassignmentsResponse().setErrorMessage(null)
            .setAllowReplicationFactorChange(request.allowReplicationFactorChange());
        ErrorCode refusal = ErrorCode.NONE;
        String refusalMessage = null;
        if (!ensureActive()) {
            AppendFailure failure = notController.get();
            refusal = failure.error();
            refusalMessage = failure.getMessage();
            response.setErrorCode(refusal.code()).setErrorMessage(refusalMessage);
        }
        MetadataImage image = view.image();
        IntPredicate active = active(image);
        List<Message> records = new ArrayList<>();
        Map<String, Map<Integer, PartitionImage>> decided = new HashMap<>();
        List<AlterPartitionReassignmentsResponse.ReassignablePartitionResponse> accepted = new ArrayList<>();
        List<AlterPartitionReassignmentsResponse.ReassignableTopicResponse> topics = new ArrayList<>();
        for (AlterPartitionReassignmentsRequest.ReassignableTopic t : request.topics()) {
            TopicImage topic = image.topic(t.name()).orElse(null);
            List<AlterPartitionReassignmentsResponse.ReassignablePartitionResponse> partitions = new ArrayList<>();
            for (AlterPartitionReassignmentsRequest.ReassignablePartition rp : t.partitions()) {
                AlterPartitionReassignmentsResponse.ReassignablePartitionResponse answer =
                    new AlterPartitionReassignmentsResponse.ReassignablePartitionResponse()
                        .setPartitionIndex(rp.partitionIndex()).setErrorMessage(null);
                partitions.add(answer);
                if (refusal != ErrorCode.NONE) {
                    answer.setErrorCode(refusal.code()).setErrorMessage(refusalMessage);
                    continue;
                }
                if (topic == null || rp.partitionIndex() < 0 || rp.partitionIndex() >= topic.partitions().size()) {
                    answer.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("no partition " + t.name() + "-" + rp.partitionIndex());
                    continue;
                }
                PartitionImage p = decided.getOrDefault(topic.name(), Map.of())
                    .getOrDefault(rp.partitionIndex(), topic.partitions().get(rp.partitionIndex()));
                List<Integer> target;
                if (rp.replicas() == null) {
                    if (!p.reassigning()) {
                        answer.setErrorCode(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS.code())
                            .setErrorMessage("no reassignment of " + t.name() + "-" + rp.partitionIndex()
                                + " is in progress");
                        continue;
                    }
                    target = p.originalReplicas();
                } else {
                    target = rp.replicas();
                    String invalid = Reassignments.invalidTarget(target,
                        r -> r == implicitBroker || image.brokers().containsKey(r));
                    if (invalid == null && !request.allowReplicationFactorChange()
                        && target.size() != p.originalReplicas().size()) {
                        invalid = "the replication factor of " + t.name() + "-" + rp.partitionIndex() + " is "
                            + p.originalReplicas().size() + " and may not change to " + target.size();
                    }
                    if (invalid != null) {
                        answer.setErrorCode(ErrorCode.INVALID_REPLICA_ASSIGNMENT.code()).setErrorMessage(invalid);
                        continue;
                    }
                }
                PartitionImage changed;
                try {
                    changed = Reassignments.reassign(p, target, active);
                } catch (Reassignments.Refused e) {
                    answer.setErrorCode(ErrorCode.INVALID_REPLICA_ASSIGNMENT.code()).setErrorMessage(e.getMessage());
                    continue;
                }
                answer.setErrorCode(ErrorCode.NONE.code());
                if (changed != p) {
                    decided.computeIfAbsent(topic.name(), n -> new HashMap<>()).put(p.partition(), changed);
                    records.add(MetadataView.partitionRecord(topic.id(), changed));
                    accepted.add(answer);
                    log.info("reassigning {}-{} to {}: replicas {}, adding {}, removing {}", topic.name(),
                        p.partition(), target, changed.replicas(), changed.addingReplicas(), changed.removingReplicas());
                }
            }
            topics.add(new AlterPartitionReassignmentsResponse.ReassignableTopicResponse().setName(t.name())
                .setPartitions(partitions));
        }
        commitOr(records, failure -> accepted.forEach(
            answer -> answer.setErrorCode(failure.error().code()).setErrorMessage(failure.getMessage())));
        return response.setResponses(topics);
    }

    /**
     * The reassignments in progress, as Kafka's ListPartitionReassignments: of every partition
     * (null topics), or of those asked that are being reassigned; topics and partitions that do not
     * exist are left out, as Kafka's controller leaves them.
     */
    ListPartitionReassignmentsResponse listReassignments(ListPartitionReassignmentsRequest request) {
        ListPartitionReassignmentsResponse response = new ListPartitionReassignmentsResponse().setErrorMessage(null);
        if (!ensureActive()) {
            AppendFailure failure = notController.get();
            return response.setErrorCode(failure.error().code()).setErrorMessage(failure.getMessage());
        }
        MetadataImage image = view.image();
        Map<String, List<Integer>> asked = new LinkedHashMap<>();
        if (request.topics() == null) {
            image.topics().forEach(t -> asked.put(t.name(), IntStream.range(0, t.partitions().size()).boxed().toList()));
        } else {
            for (ListPartitionReassignmentsRequest.ListPartitionReassignmentsTopics t : request.topics()) {
                asked.computeIfAbsent(t.name(), n -> new ArrayList<>()).addAll(t.partitionIndexes());
            }
        }
        List<ListPartitionReassignmentsResponse.OngoingTopicReassignment> topics = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : asked.entrySet()) {
            TopicImage topic = image.topic(e.getKey()).orElse(null);
            if (topic == null) {
                continue;
            }
            List<ListPartitionReassignmentsResponse.OngoingPartitionReassignment> partitions = new ArrayList<>();
            for (int index : new TreeSet<>(e.getValue())) {
                if (index < 0 || index >= topic.partitions().size() || !topic.partitions().get(index).reassigning()) {
                    continue;
                }
                PartitionImage p = topic.partitions().get(index);
                partitions.add(new ListPartitionReassignmentsResponse.OngoingPartitionReassignment()
                    .setPartitionIndex(index).setReplicas(new ArrayList<>(p.replicas()))
                    .setAddingReplicas(new ArrayList<>(p.addingReplicas()))
                    .setRemovingReplicas(new ArrayList<>(p.removingReplicas())));
            }
            if (!partitions.isEmpty()) {
                topics.add(new ListPartitionReassignmentsResponse.OngoingTopicReassignment().setName(topic.name())
                    .setPartitions(partitions));
            }
        }
        return response.setTopics(topics);
    }

    // ------------------------------------------------------------------ automatic rebalancing

    /**
     * Kafka's automatic preferred-leader rebalance: for each broker, the share of the partitions
     * whose preferred (first) replica it is but which another broker leads; where that share is
     * above {@code imbalancePercentage}, each of those partitions whose preferred replica is an
     * active in-sync replica is handed back to it (leader epoch + 1), all in one batch. Returns how
     * many partitions changed leader; nothing when this node is not the active controller.
     */
    int balanceLeaders(int imbalancePercentage) {
        if (!ensureActive()) {
            return 0;
        }
        MetadataImage image = view.image();
        IntPredicate active = r -> image.broker(r).map(BrokerRegistration::active).orElse(false);
        Map<Integer, Integer> preferredHere = new HashMap<>();
        Map<Integer, List<Message>> handBack = new HashMap<>();
        Map<Integer, Integer> ledElsewhere = new HashMap<>();
        for (TopicImage topic : image.topics()) {
            for (PartitionImage p : topic.partitions()) {
                if (p.replicas().isEmpty()) {
                    continue;
                }
                int preferred = p.replicas().get(0);
                preferredHere.merge(preferred, 1, Integer::sum);
                if (p.leader() != preferred) {
                    ledElsewhere.merge(preferred, 1, Integer::sum);
                    LeaderElection.preferred(p, active).ifPresent(changed -> handBack
                        .computeIfAbsent(preferred, b -> new ArrayList<>())
                        .add(MetadataView.partitionRecord(topic.id(), changed)));
                }
            }
        }
        List<Message> records = new ArrayList<>();
        for (Map.Entry<Integer, List<Message>> e : handBack.entrySet()) {
            int broker = e.getKey();
            // Kafka's test: imbalance ratio strictly above the percentage.
            if (ledElsewhere.get(broker) * 100L > (long) imbalancePercentage * preferredHere.get(broker)) {
                log.info("broker {} leads {} of the {} partitions it is the preferred replica of; handing {} back",
                    broker, preferredHere.get(broker) - ledElsewhere.get(broker), preferredHere.get(broker),
                    e.getValue().size());
                records.addAll(e.getValue());
            }
        }
        if (records.isEmpty()) {
            return 0;
        }
        try {
            commit.apply(records);
        } catch (AppendFailure e) {
            log.warn("could not move leadership back to preferred replicas: {}", e.getMessage());
            return 0;
        }
        return records.size();
    }

    // ------------------------------------------------------------------ AlterPartition

    /**
     * An ISR change asked by a partition's leader, validated as Kafka's controller validates it.
     * {@code version} is the request's: from 3 the new ISR comes with each member's broker epoch,
     * which must be its current registration's (-1: not checked).
     */
    AlterPartitionResponse alterPartition(AlterPartitionRequest request, short version) {
        AlterPartitionResponse response = new AlterPartitionResponse();
        if (!ensureActive()) {
            return response.setErrorCode(notController.get().error().code());
        }
        MetadataImage image = view.image();
        BrokerRegistration requester = image.brokers().get(request.brokerId());
        if (requester == null || requester.epoch() != request.brokerEpoch()) {
            return response.setErrorCode(ErrorCode.STALE_BROKER_EPOCH.code());
        }
        List<Message> records = new ArrayList<>();
        List<AlterPartitionResponse.TopicData> topics = new ArrayList<>();
        for (AlterPartitionRequest.TopicData t : request.topics()) {
            TopicImage topic = image.topic(t.topicId()).orElse(null);
            List<AlterPartitionResponse.PartitionData> partitions = new ArrayList<>();
            for (AlterPartitionRequest.PartitionData pd : t.partitions()) {
                AlterPartitionResponse.PartitionData answer = new AlterPartitionResponse.PartitionData()
                    .setPartitionIndex(pd.partitionIndex());
                if (topic == null) {
                    partitions.add(answer.setErrorCode(ErrorCode.UNKNOWN_TOPIC_ID.code()));
                    continue;
                }
                if (pd.partitionIndex() < 0 || pd.partitionIndex() >= topic.partitions().size()) {
                    partitions.add(answer.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code()));
                    continue;
                }
                PartitionImage p = topic.partitions().get(pd.partitionIndex());
                List<Integer> newIsr = new ArrayList<>();
                Map<Integer, Long> epochs = new HashMap<>();
                if (version >= 3) {
                    for (AlterPartitionRequest.BrokerState s : pd.newIsrWithEpochs()) {
                        newIsr.add(s.brokerId());
                        epochs.put(s.brokerId(), s.brokerEpoch());
                    }
                } else {
                    newIsr.addAll(pd.newIsr());
                }
                ErrorCode error = validate(image, topic, p, request.brokerId(), pd, newIsr, epochs);
                if (error != ErrorCode.NONE) {
                    partitions.add(answer.setErrorCode(error.code()));
                    continue;
                }
                PartitionImage changed = p;
                if (!newIsr.equals(p.isr())) {
                    changed = p.withLeaderAndIsr(p.leader(), newIsr, p.leaderEpoch(), p.partitionEpoch() + 1);
                    // The last adding replica joining the ISR completes a reassignment, in the same change.
                    changed = Reassignments.complete(changed, active(image)).orElse(changed);
                    if (p.reassigning() && !changed.reassigning()) {
                        log.info("reassignment of {}-{} completed: replicas {}, leader {} (was {})", topic.name(),
                            p.partition(), changed.replicas(), changed.leader(), p.leader());
                    }
                    records.add(MetadataView.partitionRecord(topic.id(), changed));
                }
                partitions.add(answer.setLeaderId(changed.leader()).setLeaderEpoch(changed.leaderEpoch())
                    .setIsr(new ArrayList<>(changed.isr())).setPartitionEpoch(changed.partitionEpoch())
                    .setLeaderRecoveryState(RECOVERED));
            }
            topics.add(new AlterPartitionResponse.TopicData().setTopicId(t.topicId()).setPartitions(partitions));
        }
        if (!records.isEmpty()) {
            try {
                commit.apply(records);
            } catch (AppendFailure e) {
                return new AlterPartitionResponse().setErrorCode(e.error().code());
            }
        }
        return response.setTopics(topics);
    }

    private ErrorCode validate(MetadataImage image, TopicImage topic, PartitionImage p, int requester,
                               AlterPartitionRequest.PartitionData pd, List<Integer> newIsr, Map<Integer, Long> epochs) {
        String partition = topic.name() + "-" + p.partition();
        if (pd.leaderEpoch() > p.leaderEpoch() || pd.partitionEpoch() > p.partitionEpoch()) {
            // The requester has seen a change this controller has not: this node has lost or not yet caught up its leadership.
            return ErrorCode.NOT_CONTROLLER;
        }
        if (requester != p.leader()) {
            log.info("refused AlterPartition from broker {} for {}: the leader is {}", requester, partition, p.leader());
            return ErrorCode.INVALID_REQUEST;
        }
        if (pd.leaderEpoch() != p.leaderEpoch()) {
            return ErrorCode.FENCED_LEADER_EPOCH;
        }
        if (pd.partitionEpoch() != p.partitionEpoch()) {
            return ErrorCode.INVALID_UPDATE_VERSION;
        }
        Set<Integer> distinct = new HashSet<>(newIsr);
        if (distinct.size() != newIsr.size() || !p.replicas().containsAll(distinct) || !distinct.contains(p.leader())) {
            log.info("refused AlterPartition from broker {} for {}: ISR {} is not a set of its replicas {} holding"
                + " its leader", requester, partition, newIsr, p.replicas());
            return ErrorCode.INVALID_REQUEST;
        }
        if (pd.leaderRecoveryState() != RECOVERED) {
            // Partitions here are only ever elected cleanly (recovered), and may not go back to recovering.
            return ErrorCode.INVALID_REQUEST;
        }
        List<Integer> ineligible = new ArrayList<>();
        for (int r : newIsr) {
            BrokerRegistration b = image.brokers().get(r);
            Long epoch = epochs.get(r);
            if (b == null || !b.active() || (epoch != null && epoch != -1 && epoch != b.epoch())) {
                ineligible.add(r);
            }
        }
        if (!ineligible.isEmpty()) {
            log.info("refused AlterPartition from broker {} for {}: replicas {} of ISR {} are fenced, shutting down or"
                + " of a stale broker epoch", requester, partition, ineligible, newIsr);
            return ErrorCode.INELIGIBLE_REPLICA;
        }
        return ErrorCode.NONE;
    }
}
