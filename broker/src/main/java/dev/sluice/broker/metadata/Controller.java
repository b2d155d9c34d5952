package dev.sluice.broker.metadata;

import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.config.TopicConfigKeys;
import dev.sluice.broker.metadata.MetadataLog.AppendFailure;
import dev.sluice.broker.metadata.records.ConfigRecord;
import dev.sluice.broker.metadata.records.FeatureLevelRecord;
import dev.sluice.broker.metadata.records.ProducerIdsRecord;
import dev.sluice.broker.metadata.records.RemoveTopicRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.broker.quota.QuotaEntity;
import dev.sluice.broker.security.acl.AclBinding;
import dev.sluice.broker.security.acl.AclFilter;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.AlterPartitionReassignmentsRequest;
import dev.sluice.wire.message.AlterPartitionReassignmentsResponse;
import dev.sluice.wire.message.AlterPartitionRequest;
import dev.sluice.wire.message.AlterPartitionResponse;
import dev.sluice.wire.message.AlterUserScramCredentialsRequest;
import dev.sluice.wire.message.AlterUserScramCredentialsResponse;
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
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides every change of cluster metadata: validates it, picks ids and placements, checks the
 * broker's limits, and writes the change's records through the {@link MetadataLog}. It does not
 * hold the metadata: it decides on the {@link MetadataView}'s current image, which the log updates
 * once a change is committed. It is active on the node that leads the metadata log (a single node:
 * always); elsewhere every change is answered NOT_CONTROLLER.
 *
 * <p>Threading: all changes run one at a time on the controller's own thread (a state machine fed
 * by requests, no locks), and each waits there until its write has been committed and applied, so
 * the next decision sees it in the view. The one exception is the slow middle of
 * {@link #createTopics}, creating partitions on disk, which runs on a second thread while the
 * controller thread goes on with other changes; the topic names and partition counts it is
 * working on are reserved on the controller thread meanwhile.
 *
 * <p>Two modes. A single node's controller (no {@link ClusterSettings}) places every replica on
 * itself and has its view's listeners create partitions before they are written. A cluster's
 * controller places replicas over the registered brokers, handles their registrations,
 * heartbeats, sessions and controlled shutdowns, elects leaders when brokers come and go, and
 * takes leaders' ISR changes (see {@link BrokerControl}); brokers create their replicas when they
 * see the records, so it prepares nothing. Only the active controller keeps broker sessions: a
 * timer on the controller thread checks them.
 */
public final class Controller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Config resource types, numbered as DescribeConfigs numbers them. */
    public static final byte TOPIC_RESOURCE = 2;
    public static final byte BROKER_RESOURCE = 4;
    /** Kafka's GROUP config resource: a group's dynamic configs. */
    public static final byte GROUP_RESOURCE = 32;

    private final int nodeId;
    private final Supplier<TopicDefaults> defaults;
    private final ScheduledExecutorService thread;
    /**
     * Threads that create new topics' partitions on disk between planning and writing them (see
     * {@link #createTopics}): a few, so that a small topic is not queued behind a huge one.
     */
    private static final int PREPARING_THREADS = 4;
    /** Runs the middle step of {@link #createTopics}. */
    private final ExecutorService preparing;
    /** Names of topics planned but not yet written or given up; controller thread only. */
    private final Set<String> creating = new HashSet<>();
    /** Partitions of the topics in {@link #creating}, counted against the broker's limit; controller thread only. */
    private int reservedPartitions;
    private final MetadataLog metadataLog;
    private final MetadataView view;
    /**
     * Those that make new partitions ready before they are written: on a single node the view's
     * listeners (it holds every partition); a live list, copied for each change.
     */
    private final List<? extends PartitionPreparer> preparers;
    /** The cluster's settings, or null on a single node. */
    private final ClusterSettings cluster;
    /** Broker lifecycle decisions; controller thread only. */
    private final BrokerControl brokers;
    /**
     * Where administrators' partition decisions are made (ElectLeaders, reassignments,
     * UnregisterBroker): the brokers' control on a cluster, one of its own on a single node.
     */
    private final BrokerControl partitionDecisions;
    /** Where probes of suspected brokers wait for their TCP connects; cluster mode only. */
    private final ExecutorService probes;
    /** Automatic preferred-leader rebalancing; cluster mode only. */
    private final LeaderBalance balance;

    /**
     * Most partitions one CreateTopics or CreatePartitions may create: Kafka's controller refuses
     * larger operations with POLICY_VIOLATION, because building them at once exhausted its memory.
     */
    public static final int MAX_PARTITIONS_PER_REQUEST = 10_000;
    /** Kafka's message for a CreateTopics over {@link #MAX_PARTITIONS_PER_REQUEST}. */
    public static final String EXCESSIVE_PARTITIONS_MESSAGE = "Excessively large number of partitions per request.";
    /** Kafka's message for any other operation over its batch limit (a CreatePartitions here). */
    public static final String EXCESSIVE_BATCH_MESSAGE = "Unable to perform excessively large batch operation.";

    /**
     * What a topic gets when a request leaves a setting to the broker, and the broker's limits.
     *
     * @param maxBrokerPartitions most partitions this broker holds ({@code sluice.max.broker.partitions})
     */
    public record TopicDefaults(int numPartitions, short replicationFactor, boolean deleteTopicEnable,
                                int maxBrokerPartitions) {
        public TopicDefaults(int numPartitions, short replicationFactor, boolean deleteTopicEnable) {
            this(numPartitions, replicationFactor, deleteTopicEnable, BrokerConfigKeys.MAX_BROKER_PARTITIONS_DEFAULT);
        }
    }

    /** A topic to create. -1 partitions or replication factor means the broker default. */
    public record NewTopic(String name, int numPartitions, short replicationFactor,
                           Map<Integer, List<Integer>> assignments, Map<String, String> configs) {
    }

    /** What happened to one topic of a request: the error (NONE on success) and the topic as it now is. */
    public record TopicOutcome(String name, ErrorCode error, String message, TopicImage topic) {
        static TopicOutcome failed(String name, ErrorCode error, String message) {
            return new TopicOutcome(name, error, message, null);
        }
    }

    /**
     * A controller deciding on {@code view}'s image and writing through {@code metadataLog}, which
     * must already have been started with {@code view} as its applier.
     *
     * @param preparers those that make new partitions ready before a change adds them (see
     *                  {@link PartitionPreparer}); read afresh for each change
     */
    public Controller(int nodeId, MetadataLog metadataLog, MetadataView view,
                      List<? extends PartitionPreparer> preparers, Supplier<TopicDefaults> defaults) {
        this(nodeId, metadataLog, view, preparers, defaults, null, LeaderBalance.OFF);
    }

    /**
     * A cluster's controller: as {@link #Controller(int, MetadataLog, MetadataView, List, Supplier)},
     * but placing replicas over the brokers registered in the view and preparing nothing itself.
     */
    public Controller(int nodeId, MetadataLog metadataLog, MetadataView view, ClusterSettings cluster,
                      Supplier<TopicDefaults> defaults) {
        this(nodeId, metadataLog, view, cluster, defaults, LeaderBalance.OFF);
    }

    /**
     * A cluster's controller that also moves leadership back to preferred replicas as
     * {@code balance} says, on its own thread, while it is the active controller.
     */
    public Controller(int nodeId, MetadataLog metadataLog, MetadataView view, ClusterSettings cluster,
                      Supplier<TopicDefaults> defaults, LeaderBalance balance) {
        this(nodeId, metadataLog, view, List.of(), defaults, Objects.requireNonNull(cluster, "cluster"),
            Objects.requireNonNull(balance, "balance"));
    }

    private Controller(int nodeId, MetadataLog metadataLog, MetadataView view,
                       List<? extends PartitionPreparer> preparers, Supplier<TopicDefaults> defaults,
                       ClusterSettings cluster, LeaderBalance balance) {
        this.balance = balance;
        this.nodeId = nodeId;
        this.cluster = cluster;
        this.defaults = defaults;
        this.metadataLog = metadataLog;
        this.view = view;
        this.preparers = preparers;
        java.util.concurrent.atomic.AtomicInteger preparingThreads = new java.util.concurrent.atomic.AtomicInteger();
        this.preparing = Executors.newFixedThreadPool(PREPARING_THREADS, r -> {
            Thread t = new Thread(r, "sluice-controller-prepare-" + preparingThreads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-controller");
            t.setDaemon(true);
            return t;
        });
        if (cluster == null) {
            this.probes = null;
            this.brokers = null;
            this.partitionDecisions = BrokerControl.singleNode(nodeId, view, metadataLog::isLeader, this::notController,
                this::commit, thread);
        } else {
            AtomicInteger probeThreads = new AtomicInteger();
            this.probes = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "sluice-controller-probe-" + probeThreads.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.brokers = new BrokerControl(nodeId, view, cluster, metadataLog::isLeader, this::notController,
                this::commit, thread, probes);
            this.partitionDecisions = brokers;
            // Often enough that a broker is fenced soon after its session ends, rarely enough to cost nothing.
            long period = Math.max(50, Math.min(1000, cluster.sessionTimeoutMs() / 4));
            thread.scheduleWithFixedDelay(this::checkSessionsNow, 0, period, TimeUnit.MILLISECONDS);
            if (balance.enabled()) {
                thread.scheduleWithFixedDelay(this::balanceLeadersNow, balance.checkIntervalMs(),
                    balance.checkIntervalMs(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Whether this controller decides for a cluster of registered brokers. */
    public boolean clusterMode() {
        return cluster != null;
    }

    public int nodeId() {
        return nodeId;
    }

    /**
     * What a cluster node that does not lead the quorum does with the changes its own broker asks
     * for (a topic auto-created, {@code __consumer_offsets}, a block of producer ids): sends them
     * to the active controller, as a Kafka broker does. Client requests for changes are forwarded
     * whole by the request dispatcher instead.
     */
    public interface Forwarder {
        CompletableFuture<List<TopicOutcome>> createTopics(List<NewTopic> topics, boolean validateOnly);

        CompletableFuture<Long> allocateProducerIds(int size);
    }

    private volatile Forwarder forwarder;

    /** Sends what this node's broker asks for to the active controller while this one is not it. */
    public void forwardWhenNotLeader(Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    private Forwarder forwarding() {
        Forwarder f = forwarder;
        return f != null && !metadataLog.isLeader() ? f : null;
    }

    // ------------------------------------------------------------------ topics

    /**
     * Creates topics. A request that would create more than {@link #MAX_PARTITIONS_PER_REQUEST}
     * partitions in all (counting the broker default for topics that leave the count to it) is
     * refused whole with POLICY_VIOLATION, as Kafka's controller refuses it, before anything is
     * planned; a topic that would take the broker past its partition limit is refused alone.
     *
     * <p>Three steps, so that creating thousands of partitions does not hold up every other
     * metadata change: the controller thread validates the topics and reserves their names and
     * partition counts; a preparing thread has the preparers create the partitions on disk; the
     * controller thread writes the topics whose partitions exist and releases the reservations.
     * A name being created counts as taken, so a second request for it gets TOPIC_ALREADY_EXISTS.
     */
    public CompletableFuture<List<TopicOutcome>> createTopics(List<NewTopic> topics, boolean validateOnly) {
        Forwarder remote = forwarding();
        if (remote != null) {
            return remote.createTopics(topics, validateOnly);
        }
        return submit(() -> planTopics(topics, validateOnly)).thenCompose(plan -> {
            if (plan.topics().isEmpty()) {
                return CompletableFuture.completedFuture(plan.outcomes());
            }
            return CompletableFuture.supplyAsync(() -> prepareTopics(plan), preparing)
                .thenCompose(prepared -> submit(() -> commitTopics(prepared)));
        });
    }

    /**
     * Topics of one CreateTopics on their way: {@code outcomes} in request order; {@code topics}
     * the ones still to be written, each with the records that create it; {@code reserved} every
     * topic whose name and partitions the plan reserved, to be released when it is done.
     */
    private record TopicsPlan(MetadataImage image, List<TopicOutcome> outcomes, Map<String, PlannedTopic> topics,
                              List<TopicImage> reserved) {
    }

    private record PlannedTopic(TopicImage topic, List<Message> records) {
    }

    /** Runs on the controller thread: validates, plans and, unless {@code validateOnly}, reserves. */
    private TopicsPlan planTopics(List<NewTopic> topics, boolean validateOnly) {
        MetadataImage image = view.image();
        List<TopicOutcome> outcomes = new ArrayList<>();
        if (!metadataLog.isLeader()) {
            AppendFailure failure = notController();
            for (NewTopic topic : topics) {
                outcomes.add(TopicOutcome.failed(topic.name(), failure.error(), failure.getMessage()));
            }
            return new TopicsPlan(image, outcomes, Map.of(), List.of());
        }
        if (requestedPartitions(topics, defaults.get().numPartitions()) > MAX_PARTITIONS_PER_REQUEST) {
            for (NewTopic topic : topics) {
                outcomes.add(TopicOutcome.failed(topic.name(), ErrorCode.POLICY_VIOLATION, EXCESSIVE_PARTITIONS_MESSAGE));
            }
            return new TopicsPlan(image, outcomes, Map.of(), List.of());
        }
        MetadataImage.Builder builder = new MetadataImage.Builder(image);
        Map<String, PlannedTopic> planned = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        int held = partitionCount(image) + reservedPartitions;
        Map<Integer, Integer> load = cluster == null ? null : replicasPerBroker(image);
        for (NewTopic topic : topics) {
            if (!seen.add(topic.name())) {
                outcomes.add(TopicOutcome.failed(topic.name(), ErrorCode.INVALID_REQUEST,
                    "topic " + topic.name() + " appears more than once in the request"));
                continue;
            }
            List<Message> records = new ArrayList<>();
            TopicOutcome outcome = planTopic(image, builder, topic, records, held, load);
            outcomes.add(outcome);
            if (outcome.error() == ErrorCode.NONE) {
                builder.putTopic(outcome.topic());
                held += outcome.topic().partitions().size();
                if (load != null) {
                    outcome.topic().partitions().forEach(p -> p.replicas().forEach(r -> load.merge(r, 1, Integer::sum)));
                }
                if (!validateOnly) {
                    planned.put(topic.name(), new PlannedTopic(outcome.topic(), records));
                }
            }
        }
        List<TopicImage> reserved = new ArrayList<>();
        for (PlannedTopic p : planned.values()) {
            creating.add(p.topic().name());
            reservedPartitions += p.topic().partitions().size();
            reserved.add(p.topic());
        }
        return new TopicsPlan(image, outcomes, planned, reserved);
    }

    /** Runs on the preparing thread: creates the planned topics' partitions; a topic that fails gets KAFKA_STORAGE_ERROR. */
    private TopicsPlan prepareTopics(TopicsPlan plan) {
        List<TopicOutcome> outcomes = new ArrayList<>(plan.outcomes());
        Map<String, PlannedTopic> prepared = new LinkedHashMap<>();
        for (int i = 0; i < outcomes.size(); i++) {
            PlannedTopic p = outcomes.get(i).error() == ErrorCode.NONE ? plan.topics().get(outcomes.get(i).name()) : null;
            if (p == null) {
                continue;
            }
            String problem = prepare(plan.image(), p.topic(), p.topic().partitions());
            if (problem == null) {
                prepared.put(p.topic().name(), p);
            } else {
                outcomes.set(i, TopicOutcome.failed(p.topic().name(), ErrorCode.KAFKA_STORAGE_ERROR, problem));
            }
        }
        return new TopicsPlan(plan.image(), outcomes, prepared, plan.reserved());
    }

    /** Runs on the controller thread: writes the prepared topics and releases every reservation of the plan. */
    private List<TopicOutcome> commitTopics(TopicsPlan plan) {
        try {
            List<Message> records = new ArrayList<>();
            for (PlannedTopic p : plan.topics().values()) {
                records.addAll(p.records());
            }
            if (!records.isEmpty()) {
                try {
                    commit(records);
                } catch (AppendFailure e) {
                    for (PlannedTopic p : plan.topics().values()) {
                        abandon(p.topic(), p.topic().partitions());
                    }
                    return failAll(plan.outcomes(), e);
                }
            }
            return plan.outcomes();
        } finally {
            for (TopicImage topic : plan.reserved()) {
                creating.remove(topic.name());
                reservedPartitions -= topic.partitions().size();
            }
        }
    }

    /** The outcomes of a change that could not be written: every success becomes the write's error. */
    private static List<TopicOutcome> failAll(List<TopicOutcome> outcomes, AppendFailure failure) {
        List<TopicOutcome> failed = new ArrayList<>(outcomes.size());
        for (TopicOutcome o : outcomes) {
            failed.add(o.error() == ErrorCode.NONE ? TopicOutcome.failed(o.name(), failure.error(), failure.getMessage()) : o);
        }
        return failed;
    }

    /** Partitions a CreateTopics asks for, counted as Kafka counts them; a long so that no sum overflows. */
    private static long requestedPartitions(List<NewTopic> topics, int defaultPartitions) {
        long total = 0;
        for (NewTopic topic : topics) {
            if (topic.assignments() != null && !topic.assignments().isEmpty()) {
                total += topic.assignments().size();
            } else if (topic.numPartitions() == -1) {
                total += defaultPartitions;
            } else if (topic.numPartitions() > 0) {
                total += topic.numPartitions();
            }
        }
        return total;
    }

    /** Partitions in {@code image}: with one broker, every one of them is this broker's. */
    private static int partitionCount(MetadataImage image) {
        int count = 0;
        for (TopicImage topic : image.topics()) {
            count += topic.partitions().size();
        }
        return count;
    }

    /** Replicas each broker holds in {@code image}; in a cluster, what {@link #clusterLimitProblem} counts. */
    private static Map<Integer, Integer> replicasPerBroker(MetadataImage image) {
        Map<Integer, Integer> load = new HashMap<>();
        for (TopicImage topic : image.topics()) {
            for (PartitionImage p : topic.partitions()) {
                p.replicas().forEach(r -> load.merge(r, 1, Integer::sum));
            }
        }
        return load;
    }

    /**
     * In a cluster, refuses {@code placement} when it takes a broker past its partition limit: each
     * broker counts the replicas it holds ({@code load}) and, since topics being created are only
     * counted in all, every reserved partition too. Null when it fits; always null on a single
     * node, whose limit {@link #brokerLimitProblem} checks.
     */
    private String clusterLimitProblem(Map<Integer, Integer> load, List<List<Integer>> placement) {
        if (cluster == null) {
            return null;
        }
        Map<Integer, Integer> adding = new TreeMap<>();
        placement.forEach(replicas -> replicas.forEach(r -> adding.merge(r, 1, Integer::sum)));
        int max = defaults.get().maxBrokerPartitions();
        for (Map.Entry<Integer, Integer> e : adding.entrySet()) {
            long held = (long) load.getOrDefault(e.getKey(), 0) + reservedPartitions;
            if (held + e.getValue() > max) {
                return "broker " + e.getKey() + " holds " + held + " partitions; " + e.getValue()
                    + " more would exceed its limit of " + max + " (" + BrokerConfigKeys.MAX_BROKER_PARTITIONS + ")";
            }
        }
        return null;
    }

    /** Refuses {@code adding} more partitions when this broker already holds {@code held}; null when they fit. */
    private String brokerLimitProblem(int held, int adding) {
        int max = defaults.get().maxBrokerPartitions();
        if ((long) held + adding <= max) {
            return null;
        }
        return "this broker holds " + held + " partitions; " + adding + " more would exceed its limit of " + max
            + " (" + BrokerConfigKeys.MAX_BROKER_PARTITIONS + ")";
    }

    private TopicOutcome planTopic(MetadataImage image, MetadataImage.Builder builder, NewTopic topic,
                                   List<Message> records, int held, Map<Integer, Integer> load) {
        String name = topic.name();
        String invalid = TopicNames.problem(name);
        if (invalid != null) {
            return TopicOutcome.failed(name, ErrorCode.INVALID_TOPIC_EXCEPTION, invalid);
        }
        if (builder.topic(name).isPresent() || creating.contains(name)) {
            return TopicOutcome.failed(name, ErrorCode.TOPIC_ALREADY_EXISTS, "topic '" + name + "' already exists");
        }
        List<String> others = new ArrayList<>(creating);
        image.topics().forEach(t -> others.add(t.name()));
        for (String other : others) {
            if (TopicNames.collide(other, name)) {
                return TopicOutcome.failed(name, ErrorCode.INVALID_TOPIC_EXCEPTION, "topic '" + name
                    + "' collides with existing topic '" + other + "': '.' and '_' mean the same in metric names");
            }
        }
        TopicDefaults d = defaults.get();
        List<List<Integer>> assignment = new ArrayList<>();
        if (topic.assignments() != null && !topic.assignments().isEmpty()) {
            if (topic.numPartitions() != -1 || topic.replicationFactor() != -1) {
                return TopicOutcome.failed(name, ErrorCode.INVALID_REQUEST,
                    "both a replica assignment and a partition count or replication factor were given");
            }
            String problem = checkAssignments(image, topic.assignments(), 0, assignment);
            if (problem != null) {
                return TopicOutcome.failed(name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
            }
        } else {
            int partitions = topic.numPartitions() == -1 ? d.numPartitions() : topic.numPartitions();
            int replication = topic.replicationFactor() == -1 ? d.replicationFactor() : topic.replicationFactor();
            if (partitions <= 0) {
                return TopicOutcome.failed(name, ErrorCode.INVALID_PARTITIONS, "number of partitions must be larger than 0");
            }
            if (replication <= 0) {
                return TopicOutcome.failed(name, ErrorCode.INVALID_REPLICATION_FACTOR,
                    "replication factor must be larger than 0");
            }
            if (cluster != null) {
                ReplicaPlacement.Result placed = ReplicaPlacement.place(image.brokers().values(), partitions,
                    replication, held);
                if (placed.problem() != null) {
                    return TopicOutcome.failed(name, ErrorCode.INVALID_REPLICATION_FACTOR, placed.problem());
                }
                assignment.addAll(placed.replicas());
            } else if (replication > 1) {
                return TopicOutcome.failed(name, ErrorCode.INVALID_REPLICATION_FACTOR,
                    "replication factor " + replication + " is larger than the 1 available broker");
            } else {
                for (int p = 0; p < partitions; p++) {
                    assignment.add(List.of(nodeId));
                }
            }
        }
        String overLimit = cluster == null ? brokerLimitProblem(held, assignment.size())
            : clusterLimitProblem(load, assignment);
        if (overLimit != null) {
            return TopicOutcome.failed(name, ErrorCode.POLICY_VIOLATION, overLimit);
        }
        Map<String, String> configs = topic.configs() == null ? Map.of() : topic.configs();
        try {
            TopicConfigKeys.validate(configs);
        } catch (ConfigException e) {
            return TopicOutcome.failed(name, ErrorCode.INVALID_CONFIG, e.getMessage());
        }
        Uuid id = randomId();
        records.add(new TopicRecord().setName(name).setTopicId(id));
        List<PartitionImage> partitions = new ArrayList<>();
        for (int p = 0; p < assignment.size(); p++) {
            PartitionImage partition = newPartition(image, p, assignment.get(p));
            partitions.add(partition);
            records.add(MetadataView.partitionRecord(id, partition));
        }
        for (Map.Entry<String, String> e : new TreeMap<>(configs).entrySet()) {
            records.add(new ConfigRecord().setResourceType(TOPIC_RESOURCE).setResourceName(name)
                .setName(e.getKey()).setValue(e.getValue()));
        }
        return new TopicOutcome(name, ErrorCode.NONE, null, new TopicImage(name, id, partitions, configs));
    }

    /**
     * A new partition on {@code replicas}. In a cluster its ISR is the active ones among them and
     * its leader the first of those ({@link #checkAssignments} and the placement make sure there is
     * one); on a single node, this node.
     */
    private PartitionImage newPartition(MetadataImage image, int index, List<Integer> replicas) {
        List<Integer> isr = cluster == null ? replicas
            : replicas.stream().filter(r -> image.broker(r).map(BrokerRegistration::active).orElse(false)).toList();
        return new PartitionImage(index, replicas, isr, isr.get(0), 0, 0);
    }

    /**
     * Checks explicit assignments for partitions {@code first..} against the brokers there are
     * (registered ones in a cluster, this node alone otherwise); fills {@code out}; returns a
     * problem or null.
     */
    private String checkAssignments(MetadataImage image, Map<Integer, List<Integer>> assignments, int first,
                                    List<List<Integer>> out) {
        int replication = -1;
        for (int p = first; p < first + assignments.size(); p++) {
            List<Integer> replicas = assignments.get(p);
            if (replicas == null) {
                return "partitions must be numbered consecutively from " + first + "; " + p + " is missing";
            }
            if (replicas.isEmpty()) {
                return "partition " + p + " has no replicas";
            }
            // Unknown brokers first: it needs no memory, so a list of millions of ids costs one pass.
            for (int broker : replicas) {
                if (cluster == null ? broker != nodeId : !image.brokers().containsKey(broker)) {
                    return "broker " + broker + " in the assignment of partition " + p + " is not a registered broker";
                }
            }
            Set<Integer> distinct = new HashSet<>();
            for (int broker : replicas) {
                if (!distinct.add(broker)) {
                    return "the assignment of partition " + p + " lists broker " + broker + " more than once";
                }
            }
            if (cluster != null && replicas.stream().noneMatch(r -> image.brokers().get(r).active())) {
                return "all brokers in the assignment of partition " + p + " are fenced or in controlled shutdown";
            }
            if (replication != -1 && replicas.size() != replication) {
                return "all partitions must have the same number of replicas";
            }
            replication = replicas.size();
            out.add(List.copyOf(replicas));
        }
        return null;
    }

    /** Deletes topics given by name or id (exactly one of the two per entry). */
    public CompletableFuture<List<TopicOutcome>> deleteTopics(List<String> names, List<Uuid> ids) {
        return submit(() -> {
            List<TopicOutcome> outcomes = new ArrayList<>();
            if (!metadataLog.isLeader()) {
                AppendFailure failure = notController();
                for (String name : names) {
                    outcomes.add(TopicOutcome.failed(name, failure.error(), failure.getMessage()));
                }
                return outcomes;
            }
            boolean allowed = defaults.get().deleteTopicEnable();
            MetadataImage.Builder builder = new MetadataImage.Builder(view.image());
            List<Message> records = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                Uuid id = ids.get(i);
                TopicImage topic = name != null ? builder.topic(name).orElse(null) : builder.topic(id).orElse(null);
                String label = name != null ? name : null;
                if (!allowed) {
                    outcomes.add(TopicOutcome.failed(label, ErrorCode.TOPIC_DELETION_DISABLED,
                        "topic deletion is disabled (delete.topic.enable=false)"));
                } else if (topic == null) {
                    outcomes.add(name != null
                        ? TopicOutcome.failed(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name + "' does not exist")
                        : TopicOutcome.failed(null, ErrorCode.UNKNOWN_TOPIC_ID, "no topic has id " + id));
                } else {
                    records.add(new RemoveTopicRecord().setTopicId(topic.id()));
                    builder.removeTopic(topic.id());
                    outcomes.add(new TopicOutcome(topic.name(), ErrorCode.NONE, null, topic));
                }
            }
            if (!records.isEmpty()) {
                try {
                    commit(records);
                } catch (AppendFailure e) {
                    return failAll(outcomes, e);
                }
            }
            return outcomes;
        });
    }

    /** Grows topics to {@code count} partitions; {@code assignments} (may be null) places the new ones. */
    public CompletableFuture<TopicOutcome> createPartitions(String name, int count, List<List<Integer>> assignments,
                                                            boolean validateOnly) {
        return submit(() -> {
            if (!metadataLog.isLeader()) {
                AppendFailure failure = notController();
                return TopicOutcome.failed(name, failure.error(), failure.getMessage());
            }
            MetadataImage image = view.image();
            TopicImage topic = image.topic(name).orElse(null);
            if (topic == null) {
                return TopicOutcome.failed(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name + "' does not exist");
            }
            int current = topic.partitions().size();
            if (count < current) {
                return TopicOutcome.failed(name, ErrorCode.INVALID_PARTITIONS, "topic currently has " + current
                    + " partitions, which is higher than the requested " + count);
            }
            if (count == current) {
                return TopicOutcome.failed(name, ErrorCode.INVALID_PARTITIONS, "topic already has " + current + " partitions");
            }
            if (count - current > MAX_PARTITIONS_PER_REQUEST) {
                return TopicOutcome.failed(name, ErrorCode.POLICY_VIOLATION, EXCESSIVE_BATCH_MESSAGE);
            }
            String overLimit = cluster == null ? brokerLimitProblem(partitionCount(image) + reservedPartitions,
                count - current) : null;
            if (overLimit != null) {
                return TopicOutcome.failed(name, ErrorCode.POLICY_VIOLATION, overLimit);
            }
            List<List<Integer>> placement = new ArrayList<>();
            if (assignments != null) {
                if (assignments.size() != count - current) {
                    return TopicOutcome.failed(name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, "increasing the partition count by "
                        + (count - current) + " needs as many assignments, but " + assignments.size() + " were given");
                }
                Map<Integer, List<Integer>> byIndex = new LinkedHashMap<>();
                for (int i = 0; i < assignments.size(); i++) {
                    byIndex.put(current + i, assignments.get(i));
                }
                String problem = checkAssignments(image, byIndex, current, placement);
                if (problem == null && placement.get(0).size() != topic.partitions().get(0).targetReplicas().size()) {
                    problem = "the new partitions must have as many replicas as the existing ones";
                }
                if (problem != null) {
                    return TopicOutcome.failed(name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
                }
            } else if (cluster != null) {
                ReplicaPlacement.Result placed = ReplicaPlacement.place(image.brokers().values(), count - current,
                    // The replication factor the topic is heading to, should partition 0 be moving.
                    topic.partitions().get(0).targetReplicas().size(), partitionCount(image) + reservedPartitions);
                if (placed.problem() != null) {
                    return TopicOutcome.failed(name, ErrorCode.INVALID_REPLICATION_FACTOR, placed.problem());
                }
                placement.addAll(placed.replicas());
            } else {
                for (int p = current; p < count; p++) {
                    placement.add(topic.partitions().get(0).replicas());
                }
            }
            String overBrokerLimit = cluster == null ? null : clusterLimitProblem(replicasPerBroker(image), placement);
            if (overBrokerLimit != null) {
                return TopicOutcome.failed(name, ErrorCode.POLICY_VIOLATION, overBrokerLimit);
            }
            List<PartitionImage> partitions = new ArrayList<>(topic.partitions());
            List<Message> records = new ArrayList<>();
            for (int i = 0; i < placement.size(); i++) {
                PartitionImage p = newPartition(image, current + i, placement.get(i));
                partitions.add(p);
                records.add(MetadataView.partitionRecord(topic.id(), p));
            }
            TopicImage grown = topic.withPartitions(partitions);
            if (!validateOnly) {
                List<PartitionImage> added = partitions.subList(current, partitions.size());
                String problem = prepare(image, grown, added);
                if (problem != null) {
                    return TopicOutcome.failed(name, ErrorCode.KAFKA_STORAGE_ERROR, problem);
                }
                try {
                    commit(records);
                } catch (AppendFailure e) {
                    abandon(grown, added);
                    return TopicOutcome.failed(name, e.error(), e.getMessage());
                }
            }
            return new TopicOutcome(name, ErrorCode.NONE, null, grown);
        });
    }

    // ------------------------------------------------------------------ feature flags

    /** One UpdateFeatures entry: the level wanted and how it may move ({@link Features#UPGRADE}...). */
    public record FeatureChange(short level, byte upgradeType) {
    }

    /**
     * Finalizes feature levels in the cluster (Kafka's UpdateFeatures): all of them or none, as
     * Kafka's controller does; the first change {@link Features#check} refuses is the answer. With
     * {@code validateOnly} nothing is written. NOT_CONTROLLER on a node that is not the active
     * controller.
     */
    public CompletableFuture<AclOutcome> updateFeatures(Map<String, FeatureChange> changes, boolean validateOnly) {
        return submit(() -> {
            MetadataImage image = view.image();
            List<Message> records = new ArrayList<>();
            for (Map.Entry<String, FeatureChange> e : changes.entrySet()) {
                Optional<Features.Refusal> refusal = Features.check(image, e.getKey(), e.getValue().level(),
                    e.getValue().upgradeType());
                if (refusal.isPresent()) {
                    return new AclOutcome(refusal.get().error(), refusal.get().message());
                }
                if (Features.finalizedLevel(image, e.getKey()) != e.getValue().level()) {
                    records.add(new FeatureLevelRecord().setName(e.getKey()).setFeatureLevel(e.getValue().level()));
                }
            }
            if (!metadataLog.isLeader()) {
                AppendFailure failure = notController();
                return new AclOutcome(failure.error(), failure.getMessage());
            }
            if (!validateOnly && !records.isEmpty()) {
                try {
                    commit(records);
                    log.info("Finalized feature levels {}", changes);
                } catch (AppendFailure e) {
                    return new AclOutcome(e.error(), e.getMessage());
                }
            }
            return new AclOutcome(ErrorCode.NONE, null);
        });
    }

    // ------------------------------------------------------------------ client quotas

    /** One AlterClientQuotas entry: the entity and its changes (a null value removes the key). */
    public record QuotaChange(QuotaEntity entity, Map<String, Double> values) {
    }

    /**
     * Sets and removes client quotas (Kafka's AlterClientQuotas). Each entry is checked alone, as
     * Kafka does: an entity of unknown or clashing types, a key the entity cannot carry, a
     * negative value or a fraction for a byte or connection rate is INVALID_REQUEST. With
     * {@code validateOnly} nothing is written.
     */
    public CompletableFuture<List<AclOutcome>> alterClientQuotas(List<QuotaChange> changes, boolean validateOnly) {
        return submit(() -> {
            List<AclOutcome> outcomes = new ArrayList<>();
            List<Message> records = new ArrayList<>();
            for (QuotaChange change : changes) {
                String problem = change.entity().problem();
                for (Map.Entry<String, Double> e : change.values().entrySet()) {
                    if (problem == null) {
                        problem = change.entity().keyProblem(e.getKey());
                    }
                    Double v = e.getValue();
                    if (problem == null && v != null && (v < 0 || v.isNaN() || v.isInfinite())) {
                        problem = "quota " + e.getKey() + " must not be negative";
                    }
                    if (problem == null && v != null && !e.getKey().equals("request_percentage")
                            && !e.getKey().equals("controller_mutation_rate") && v != Math.rint(v)) {
                        problem = "quota " + e.getKey() + " must be a whole number";
                    }
                }
                if (problem != null) {
                    outcomes.add(new AclOutcome(ErrorCode.INVALID_REQUEST, problem));
                    continue;
                }
                change.values().forEach((key, value) -> records.add(MetadataView.quotaRecord(change.entity(), key, value)));
                outcomes.add(new AclOutcome(ErrorCode.NONE, null));
            }
            AppendFailure failure = metadataLog.isLeader() ? null : notController();
            if (failure == null && !validateOnly && !records.isEmpty()) {
                try {
                    commit(records);
                } catch (AppendFailure e) {
                    failure = e;
                }
            }
            if (failure != null) {
                List<AclOutcome> failed = new ArrayList<>();
                for (AclOutcome o : outcomes) {
                    failed.add(o.error() == ErrorCode.NONE ? new AclOutcome(failure.error(), failure.getMessage()) : o);
                }
                return failed;
            }
            return outcomes;
        });
    }

    // ------------------------------------------------------------------ ACLs

    /** What one ACL creation came to: NONE, or the error and why. */
    public record AclOutcome(ErrorCode error, String message) {
    }

    /**
     * Creates ACLs (Kafka's CreateAcls); see {@link AclChanges} for the checks, which refuse one
     * creation with INVALID_REQUEST without refusing the others. When the batch cannot be written
     * every creation that was valid gets that error.
     */
    public CompletableFuture<List<AclOutcome>> createAcls(List<AclBinding> creations) {
        return submit(() -> {
            List<AclChanges.Creation> plan = AclChanges.create(view.image(), creations);
            AppendFailure failure = metadataLog.isLeader() ? null : notController();
            List<Message> records = plan.stream().map(AclChanges.Creation::record).filter(r -> r != null).toList();
            if (failure == null && !records.isEmpty()) {
                try {
                    commit(records);
                } catch (AppendFailure e) {
                    failure = e;
                }
            }
            List<AclOutcome> outcomes = new ArrayList<>();
            for (AclChanges.Creation c : plan) {
                outcomes.add(c.problem() != null ? new AclOutcome(ErrorCode.INVALID_REQUEST, c.problem())
                    : failure != null ? new AclOutcome(failure.error(), failure.getMessage())
                    : new AclOutcome(ErrorCode.NONE, null));
            }
            return outcomes;
        });
    }

    /**
     * Deletes every ACL each filter matches (Kafka's DeleteAcls); completes with them per filter,
     * or exceptionally with {@link AppendFailure} when the deletion cannot be written.
     */
    public CompletableFuture<List<List<AclBinding>>> deleteAcls(List<AclFilter> filters) {
        return submit(() -> {
            if (!metadataLog.isLeader()) {
                throw notController();
            }
            List<Map<Uuid, AclBinding>> plan = AclChanges.delete(view.image(), filters);
            List<Message> records = new ArrayList<>();
            plan.forEach(matched -> matched.keySet().forEach(id -> records.add(AclChanges.removal(id))));
            if (!records.isEmpty()) {
                commit(records);
            }
            return plan.stream().map(matched -> (List<AclBinding>) new ArrayList<>(matched.values())).toList();
        });
    }

    // ------------------------------------------------------------------ SCRAM credentials

    /**
     * Sets and deletes users' SCRAM credentials (Kafka's AlterUserScramCredentials); see
     * {@link ScramCredentialChanges} for the checks. Every user's result carries NOT_CONTROLLER or
     * the storage error when the change cannot be written.
     */
    public CompletableFuture<AlterUserScramCredentialsResponse> alterScramCredentials(
            AlterUserScramCredentialsRequest request) {
        return submit(() -> {
            ScramCredentialChanges.Plan plan = ScramCredentialChanges.plan(view.image(), request);
            AppendFailure failure = null;
            if (!metadataLog.isLeader()) {
                failure = notController();
            } else if (!plan.records().isEmpty()) {
                try {
                    commit(plan.records());
                } catch (AppendFailure e) {
                    failure = e;
                }
            }
            List<AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult> results = new ArrayList<>();
            for (AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult r : plan.results()) {
                results.add(failure != null && r.errorCode() == 0
                    ? ScramCredentialChanges.result(r.user(), failure.error(), failure.getMessage()) : r);
            }
            return new AlterUserScramCredentialsResponse().setResults(results);
        });
    }

    // ------------------------------------------------------------------ delegation tokens

    /** What a change to a delegation token came to: an error, or the token's expiry after it. */
    public record TokenChange(ErrorCode error, String message, long expiryMs) {
    }

    /** Writes a new delegation token, made by the caller (its id, owner and times). */
    public CompletableFuture<TokenChange> createDelegationToken(DelegationTokenImage token) {
        return submit(() -> {
            if (!metadataLog.isLeader()) {
                throw notController();
            }
            commit(List.of(MetadataView.delegationTokenRecord(token)));
            return new TokenChange(ErrorCode.NONE, null, token.expiryMs());
        }).exceptionally(Controller::tokenFailure);
    }

    /**
     * Renews {@code tokenId} on behalf of {@code principal} ({@code Type:name}) for
     * {@code periodMs} from now, or {@code defaultPeriodMs} when negative; see
     * {@link DelegationTokenChanges#renew}.
     */
    public CompletableFuture<TokenChange> renewDelegationToken(String tokenId, String principal, long periodMs,
                                                               long defaultPeriodMs, long nowMs) {
        return changeToken(image -> DelegationTokenChanges.renew(image, tokenId, principal, periodMs, defaultPeriodMs,
            nowMs));
    }

    /** Expires {@code tokenId} in {@code periodMs}, or now when negative; see {@link DelegationTokenChanges#expire}. */
    public CompletableFuture<TokenChange> expireDelegationToken(String tokenId, String principal, long periodMs,
                                                                long nowMs) {
        return changeToken(image -> DelegationTokenChanges.expire(image, tokenId, principal, periodMs, nowMs));
    }

    private CompletableFuture<TokenChange> changeToken(java.util.function.Function<MetadataImage,
            DelegationTokenChanges.Plan> planner) {
        return submit(() -> {
            if (!metadataLog.isLeader()) {
                throw notController();
            }
            DelegationTokenChanges.Plan plan = planner.apply(view.image());
            if (!plan.records().isEmpty()) {
                commit(plan.records());
            }
            return new TokenChange(plan.error(), null, plan.expiryMs());
        }).exceptionally(Controller::tokenFailure);
    }

    private static TokenChange tokenFailure(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause() : error;
        if (cause instanceof AppendFailure failure) {
            return new TokenChange(failure.error(), failure.getMessage(), -1);
        }
        throw error instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(error);
    }

    /**
     * Removes expired delegation tokens every {@code intervalMs} while this controller is active
     * ({@code delegation.token.expiry.check.interval.ms}), as Kafka's controller does: an expired
     * token already fails at login; this keeps the metadata from collecting them.
     */
    public void removeExpiredTokensEvery(long intervalMs, java.util.function.LongSupplier clockMs) {
        thread.scheduleWithFixedDelay(() -> {
            try {
                if (metadataLog.isLeader()) {
                    List<Message> records = DelegationTokenChanges.removeExpired(view.image(), clockMs.getAsLong());
                    if (!records.isEmpty()) {
                        commit(records);
                        log.info("Removed {} expired delegation token(s)", records.size());
                    }
                }
            } catch (RuntimeException e) {
                log.warn("removing expired delegation tokens failed: {}", e.toString());
            }
        }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ producer ids

    /**
     * Reserves {@code size} producer ids; completes with the first. Never hands out an id twice,
     * restarts included. Completes exceptionally with a {@link AppendFailure} when the reservation
     * cannot be written.
     */
    public CompletableFuture<Long> allocateProducerIds(int size) {
        Forwarder remote = forwarding();
        if (remote != null) {
            return remote.allocateProducerIds(size);
        }
        return submit(() -> {
            if (!metadataLog.isLeader()) {
                throw notController();
            }
            long first = view.image().nextProducerId();
            commit(List.of(new ProducerIdsRecord().setNextProducerId(first + size)));
            return first;
        });
    }

    /**
     * Computes the complete new set of config overrides of one resource from its current set. Runs
     * on the controller thread, so a read-modify-write (an APPEND to a list) cannot lose a change
     * made at the same time.
     */
    @FunctionalInterface
    public interface ConfigEdit {
        /**
         * @param current the resource's overrides now (empty if it has none); not to be modified
         * @return the overrides it should have
         * @throws ConfigEditRefused when the change must not be made
         */
        Map<String, String> apply(Map<String, String> current);
    }

    /** Why a {@link ConfigEdit} cannot be made, as the error the client should see. */
    public static final class ConfigEditRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final ErrorCode error;

        public ConfigEditRefused(ErrorCode error, String message) {
            super(message, null, false, false);
            this.error = error;
        }

        public ErrorCode error() {
            return error;
        }
    }

    /** The result of a config edit: NONE, or the error and why. */
    public record ConfigOutcome(ErrorCode error, String message) {
        public static final ConfigOutcome OK = new ConfigOutcome(ErrorCode.NONE, null);
    }

    /**
     * Replaces the config overrides of one resource (a topic, a broker id, or "" for the cluster
     * default of brokers) with what {@code edit} makes of the current ones, writing only the keys
     * that change. A topic that does not exist gives UNKNOWN_TOPIC_OR_PARTITION. With
     * {@code validateOnly} everything is checked and nothing written.
     */
    public CompletableFuture<ConfigOutcome> editConfigs(byte resourceType, String resourceName, ConfigEdit edit,
                                                        boolean validateOnly) {
        return submit(() -> {
            if (!metadataLog.isLeader()) {
                AppendFailure failure = notController();
                return new ConfigOutcome(failure.error(), failure.getMessage());
            }
            MetadataImage image = view.image();
            Map<String, String> current;
            if (resourceType == TOPIC_RESOURCE) {
                TopicImage topic = image.topic(resourceName).orElse(null);
                if (topic == null) {
                    return new ConfigOutcome(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                        "topic '" + resourceName + "' does not exist");
                }
                current = topic.configs();
            } else if (resourceType == GROUP_RESOURCE) {
                current = image.groupConfigs(resourceName);
            } else {
                current = image.brokerConfigs(resourceName);
            }
            Map<String, String> next;
            try {
                next = edit.apply(current);
            } catch (ConfigEditRefused e) {
                return new ConfigOutcome(e.error(), e.getMessage());
            }
            List<Message> records = new ArrayList<>();
            for (Map.Entry<String, String> e : new TreeMap<>(next).entrySet()) {
                if (!e.getValue().equals(current.get(e.getKey()))) {
                    records.add(configRecord(resourceType, resourceName, e.getKey(), e.getValue()));
                }
            }
            for (String key : new TreeMap<>(current).keySet()) {
                if (!next.containsKey(key)) {
                    records.add(configRecord(resourceType, resourceName, key, null));
                }
            }
            if (!validateOnly && !records.isEmpty()) {
                try {
                    commit(records);
                } catch (AppendFailure e) {
                    return new ConfigOutcome(e.error(), e.getMessage());
                }
            }
            return ConfigOutcome.OK;
        });
    }

    private static ConfigRecord configRecord(byte resourceType, String resourceName, String key, String value) {
        return new ConfigRecord().setResourceType(resourceType).setResourceName(resourceName).setName(key).setValue(value);
    }

    // ------------------------------------------------------------------ brokers (cluster mode only)

    /**
     * Registers a broker, fenced, with a new broker epoch (Kafka's BrokerRegistration): a wrong
     * cluster id gets INCONSISTENT_CLUSTER_ID; another incarnation of a broker whose session is
     * still alive gets DUPLICATE_BROKER_REGISTRATION; a retry by the same incarnation gets the
     * epoch it already has. A new incarnation replacing an old one first takes the old one's
     * leaderships and ISR places away.
     */
    public CompletableFuture<BrokerRegistrationResponse> registerBroker(BrokerRegistrationRequest request) {
        return onBrokers(b -> b.register(request));
    }

    /**
     * A broker's heartbeat (Kafka's BrokerHeartbeat): renews its session; unfences it once it has
     * applied the metadata log up to its registration and does not ask to stay fenced; fences it
     * when it asks; on {@code wantShutDown} begins its controlled shutdown (its leaderships move,
     * it leaves ISRs it is not the last member of) and answers {@code shouldShutDown}, fencing it,
     * once it leads nothing and the other active brokers have applied that change. An unknown
     * broker or a stale epoch gets STALE_BROKER_EPOCH.
     */
    public CompletableFuture<BrokerHeartbeatResponse> heartbeat(BrokerHeartbeatRequest request) {
        // Answered only once this node is known to have still led after the heartbeat arrived. A
        // broker reckons its session from when it sent the last heartbeat answered; a newer
        // controller starts every session afresh when it takes over, after that confirmation, so
        // the broker stops acting on its leaderships before that controller may fence it.
        return onBrokers(b -> b.heartbeat(request)).thenCompose(response -> response.errorCode() != 0
            ? CompletableFuture.completedFuture(response)
            : metadataLog.confirmLeadership().handle((led, failure) -> Boolean.TRUE.equals(led) ? response
                : new BrokerHeartbeatResponse().setErrorCode(notController().error().code())));
    }

    /**
     * An ISR change asked by a partition's leader (Kafka's AlterPartition, versions 2 and 3 as a
     * Kafka 4.1 controller serves them: topics by id; from 3 each ISR member with its broker epoch).
     */
    public CompletableFuture<AlterPartitionResponse> alterPartition(AlterPartitionRequest request, short version) {
        return onBrokers(b -> b.alterPartition(request, version));
    }

    /**
     * Removes a broker's registration (Kafka's UnregisterBroker), taking its leaderships and ISR
     * places away first; BROKER_ID_NOT_REGISTERED when it has none. Kafka refuses nothing else.
     */
    public CompletableFuture<UnregisterBrokerResponse> unregisterBroker(int brokerId) {
        return submit(() -> partitionDecisions.unregister(brokerId));
    }

    /**
     * Elects leaders as an administrator asks (Kafka's ElectLeaders, preferred or unclean); see
     * {@link BrokerControl#electLeaders}. Authorization is the handler's.
     */
    public CompletableFuture<ElectLeadersResponse> electLeaders(ElectLeadersRequest request) {
        return submit(() -> partitionDecisions.electLeaders(request));
    }

    /**
     * Starts, replaces or cancels partition reassignments (Kafka's AlterPartitionReassignments);
     * see {@link BrokerControl#alterReassignments}. Authorization is the handler's.
     */
    public CompletableFuture<AlterPartitionReassignmentsResponse> alterPartitionReassignments(
        AlterPartitionReassignmentsRequest request) {
        return submit(() -> partitionDecisions.alterReassignments(request));
    }

    /** The partition reassignments in progress (Kafka's ListPartitionReassignments). */
    public CompletableFuture<ListPartitionReassignmentsResponse> listPartitionReassignments(
        ListPartitionReassignmentsRequest request) {
        return submit(() -> partitionDecisions.listReassignments(request));
    }

    /**
     * Evidence from outside that a broker is gone (a peer's connections to it were refused or
     * closed): the controller connects to the broker's inter-broker endpoint, off its thread, and
     * fences it at once if the connection is refused. Completes with whether it was fenced.
     */
    public CompletableFuture<Boolean> suspect(int brokerId) {
        return onBrokers(b -> b.suspect(brokerId)).thenCompose(f -> f);
    }

    /**
     * Fences the broker whose session expired longest ago (one per check, as the timer does), now
     * rather than at the timer's next tick;
     * also what a node that has just become the active controller calls to start every broker on
     * a fresh session. Completes once done.
     */
    public CompletableFuture<Void> checkSessions() {
        return onBrokers(b -> {
            b.checkSessions();
            return null;
        });
    }

    /** The session timer's tick; never throws, so that the timer keeps running. */
    private void checkSessionsNow() {
        try {
            brokers.checkSessions();
        } catch (RuntimeException e) {
            log.error("checking broker sessions failed", e);
        }
    }

    /**
     * Moves leadership back to preferred replicas where a broker's imbalance is above
     * {@code leader.imbalance.per.broker.percentage} (see {@link BrokerControl#balanceLeaders}),
     * now rather than at the timer's next check; whether or not the timer is enabled. Completes
     * with how many partitions changed leader.
     */
    public CompletableFuture<Integer> balanceLeaders() {
        return onBrokers(b -> b.balanceLeaders(balance.imbalancePercentage()));
    }

    /** The rebalance timer's tick; never throws, so that the timer keeps running. */
    private void balanceLeadersNow() {
        try {
            brokers.balanceLeaders(balance.imbalancePercentage());
        } catch (RuntimeException e) {
            log.error("moving leadership back to preferred replicas failed", e);
        }
    }

    private <T> CompletableFuture<T> onBrokers(Function<BrokerControl, T> work) {
        if (brokers == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                "node " + nodeId + " runs a single node's controller, which registers no brokers"));
        }
        return submit(() -> work.apply(brokers));
    }

    // ------------------------------------------------------------------ machinery

    private <T> CompletableFuture<T> submit(Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, thread);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closed: a request that arrives while this node stops finds no controller here, and
            // its sender retries on the next one.
            return CompletableFuture.failedFuture(new AppendFailure(ErrorCode.NOT_CONTROLLER,
                "node " + nodeId + " is stopping", null));
        }
    }

    /**
     * The answer to a change asked of a node that does not lead the metadata log: its clients
     * retry, as Kafka's do, and find the active controller. A single node stops leading when its
     * journal stopped taking writes; it has no other controller, so it keeps serving everything
     * else and answers metadata changes this way until it is restarted.
     */
    private AppendFailure notController() {
        String leader = metadataLog.leaderId().isPresent() && metadataLog.leaderId().getAsInt() != nodeId
            ? "; node " + metadataLog.leaderId().getAsInt() + " is" : "";
        return new AppendFailure(ErrorCode.NOT_CONTROLLER,
            "node " + nodeId + " is not the active controller" + leader, null);
    }

    /**
     * Has every preparer make the {@code added} partitions of {@code topic} ready before the
     * change is written (see {@link PartitionPreparer#prepare}); returns why they could not be,
     * having undone what the others made, or null.
     */
    private String prepare(MetadataImage base, TopicImage topic, List<PartitionImage> added) {
        List<PartitionPreparer> all = List.copyOf(preparers);
        for (int i = 0; i < all.size(); i++) {
            try {
                all.get(i).prepare(base, topic, added);
            } catch (IOException | RuntimeException e) {
                for (int j = 0; j < i; j++) {
                    all.get(j).abandon(topic, added);
                }
                // The cause, with its paths, is in the broker log; the client learns what failed.
                return "cannot create the partitions of topic '" + topic.name() + "' on disk; see the broker log";
            }
        }
        return null;
    }

    private void abandon(TopicImage topic, List<PartitionImage> added) {
        for (PartitionPreparer preparer : List.copyOf(preparers)) {
            preparer.abandon(topic, added);
        }
    }

    /**
     * Writes one change and waits until it is committed and the view shows it, so that the next
     * decision is made on it; throws {@link AppendFailure} when it was not written.
     */
    private long commit(List<Message> records) {
        try {
            return metadataLog.append(records).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof AppendFailure failure) {
                throw failure;
            }
            throw e;
        }
    }

    /** A random id that is neither zero nor Kafka's reserved metadata topic id. */
    public static Uuid randomId() {
        while (true) {
            Uuid id = new Uuid(RANDOM.nextLong(), RANDOM.nextLong());
            if (!id.equals(Uuid.ZERO) && !(id.mostSignificantBits() == 0 && id.leastSignificantBits() == 1)
                && !id.toString().startsWith("-")) {
                return id;
            }
        }
    }

    @Override
    public void close() {
        if (probes != null) {
            probes.shutdownNow();
        }
        preparing.shutdown();
        try {
            // Preparations finish first, so that their last step still finds the controller thread.
            if (!preparing.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("topic creations still preparing partitions 10 s after shutdown began");
            }
            thread.shutdown();
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("controller did not finish its work within 10 s of shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
