package dev.sluice.broker;

import dev.sluice.broker.cluster.ClusterNode;
import dev.sluice.broker.cluster.InterBrokerClient;
import dev.sluice.broker.cluster.MetadataQuorum;
import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.config.DevelopmentDefaults;
import dev.sluice.broker.config.Listener;
import dev.sluice.broker.config.SecurityConfigKeys;
import dev.sluice.broker.group.GroupConfig;
import dev.sluice.broker.group.GroupConfigKeys;
import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.group.ShareGroupSettings;
import dev.sluice.broker.handler.AddOffsetsToTxnHandler;
import dev.sluice.broker.handler.AddPartitionsToTxnHandler;
import dev.sluice.broker.handler.AllocateProducerIdsHandler;
import dev.sluice.broker.handler.AlterClientQuotasHandler;
import dev.sluice.broker.handler.AlterConfigsHandler;
import dev.sluice.broker.handler.AlterPartitionHandler;
import dev.sluice.broker.handler.AlterPartitionReassignmentsHandler;
import dev.sluice.broker.handler.AlterReplicaLogDirsHandler;
import dev.sluice.broker.handler.AlterShareGroupOffsetsHandler;
import dev.sluice.broker.handler.AlterUserScramCredentialsHandler;
import dev.sluice.broker.handler.ApiHandler;
import dev.sluice.broker.handler.BrokerHeartbeatHandler;
import dev.sluice.broker.handler.BrokerRegistrationHandler;
import dev.sluice.broker.handler.ConsumerGroupDescribeHandler;
import dev.sluice.broker.handler.ConsumerGroupHeartbeatHandler;
import dev.sluice.broker.handler.CreateAclsHandler;
import dev.sluice.broker.handler.CreateDelegationTokenHandler;
import dev.sluice.broker.handler.CreatePartitionsHandler;
import dev.sluice.broker.handler.CreateTopicsHandler;
import dev.sluice.broker.handler.DeleteAclsHandler;
import dev.sluice.broker.handler.DeleteGroupsHandler;
import dev.sluice.broker.handler.DeleteRecordsHandler;
import dev.sluice.broker.handler.DeleteShareGroupOffsetsHandler;
import dev.sluice.broker.handler.DeleteShareGroupStateHandler;
import dev.sluice.broker.handler.DeleteTopicsHandler;
import dev.sluice.broker.handler.DescribeAclsHandler;
import dev.sluice.broker.handler.DescribeClientQuotasHandler;
import dev.sluice.broker.handler.DescribeClusterHandler;
import dev.sluice.broker.handler.DescribeConfigsHandler;
import dev.sluice.broker.handler.DescribeDelegationTokenHandler;
import dev.sluice.broker.handler.DescribeGroupsHandler;
import dev.sluice.broker.handler.DescribeLogDirsHandler;
import dev.sluice.broker.handler.DescribeProducersHandler;
import dev.sluice.broker.handler.DescribeQuorumHandler;
import dev.sluice.broker.handler.DescribeShareGroupOffsetsHandler;
import dev.sluice.broker.handler.DescribeTopicPartitionsHandler;
import dev.sluice.broker.handler.DescribeTransactionsHandler;
import dev.sluice.broker.handler.DescribeUserScramCredentialsHandler;
import dev.sluice.broker.handler.ElectLeadersHandler;
import dev.sluice.broker.handler.EndTxnHandler;
import dev.sluice.broker.handler.ExpireDelegationTokenHandler;
import dev.sluice.broker.handler.FetchHandler;
import dev.sluice.broker.handler.FindCoordinatorHandler;
import dev.sluice.broker.handler.GetTelemetrySubscriptionsHandler;
import dev.sluice.broker.handler.HandlerTable;
import dev.sluice.broker.handler.HeartbeatHandler;
import dev.sluice.broker.handler.IncrementalAlterConfigsHandler;
import dev.sluice.broker.handler.InitProducerIdHandler;
import dev.sluice.broker.handler.InitializeShareGroupStateHandler;
import dev.sluice.broker.handler.JoinGroupHandler;
import dev.sluice.broker.handler.LeaveGroupHandler;
import dev.sluice.broker.handler.ListConfigResourcesHandler;
import dev.sluice.broker.handler.ListGroupsHandler;
import dev.sluice.broker.handler.ListOffsetsHandler;
import dev.sluice.broker.handler.ListPartitionReassignmentsHandler;
import dev.sluice.broker.handler.ListTransactionsHandler;
import dev.sluice.broker.handler.MetadataHandler;
import dev.sluice.broker.handler.OffsetCommitHandler;
import dev.sluice.broker.handler.OffsetDeleteHandler;
import dev.sluice.broker.handler.OffsetFetchHandler;
import dev.sluice.broker.handler.OffsetForLeaderEpochHandler;
import dev.sluice.broker.handler.ProduceHandler;
import dev.sluice.broker.handler.PushTelemetryHandler;
import dev.sluice.broker.handler.QuorumMembership;
import dev.sluice.broker.handler.ReadShareGroupStateHandler;
import dev.sluice.broker.handler.ReadShareGroupStateSummaryHandler;
import dev.sluice.broker.handler.RenewDelegationTokenHandler;
import dev.sluice.broker.handler.RequestDispatcher;
import dev.sluice.broker.handler.SaslAuthenticateHandler;
import dev.sluice.broker.handler.SaslHandshakeHandler;
import dev.sluice.broker.handler.ShareAcknowledgeHandler;
import dev.sluice.broker.handler.ShareAcknowledgements;
import dev.sluice.broker.handler.ShareFetchHandler;
import dev.sluice.broker.handler.ShareGroupDescribeHandler;
import dev.sluice.broker.handler.ShareGroupHeartbeatHandler;
import dev.sluice.broker.handler.StreamsGroupDescribeHandler;
import dev.sluice.broker.handler.StreamsGroupHeartbeatHandler;
import dev.sluice.broker.handler.StreamsGroupTopologyDescriptionUpdateHandler;
import dev.sluice.broker.handler.SyncGroupHandler;
import dev.sluice.broker.handler.TxnOffsetCommitHandler;
import dev.sluice.broker.handler.UnregisterBrokerHandler;
import dev.sluice.broker.handler.UpdateFeaturesHandler;
import dev.sluice.broker.handler.WriteShareGroupStateHandler;
import dev.sluice.broker.handler.WriteTxnMarkersHandler;
import dev.sluice.broker.log.LogMaintenance;
import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.log.ReadPools;
import dev.sluice.broker.metadata.BrokerDirectory;
import dev.sluice.broker.metadata.BrokerIdentity;
import dev.sluice.broker.metadata.BrokerRegistration;
import dev.sluice.broker.metadata.ClusterSettings;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.JournalMetadataLog;
import dev.sluice.broker.metadata.LeaderBalance;
import dev.sluice.broker.metadata.MetadataLog;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metrics.MetricsEndpoint;
import dev.sluice.broker.metrics.ReplicationMetrics;
import dev.sluice.broker.metrics.RequestMetrics;
import dev.sluice.broker.metrics.TopicMetrics;
import dev.sluice.broker.network.NetworkServer;
import dev.sluice.broker.quota.ClientQuotas;
import dev.sluice.broker.replica.DelayedFetches;
import dev.sluice.broker.replica.DelayedProduces;
import dev.sluice.broker.replica.IsrChanges;
import dev.sluice.broker.replica.ReplicaFetchers;
import dev.sluice.broker.replica.Replicas;
import dev.sluice.broker.replica.ReplicationQuotas;
import dev.sluice.broker.security.KafkaPrincipal;
import dev.sluice.broker.security.TokenAuthority;
import dev.sluice.broker.security.acl.StandardAuthorizer;
import dev.sluice.broker.security.sasl.ScramCredential;
import dev.sluice.broker.share.ShareCoordinator;
import dev.sluice.broker.share.SharePartition;
import dev.sluice.broker.share.SharePartitions;
import dev.sluice.broker.share.SharePersister;
import dev.sluice.broker.share.ShareSessions;
import dev.sluice.broker.txn.ProducerIds;
import dev.sluice.broker.txn.TransactionConfig;
import dev.sluice.broker.txn.TransactionCoordinator;
import dev.sluice.broker.txn.TransactionCounts;
import dev.sluice.broker.txn.TransactionVerifier;
import dev.sluice.storage.LogCleaner;
import dev.sluice.storage.remote.ObjectStore;
import dev.sluice.storage.remote.ObjectStores;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Sluice broker: for {@code main} and for tests that want a real broker in-process.
 *
 * <pre>{@code
 * try (SluiceBroker broker = SluiceBroker.builder().config("num.partitions", "3").start()) {
 *     Properties props = new Properties();
 *     props.put("bootstrap.servers", broker.bootstrapServers());
 *     // ... any Kafka client ...
 * }
 * }</pre>
 *
 * The builder's defaults suit tests: a free port on localhost and a fresh temporary data directory
 * that {@link #close()} deletes. Every other setting is Kafka's default unless configured.
 */
public final class SluiceBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceBroker.class);
    /** How long a closing cluster broker waits for the controller to move its leaderships away. */
    private static final long CONTROLLED_SHUTDOWN_WAIT_MS = 5_000;
    /** Kafka's rack-aware replica selector, named as users configure it (KIP-392). */
    private static final String RACK_AWARE_SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector";

    private final BrokerConfig config;
    private final DataDirectory dataDirectory;
    private final MetadataLog metadataLog;
    private final MetadataView view;
    private final Controller controller;
    /** The cluster parts of a cluster node; null on a single node. */
    private final ClusterNode clusterNode;
    private final Partitions partitions;
    private final LogMaintenance maintenance;
    private final Replicas replicas;
    private final ReadPools readPools;
    private final GroupCoordinator groups;
    private final NetworkServer network;
    private final MetricsEndpoint metricsEndpoint;
    private final PrometheusMeterRegistry registry;
    private final BrokerIdentity identity;
    private final Path deleteOnClose;
    private volatile boolean closed;

    private SluiceBroker(BrokerConfig config, DataDirectory dataDirectory, MetadataLog metadataLog, MetadataView view,
                         Controller controller, ClusterNode clusterNode, Partitions partitions,
                         LogMaintenance maintenance, Replicas replicas, ReadPools readPools, GroupCoordinator groups,
                         NetworkServer network,
                         MetricsEndpoint metricsEndpoint,
                         PrometheusMeterRegistry registry, BrokerIdentity identity, Path deleteOnClose) {
        this.config = config;
        this.dataDirectory = dataDirectory;
        this.metadataLog = metadataLog;
        this.view = view;
        this.clusterNode = clusterNode;
        this.controller = controller;
        this.partitions = partitions;
        this.maintenance = maintenance;
        this.replicas = replicas;
        this.readPools = readPools;
        this.groups = groups;
        this.network = network;
        this.metricsEndpoint = metricsEndpoint;
        this.registry = registry;
        this.identity = identity;
        this.deleteOnClose = deleteOnClose;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures an in-process broker. */
    public static final class Builder {
        private final Map<String, String> properties = new LinkedHashMap<>();
        private Path dataDir;

        private Builder() {
        }

        /** Sets any server.properties key. */
        public Builder config(String key, String value) {
            properties.put(key, value);
            return this;
        }

        public Builder configs(Map<String, String> values) {
            properties.putAll(values);
            return this;
        }

        /** Keeps data in {@code dir} (not deleted on close) instead of a temporary directory. */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** Listens on {@code port} of localhost instead of a free port. */
        public Builder port(int port) {
            properties.put(BrokerConfigKeys.LISTENERS, "PLAINTEXT://localhost:" + port);
            return this;
        }

        public SluiceBroker start() {
            Map<String, String> props = new LinkedHashMap<>(properties);
            props.putIfAbsent(BrokerConfigKeys.LISTENERS, "PLAINTEXT://localhost:0");
            DevelopmentDefaults.applyTo(props);
            Path temp = null;
            if (dataDir != null) {
                props.put(BrokerConfigKeys.LOG_DIRS, dataDir.toString());
            } else if (!props.containsKey(BrokerConfigKeys.LOG_DIRS) && !props.containsKey(BrokerConfigKeys.LOG_DIR)) {
                try {
                    temp = Files.createTempDirectory("sluice-");
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot create a temporary data directory", e);
                }
                props.put(BrokerConfigKeys.LOG_DIRS, temp.toString());
            }
            try {
                return SluiceBroker.start(BrokerConfig.parse(props), temp);
            } catch (RuntimeException e) {
                // The broker never owned it: a start that fails leaves no empty directory behind.
                if (temp != null) {
                    deleteRecursively(temp);
                }
                throw e;
            }
        }
    }

    /** Starts a broker with a parsed configuration; the caller owns the data directory. */
    public static SluiceBroker start(BrokerConfig config) {
        return start(config, null);
    }

    private static SluiceBroker start(BrokerConfig config, Path deleteOnClose) {
        long started = System.nanoTime();
        if (!config.unknownKeys().isEmpty()) {
            log.warn("ignoring configuration keys Sluice does not know: {}", String.join(", ", config.unknownKeys()));
        }
        for (Map.Entry<String, String> key : new java.util.TreeMap<>(BrokerConfigKeys.WITHOUT_EFFECT).entrySet()) {
            if (config.isSet(key.getKey())) {
                log.warn("configuration key {} has no effect in Sluice: {}", key.getKey(), key.getValue());
            }
        }
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            int nodeId = config.nodeId();
            boolean cluster = config.isClusterMode();
            if (cluster) {
                ClusterNode.checkSupported(config);
                if (SluiceController.isControllerOnly(config)) {
                    throw new ConfigException(BrokerConfigKeys.PROCESS_ROLES, "controller",
                        "a controller-only node runs no broker: start it as a SluiceController");
                }
            }
            String configuredClusterId = config.getString(BrokerConfigKeys.CLUSTER_ID);
            List<dev.sluice.broker.config.QuorumVoter> voters = config.quorumVoters();
            if (cluster && voters.isEmpty()) {
                // A broker-only node given controller.quorum.bootstrap.servers: the controllers tell
                // it the voters, and a new node's cluster id.
                var found = dev.sluice.broker.cluster.QuorumBootstrap.discover(config, configuredClusterId != null
                    ? java.util.Optional.of(configuredClusterId) : DataDirectory.storedClusterId(config.logDir()));
                voters = found.voters();
                configuredClusterId = found.clusterId();
            } else if (configuredClusterId == null && cluster) {
                // Every node of a fresh cluster derives the same id from the quorum it is given, so
                // no separate format step is needed; a formatted data directory keeps its own.
                configuredClusterId = ClusterNode.derivedClusterId(config.quorumVoters());
            }
            DataDirectory dir = DataDirectory.open(config.logDir(), nodeId, configuredClusterId);
            opened.add(dir);
            MetadataView view = new MetadataView(dir.clusterId());
            Path metadataDir = dir.path().resolve("__cluster_metadata-0");
            Supplier<Controller.TopicDefaults> topicDefaults = topicDefaults(config);
            MetadataLog metadataLog;
            Controller controller;
            MetadataQuorum quorum = null;
            if (cluster) {
                quorum = ClusterNode.openQuorum(config, voters, dir.clusterId(), metadataDir);
                metadataLog = quorum;
                opened.add(metadataLog);
                metadataLog.start(view);
                controller = clusterController(config, quorum, view);
            } else {
                // The metadata log replays into the view before anything reads it; the view's listeners,
                // added below, are the partitions' preparers too, since this node holds every partition.
                metadataLog = JournalMetadataLog.open(metadataDir, nodeId);
                opened.add(metadataLog);
                metadataLog.start(view);
                controller = new Controller(nodeId, metadataLog, view, view.listeners(), topicDefaults);
                removeExpiredTokens(config, controller);
            }
            opened.add(controller);
            ConfigResolver resolver = new ConfigResolver(config);
            Partitions partitions = new Partitions(dir.path(), nodeId, resolver, config.getInt(BrokerConfigKeys.NUM_IO_THREADS),
                config.getLong(BrokerConfigKeys.PRODUCER_ID_EXPIRATION_MS));
            opened.add(partitions);
            if (config.getBoolean(BrokerConfigKeys.LOG_CLEANER_ENABLE) && config.getInt(BrokerConfigKeys.LOG_CLEANER_THREADS) > 0) {
                partitions.startLogCleaner(new LogCleaner.Config(config.getInt(BrokerConfigKeys.LOG_CLEANER_THREADS),
                    config.getLong(BrokerConfigKeys.LOG_CLEANER_DEDUPE_BUFFER_SIZE),
                    config.getLong(BrokerConfigKeys.LOG_CLEANER_BACKOFF_MS)));
            }
            partitions.load(view.image());
            LogMaintenance maintenance = LogMaintenance.start(partitions, new LogMaintenance.Schedule(
                config.getLong(BrokerConfigKeys.LOG_RETENTION_CHECK_INTERVAL_MS),
                Math.min(1000, config.getLong(BrokerConfigKeys.LOG_FLUSH_SCHEDULER_INTERVAL_MS)),
                config.getInt(BrokerConfigKeys.LOG_FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS),
                config.getInt(BrokerConfigKeys.LOG_FLUSH_START_OFFSET_CHECKPOINT_INTERVAL_MS),
                config.getLong(BrokerConfigKeys.REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS)));
            opened.add(maintenance);
            view.addListener(partitions);
            ReadPools readPools = new ReadPools(config.getInt(BrokerConfigKeys.NUM_IO_THREADS),
                config.getInt(BrokerConfigKeys.REMOTE_LOG_READER_THREADS),
                config.getInt(BrokerConfigKeys.REMOTE_LOG_READER_MAX_PENDING_TASKS),
                config.getInt(BrokerConfigKeys.REMOTE_FETCH_MAX_WAIT_MS));
            opened.add(readPools);
            DelayedFetches delayedFetches = new DelayedFetches(readPools.local());
            DelayedProduces delayedProduces = new DelayedProduces();
            ClusterNode clusterNode = null;
            Replicas replicas;
            ReplicaFetchers fetchers = null;
            ReplicationQuotas quotas = ReplicationQuotas.from(config, nodeId, resolver);
            quotas.load(view.image());
            // Dynamic: kafka-configs and kafka-reassign-partitions --throttle change it on a running broker.
            view.addListener(quotas);
            if (cluster) {
                clusterNode = ClusterNode.create(config, quorum, view, controller);
                opened.add(clusterNode);
                ClusterNode node = clusterNode;
                // A follower fetches at least every replica.fetch.wait.max.ms; one silent for two of
                // those (or a heartbeat interval) is taken to have left.
                partitions.serveLeadershipWhile(node::inGoodStanding, Math.max(
                    2L * config.getInt(BrokerConfigKeys.REPLICA_FETCH_WAIT_MAX_MS),
                    config.getInt(BrokerConfigKeys.BROKER_HEARTBEAT_INTERVAL_MS)));
                fetchers = new ReplicaFetchers(node.peers(), nodeId, node::brokerEpoch,
                    ReplicaFetchers.Settings.from(config), quotas.follower());
                IsrChanges isr = new IsrChanges(partitions, node::alterPartition, nodeId, node::brokerEpoch,
                    id -> view.image().broker(id).filter(BrokerRegistration::active).map(BrokerRegistration::epoch)
                        .orElse(-1L),
                    config.getLong(BrokerConfigKeys.REPLICA_LAG_TIME_MAX_MS));
                // The node closes them (ISR changes, then fetchers), before the partitions close.
                node.replication(fetchers, isr);
                replicas = new Replicas(partitions, delayedFetches, delayedProduces, fetchers);
            } else {
                replicas = new Replicas(partitions, delayedFetches, delayedProduces);
            }
            opened.add(replicas);
            replicas.load(view.image());
            // After partitions: a partition a change adds is open before it takes its role.
            view.addListener(replicas);
            InterBrokerClient peers = clusterNode == null ? null : clusterNode.transactionPeers();
            ShareCoordinator shares = new ShareCoordinator(ShareCoordinator.Config.from(config), view, controller,
                partitions);
            opened.add(shares);
            view.addListener(shares);
            replicas.addLeadershipListener(shares.leadershipListener());
            shares.start();
            SharePersister sharePersister = new SharePersister(shares, peers, nodeId);
            ShareGroupSettings shareSettings = ShareGroupSettings.from(config);
            GroupCoordinator groups = new GroupCoordinator(GroupConfig.from(config), view, controller, partitions,
                InstantSource.system(), shareSettings, sharePersister);
            opened.add(groups);
            // After partitions: a new __consumer_offsets partition is open before its shard loads.
            view.addListener(groups);
            replicas.addLeadershipListener(groups.leadershipListener());
            groups.start();

            WriteTxnMarkersHandler markers = new WriteTxnMarkersHandler(view, partitions, delayedProduces, groups);
            ProducerIds producerIds = new ProducerIds(controller);
            TransactionCoordinator transactions = new TransactionCoordinator(TransactionConfig.from(config), view,
                controller, partitions, producerIds, markers, peers);
            opened.add(transactions);
            // After partitions: a new __transaction_state partition is open before its shard loads.
            view.addListener(transactions);
            replicas.addLeadershipListener(transactions.leadershipListener());
            transactions.start();
            TransactionVerifier verifier = new TransactionVerifier(transactions, peers, nodeId);
            SharePartitions sharePartitions = new SharePartitions(sharePersister,
                groupId -> shareGroupSettings(shareSettings, view.image().groupConfigs(groupId)));
            opened.add(sharePartitions);
            ShareAcknowledgements shareAcks = new ShareAcknowledgements(view, partitions, sharePartitions,
                new ShareSessions(shareSettings.maxShareSessions()), shareSettings);

            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            if (config.getBoolean(BrokerConfigKeys.REMOTE_LOG_STORAGE_SYSTEM_ENABLE)) {
                ObjectStore store = openObjectStore(config, dir.path());
                log.info("Tiered topics copy their segments to {}", store.describe());
                partitions.startTiering(store, config.getLong(BrokerConfigKeys.REMOTE_LOG_MANAGER_TASK_INTERVAL_MS),
                    registry);
            }
            TopicMetrics topicMetrics = new TopicMetrics(registry, name -> view.image().topic(name).isPresent());
            partitions.addAppendListener(topicMetrics);
            // After partitions: a deleted topic's logs are gone before its meters are removed.
            view.addListener(topicMetrics);
            BrokerIdentity identity = new BrokerIdentity(nodeId, config.getString(BrokerConfigKeys.BROKER_RACK),
                config.advertisedListeners());
            MetadataQuorum leaderOf = quorum;
            BrokerDirectory directory = cluster
                ? BrokerDirectory.cluster(identity, view, () -> leaderOf.leaderId().orElse(-1), partitions::servesClients)
                : BrokerDirectory.singleNode(identity, view);
            FetchHandler fetchHandler = new FetchHandler(view, partitions, delayedFetches, readPools,
                config.getInt(BrokerConfigKeys.MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS),
                config.getInt(BrokerConfigKeys.FETCH_MAX_BYTES), topicMetrics,
                RACK_AWARE_SELECTOR.equals(config.getString(BrokerConfigKeys.REPLICA_SELECTOR_CLASS)), quotas.leader());
            // One per node: logins, describes and token changes share its derived SCRAM credentials.
            TokenAuthority tokens = tokenAuthority(config, view);
            List<ApiHandler<?, ?>> handlers = new ArrayList<>(List.of(
                new ProduceHandler(view, partitions, delayedProduces, verifier),
                fetchHandler,
                new ListOffsetsHandler(view, partitions, readPools),
                new OffsetForLeaderEpochHandler(view, partitions),
                new InitProducerIdHandler(producerIds, transactions),
                new AddPartitionsToTxnHandler(transactions, view),
                new AddOffsetsToTxnHandler(transactions, groups),
                new EndTxnHandler(transactions),
                markers,
                new DescribeTransactionsHandler(transactions),
                new ListTransactionsHandler(transactions),
                new DeleteRecordsHandler(view, partitions),
                new DescribeLogDirsHandler(partitions),
                new AlterReplicaLogDirsHandler(view, partitions),
                new DescribeProducersHandler(view, partitions),
                new MetadataHandler(view, controller, directory, partitions,
                    config.getBoolean(BrokerConfigKeys.AUTO_CREATE_TOPICS_ENABLE)),
                new DescribeClusterHandler(view, directory),
                new SaslHandshakeHandler(),
                new SaslAuthenticateHandler(),
                new DescribeUserScramCredentialsHandler(view),
                new DescribeDelegationTokenHandler(view, tokens),
                new DescribeAclsHandler(view, authorizerConfigured(config)),
                new DescribeClientQuotasHandler(view),
                new DescribeTopicPartitionsHandler(view, directory, partitions),
                new DescribeConfigsHandler(view, nodeId, resolver),
                new FindCoordinatorHandler(groups, transactions, shares, directory),
                new InitializeShareGroupStateHandler(shares),
                new ReadShareGroupStateHandler(shares),
                new WriteShareGroupStateHandler(shares),
                new DeleteShareGroupStateHandler(shares),
                new ReadShareGroupStateSummaryHandler(shares),
                new JoinGroupHandler(groups),
                new SyncGroupHandler(groups),
                new HeartbeatHandler(groups),
                new LeaveGroupHandler(groups),
                new OffsetCommitHandler(groups, view),
                new OffsetFetchHandler(groups, view),
                new TxnOffsetCommitHandler(groups, view, verifier),
                new OffsetDeleteHandler(groups, view),
                new DescribeGroupsHandler(groups),
                new ListGroupsHandler(groups),
                new DeleteGroupsHandler(groups),
                new ConsumerGroupHeartbeatHandler(groups, view),
                new ConsumerGroupDescribeHandler(groups),
                new ShareGroupHeartbeatHandler(groups, view),
                new ShareGroupDescribeHandler(groups, view),
                new ShareFetchHandler(shareAcks, delayedFetches, readPools, config.getInt(BrokerConfigKeys.FETCH_MAX_BYTES)),
                new ShareAcknowledgeHandler(shareAcks),
                new DescribeShareGroupOffsetsHandler(groups, view, partitions),
                new AlterShareGroupOffsetsHandler(groups, view),
                new DeleteShareGroupOffsetsHandler(groups, view),
                new StreamsGroupHeartbeatHandler(groups, view, controller),
                new StreamsGroupDescribeHandler(groups, view),
                new StreamsGroupTopologyDescriptionUpdateHandler(groups, view),
                new GetTelemetrySubscriptionsHandler(),
                new PushTelemetryHandler(),
                new ListConfigResourcesHandler(view, nodeId)));
            handlers.addAll(controllerDecisions(config, voters, view, controller, resolver, quorum, tokens));
            RequestMetrics requestMetrics = new RequestMetrics(registry);
            RequestDispatcher dispatcher = new RequestDispatcher(new HandlerTable(handlers, view, nodeId),
                requestMetrics);
            dispatcher.authorizeWith(authorizer(config, view));
            ClientQuotas clientQuotas = new ClientQuotas(config.getInt(SecurityConfigKeys.QUOTA_WINDOW_NUM),
                config.getInt(SecurityConfigKeys.QUOTA_WINDOW_SIZE_SECONDS) * 1000L, System::currentTimeMillis);
            clientQuotas.load(view.image());
            view.addListener(clientQuotas);
            dispatcher.throttleWith(clientQuotas);
            if (clusterNode != null) {
                clusterNode.wire(view, dispatcher, controllerApis(view, controller, resolver, requestMetrics));
                groups.offsetsReplicationFactor((short) config.getInt(BrokerConfigKeys.OFFSETS_TOPIC_REPLICATION_FACTOR));
                transactions.stateLogReplication(
                    (short) config.getInt(BrokerConfigKeys.TRANSACTION_STATE_LOG_REPLICATION_FACTOR),
                    config.getInt(BrokerConfigKeys.TRANSACTION_STATE_LOG_MIN_ISR));
                shares.stateTopicReplication();
            }
            NetworkServer network = new NetworkServer(config, dispatcher, (user, mechanism) -> view.image()
                .scramCredential(user, mechanism.type())
                .map(c -> new ScramCredential(c.salt(), c.storedKey(), c.serverKey(), c.iterations())),
                tokens);
            opened.add(network);
            network.throttleConnectionsWith(clientQuotas);
            List<Listener> bound = network.start();
            identity.bound(bound);
            if (clusterNode != null) {
                clusterNode.startBroker(identity, dir.clusterId(), view,
                    config.getInt(BrokerConfigKeys.BROKER_HEARTBEAT_INTERVAL_MS),
                    config.getInt(BrokerConfigKeys.BROKER_SESSION_TIMEOUT_MS));
            }
            registerGauges(registry, network, view, partitions, delayedFetches, delayedProduces, fetchHandler,
                groups, transactions, shares, shareAcks);
            ReplicationMetrics replication = new ReplicationMetrics(nodeId, view, partitions);
            view.addListener(replication);
            ReplicaFetchers followed = fetchers;
            MetadataLog quorumLog = metadataLog;
            replication.register(registry, replicas::leaderCount, () -> followed == null ? 0 : followed.maxLag(),
                () -> quorumLog.leaderId().orElse(-1) == nodeId);

            MetricsEndpoint metrics = null;
            int metricsPort = config.getInt(BrokerConfigKeys.METRICS_PORT);
            if (metricsPort >= 0) {
                metrics = MetricsEndpoint.start(config.getString(BrokerConfigKeys.METRICS_HOST), metricsPort, registry);
                opened.add(metrics);
            }
            SluiceBroker broker = new SluiceBroker(config, dir, metadataLog, view, controller, clusterNode, partitions,
                maintenance, replicas, readPools, groups,
                network,
                metrics,
                registry, identity, deleteOnClose);
            log.info("Sluice broker {} ready in {} ms on {} (cluster {}, data in {}{})", nodeId,
                (System.nanoTime() - started) / 1_000_000,
                bound.stream().map(Listener::toString).collect(Collectors.joining(", ")), dir.clusterId(),
                dir.path().toAbsolutePath().normalize(), metrics == null ? "" : ", metrics on port " + metrics.port());
            return broker;
        } catch (Exception e) {
            throw startFailure("broker", e, opened);
        }
    }

    /** A share group's leader-side settings: its GROUP configs where set, else the broker's {@code group.share.*}. */
    private static SharePartitions.GroupSettings shareGroupSettings(ShareGroupSettings broker, Map<String, String> group) {
        return new SharePartitions.GroupSettings(new SharePartition.Settings(
            GroupConfigKeys.intValue(group, "share.record.lock.duration.ms", broker.recordLockDurationMs()),
            GroupConfigKeys.intValue(group, "share.delivery.count.limit", broker.deliveryCountLimit()),
            GroupConfigKeys.intValue(group, "share.partition.max.record.locks", broker.partitionMaxRecordLocks())),
            group.getOrDefault("share.auto.offset.reset", "latest"),
            "read_committed".equals(group.get("share.isolation.level")));
    }

    /** Closes what a failed start opened, newest first, and returns the failure to throw. */
    static RuntimeException startFailure(String what, Exception e, List<AutoCloseable> opened) {
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
        }
        if (e instanceof RuntimeException re) {
            return re;
        }
        return new UncheckedIOException(what + " failed to start: " + e.getMessage(),
            e instanceof IOException io ? io : new IOException(e));
    }

    /** New topics' defaults, read at each creation so that dynamic changes apply. */
    static Supplier<Controller.TopicDefaults> topicDefaults(BrokerConfig config) {
        return () -> new Controller.TopicDefaults(
            config.getInt(BrokerConfigKeys.NUM_PARTITIONS),
            (short) config.getInt(BrokerConfigKeys.DEFAULT_REPLICATION_FACTOR),
            config.getBoolean(BrokerConfigKeys.DELETE_TOPIC_ENABLE),
            config.getInt(BrokerConfigKeys.MAX_BROKER_PARTITIONS));
    }

    /** The controller of a cluster node, deciding while its quorum member leads. */
    static Controller clusterController(BrokerConfig config, MetadataQuorum quorum, MetadataView view) {
        Controller controller = new Controller(config.nodeId(), quorum, view, new ClusterSettings(
            config.getInt(BrokerConfigKeys.BROKER_SESSION_TIMEOUT_MS),
            () -> config.getBoolean(BrokerConfigKeys.UNCLEAN_LEADER_ELECTION_ENABLE),
            config.interBrokerListenerName()), topicDefaults(config), new LeaderBalance(
            config.getBoolean(BrokerConfigKeys.AUTO_LEADER_REBALANCE_ENABLE),
            config.getInt(BrokerConfigKeys.LEADER_IMBALANCE_PER_BROKER_PERCENTAGE),
            config.getLong(BrokerConfigKeys.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS) * 1000));
        removeExpiredTokens(config, controller);
        return controller;
    }

    /** Has the controller remove expired delegation tokens as {@code delegation.token.expiry.check.interval.ms} says. */
    private static void removeExpiredTokens(BrokerConfig config, Controller controller) {
        controller.removeExpiredTokensEvery(config.getLong(SecurityConfigKeys.DELEGATION_TOKEN_EXPIRY_CHECK_INTERVAL_MS),
            System::currentTimeMillis);
    }

    /** This node's view of delegation tokens: the secret key of {@code delegation.token.secret.key}. */
    static TokenAuthority tokenAuthority(BrokerConfig config, MetadataView view) {
        return new TokenAuthority(config.getString(SecurityConfigKeys.DELEGATION_TOKEN_SECRET_KEY), view::image,
            System::currentTimeMillis);
    }

    /**
     * The client APIs whose work is a controller decision: on a cluster node that does not lead the
     * quorum they are forwarded whole to the active controller, which serves them with these
     * handlers. {@code quorum} is null on the single node, whose quorum is itself.
     */
    static List<ApiHandler<?, ?>> controllerDecisions(BrokerConfig config, List<dev.sluice.broker.config.QuorumVoter> voters,
                                                      MetadataView view, Controller controller, ConfigResolver resolver,
                                                      MetadataQuorum quorum, TokenAuthority tokens) {
        List<ApiHandler<?, ?>> handlers = new ArrayList<>(List.of(
            new CreateTopicsHandler(view, controller, resolver),
            new DeleteTopicsHandler(view, controller),
            new CreatePartitionsHandler(view, controller),
            new AlterConfigsHandler(controller),
            new IncrementalAlterConfigsHandler(controller, config),
            new AlterUserScramCredentialsHandler(controller),
            new AlterClientQuotasHandler(controller),
            new UpdateFeaturesHandler(controller),
            new CreateAclsHandler(controller, authorizerConfigured(config)),
            new DeleteAclsHandler(controller, authorizerConfigured(config))));
        long expiryTimeMs = config.getLong(SecurityConfigKeys.DELEGATION_TOKEN_EXPIRY_TIME_MS);
        handlers.add(new CreateDelegationTokenHandler(controller, tokens, System::currentTimeMillis,
            config.getLong(SecurityConfigKeys.DELEGATION_TOKEN_MAX_LIFETIME_MS), expiryTimeMs));
        handlers.add(new RenewDelegationTokenHandler(controller, tokens, System::currentTimeMillis, expiryTimeMs));
        handlers.add(new ExpireDelegationTokenHandler(controller, tokens, System::currentTimeMillis, expiryTimeMs));
        List<String> controllerListeners = config.controllerListenerNames();
        handlers.addAll(QuorumMembership.handlers(view, config.nodeId(),
            voters.stream().map(dev.sluice.broker.config.QuorumVoter::nodeId).toList(),
            controllerListeners.isEmpty() ? "CONTROLLER" : controllerListeners.get(0)));
        handlers.add(quorum != null
            ? new DescribeQuorumHandler(quorum, voters, config.controllerListenerNames().get(0))
            : DescribeQuorumHandler.singleNode(view, config.nodeId()));
        handlers.add(new ElectLeadersHandler(controller));
        handlers.add(new UnregisterBrokerHandler(controller));
        handlers.add(new AlterPartitionReassignmentsHandler(controller));
        handlers.add(new ListPartitionReassignmentsHandler(controller));
        return handlers;
    }

    static boolean authorizerConfigured(BrokerConfig config) {
        return !config.getString(SecurityConfigKeys.AUTHORIZER_CLASS_NAME).isEmpty();
    }

    /**
     * The authorizer {@code authorizer.class.name} asks for, kept up to date with the ACLs in the
     * metadata log; null when none is configured (every operation allowed).
     */
    static StandardAuthorizer authorizer(BrokerConfig config, MetadataView view) {
        if (!authorizerConfigured(config)) {
            return null;
        }
        Set<KafkaPrincipal> superUsers = new HashSet<>();
        for (String entry : config.getString(SecurityConfigKeys.SUPER_USERS).split(";")) {
            if (!entry.isBlank()) {
                try {
                    superUsers.add(KafkaPrincipal.parse(entry.trim()));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(SecurityConfigKeys.SUPER_USERS, entry, e.getMessage());
                }
            }
        }
        StandardAuthorizer authorizer = new StandardAuthorizer(superUsers,
            config.getBoolean(SecurityConfigKeys.ALLOW_EVERYONE_IF_NO_ACL_FOUND));
        authorizer.update(view.image().acls().values());
        view.addListener((previous, next) -> {
            if (previous.acls() != next.acls()) {
                authorizer.update(next.acls().values());
            }
        });
        return authorizer;
    }

    /** What brokers send the active controller: Kafka's controller APIs, served by its own table. */
    static RequestDispatcher controllerApis(MetadataView view, Controller controller, ConfigResolver resolver,
                                           RequestMetrics metrics) {
        return new RequestDispatcher(new HandlerTable(List.of(
            new BrokerRegistrationHandler(controller), new BrokerHeartbeatHandler(controller),
            new AlterPartitionHandler(controller), new AllocateProducerIdsHandler(controller),
            CreateTopicsHandler.forBrokers(view, controller, resolver))), metrics);
    }

    /** The cold tier's store: {@code sluice.remote.storage.uri}, or a directory under the data directory. */
    private static ObjectStore openObjectStore(BrokerConfig config, Path dataDir) throws IOException {
        Map<String, String> options = new LinkedHashMap<>();
        for (String key : List.of(BrokerConfigKeys.REMOTE_STORAGE_S3_ENDPOINT, BrokerConfigKeys.REMOTE_STORAGE_S3_REGION,
                BrokerConfigKeys.REMOTE_STORAGE_S3_PATH_STYLE_ACCESS, BrokerConfigKeys.REMOTE_STORAGE_S3_ACCESS_KEY,
                BrokerConfigKeys.REMOTE_STORAGE_S3_SECRET_KEY)) {
            String value = config.getString(key);
            if (value != null) {
                options.put(key, value);
            }
        }
        try {
            return ObjectStores.open(config.getString(BrokerConfigKeys.REMOTE_STORAGE_URI), options,
                dataDir.resolve("remote-storage"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(BrokerConfigKeys.REMOTE_STORAGE_URI,
                String.valueOf(config.getString(BrokerConfigKeys.REMOTE_STORAGE_URI)), e.getMessage());
        }
    }

    /** Broker-wide gauges, read at scrape time only; none costs anything on a request path. */
    private static void registerGauges(MeterRegistry registry, NetworkServer network, MetadataView view,
                                       Partitions partitions, DelayedFetches delayedFetches,
                                       DelayedProduces delayedProduces, FetchHandler fetch, GroupCoordinator groups,
                                       TransactionCoordinator transactions, ShareCoordinator shares,
                                       ShareAcknowledgements shareAcks) {
        Gauge.builder("sluice.connections", network::connectionCount).strongReference(true)
            .description("Open client connections on all listeners").register(registry);
        FunctionCounter.builder("sluice.connections.refused", network, NetworkServer::refusedConnections)
            .description("Connections closed on accept: their address held max.connections.per.ip already, or"
                + " opened them faster than its connection_creation_rate quota")
            .register(registry);
        FunctionCounter.builder("sluice.connections.accept.throttled", network, NetworkServer::throttledAccepts)
            .description("Times a listener waited before accepting more, for max.connection.creation.rate")
            .register(registry);
        Gauge.builder("sluice.request.queued.bytes", network::requestBytesInUse).strongReference(true).baseUnit("bytes")
            .description("Bytes of requests being received or served, bounded by queued.max.request.bytes")
            .register(registry);
        Gauge.builder("sluice.topics", () -> view.image().topics().size()).strongReference(true)
            .description("Topics in the cluster metadata, internal ones included").register(registry);
        Gauge.builder("sluice.partitions", () -> partitions.all().size()).strongReference(true)
            .description("Partitions whose log this broker holds").register(registry);
        Gauge.builder("sluice.log.size", () -> {
            long bytes = 0;
            for (Partition p : partitions.all()) {
                bytes += p.sizeInBytes();
            }
            return bytes;
        }).strongReference(true).baseUnit("bytes").description("Bytes of all partition logs on local disk")
            .register(registry);
        Gauge.builder("sluice.fetch.waiting", delayedFetches::waitingCount).strongReference(true)
            .description("Fetch requests parked until data arrives or their wait time passes").register(registry);
        Gauge.builder("sluice.produce.waiting", delayedProduces::waitingCount).strongReference(true)
            .description("acks=all produce requests waiting for their records to be committed").register(registry);
        Gauge.builder("sluice.fetch.sessions", fetch::sessionCount).strongReference(true)
            .description("Incremental fetch sessions cached").register(registry);
        Gauge.builder("sluice.groups", groups::groupCount).strongReference(true)
            .description("Consumer groups this broker coordinates, including groups with committed offsets only")
            .register(registry);
        FunctionCounter.builder("sluice.group.rebalances", groups, GroupCoordinator::rebalanceCount)
            .description("Rebalances: new classic group generations and new consumer (KIP-848) group epochs")
            .register(registry);
        Gauge.builder("sluice.transactional.ids", transactions::transactionalIdCount).strongReference(true)
            .description("Transactional ids this broker coordinates").register(registry);
        Gauge.builder("sluice.share.states", shares::stateCount).strongReference(true)
            .description("Share-partition states this broker's share coordinator holds").register(registry);
        Gauge.builder("sluice.share.partitions", shareAcks.shares()::size).strongReference(true)
            .description("Share-partitions this broker leads that share groups consume now").register(registry);
        Gauge.builder("sluice.share.acquired.records", shareAcks.shares()::acquiredRecords).strongReference(true)
            .description("Records share group members hold acquired on this broker").register(registry);
        Gauge.builder("sluice.share.sessions", shareAcks.sessions()::size).strongReference(true)
            .description("Share sessions open on this broker (group.share.max.share.sessions bounds them)")
            .register(registry);
        TransactionCounts counts = transactions.counts();
        FunctionCounter.builder("sluice.transactions.committed", counts.committed(), AtomicLong::get)
            .description("Transactions committed by this broker's coordinator (every COMMIT marker written)")
            .register(registry);
        FunctionCounter.builder("sluice.transactions.aborted", counts.aborted(), AtomicLong::get)
            .description("Transactions aborted by this broker's coordinator, by their producers, fencing or timeout")
            .register(registry);
        FunctionCounter.builder("sluice.transactions.timed.out", counts.timedOut(), AtomicLong::get)
            .description("Transactions the coordinator aborted because they stayed open past transaction.timeout.ms")
            .register(registry);
    }

    /** {@code host:port} of the first listener, for a client's {@code bootstrap.servers}. */
    public String bootstrapServers() {
        Listener first = identity.advertised().get(0);
        return BrokerIdentity.reachableHost(first) + ":" + first.port();
    }

    /** {@code host:port} of the listener named {@code listener} (as in {@code listeners}, any case). */
    public String bootstrapServers(String listener) {
        for (Listener l : identity.advertised()) {
            if (l.name().equalsIgnoreCase(listener)) {
                return BrokerIdentity.reachableHost(l) + ":" + l.port();
            }
        }
        throw new IllegalArgumentException("no listener named " + listener);
    }

    /** The port the first listener is bound to. */
    public int port() {
        return identity.advertised().get(0).port();
    }

    public int nodeId() {
        return identity.nodeId();
    }

    public String clusterId() {
        return dataDirectory.clusterId();
    }

    public Path dataDir() {
        return dataDirectory.path();
    }

    public BrokerConfig config() {
        return config;
    }

    /**
     * The port the Prometheus endpoint ({@code /metrics}) is bound to; empty when
     * {@code sluice.metrics.port} is -1 (the default).
     */
    public OptionalInt metricsPort() {
        return metricsEndpoint == null ? OptionalInt.empty() : OptionalInt.of(metricsEndpoint.port());
    }

    /** The meter registry behind {@code /metrics}. */
    public PrometheusMeterRegistry meterRegistry() {
        return registry;
    }

    /** The leader of {@code topic}'s partition in this broker's metadata, or -1. */
    public int partitionLeader(String topic, int partition) {
        return view.image().topic(topic).filter(t -> partition < t.partitions().size())
            .map(t -> t.partitions().get(partition).leader()).orElse(-1);
    }

    /** The node id of the active controller as this broker knows it, or -1 while there is none. */
    public int activeController() {
        return metadataLog.leaderId().orElse(-1);
    }

    /**
     * Whether this broker serves as part of a cluster of {@code brokers}: unfenced, and its metadata
     * holds every one of them unfenced. A single node is always ready.
     */
    boolean isReadyInCluster(List<Integer> brokers) {
        if (clusterNode == null) {
            return true;
        }
        if (!clusterNode.isUnfenced()) {
            return false;
        }
        for (int id : brokers) {
            if (view.image().broker(id).map(b -> b.fenced()).orElse(true)) {
                return false;
            }
        }
        return true;
    }

    /** Stops accepting, answers requests in flight, closes files; deletes a temporary data directory. */
    @Override
    public synchronized void close() {
        stop(true);
    }

    /**
     * Stops at once, as close to a crash as a broker in a shared JVM can: no controlled shutdown
     * and no waiting for requests in flight. What it wrote stays on disk.
     */
    public synchronized void halt() {
        stop(false);
    }

    private void stop(boolean graceful) {
        if (closed) {
            return;
        }
        closed = true;
        long started = System.nanoTime();
        if (graceful && clusterNode != null && config.getBoolean(BrokerConfigKeys.CONTROLLED_SHUTDOWN_ENABLE)) {
            clusterNode.controlledShutdown(view, CONTROLLED_SHUTDOWN_WAIT_MS);
        }
        // Waiting fetches and acks=all produces are answered at once, so that in-flight requests drain quickly.
        replicas.close();
        // Waiting JoinGroup and SyncGroup requests are answered NOT_COORDINATOR, as Kafka does.
        groups.close();
        network.shutdown(graceful ? 10_000 : 0);
        readPools.close();
        if (metricsEndpoint != null) {
            metricsEndpoint.close();
        }
        if (clusterNode != null) {
            clusterNode.close();
        }
        controller.close();
        maintenance.close();
        try {
            metadataLog.close();
        } catch (IOException e) {
            log.warn("could not close the metadata log: {}", e.toString());
        }
        partitions.close();
        registry.close();
        try {
            dataDirectory.close();
        } catch (IOException e) {
            log.warn("could not release the lock of {}: {}", dataDirectory.path(), e.toString());
        }
        if (deleteOnClose != null) {
            deleteRecursively(deleteOnClose);
        }
        log.info("Sluice broker {} stopped in {} ms", identity.nodeId(), (System.nanoTime() - started) / 1_000_000);
    }

    static void deleteRecursively(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("could not delete temporary data directory {}: {}", root, e.toString());
        }
    }
}
