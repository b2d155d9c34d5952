package dev.sluice.broker.cluster;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.handler.RequestDispatcher;
import dev.sluice.broker.metadata.BrokerIdentity;
import dev.sluice.broker.metadata.BrokerRegistration;
import dev.sluice.broker.metadata.ClusterSettings;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.AllocateProducerIdsRequest;
import dev.sluice.wire.message.AllocateProducerIdsResponse;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.CreateTopicsRequest;
import dev.sluice.wire.message.CreateTopicsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node of a cluster runs besides a single broker's parts: the way to the active controller
 * ({@link ControllerChannel}) and its serving end, the broker's registration and heartbeats
 * ({@link BrokerLifecycle}), the inter-broker client kept pointed at the registered brokers, and
 * the forwarding of controller-bound requests from a node that does not lead the quorum.
 */
public final class ClusterNode implements AutoCloseable, MetadataListener {
    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

    /** Client APIs only the active controller serves; any other node forwards them whole. */
    private static final Set<ApiKey> FORWARDED = Set.of(ApiKey.CREATE_TOPICS, ApiKey.DELETE_TOPICS,
        ApiKey.CREATE_PARTITIONS, ApiKey.ALTER_CONFIGS, ApiKey.INCREMENTAL_ALTER_CONFIGS, ApiKey.DESCRIBE_QUORUM,
        ApiKey.ELECT_LEADERS, ApiKey.UNREGISTER_BROKER, ApiKey.ALTER_PARTITION_REASSIGNMENTS,
        ApiKey.LIST_PARTITION_REASSIGNMENTS, ApiKey.ALTER_USER_SCRAM_CREDENTIALS,
        ApiKey.CREATE_ACLS, ApiKey.DELETE_ACLS, ApiKey.ALTER_CLIENT_QUOTAS, ApiKey.CREATE_DELEGATION_TOKEN,
        ApiKey.RENEW_DELEGATION_TOKEN, ApiKey.EXPIRE_DELEGATION_TOKEN, ApiKey.ADD_RAFT_VOTER, ApiKey.REMOVE_RAFT_VOTER,
        ApiKey.UNREGISTER_CONTROLLER);

    private final int nodeId;
    private final MetadataQuorum quorum;
    private final ControllerChannel channel;
    private final InterBrokerClient peers;
    /**
     * Connections of their own for transaction traffic (markers, verification): a broker answers a
     * connection's requests in order, and a WriteTxnMarkers or AddPartitionsToTxn waits for
     * replication, which waits for the follower fetches; sharing the fetchers' connections, the
     * wait would hold up the very fetches it waits for, as in Kafka, which also keeps them apart.
     */
    private final InterBrokerClient transactionPeers;
    private final String interBrokerListener;
    private final Controller controller;
    private volatile BrokerLifecycle lifecycle;
    private volatile boolean closed;
    private volatile dev.sluice.broker.replica.ReplicaFetchers fetchers;
    private volatile dev.sluice.broker.replica.IsrChanges isr;
    /** Watches the quorum's voters from the active controller; see {@link #watchVoters}. */
    private final java.util.concurrent.ScheduledExecutorService watcher;
    /** When each voter was last probed (System.nanoTime), so a silent voter is probed once a second. */
    private final Map<Integer, Long> probed = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Since when (System.nanoTime) each unfenced broker that is neither a voter nor an observer
     * this node has heard from while leading has been missing; touched on the watcher thread only.
     */
    private final Map<Integer, Long> unheard = new java.util.HashMap<>();

