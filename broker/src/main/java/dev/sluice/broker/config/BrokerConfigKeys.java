package dev.sluice.broker.config;

import static dev.sluice.broker.config.ConfigDef.Check.NONE;
import static dev.sluice.broker.config.ConfigDef.Check.atLeast;
import static dev.sluice.broker.config.ConfigDef.Check.between;
import static dev.sluice.broker.config.ConfigDef.Check.eachOf;
import static dev.sluice.broker.config.ConfigDef.Check.oneOf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The broker configuration keys Sluice understands, with Kafka's names, types and defaults. Keys
 * Kafka defines that do not apply to Sluice (ZooKeeper, KRaft quorum wiring) are listed in
 * {@link #IGNORED_KAFKA_KEYS} so that a server.properties written for Kafka starts without complaint.
 */
public final class BrokerConfigKeys {
    public static final String LISTENERS = "listeners";
    public static final String ADVERTISED_LISTENERS = "advertised.listeners";
    public static final String LISTENER_SECURITY_PROTOCOL_MAP = "listener.security.protocol.map";
    public static final String LOG_DIRS = "log.dirs";
    public static final String LOG_DIR = "log.dir";
    public static final String NODE_ID = "node.id";
    public static final String BROKER_ID = "broker.id";
    public static final String BROKER_RACK = "broker.rack";
    public static final String PROCESS_ROLES = "process.roles";
    public static final String CONTROLLER_QUORUM_VOTERS = "controller.quorum.voters";
    public static final String CONTROLLER_QUORUM_BOOTSTRAP_SERVERS = "controller.quorum.bootstrap.servers";
    public static final String CONTROLLER_LISTENER_NAMES = "controller.listener.names";
    public static final String CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS = "controller.quorum.election.timeout.ms";
    public static final String CONTROLLER_QUORUM_FETCH_TIMEOUT_MS = "controller.quorum.fetch.timeout.ms";
    public static final String INTER_BROKER_LISTENER_NAME = "inter.broker.listener.name";
    public static final String SECURITY_INTER_BROKER_PROTOCOL = "security.inter.broker.protocol";
    public static final String BROKER_SESSION_TIMEOUT_MS = "broker.session.timeout.ms";
    public static final String BROKER_HEARTBEAT_INTERVAL_MS = "broker.heartbeat.interval.ms";
    public static final String CONTROLLED_SHUTDOWN_ENABLE = "controlled.shutdown.enable";
    public static final String REPLICA_LAG_TIME_MAX_MS = "replica.lag.time.max.ms";
    public static final String REPLICA_FETCH_MAX_BYTES = "replica.fetch.max.bytes";
    public static final String REPLICA_FETCH_MIN_BYTES = "replica.fetch.min.bytes";
    public static final String REPLICA_FETCH_WAIT_MAX_MS = "replica.fetch.wait.max.ms";
    public static final String REPLICA_FETCH_BACKOFF_MS = "replica.fetch.backoff.ms";
    public static final String REPLICA_FETCH_RESPONSE_MAX_BYTES = "replica.fetch.response.max.bytes";
    public static final String REPLICA_SOCKET_TIMEOUT_MS = "replica.socket.timeout.ms";
    public static final String REPLICA_SOCKET_RECEIVE_BUFFER_BYTES = "replica.socket.receive.buffer.bytes";
    public static final String NUM_REPLICA_FETCHERS = "num.replica.fetchers";
    public static final String REPLICA_SELECTOR_CLASS = "replica.selector.class";
    public static final String LEADER_REPLICATION_THROTTLED_RATE = "leader.replication.throttled.rate";
    public static final String FOLLOWER_REPLICATION_THROTTLED_RATE = "follower.replication.throttled.rate";
    public static final String REPLICATION_QUOTA_WINDOW_NUM = "replication.quota.window.num";
    public static final String REPLICATION_QUOTA_WINDOW_SIZE_SECONDS = "replication.quota.window.size.seconds";
    public static final String AUTO_LEADER_REBALANCE_ENABLE = "auto.leader.rebalance.enable";
    public static final String LEADER_IMBALANCE_PER_BROKER_PERCENTAGE = "leader.imbalance.per.broker.percentage";
    public static final String LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS = "leader.imbalance.check.interval.seconds";
    public static final String NUM_PARTITIONS = "num.partitions";
    public static final String DEFAULT_REPLICATION_FACTOR = "default.replication.factor";
    public static final String AUTO_CREATE_TOPICS_ENABLE = "auto.create.topics.enable";
    public static final String DELETE_TOPIC_ENABLE = "delete.topic.enable";
    public static final String MESSAGE_MAX_BYTES = "message.max.bytes";
    public static final String SOCKET_REQUEST_MAX_BYTES = "socket.request.max.bytes";
    public static final String SOCKET_SEND_BUFFER_BYTES = "socket.send.buffer.bytes";
    public static final String SOCKET_RECEIVE_BUFFER_BYTES = "socket.receive.buffer.bytes";
    public static final String CONNECTIONS_MAX_IDLE_MS = "connections.max.idle.ms";
    public static final String NUM_NETWORK_THREADS = "num.network.threads";
    public static final String NUM_IO_THREADS = "num.io.threads";
    public static final String QUEUED_MAX_REQUEST_BYTES = "queued.max.request.bytes";
    public static final String MAX_CONNECTIONS = "max.connections";
    public static final String MAX_CONNECTIONS_PER_IP = "max.connections.per.ip";
    public static final String MAX_CONNECTIONS_PER_IP_OVERRIDES = "max.connections.per.ip.overrides";
    public static final String MAX_CONNECTION_CREATION_RATE = "max.connection.creation.rate";
    public static final String REQUEST_RECEIVE_TIMEOUT_MS = "sluice.request.receive.timeout.ms";
    public static final String REMOTE_LOG_READER_THREADS = "remote.log.reader.threads";
    public static final String REMOTE_LOG_READER_MAX_PENDING_TASKS = "remote.log.reader.max.pending.tasks";
    public static final String REMOTE_FETCH_MAX_WAIT_MS = "remote.fetch.max.wait.ms";
    public static final String LOG_SEGMENT_BYTES = "log.segment.bytes";
    public static final String LOG_ROLL_MS = "log.roll.ms";
    public static final String LOG_ROLL_HOURS = "log.roll.hours";
    public static final String LOG_ROLL_JITTER_MS = "log.roll.jitter.ms";
    public static final String LOG_ROLL_JITTER_HOURS = "log.roll.jitter.hours";
    public static final String LOG_RETENTION_MS = "log.retention.ms";
    public static final String LOG_RETENTION_MINUTES = "log.retention.minutes";
    public static final String LOG_RETENTION_HOURS = "log.retention.hours";
    public static final String LOG_RETENTION_BYTES = "log.retention.bytes";
    public static final String LOG_RETENTION_CHECK_INTERVAL_MS = "log.retention.check.interval.ms";
    public static final String LOG_CLEANUP_POLICY = "log.cleanup.policy";
    public static final String LOG_INDEX_INTERVAL_BYTES = "log.index.interval.bytes";
    public static final String LOG_INDEX_SIZE_MAX_BYTES = "log.index.size.max.bytes";
    public static final String LOG_FLUSH_INTERVAL_MESSAGES = "log.flush.interval.messages";
    public static final String LOG_FLUSH_INTERVAL_MS = "log.flush.interval.ms";
    public static final String LOG_FLUSH_SCHEDULER_INTERVAL_MS = "log.flush.scheduler.interval.ms";
    public static final String LOG_SEGMENT_DELETE_DELAY_MS = "log.segment.delete.delay.ms";
    public static final String LOG_FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS = "log.flush.offset.checkpoint.interval.ms";
    public static final String LOG_FLUSH_START_OFFSET_CHECKPOINT_INTERVAL_MS =
        "log.flush.start.offset.checkpoint.interval.ms";
    public static final String REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS =
        "replica.high.watermark.checkpoint.interval.ms";
    public static final String LOG_PREALLOCATE = "log.preallocate";
    public static final String LOG_MESSAGE_TIMESTAMP_TYPE = "log.message.timestamp.type";
    public static final String LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS = "log.message.timestamp.before.max.ms";
    public static final String LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS = "log.message.timestamp.after.max.ms";
    public static final String LOG_CLEANER_DELETE_RETENTION_MS = "log.cleaner.delete.retention.ms";
    public static final String LOG_CLEANER_MIN_COMPACTION_LAG_MS = "log.cleaner.min.compaction.lag.ms";
    public static final String LOG_CLEANER_MAX_COMPACTION_LAG_MS = "log.cleaner.max.compaction.lag.ms";
    public static final String LOG_CLEANER_MIN_CLEANABLE_RATIO = "log.cleaner.min.cleanable.ratio";
    public static final String LOG_CLEANER_ENABLE = "log.cleaner.enable";
    public static final String LOG_CLEANER_THREADS = "log.cleaner.threads";
    public static final String LOG_CLEANER_IO_BUFFER_SIZE = "log.cleaner.io.buffer.size";
    public static final String LOG_CLEANER_DEDUPE_BUFFER_SIZE = "log.cleaner.dedupe.buffer.size";
    public static final String LOG_CLEANER_BACKOFF_MS = "log.cleaner.backoff.ms";
    public static final String LOG_LOCAL_RETENTION_MS = "log.local.retention.ms";
    public static final String LOG_LOCAL_RETENTION_BYTES = "log.local.retention.bytes";
    public static final String COMPRESSION_TYPE = "compression.type";
    public static final String COMPRESSION_GZIP_LEVEL = "compression.gzip.level";
    public static final String COMPRESSION_LZ4_LEVEL = "compression.lz4.level";
    public static final String COMPRESSION_ZSTD_LEVEL = "compression.zstd.level";
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    public static final String UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable";
    public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
    public static final String TRANSACTIONAL_ID_EXPIRATION_MS = "transactional.id.expiration.ms";
    public static final String TRANSACTION_STATE_LOG_NUM_PARTITIONS = "transaction.state.log.num.partitions";
    public static final String TRANSACTION_STATE_LOG_REPLICATION_FACTOR = "transaction.state.log.replication.factor";
    public static final String TRANSACTION_STATE_LOG_MIN_ISR = "transaction.state.log.min.isr";
    public static final String TRANSACTION_STATE_LOG_SEGMENT_BYTES = "transaction.state.log.segment.bytes";
    public static final String TRANSACTION_MAX_TIMEOUT_MS = "transaction.max.timeout.ms";
    public static final String TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS =
        "transaction.abort.timed.out.transaction.cleanup.interval.ms";
    public static final String TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS =
        "transaction.remove.expired.transaction.cleanup.interval.ms";
    public static final String TRANSACTION_PARTITION_VERIFICATION_ENABLE = "transaction.partition.verification.enable";
    public static final String ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MS = "add.partitions.to.txn.retry.backoff.ms";
    public static final String ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MAX_MS = "add.partitions.to.txn.retry.backoff.max.ms";
    public static final String MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS = "max.incremental.fetch.session.cache.slots";
    public static final String FETCH_MAX_BYTES = "fetch.max.bytes";
    public static final String REMOTE_LOG_STORAGE_SYSTEM_ENABLE = "remote.log.storage.system.enable";
    public static final String OFFSETS_TOPIC_NUM_PARTITIONS = "offsets.topic.num.partitions";
    public static final String OFFSETS_TOPIC_REPLICATION_FACTOR = "offsets.topic.replication.factor";
    public static final String OFFSETS_TOPIC_SEGMENT_BYTES = "offsets.topic.segment.bytes";
    public static final String OFFSETS_TOPIC_COMPRESSION_CODEC = "offsets.topic.compression.codec";
    public static final String OFFSETS_RETENTION_MINUTES = "offsets.retention.minutes";
    public static final String OFFSETS_RETENTION_CHECK_INTERVAL_MS = "offsets.retention.check.interval.ms";
    public static final String OFFSETS_LOAD_BUFFER_SIZE = "offsets.load.buffer.size";
    public static final String OFFSETS_COMMIT_TIMEOUT_MS = "offsets.commit.timeout.ms";
    public static final String OFFSET_METADATA_MAX_BYTES = "offset.metadata.max.bytes";
    public static final String GROUP_MIN_SESSION_TIMEOUT_MS = "group.min.session.timeout.ms";
    public static final String GROUP_MAX_SESSION_TIMEOUT_MS = "group.max.session.timeout.ms";
    public static final String GROUP_INITIAL_REBALANCE_DELAY_MS = "group.initial.rebalance.delay.ms";
    public static final String GROUP_MAX_SIZE = "group.max.size";
    public static final String GROUP_COORDINATOR_REBALANCE_PROTOCOLS = "group.coordinator.rebalance.protocols";
    public static final String GROUP_COORDINATOR_THREADS = "group.coordinator.threads";
    public static final String GROUP_SHARE_SESSION_TIMEOUT_MS = "group.share.session.timeout.ms";
    public static final String GROUP_SHARE_MIN_SESSION_TIMEOUT_MS = "group.share.min.session.timeout.ms";
    public static final String GROUP_SHARE_MAX_SESSION_TIMEOUT_MS = "group.share.max.session.timeout.ms";
    public static final String GROUP_SHARE_HEARTBEAT_INTERVAL_MS = "group.share.heartbeat.interval.ms";
    public static final String GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS = "group.share.min.heartbeat.interval.ms";
    public static final String GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS = "group.share.max.heartbeat.interval.ms";
    public static final String GROUP_SHARE_MAX_SIZE = "group.share.max.size";
    public static final String GROUP_SHARE_ASSIGNORS = "group.share.assignors";
    public static final String GROUP_SHARE_ASSIGNMENT_INTERVAL_MS = "group.share.assignment.interval.ms";
    public static final String GROUP_SHARE_MIN_ASSIGNMENT_INTERVAL_MS = "group.share.min.assignment.interval.ms";
    public static final String GROUP_SHARE_MAX_ASSIGNMENT_INTERVAL_MS = "group.share.max.assignment.interval.ms";
    public static final String GROUP_SHARE_DELIVERY_COUNT_LIMIT = "group.share.delivery.count.limit";
    public static final String GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT = "group.share.min.delivery.count.limit";
    public static final String GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT = "group.share.max.delivery.count.limit";
    public static final String GROUP_SHARE_RECORD_LOCK_DURATION_MS = "group.share.record.lock.duration.ms";
    public static final String GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS = "group.share.min.record.lock.duration.ms";
    public static final String GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS = "group.share.max.record.lock.duration.ms";
    public static final String GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS = "group.share.partition.max.record.locks";
    public static final String GROUP_SHARE_MIN_PARTITION_MAX_RECORD_LOCKS = "group.share.min.partition.max.record.locks";
    public static final String GROUP_SHARE_MAX_PARTITION_MAX_RECORD_LOCKS = "group.share.max.partition.max.record.locks";
    public static final String GROUP_SHARE_MAX_SHARE_SESSIONS = "group.share.max.share.sessions";
    public static final String GROUP_STREAMS_SESSION_TIMEOUT_MS = "group.streams.session.timeout.ms";
    public static final String GROUP_STREAMS_MIN_SESSION_TIMEOUT_MS = "group.streams.min.session.timeout.ms";
    public static final String GROUP_STREAMS_MAX_SESSION_TIMEOUT_MS = "group.streams.max.session.timeout.ms";
    public static final String GROUP_STREAMS_HEARTBEAT_INTERVAL_MS = "group.streams.heartbeat.interval.ms";
    public static final String GROUP_STREAMS_MIN_HEARTBEAT_INTERVAL_MS = "group.streams.min.heartbeat.interval.ms";
    public static final String GROUP_STREAMS_MAX_HEARTBEAT_INTERVAL_MS = "group.streams.max.heartbeat.interval.ms";
    public static final String GROUP_STREAMS_MAX_SIZE = "group.streams.max.size";
    public static final String GROUP_STREAMS_INITIAL_REBALANCE_DELAY_MS = "group.streams.initial.rebalance.delay.ms";
    public static final String GROUP_STREAMS_ASSIGNMENT_INTERVAL_MS = "group.streams.assignment.interval.ms";
    public static final String GROUP_STREAMS_NUM_STANDBY_REPLICAS = "group.streams.num.standby.replicas";
    public static final String GROUP_STREAMS_ASSIGNORS = "group.streams.assignors";
    public static final String GROUP_CONSUMER_SESSION_TIMEOUT_MS = "group.consumer.session.timeout.ms";
    public static final String GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS = "group.consumer.min.session.timeout.ms";
    public static final String GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS = "group.consumer.max.session.timeout.ms";
    public static final String GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS = "group.consumer.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS = "group.consumer.min.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS = "group.consumer.max.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_MAX_SIZE = "group.consumer.max.size";
    public static final String GROUP_CONSUMER_ASSIGNORS = "group.consumer.assignors";
    public static final String GROUP_CONSUMER_MIGRATION_POLICY = "group.consumer.migration.policy";
    public static final String SHARE_COORDINATOR_STATE_TOPIC_NUM_PARTITIONS = "share.coordinator.state.topic.num.partitions";
    public static final String SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR =
        "share.coordinator.state.topic.replication.factor";
    public static final String SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR = "share.coordinator.state.topic.min.isr";
    public static final String SHARE_COORDINATOR_STATE_TOPIC_SEGMENT_BYTES = "share.coordinator.state.topic.segment.bytes";
    public static final String SHARE_COORDINATOR_SNAPSHOT_UPDATE_RECORDS_PER_SNAPSHOT =
        "share.coordinator.snapshot.update.records.per.snapshot";
    public static final String SHARE_COORDINATOR_THREADS = "share.coordinator.threads";
    public static final String SHARE_COORDINATOR_STATE_TOPIC_PRUNE_INTERVAL_MS =
        "share.coordinator.state.topic.prune.interval.ms";
    public static final String SHARE_COORDINATOR_COLD_PARTITION_SNAPSHOT_INTERVAL_MS =
        "share.coordinator.cold.partition.snapshot.interval.ms";
    public static final String REMOTE_LOG_MANAGER_TASK_INTERVAL_MS = "remote.log.manager.task.interval.ms";
    public static final String REMOTE_STORAGE_URI = "sluice.remote.storage.uri";
    public static final String REMOTE_STORAGE_S3_ENDPOINT = "sluice.remote.storage.s3.endpoint";
    public static final String REMOTE_STORAGE_S3_REGION = "sluice.remote.storage.s3.region";
    public static final String REMOTE_STORAGE_S3_PATH_STYLE_ACCESS = "sluice.remote.storage.s3.path.style.access";
    public static final String REMOTE_STORAGE_S3_ACCESS_KEY = "sluice.remote.storage.s3.access.key";
    public static final String REMOTE_STORAGE_S3_SECRET_KEY = "sluice.remote.storage.s3.secret.key";
    public static final String METRICS_PORT = "sluice.metrics.port";
    public static final String METRICS_HOST = "sluice.metrics.host";
    public static final String CLUSTER_ID = "sluice.cluster.id";
    public static final String MAX_BROKER_PARTITIONS = "sluice.max.broker.partitions";
    /**
     * Kafka has no per-broker partition limit; Sluice's, so that clients cannot open logs without
     * end. Each partition holds at least one open file and about 5 ms of creation work; 4,000 is
     * the usual guidance for one Kafka broker and stays well inside common open-file limits
     * (20,000 on the machines this was measured on).
     */
    public static final int MAX_BROKER_PARTITIONS_DEFAULT = 4_000;

    /**
     * Kafka keys that have no meaning for a Sluice broker. They are accepted silently so a Kafka
     * server.properties can be used as is.
     */
    public static final Set<String> IGNORED_KAFKA_KEYS = Set.of(
        "num.recovery.threads.per.data.dir",
        "zookeeper.connect", "zookeeper.connection.timeout.ms", "metadata.log.dir");

    private static final String CLUSTER_NOT_WIRED = "not acted on yet by a Sluice cluster";
    private static final String REPLICATION_NOT_WIRED =
        "replication between brokers is not wired yet: every partition has one replica";

    /**
     * Keys Sluice knows and describes but that change nothing here, with why. They are accepted
     * in server.properties (a file written for Kafka must start), a warning at start-up names
     * each one set, their documentation says so, and none of them can be changed at run time.
     */
    public static final Map<String, String> WITHOUT_EFFECT = Map.ofEntries(
        Map.entry(LOG_CLEANER_IO_BUFFER_SIZE, "the cleaner reads and writes through the segment files' own buffers"),
        Map.entry(OFFSETS_LOAD_BUFFER_SIZE, "group state is loaded through the log's own reads"),
        Map.entry(OFFSETS_COMMIT_TIMEOUT_MS, "a commit waits only for its local write, which cannot wait for replicas"),
        Map.entry(GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS,
            "groups cannot override their session timeout (GROUP config resources are not served)"),
        Map.entry(GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS,
            "groups cannot override their session timeout (GROUP config resources are not served)"),
        Map.entry(GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS,
            "groups cannot override their heartbeat interval (GROUP config resources are not served)"),
        Map.entry(GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS,
            "groups cannot override their heartbeat interval (GROUP config resources are not served)"),
        // KRaft keys: parsed and checked as Kafka does, so a cluster's files are right before the cluster runs.
        Map.entry(CONTROLLER_QUORUM_FETCH_TIMEOUT_MS, CLUSTER_NOT_WIRED),
        Map.entry(REPLICA_SOCKET_RECEIVE_BUFFER_BYTES, REPLICATION_NOT_WIRED));

    private static final Map<String, ConfigDef> DEFS;

    /** Keys that stand in for one another, by the key asked about; see {@link #synonyms}. */
    private static final Map<String, List<String>> SYNONYMS;

    static {
        Map<String, ConfigDef> m = new LinkedHashMap<>();
        // Identity and network
        def(m, NODE_ID, ConfigType.INT, "1", atLeast(0), false, "This broker's id in the cluster.");
        def(m, BROKER_ID, ConfigType.INT, "-1", atLeast(-1), false, "Older name of node.id; node.id wins when both are set.");
        def(m, BROKER_RACK, ConfigType.STRING, null, NONE, false, "Rack of this broker, reported in metadata.");
        def(m, LISTENERS, ConfigType.STRING, "PLAINTEXT://localhost:9092", NONE, false,
            "Comma-separated listeners the broker binds, as NAME://host:port. Port 0 picks a free port.");
        def(m, ADVERTISED_LISTENERS, ConfigType.STRING, null, NONE, false,
            "Addresses handed to clients in metadata, when they differ from the bound listeners.");
        def(m, LISTENER_SECURITY_PROTOCOL_MAP, ConfigType.STRING,
            "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL", NONE, false,
            "Security protocol of each listener name.");
        // Cluster (KRaft); BrokerConfig checks how they fit together
        def(m, PROCESS_ROLES, ConfigType.LIST, "", ProcessRole.CHECK, false,
            "Roles of this node in a KRaft cluster: broker, controller, or broker,controller. Required with "
                + "controller.quorum.voters or controller.quorum.bootstrap.servers; unset for a single node.");
        def(m, CONTROLLER_QUORUM_VOTERS, ConfigType.LIST, "", NONE, false,
            "The controllers that vote in the metadata quorum, as id@host:port entries (each controller's CONTROLLER listener).");
        def(m, CONTROLLER_QUORUM_BOOTSTRAP_SERVERS, ConfigType.LIST, "", NONE, false,
            "host:port addresses of controllers a broker-only node discovers the quorum's voters from, instead of"
                + " controller.quorum.voters; controllers still need controller.quorum.voters.");
        def(m, CONTROLLER_LISTENER_NAMES, ConfigType.STRING, null, NONE, false,
            "Names of the listeners the controllers use; the first is the one brokers connect to.");
        def(m, CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS, ConfigType.INT, "1000", atLeast(0), false,
            "Time without a leader before a voter starts an election.");
        def(m, CONTROLLER_QUORUM_FETCH_TIMEOUT_MS, ConfigType.INT, "2000", atLeast(0), false,
            "Time without a successful fetch from the leader before a voter starts an election.");
        def(m, INTER_BROKER_LISTENER_NAME, ConfigType.STRING, null, NONE, false,
            "Listener brokers use to reach each other; by default the one named as security.inter.broker.protocol. "
                + "Set at most one of the two.");
        def(m, SECURITY_INTER_BROKER_PROTOCOL, ConfigType.STRING, "PLAINTEXT",
            oneOf("plaintext", "ssl", "sasl_plaintext", "sasl_ssl"), false,
            "Security protocol between brokers, when inter.broker.listener.name is not set.");
        def(m, BROKER_SESSION_TIMEOUT_MS, ConfigType.INT, "9000", atLeast(1), false,
            "Time a broker stays registered without a heartbeat reaching the controller.");
        def(m, BROKER_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "2000", atLeast(1), false,
            "Time between a broker's heartbeats to the controller.");
        def(m, CONTROLLED_SHUTDOWN_ENABLE, ConfigType.BOOLEAN, "true", NONE, false,
            "Move leadership away from a broker before it stops.");
        def(m, AUTO_LEADER_REBALANCE_ENABLE, ConfigType.BOOLEAN, "true", NONE, false,
            "Move leadership back to preferred replicas when the cluster is out of balance.");
        def(m, LEADER_IMBALANCE_PER_BROKER_PERCENTAGE, ConfigType.INT, "10", between(0, 100), false,
            "Share of a broker's partitions not led by their preferred replica that triggers a rebalance.");
        def(m, LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, ConfigType.LONG, "300", atLeast(1), false,
            "How often leader imbalance is checked.");
        // Replication
        def(m, REPLICA_LAG_TIME_MAX_MS, ConfigType.LONG, "30000", atLeast(0), false,
            "A follower that has not caught up with the leader for this long leaves the ISR.");
        def(m, REPLICA_FETCH_MAX_BYTES, ConfigType.INT, "1048576", atLeast(0), false,
            "Bytes a follower asks for per partition in one fetch.");
        def(m, REPLICA_FETCH_MIN_BYTES, ConfigType.INT, "1", atLeast(0), false,
            "Bytes a follower's fetch waits for before it is answered.");
        def(m, REPLICA_FETCH_WAIT_MAX_MS, ConfigType.INT, "500", atLeast(0), false,
            "Longest a follower's fetch waits on the leader; at most replica.lag.time.max.ms and replica.socket.timeout.ms.");
        def(m, REPLICA_FETCH_BACKOFF_MS, ConfigType.INT, "1000", atLeast(0), false,
            "Pause of a follower after a fetch error.");
        def(m, REPLICA_FETCH_RESPONSE_MAX_BYTES, ConfigType.INT, "10485760", atLeast(0), false,
            "Bytes a follower asks for in one fetch, over all partitions.");
        def(m, REPLICA_SOCKET_TIMEOUT_MS, ConfigType.INT, "30000", NONE, false,
            "Request timeout of follower fetches.");
        def(m, REPLICA_SOCKET_RECEIVE_BUFFER_BYTES, ConfigType.INT, "65536", NONE, false,
            "SO_RCVBUF of follower connections; -1 keeps the OS default.");
        def(m, NUM_REPLICA_FETCHERS, ConfigType.INT, "1", atLeast(1), false,
            "Fetcher threads per source broker.");
        def(m, REPLICA_SELECTOR_CLASS, ConfigType.STRING, null, NONE, false,
            "Chooses the replica a consumer reads from (KIP-392); by default the leader.");
        // Dynamic, as in Kafka, so that kafka-reassign-partitions --throttle can set them on each broker.
        def(m, LEADER_REPLICATION_THROTTLED_RATE, ConfigType.LONG, Long.toString(Long.MAX_VALUE), atLeast(0), true,
            "Bytes per second a leader may send to its out-of-sync followers of the partitions that"
                + " leader.replication.throttled.replicas pairs with this broker; over it, their data is left out of"
                + " replica fetch answers.");
        def(m, FOLLOWER_REPLICATION_THROTTLED_RATE, ConfigType.LONG, Long.toString(Long.MAX_VALUE), atLeast(0), true,
            "Bytes per second this broker may fetch, while out of sync, for the partitions that"
                + " follower.replication.throttled.replicas pairs with this broker; over it, they are left out of"
                + " its replica fetches.");
        def(m, REPLICATION_QUOTA_WINDOW_NUM, ConfigType.INT, "11", atLeast(1), false,
            "Samples over which the replication throttles measure their rates.");
        def(m, REPLICATION_QUOTA_WINDOW_SIZE_SECONDS, ConfigType.INT, "1", atLeast(1), false,
            "Length of each sample of the replication throttles' window.");
        def(m, SOCKET_REQUEST_MAX_BYTES, ConfigType.INT, "104857600", atLeast(1), false,
            "Largest request frame accepted; a larger one closes the connection.");
        def(m, SOCKET_SEND_BUFFER_BYTES, ConfigType.INT, "102400", NONE, false, "SO_SNDBUF of client sockets; -1 keeps the OS default.");
        def(m, SOCKET_RECEIVE_BUFFER_BYTES, ConfigType.INT, "102400", NONE, false, "SO_RCVBUF of client sockets; -1 keeps the OS default.");
        def(m, CONNECTIONS_MAX_IDLE_MS, ConfigType.LONG, "600000", NONE, false,
            "Connections idle longer than this are closed.");
        def(m, NUM_NETWORK_THREADS, ConfigType.INT, "3", atLeast(1), false, "Threads that serve client connections.");
        def(m, NUM_IO_THREADS, ConfigType.INT, "8", atLeast(1), false,
            "Threads that append to partitions, and as many again that read them for fetches and offset searches.");
        def(m, QUEUED_MAX_REQUEST_BYTES, ConfigType.LONG, null, atLeast(-1), false,
            "Bytes of requests being received or served, over all connections, before the broker stops reading more;"
                + " -1 for no bound. Unset: a quarter of the JVM's maximum heap (Kafka's default is -1).");
        def(m, MAX_CONNECTIONS, ConfigType.INT, "2147483647", atLeast(0), false,
            "Connections the broker accepts on all listeners; past it, new connections wait to be accepted.");
        def(m, MAX_CONNECTION_CREATION_RATE, ConfigType.INT, "2147483647", atLeast(0), false,
            "New connections per second the broker accepts on all listeners but the inter-broker one, and, as"
                + " listener.name.<listener>.max.connection.creation.rate, on one listener; past it the listener"
                + " waits before it accepts the next.");
        def(m, MAX_CONNECTIONS_PER_IP, ConfigType.INT, "2147483647", atLeast(0), false,
            "Connections one client address may hold; a connection past it is closed at once.");
        def(m, MAX_CONNECTIONS_PER_IP_OVERRIDES, ConfigType.STRING, "", NONE, false,
            "Per-address exceptions to max.connections.per.ip, as host:count pairs separated by commas.");
        def(m, REQUEST_RECEIVE_TIMEOUT_MS, ConfigType.LONG, "30000", atLeast(1), false,
            "Time within which a request frame must arrive whole once its size is read; a connection that trickles"
                + " a frame slower than that is closed, so it cannot hold request memory.");
        def(m, REMOTE_LOG_READER_THREADS, ConfigType.INT, "10", atLeast(1), false,
            "Threads that read the object store for fetches and offset searches of tiered topics.");
        def(m, REMOTE_LOG_READER_MAX_PENDING_TASKS, ConfigType.INT, "100", atLeast(1), false,
            "Object-store reads that may wait for a reader thread; past it a fetch gets no cold-tier records that time.");
        def(m, REMOTE_FETCH_MAX_WAIT_MS, ConfigType.INT, "500", atLeast(1), false,
            "How long a fetch waits for its object-store read before answering without those records.");
        // Topics
        def(m, NUM_PARTITIONS, ConfigType.INT, "1", atLeast(1), false, "Partitions of an automatically created topic.");
        def(m, DEFAULT_REPLICATION_FACTOR, ConfigType.INT, "1", atLeast(1), false, "Replication factor of automatically created topics.");
        def(m, AUTO_CREATE_TOPICS_ENABLE, ConfigType.BOOLEAN, "true", NONE, false,
            "Create a topic when a client asks for metadata of one that does not exist.");
        def(m, DELETE_TOPIC_ENABLE, ConfigType.BOOLEAN, "true", NONE, false, "Whether DeleteTopics is allowed.");
        def(m, MESSAGE_MAX_BYTES, ConfigType.INT, "1048588", atLeast(0), true,
            "Largest record batch a topic accepts unless the topic sets max.message.bytes.");
        // Log
        def(m, LOG_DIRS, ConfigType.STRING, null, NONE, false, "Directories holding partition data; the first is used.");
        def(m, LOG_DIR, ConfigType.STRING, "./sluice-data", NONE, false, "Data directory when log.dirs is not set.");
        def(m, LOG_SEGMENT_BYTES, ConfigType.INT, "1073741824", atLeast(1048576), true, "Size at which a segment rolls.");
        def(m, LOG_ROLL_MS, ConfigType.LONG, null, atLeast(1), true, "Age at which a segment rolls; wins over log.roll.hours.");
        def(m, LOG_ROLL_HOURS, ConfigType.INT, "168", atLeast(1), false, "Age in hours at which a segment rolls.");
        def(m, LOG_ROLL_JITTER_MS, ConfigType.LONG, null, atLeast(0), true, "Random jitter subtracted from the roll age.");
        def(m, LOG_ROLL_JITTER_HOURS, ConfigType.INT, "0", atLeast(0), false, "Roll jitter in hours.");
        def(m, LOG_RETENTION_MS, ConfigType.LONG, null, NONE, true,
            "Time to keep data; -1 keeps it forever. Wins over the minutes and hours forms.");
        def(m, LOG_RETENTION_MINUTES, ConfigType.INT, null, NONE, false, "Retention in minutes.");
        def(m, LOG_RETENTION_HOURS, ConfigType.INT, "168", NONE, false, "Retention in hours.");
        def(m, LOG_RETENTION_BYTES, ConfigType.LONG, "-1", NONE, true, "Bytes to keep per partition; -1 for no limit.");
        def(m, LOG_RETENTION_CHECK_INTERVAL_MS, ConfigType.LONG, "300000", atLeast(1), false,
            "How often retention is enforced.");
        def(m, LOG_CLEANUP_POLICY, ConfigType.LIST, "delete", eachOf("delete", "compact"), true,
            "delete, compact, both, or empty for neither: what happens to old data.");
        def(m, LOG_INDEX_INTERVAL_BYTES, ConfigType.INT, "4096", atLeast(0), true,
            "Bytes of log between two offset index entries.");
        def(m, LOG_INDEX_SIZE_MAX_BYTES, ConfigType.INT, "10485760", atLeast(4), true, "Largest size of an index file.");
        def(m, LOG_FLUSH_INTERVAL_MESSAGES, ConfigType.LONG, Long.toString(Long.MAX_VALUE), atLeast(1), true,
            "Records appended before a partition is forced to disk.");
        def(m, LOG_FLUSH_INTERVAL_MS, ConfigType.LONG, null, NONE, true, "Time before appended data is forced to disk.");
        def(m, LOG_FLUSH_SCHEDULER_INTERVAL_MS, ConfigType.LONG, Long.toString(Long.MAX_VALUE), NONE, false,
            "How often the flusher checks whether a partition needs flushing.");
        def(m, LOG_FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS, ConfigType.INT, "60000", atLeast(0), false,
            "How often the recovery points are written to recovery-point-offset-checkpoint.");
        def(m, LOG_FLUSH_START_OFFSET_CHECKPOINT_INTERVAL_MS, ConfigType.INT, "60000", atLeast(0), false,
            "How often the log start offsets are written to log-start-offset-checkpoint.");
        def(m, REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS, ConfigType.LONG, "5000", atLeast(1), false,
            "How often the high watermarks are written to replication-offset-checkpoint.");
        def(m, LOG_SEGMENT_DELETE_DELAY_MS, ConfigType.LONG, "60000", atLeast(0), true,
            "Delay between retiring a segment and deleting its files.");
        def(m, LOG_PREALLOCATE, ConfigType.BOOLEAN, "false", NONE, true, "Preallocate segment files.");
        def(m, LOG_MESSAGE_TIMESTAMP_TYPE, ConfigType.STRING, "CreateTime", oneOf("createtime", "logappendtime"), true,
            "CreateTime keeps producer timestamps; LogAppendTime stamps records with the broker's clock.");
        def(m, LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS, ConfigType.LONG, Long.toString(Long.MAX_VALUE), atLeast(0), true,
            "How far in the past a CreateTime timestamp may be.");
        def(m, LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS, ConfigType.LONG, "3600000", atLeast(0), true,
            "How far in the future a CreateTime timestamp may be.");
        def(m, LOG_CLEANER_ENABLE, ConfigType.BOOLEAN, "true", NONE, false, "Run the log cleaner for compacted topics.");
        def(m, LOG_CLEANER_THREADS, ConfigType.INT, "1", atLeast(0), false, "Threads that compact logs.");
        def(m, LOG_CLEANER_IO_BUFFER_SIZE, ConfigType.INT, "524288", atLeast(0), false, "I/O buffer of each cleaner thread.");
        def(m, LOG_CLEANER_DEDUPE_BUFFER_SIZE, ConfigType.LONG, "134217728", NONE, false,
            "Memory all cleaner threads use for key de-duplication.");
        def(m, LOG_CLEANER_BACKOFF_MS, ConfigType.LONG, "15000", atLeast(0), false, "Pause when there is nothing to clean.");
        def(m, LOG_CLEANER_DELETE_RETENTION_MS, ConfigType.LONG, "86400000", atLeast(0), true,
            "How long tombstones stay in a compacted log.");
        def(m, LOG_CLEANER_MIN_COMPACTION_LAG_MS, ConfigType.LONG, "0", atLeast(0), true,
            "Minimum age of a record before it may be compacted.");
        def(m, LOG_CLEANER_MAX_COMPACTION_LAG_MS, ConfigType.LONG, Long.toString(Long.MAX_VALUE), atLeast(1), true,
            "Maximum age of a record before it must be eligible for compaction.");
        def(m, LOG_CLEANER_MIN_CLEANABLE_RATIO, ConfigType.DOUBLE, "0.5", between(0, 1), true,
            "Share of a log that must be dirty before it is compacted.");
        def(m, LOG_LOCAL_RETENTION_MS, ConfigType.LONG, "-2", atLeast(-2), true,
            "Time tiered data stays on local disk; -2 uses log.retention.ms.");
        def(m, LOG_LOCAL_RETENTION_BYTES, ConfigType.LONG, "-2", atLeast(-2), true,
            "Bytes of tiered data kept on local disk; -2 uses log.retention.bytes.");
        def(m, REMOTE_LOG_STORAGE_SYSTEM_ENABLE, ConfigType.BOOLEAN, "false", NONE, false,
            "Allow topics to tier their segments to the object store.");
        def(m, COMPRESSION_TYPE, ConfigType.STRING, "producer",
            oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"), true,
            "Compression of stored batches; producer keeps what the producer sent.");
        def(m, COMPRESSION_GZIP_LEVEL, ConfigType.INT, "-1", TopicConfigKeys.GZIP_LEVEL, true, "gzip level when the broker recompresses.");
        def(m, COMPRESSION_LZ4_LEVEL, ConfigType.INT, "9", between(1, 17), true, "lz4 level when the broker recompresses.");
        def(m, COMPRESSION_ZSTD_LEVEL, ConfigType.INT, "3", between(-131072, 22), true, "zstd level when the broker recompresses.");
        def(m, MIN_INSYNC_REPLICAS, ConfigType.INT, "1", atLeast(1), true,
            "In-sync replicas an acks=all write needs.");
        def(m, UNCLEAN_LEADER_ELECTION_ENABLE, ConfigType.BOOLEAN, "false", NONE, true,
            "Allow a replica outside the ISR to become leader, at the risk of losing data.");
        // Producers and fetch
        def(m, PRODUCER_ID_EXPIRATION_MS, ConfigType.INT, "86400000", atLeast(1), false,
            "How long an idle producer id's de-duplication state is kept.");
        def(m, TRANSACTIONAL_ID_EXPIRATION_MS, ConfigType.INT, "604800000", atLeast(1), false,
            "How long a transactional id with no transaction open is kept after its last change.");
        // Share coordinator
        def(m, SHARE_COORDINATOR_STATE_TOPIC_NUM_PARTITIONS, ConfigType.INT, "50", atLeast(1), false,
            "Partitions of __share_group_state; fixed once the topic exists.");
        def(m, SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR, ConfigType.INT, "3", atLeast(1), false,
            "Replication factor of __share_group_state, capped at the number of brokers.");
        def(m, SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR, ConfigType.INT, "2", atLeast(1), false,
            "min.insync.replicas of __share_group_state (capped at its replication factor).");
        def(m, SHARE_COORDINATOR_STATE_TOPIC_SEGMENT_BYTES, ConfigType.INT, "104857600", atLeast(1), false,
            "Segment size of __share_group_state.");
        def(m, SHARE_COORDINATOR_SNAPSHOT_UPDATE_RECORDS_PER_SNAPSHOT, ConfigType.INT, "500", between(0, 500), false,
            "Updates written for a share-partition's state before the next write is a whole snapshot again.");
        def(m, SHARE_COORDINATOR_THREADS, ConfigType.INT, "1", atLeast(1), false,
            "Threads of the share coordinator.");
        def(m, SHARE_COORDINATOR_STATE_TOPIC_PRUNE_INTERVAL_MS, ConfigType.INT, "300000", atLeast(1), false,
            "How often the share coordinator deletes the records of __share_group_state that no state needs: "
                + "those below the oldest latest snapshot of the states a partition holds.");
        def(m, SHARE_COORDINATOR_COLD_PARTITION_SNAPSHOT_INTERVAL_MS, ConfigType.INT, "300000", atLeast(1), false,
            "How long a share-partition's state may go unwritten before the share coordinator writes it whole "
                + "again, so that its old records can be deleted.");
        // Transaction coordinator
        def(m, TRANSACTION_STATE_LOG_NUM_PARTITIONS, ConfigType.INT, "50", atLeast(1), false,
            "Partitions of __transaction_state; fixed once the topic exists.");
        def(m, TRANSACTION_STATE_LOG_REPLICATION_FACTOR, ConfigType.INT, "3", atLeast(1), false,
            "Replication factor of __transaction_state, capped at the number of brokers.");
        def(m, TRANSACTION_STATE_LOG_MIN_ISR, ConfigType.INT, "2", atLeast(1), false,
            "min.insync.replicas of __transaction_state (capped at its replication factor).");
        def(m, TRANSACTION_STATE_LOG_SEGMENT_BYTES, ConfigType.INT, "104857600", atLeast(1), false,
            "Segment size of __transaction_state.");
        def(m, TRANSACTION_MAX_TIMEOUT_MS, ConfigType.INT, "900000", atLeast(1), false,
            "Longest transaction.timeout.ms a producer may ask for (else INVALID_TRANSACTION_TIMEOUT).");
        def(m, TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, ConfigType.INT, "10000", atLeast(1), false,
            "How often the coordinator looks for transactions open longer than their timeout, and aborts them.");
        def(m, TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS, ConfigType.INT, "3600000", atLeast(1), false,
            "How often transactional ids idle longer than transactional.id.expiration.ms are removed.");
        def(m, TRANSACTION_PARTITION_VERIFICATION_ENABLE, ConfigType.BOOLEAN, "true", NONE, false,
            "Whether a partition asks the coordinator before a producer's first transactional write (KIP-890).");
        def(m, ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MS, ConfigType.INT, "20", atLeast(1), false,
            "First back-off before a partition asks the coordinator again while the producer's last transaction ends.");
        def(m, ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MAX_MS, ConfigType.INT, "100", atLeast(1), false,
            "Longest back-off between those questions.");
        def(m, MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS, ConfigType.INT, "1000", atLeast(0), false,
            "Incremental fetch sessions the broker keeps.");
        def(m, FETCH_MAX_BYTES, ConfigType.INT, "57671680", atLeast(1024), false, "Largest fetch response the broker builds.");
        // Group coordinator
        def(m, OFFSETS_TOPIC_NUM_PARTITIONS, ConfigType.INT, "50", atLeast(1), false,
            "Partitions of __consumer_offsets; fixed once the topic exists.");
        def(m, OFFSETS_TOPIC_REPLICATION_FACTOR, ConfigType.INT, "3", atLeast(1), false,
            "Replication factor of __consumer_offsets, capped at the number of brokers.");
        def(m, OFFSETS_TOPIC_SEGMENT_BYTES, ConfigType.INT, "104857600", atLeast(1048576), false,
            "Segment size of __consumer_offsets.");
        def(m, OFFSETS_TOPIC_COMPRESSION_CODEC, ConfigType.INT, "0", between(0, 4), false,
            "Codec of batches the coordinator writes: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.");
        def(m, OFFSETS_RETENTION_MINUTES, ConfigType.INT, "10080", atLeast(1), false,
            "How long the committed offsets of an empty group are kept.");
        def(m, OFFSETS_RETENTION_CHECK_INTERVAL_MS, ConfigType.LONG, "600000", atLeast(1), false,
            "How often expired offsets are looked for.");
        def(m, OFFSETS_LOAD_BUFFER_SIZE, ConfigType.INT, "5242880", atLeast(1), false,
            "Bytes read at a time when loading group state.");
        def(m, OFFSETS_COMMIT_TIMEOUT_MS, ConfigType.INT, "5000", atLeast(1), false,
            "How long a commit may wait for its write.");
        def(m, OFFSET_METADATA_MAX_BYTES, ConfigType.INT, "4096", atLeast(0), false,
            "Longest metadata string a committed offset may carry.");
        def(m, GROUP_MIN_SESSION_TIMEOUT_MS, ConfigType.INT, "6000", atLeast(0), false,
            "Shortest session timeout a classic group member may ask for.");
        def(m, GROUP_MAX_SESSION_TIMEOUT_MS, ConfigType.INT, "1800000", atLeast(0), false,
            "Longest session timeout a classic group member may ask for.");
        def(m, GROUP_INITIAL_REBALANCE_DELAY_MS, ConfigType.INT, "3000", atLeast(0), false,
            "How long the first rebalance of an empty classic group waits for more members.");
        def(m, GROUP_MAX_SIZE, ConfigType.INT, "2147483647", atLeast(1), false, "Members a classic group may have.");
        def(m, GROUP_COORDINATOR_THREADS, ConfigType.INT, "4", atLeast(1), false,
            "Threads of the group coordinator, apart from the partition writers' (num.io.threads).");
        def(m, GROUP_COORDINATOR_REBALANCE_PROTOCOLS, ConfigType.LIST, "classic,consumer,streams",
            eachOf("classic", "consumer", "streams", "share"), false,
            "Rebalance protocols served: classic (JoinGroup/SyncGroup), consumer (KIP-848) and streams (KIP-1071);"
                + " share groups are governed by the share.version feature alone, as in Kafka.");
        def(m, GROUP_CONSUMER_SESSION_TIMEOUT_MS, ConfigType.INT, "45000", atLeast(1), false,
            "Session timeout of consumer (KIP-848) group members.");
        def(m, GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS, ConfigType.INT, "45000", atLeast(1), false,
            "Lower bound of a consumer group's session timeout.");
        def(m, GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS, ConfigType.INT, "60000", atLeast(1), false,
            "Upper bound of a consumer group's session timeout.");
        def(m, GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "5000", atLeast(1), false,
            "Heartbeat interval handed to consumer (KIP-848) group members.");
        def(m, GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "5000", atLeast(1), false,
            "Lower bound of a consumer group's heartbeat interval.");
        def(m, GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "15000", atLeast(1), false,
            "Upper bound of a consumer group's heartbeat interval.");
        def(m, GROUP_CONSUMER_MAX_SIZE, ConfigType.INT, "2147483647", atLeast(1), false,
            "Members a consumer (KIP-848) group may have.");
        def(m, GROUP_CONSUMER_ASSIGNORS, ConfigType.LIST, "uniform,range", eachOf("uniform", "range"), false,
            "Server-side assignors; the first is the default.");
        def(m, GROUP_CONSUMER_MIGRATION_POLICY, ConfigType.STRING, "bidirectional",
            oneOf("disabled", "upgrade", "downgrade", "bidirectional"), false,
            "Whether a classic group with members becomes a consumer group when a KIP-848 member joins (upgrade),"
                + " and a consumer group whose last KIP-848 member leaves becomes a classic group again (downgrade).");
        def(m, GROUP_SHARE_SESSION_TIMEOUT_MS, ConfigType.INT, "45000", atLeast(1), false,
            "Session timeout of share group members.");
        def(m, GROUP_SHARE_MIN_SESSION_TIMEOUT_MS, ConfigType.INT, "45000", atLeast(1), false,
            "Lower bound of a share group's session timeout.");
        def(m, GROUP_SHARE_MAX_SESSION_TIMEOUT_MS, ConfigType.INT, "60000", atLeast(1), false,
            "Upper bound of a share group's session timeout.");
        def(m, GROUP_SHARE_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "5000", atLeast(1), false,
            "Heartbeat interval handed to share group members.");
        def(m, GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "5000", atLeast(1), false,
            "Lower bound of a share group's heartbeat interval.");
        def(m, GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "15000", atLeast(1), false,
            "Upper bound of a share group's heartbeat interval.");
        def(m, GROUP_SHARE_MAX_SIZE, ConfigType.INT, "200", between(1, 1000), false, "Members a share group may have.");
        def(m, GROUP_SHARE_ASSIGNORS, ConfigType.LIST, "simple", eachOf("simple"), false,
            "Server-side assignors of share groups.");
        def(m, GROUP_SHARE_ASSIGNMENT_INTERVAL_MS, ConfigType.INT, "1000", atLeast(0), false,
            "The least time between two assignments of a share group.");
        def(m, GROUP_SHARE_MIN_ASSIGNMENT_INTERVAL_MS, ConfigType.INT, "0", atLeast(0), false,
            "Lower bound of a share group's assignment interval.");
        def(m, GROUP_SHARE_MAX_ASSIGNMENT_INTERVAL_MS, ConfigType.INT, "15000", atLeast(0), false,
            "Upper bound of a share group's assignment interval.");
        def(m, GROUP_SHARE_DELIVERY_COUNT_LIMIT, ConfigType.INT, "5", between(2, 10), false,
            "Deliveries of a record to a share group before it is archived.");
        def(m, GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT, ConfigType.INT, "2", between(2, 10), false,
            "Lower bound of a share group's delivery count limit.");
        def(m, GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT, ConfigType.INT, "10", between(2, 10), false,
            "Upper bound of a share group's delivery count limit.");
        def(m, GROUP_SHARE_RECORD_LOCK_DURATION_MS, ConfigType.INT, "30000", atLeast(1000), false,
            "How long a share group member holds the records it acquired.");
        def(m, GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS, ConfigType.INT, "15000", atLeast(1000), false,
            "Lower bound of a share group's record lock duration.");
        def(m, GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS, ConfigType.INT, "60000", atLeast(1000), false,
            "Upper bound of a share group's record lock duration.");
        def(m, GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS, ConfigType.INT, "2000", atLeast(100), false,
            "Records of one share-partition that may be acquired at a time.");
        def(m, GROUP_SHARE_MIN_PARTITION_MAX_RECORD_LOCKS, ConfigType.INT, "100", atLeast(100), false,
            "Lower bound of a share group's record locks per partition.");
        def(m, GROUP_SHARE_MAX_PARTITION_MAX_RECORD_LOCKS, ConfigType.INT, "4000", atLeast(100), false,
            "Upper bound of a share group's record locks per partition.");
        def(m, GROUP_SHARE_MAX_SHARE_SESSIONS, ConfigType.INT, "2000", atLeast(1), false,
            "Share sessions (one per member and broker) this broker keeps.");
        def(m, GROUP_STREAMS_SESSION_TIMEOUT_MS, ConfigType.INT, "45000", atLeast(1), false,
            "Session timeout of streams group members.");
        def(m, GROUP_STREAMS_MIN_SESSION_TIMEOUT_MS, ConfigType.INT, "45000", atLeast(1), false,
            "Lower bound of a streams group's session timeout.");
        def(m, GROUP_STREAMS_MAX_SESSION_TIMEOUT_MS, ConfigType.INT, "60000", atLeast(1), false,
            "Upper bound of a streams group's session timeout.");
        def(m, GROUP_STREAMS_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "5000", atLeast(1), false,
            "Heartbeat interval handed to streams group members.");
        def(m, GROUP_STREAMS_MIN_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "5000", atLeast(1), false,
            "Lower bound of a streams group's heartbeat interval.");
        def(m, GROUP_STREAMS_MAX_HEARTBEAT_INTERVAL_MS, ConfigType.INT, "15000", atLeast(1), false,
            "Upper bound of a streams group's heartbeat interval.");
        def(m, GROUP_STREAMS_MAX_SIZE, ConfigType.INT, "2147483647", atLeast(1), false,
            "Members (stream threads) a streams group may have.");
        def(m, GROUP_STREAMS_INITIAL_REBALANCE_DELAY_MS, ConfigType.INT, "3000", atLeast(0), false,
            "How long the first assignment of an empty streams group waits for more members.");
        def(m, GROUP_STREAMS_ASSIGNMENT_INTERVAL_MS, ConfigType.INT, "1000", atLeast(0), false,
            "The least time between two assignments of a streams group.");
        def(m, GROUP_STREAMS_NUM_STANDBY_REPLICAS, ConfigType.INT, "0", between(0, 0), false,
            "Standby replicas of each stateful task; Sluice assigns none (0 only).");
        def(m, GROUP_STREAMS_ASSIGNORS, ConfigType.LIST, "sticky", eachOf("sticky"), false,
            "Server-side assignors of streams groups.");
        def(m, REMOTE_LOG_MANAGER_TASK_INTERVAL_MS, ConfigType.LONG, "30000", atLeast(1), false,
            "How often rolled segments of tiered topics are looked for and copied to the object store.");
        // Sluice's own
        def(m, REMOTE_STORAGE_URI, ConfigType.STRING, null, NONE, false,
            "Object store of the cold tier: file:///path or s3://bucket/prefix; by default the directory "
                + "remote-storage under the data directory.");
        def(m, REMOTE_STORAGE_S3_ENDPOINT, ConfigType.STRING, null, NONE, false,
            "S3 endpoint (for MinIO, Ceph, R2, ...); AWS's own when unset.");
        def(m, REMOTE_STORAGE_S3_REGION, ConfigType.STRING, null, NONE, false, "S3 region.");
        def(m, REMOTE_STORAGE_S3_PATH_STYLE_ACCESS, ConfigType.BOOLEAN, "false", NONE, false,
            "Address buckets by path (endpoint/bucket/key) instead of by host name.");
        def(m, REMOTE_STORAGE_S3_ACCESS_KEY, ConfigType.STRING, null, NONE, false,
            "S3 access key; with the secret key, wins over the AWS default credential chain.");
        def(m, REMOTE_STORAGE_S3_SECRET_KEY, ConfigType.PASSWORD, null, NONE, false, "S3 secret key.");
        def(m, METRICS_PORT, ConfigType.INT, "-1", between(-1, 65535), false,
            "Port of the Prometheus scrape endpoint (/metrics); -1 turns it off, 0 picks a free port.");
        def(m, METRICS_HOST, ConfigType.STRING, "localhost", NONE, false, "Address the metrics endpoint binds.");
        def(m, CLUSTER_ID, ConfigType.STRING, null, NONE, false,
            "Cluster id for a new data directory; by default one is generated and kept in meta.properties.");
        def(m, MAX_BROKER_PARTITIONS, ConfigType.INT, Integer.toString(MAX_BROKER_PARTITIONS_DEFAULT), atLeast(1), false,
            "Most partitions this broker holds, internal topics included; CreateTopics and CreatePartitions "
                + "beyond it answer POLICY_VIOLATION.");
        SecurityConfigKeys.define(m);
        DEFS = Collections.unmodifiableMap(m);

        Map<String, List<String>> synonyms = new LinkedHashMap<>();
        for (List<String> group : List.of(List.of(LOG_RETENTION_MS, LOG_RETENTION_MINUTES, LOG_RETENTION_HOURS),
                List.of(LOG_ROLL_MS, LOG_ROLL_HOURS), List.of(LOG_ROLL_JITTER_MS, LOG_ROLL_JITTER_HOURS))) {
            for (String key : group) {
                synonyms.put(key, group);
            }
        }
        // The scheduler interval stands in for an unset flush interval, but nothing stands in for it.
        synonyms.put(LOG_FLUSH_INTERVAL_MS, List.of(LOG_FLUSH_INTERVAL_MS, LOG_FLUSH_SCHEDULER_INTERVAL_MS));
        SYNONYMS = Collections.unmodifiableMap(synonyms);
    }

    static void def(Map<String, ConfigDef> m, String name, ConfigType type, String defaultValue,
                            ConfigDef.Check check, boolean dynamic, String doc) {
        String withoutEffect = WITHOUT_EFFECT.get(name);
        if (withoutEffect != null) {
            dynamic = false;
            doc = doc + " No effect in Sluice: " + withoutEffect + ".";
        }
        m.put(name, new ConfigDef(name, type, defaultValue, check, dynamic, doc));
    }

    private BrokerConfigKeys() {
    }

    /**
     * The keys that set the same thing as {@code name}, in the order Kafka lets them win (the
     * finest unit first): {@code log.retention.ms}, {@code .minutes}, {@code .hours}, and the like.
     * A key outside such a group is its own only synonym.
     */
    public static List<String> synonyms(String name) {
        return SYNONYMS.getOrDefault(name, List.of(name));
    }

    public static Optional<ConfigDef> find(String name) {
        return Optional.ofNullable(DEFS.get(name));
    }

    /** Every broker key, in a stable order. */
    public static Map<String, ConfigDef> all() {
        return DEFS;
    }
}