    private ClusterNode(int nodeId, MetadataQuorum quorum, Controller controller, String interBrokerListener,
                        PeerSecurity security) {
        this.nodeId = nodeId;
        this.quorum = quorum;
        this.controller = controller;
        this.channel = new ControllerChannel(quorum, nodeId);
        this.interBrokerListener = interBrokerListener;
        this.watcher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-voter-watch");
            t.setDaemon(true);
            return t;
        });
        InterBrokerSettings settings = InterBrokerSettings.defaults(nodeId).withSecurity(security);
        this.peers = new InterBrokerClient(settings, new PeerListener() {
            @Override
            public void disconnected(int peer, Throwable cause) {
                channel.reportUnreachable(peer);
            }
        });
        this.transactionPeers = new InterBrokerClient(settings);
    }

    /**
     * The cluster id every node of a fresh cluster derives from its {@code controller.quorum.voters}
     * when none is configured or formatted: the same on every node, in Kafka's form.
     */
    public static String derivedClusterId(List<dev.sluice.broker.config.QuorumVoter> voters) {
        StringBuilder key = new StringBuilder("sluice cluster");
        voters.stream().sorted(java.util.Comparator.comparingInt(dev.sluice.broker.config.QuorumVoter::nodeId))
            .forEach(v -> key.append(' ').append(v.nodeId()).append('@').append(v.address()));
        UUID uuid = UUID.nameUUIDFromBytes(key.toString().getBytes(StandardCharsets.UTF_8));
        return new Uuid(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits()).toString();
    }

    /**
     * Refuses, at start-up, the cluster shapes Sluice does not run yet, rather than running
     * something else than the configuration says: the controllers are listed in their
     * {@code controller.quorum.voters} (a quorum of fixed membership); a broker-only node may find
     * the voters through {@code controller.quorum.bootstrap.servers} instead ({@link QuorumBootstrap}).
     */
    public static void checkSupported(BrokerConfig config) {
        if (config.quorumVoters().isEmpty()
                && config.processRoles().contains(dev.sluice.broker.config.ProcessRole.CONTROLLER)) {
            throw new dev.sluice.broker.config.ConfigException(
                dev.sluice.broker.config.BrokerConfigKeys.CONTROLLER_QUORUM_BOOTSTRAP_SERVERS,
                String.join(",", config.quorumBootstrapServers().stream().map(Object::toString).toList()),
                "dynamic quorums (KIP-853) are not served yet: a controller needs controller.quorum.voters, listing"
                    + " every controller (broker-only nodes may name the controllers in"
                    + " controller.quorum.bootstrap.servers)");
        }
    }

    /**
     * This node's membership in the metadata quorum of {@code voters} (its
     * {@code controller.quorum.voters}, or those found through its bootstrap servers), not
     * started: a voter if it has the controller role, else an observer.
     */
    public static MetadataQuorum openQuorum(BrokerConfig config, List<dev.sluice.broker.config.QuorumVoter> voters,
                                            String clusterId, Path directory) {
        // Kafka's election timeout is the shortest wait; Ratis draws each wait between it and twice it.
        java.time.Duration election = java.time.Duration.ofMillis(
            config.getInt(dev.sluice.broker.config.BrokerConfigKeys.CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS));
        RatisSettings defaults = RatisSettings.defaults();
        RatisSettings settings = new RatisSettings(election, election.multipliedBy(2),
            defaults.requestTimeout().compareTo(election.multipliedBy(3)) > 0
                ? defaults.requestTimeout() : election.multipliedBy(3), defaults.snapshotEvery(),
            RatisSettings.tlsOf(config));
        if (!config.processRoles().contains(dev.sluice.broker.config.ProcessRole.CONTROLLER)) {
            return new MetadataObserver(config.nodeId(), voters, clusterId, settings);
        }
        return new RatisMetadataLog(config.nodeId(), voters, clusterId, directory, settings);
    }

    /**
     * The cluster parts of a node, before its broker's request handling exists: the way to the
     * active controller and the inter-broker client the replica fetchers use. The controller
     * forwards what its own broker asks for while another node leads.
     */
    public static ClusterNode create(BrokerConfig config, MetadataQuorum quorum, MetadataView view,
                                     Controller controller) {
        String listener = config.interBrokerListenerName();
        ClusterNode node = new ClusterNode(config.nodeId(), quorum, controller, listener,
            PeerSecurity.forListener(config, listener));
        controller.forwardWhenNotLeader(node.forwarder());
        // Before the replica manager: a follower's first fetch already finds its leader's address.
        view.addListener(node);
        node.onChange(MetadataImage.empty(view.image().clusterId()), view.image());
        return node;
    }

    /**
     * Wires the request side: the broker dispatcher forwards controller-bound client requests
     * while another node leads; this node serves what others send the active controller while it
     * is that; the inter-broker client follows the registered brokers.
     */
    public void wire(MetadataView view, RequestDispatcher brokerApis, RequestDispatcher controllerApis) {
        brokerApis.forwardWith(new RequestDispatcher.Forwarding() {
            @Override
            public boolean forwards(ApiKey api) {
                return FORWARDED.contains(api) && !quorum.isLeader();
            }

            @Override
            public CompletableFuture<ByteBuffer> forward(ByteBuffer frame, String listener, String principal,
                                                         String host,
                                                         dev.sluice.broker.security.AuthenticationMethod method) {
                return channel.forward(frame, listener, principal, host, method);
            }
        });
        ControllerEndpoint endpoint = new ControllerEndpoint(controllerApis, brokerApis, this::suspect,
            quorum::serveObserver);
        quorum.onLeaderRequest(endpoint::handle);
        quorum.onLeadershipChange(leading -> {
            if (leading) {
                log.info("Node {} is the active controller", nodeId);
                // Every broker starts on a fresh session with the new controller (as in Kafka).
                controller.checkSessions();
            }
        });
        watcher.scheduleWithFixedDelay(() -> watchVoters(view), VOTER_WATCH_MS, VOTER_WATCH_MS,
            java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Sends a partition leader's ISR change to the active controller: straight to it when this
     * node is the active controller, else as a controller request.
     */
    public CompletableFuture<dev.sluice.wire.message.AlterPartitionResponse> alterPartition(
            dev.sluice.wire.message.AlterPartitionRequest request) {
        if (quorum.isLeader()) {
            return controller.alterPartition(request, (short) 3);
        }
        return channel.call(request);
    }

    /** How often the active controller looks at its voters' last contact. */
    private static final long VOTER_WATCH_MS = 250;
    /** Silence of a voter after which the active controller checks whether its broker is gone. */
    private static final long VOTER_SILENCE_MS = 1000;

    /**
     * On the active controller: a voter the quorum's leader has not heard from for a second (its
     * heartbeats go every half election timeout), or an observer that has not fetched the metadata
     * log for as long (it asks at least every {@code 400 ms}), may be a dead process; the controller probes its
     * broker, which fences it at once if nothing listens on its port any more. A merely slow voter
     * still accepts the connection and keeps its leaderships; Kafka waits out the whole broker
     * session (9 s) instead.
     */
    private void watchVoters(MetadataView view) {
        try {
            if (!quorum.isLeader()) {
                unheard.clear();
                return;
            }
            long now = System.nanoTime();
            QuorumState state = quorum.quorumState();
            List<QuorumState.VoterState> members = new ArrayList<>(state.voters());
            // An observer long-polls the metadata log, so its silence means the same as a voter's.
            members.addAll(state.observers());
            watchUnheard(view, members, now);
            for (QuorumState.VoterState v : members) {
                if (v.nodeId() == nodeId || v.lastContactMillisAgo().orElse(0) < VOTER_SILENCE_MS) {
                    continue;
                }
                boolean live = view.image().broker(v.nodeId()).map(b -> !b.fenced()).orElse(false);
                Long last = probed.get(v.nodeId());
                if (live && (last == null || now - last > java.util.concurrent.TimeUnit.SECONDS.toNanos(1))) {
                    probed.put(v.nodeId(), now);
                    suspect(v.nodeId());
                }
            }
        } catch (RuntimeException e) {
            log.warn("watching the quorum's voters failed: {}", e.toString());
        }
    }

    /**
     * A broker-only node that died before this node took the lead never fetches from it, so it is
     * in no list of members: a registered, unfenced broker unheard of for as long as a silent
     * member is probed the same way.
     */
    private void watchUnheard(MetadataView view, List<QuorumState.VoterState> members, long now) {
        java.util.Set<Integer> heard = new java.util.HashSet<>();
        members.forEach(m -> heard.add(m.nodeId()));
        unheard.keySet().removeIf(id -> heard.contains(id)
            || view.image().broker(id).map(BrokerRegistration::fenced).orElse(true));
        for (BrokerRegistration b : view.image().brokers().values()) {
            if (b.fenced() || b.id() == nodeId || heard.contains(b.id())) {
                continue;
            }
            long since = unheard.computeIfAbsent(b.id(), id -> now);
            Long last = probed.get(b.id());
            if (now - since > java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(VOTER_SILENCE_MS)
                && (last == null || now - last > java.util.concurrent.TimeUnit.SECONDS.toNanos(1))) {
                probed.put(b.id(), now);
                suspect(b.id());
            }
        }
    }

    /**
     * Has the controller probe broker {@code id}. Across a cut link ({@link LinkFaults}) the probe
     * would go unanswered, which is no evidence, so it is not made.
     */
    private void suspect(int id) {
        if (!LinkFaults.isCut(nodeId, id)) {
            controller.suspect(id);
        }
    }

    /** Registers this broker with the controller and keeps heartbeating; call once its listeners are bound. */
    public void startBroker(BrokerIdentity identity, String clusterId, MetadataView view, long heartbeatIntervalMs) {
        startBroker(identity, clusterId, view, heartbeatIntervalMs, ClusterSettings.DEFAULT_SESSION_TIMEOUT_MS);
    }

    /** As {@link #startBroker(BrokerIdentity, String, MetadataView, long)}, with {@code broker.session.timeout.ms}. */
    public void startBroker(BrokerIdentity identity, String clusterId, MetadataView view, long heartbeatIntervalMs,
                            long sessionTimeoutMs) {
        BrokerLifecycle started = new BrokerLifecycle(identity, clusterId, view, channel, heartbeatIntervalMs,
            sessionTimeoutMs);
        lifecycle = started;
        started.start();
    }

    /** Hands this node the replication parts it closes, before the partitions close. */
    public void replication(dev.sluice.broker.replica.ReplicaFetchers fetchers, dev.sluice.broker.replica.IsrChanges isr) {
        this.fetchers = fetchers;
        this.isr = isr;
    }

    public ControllerChannel channel() {
        return channel;
    }

    public InterBrokerClient peers() {
        return peers;
    }

    /** The inter-broker client for transaction markers and verification, on connections apart from {@link #peers}. */
    public InterBrokerClient transactionPeers() {
        return transactionPeers;
    }

    /** This broker's epoch, -1 until registered. */
    public long brokerEpoch() {
        BrokerLifecycle l = lifecycle;
        return l == null ? -1 : l.brokerEpoch();
    }

    /** Whether the controller has this broker unfenced. */
    public boolean isUnfenced() {
        BrokerLifecycle l = lifecycle;
        return l != null && !l.isFenced();
    }

    /** See {@link BrokerLifecycle#inGoodStanding}; false until this broker has registered. */
    public boolean inGoodStanding() {
        BrokerLifecycle l = lifecycle;
        return l != null && l.inGoodStanding();
    }

    /** Keeps the inter-broker client pointed at every registered broker's inter-broker endpoint. */
    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        if (closed || previous.brokers().equals(next.brokers())) {
            return;
        }
        for (BrokerRegistration b : next.brokers().values()) {
            if (b.id() != nodeId) {
                b.endpoint(interBrokerListener).ifPresent(e -> {
                    peers.updateNode(b.id(), e.host(), e.port());
                    transactionPeers.updateNode(b.id(), e.host(), e.port());
                });
            }
        }
        for (Map.Entry<Integer, BrokerRegistration> gone : previous.brokers().entrySet()) {
            if (!next.brokers().containsKey(gone.getKey())) {
                peers.removeNode(gone.getKey());
                transactionPeers.removeNode(gone.getKey());
            }
        }
    }

    /**
     * Asks for a controlled shutdown (the controller moves this broker's leaderships away first),
     * waiting at most {@code timeoutMs}; skipped when no other broker could take over.
     */
    public void controlledShutdown(MetadataView view, long timeoutMs) {
        BrokerLifecycle l = lifecycle;
        if (l == null || quorum.leaderId().isEmpty()) {
            return;
        }
        boolean othersLive = view.image().brokers().values().stream().anyMatch(b -> b.id() != nodeId && !b.fenced());
        if (!othersLive) {
            return;
        }
        long started = System.nanoTime();
        boolean granted = l.controlledShutdown(timeoutMs);
        log.info("Controlled shutdown of broker {} {} in {} ms", nodeId, granted ? "completed" : "timed out",
            (System.nanoTime() - started) / 1_000_000);
    }

    private Controller.Forwarder forwarder() {
        return new Controller.Forwarder() {
            @Override
            public CompletableFuture<List<Controller.TopicOutcome>> createTopics(List<Controller.NewTopic> topics,
                                                                                 boolean validateOnly) {
                List<CreateTopicsRequest.CreatableTopic> creatable = new ArrayList<>();
                for (Controller.NewTopic t : topics) {
                    List<CreateTopicsRequest.CreatableReplicaAssignment> assignments = new ArrayList<>();
                    if (t.assignments() != null) {
                        t.assignments().forEach((p, replicas) -> assignments.add(
                            new CreateTopicsRequest.CreatableReplicaAssignment().setPartitionIndex(p)
                                .setBrokerIds(new ArrayList<>(replicas))));
                    }
                    List<CreateTopicsRequest.CreatableTopicConfig> configs = new ArrayList<>();
                    if (t.configs() != null) {
                        t.configs().forEach((k, v) -> configs.add(
                            new CreateTopicsRequest.CreatableTopicConfig().setName(k).setValue(v)));
                    }
                    creatable.add(new CreateTopicsRequest.CreatableTopic().setName(t.name())
                        .setNumPartitions(t.numPartitions()).setReplicationFactor(t.replicationFactor())
                        .setAssignments(assignments).setConfigs(configs));
                }
                CreateTopicsRequest request = new CreateTopicsRequest().setTopics(creatable).setTimeoutMs(30_000)
                    .setValidateOnly(validateOnly);
                return channel.<CreateTopicsResponse>call(request).thenApply(response -> {
                    List<Controller.TopicOutcome> outcomes = new ArrayList<>();
                    for (CreateTopicsResponse.CreatableTopicResult r : response.topics()) {
                        outcomes.add(new Controller.TopicOutcome(r.name(), ErrorCode.forCode(r.errorCode()),
                            r.errorMessage(), null));
                    }
                    return outcomes;
                });
            }

            @Override
            public CompletableFuture<Long> allocateProducerIds(int size) {
                AllocateProducerIdsRequest request = new AllocateProducerIdsRequest().setBrokerId(nodeId)
                    .setBrokerEpoch(brokerEpoch());
                return channel.<AllocateProducerIdsResponse>call(request).thenApply(response -> {
                    if (response.errorCode() != ErrorCode.NONE.code()) {
                        throw new dev.sluice.broker.metadata.MetadataLog.AppendFailure(
                            ErrorCode.forCode(response.errorCode()), "the controller allocated no producer ids", null);
                    }
                    return response.producerIdStart();
                });
            }
        };
    }

    @Override
    public void close() {
        closed = true;
        watcher.shutdownNow();
        if (isr != null) {
            isr.close();
        }
        if (fetchers != null) {
            fetchers.close();
        }
        BrokerLifecycle l = lifecycle;
        if (l != null) {
            l.close();
        }
        transactionPeers.close();
        peers.close();
    }
}
