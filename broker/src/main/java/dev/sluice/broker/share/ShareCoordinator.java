package dev.sluice.broker.share;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.coordinator.CoordinatorResult;
import dev.sluice.broker.coordinator.CoordinatorRuntime;
import dev.sluice.broker.coordinator.CoordinatorTopic;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.replica.LeadershipListener;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.message.ErrorCode;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The share coordinator (KIP-932): keeps the durable state of share-partitions, the delivery
 * state of the records a share group consumes, in {@code __share_group_state}, for the brokers
 * that lead those partitions. A share-partition's state lives on the partition its key
 * ({@code group:topicId:partition}) hashes to, as in Kafka, so FindCoordinator with key type 2
 * names the same broker Kafka's would; the topic is created on the first such lookup.
 *
 * <p>Settings are Kafka's {@code share.coordinator.*} keys. The topic does not grow without bound:
 * each partition deletes, every {@code share.coordinator.state.topic.prune.interval.ms}, the records
 * below the oldest latest snapshot of its states, and writes whole again the states not written for
 * {@code share.coordinator.cold.partition.snapshot.interval.ms}, so that a quiet state does not hold
 * the records after it. The states of a deleted topic are deleted at the next of those rounds.
 *
 * <p>Threading: entry points may be called from any thread; each runs on its key's shard.
 */
public final class ShareCoordinator implements MetadataListener, AutoCloseable {
    public static final String TOPIC = "__share_group_state";

    /**
     * {@code share.coordinator.*}: the state topic's shape, how often a state is written whole, and
     * how often the topic is pruned and quiet states written whole again.
     */
    public record Config(int statePartitions, short replicationFactor, int minIsr, int segmentBytes,
                         int updatesPerSnapshot, int threads, long pruneIntervalMs, long coldSnapshotIntervalMs) {
        public static Config from(BrokerConfig c) {
            return new Config(c.getInt(BrokerConfigKeys.SHARE_COORDINATOR_STATE_TOPIC_NUM_PARTITIONS),
                (short) c.getInt(BrokerConfigKeys.SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR),
                c.getInt(BrokerConfigKeys.SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR),
                c.getInt(BrokerConfigKeys.SHARE_COORDINATOR_STATE_TOPIC_SEGMENT_BYTES),
                c.getInt(BrokerConfigKeys.SHARE_COORDINATOR_SNAPSHOT_UPDATE_RECORDS_PER_SNAPSHOT),
                c.getInt(BrokerConfigKeys.SHARE_COORDINATOR_THREADS),
                c.getInt(BrokerConfigKeys.SHARE_COORDINATOR_STATE_TOPIC_PRUNE_INTERVAL_MS),
                c.getInt(BrokerConfigKeys.SHARE_COORDINATOR_COLD_PARTITION_SNAPSHOT_INTERVAL_MS));
        }
    }

    private final Config config;
    private final MetadataView view;
    private final CoordinatorRuntime<ShareStateShard> runtime;
    private final CoordinatorTopic topic;
    private volatile short replicationFactor = 1;
    private volatile int minIsr = 1;

    public ShareCoordinator(Config config, MetadataView view, Controller controller, Partitions partitions) {
        this.config = config;
        this.view = view;
        this.runtime = new CoordinatorRuntime<>("share", TOPIC, config.threads(), InstantSource.system(),
            CompressionType.NONE, context -> new ShareStateShard(context, config.updatesPerSnapshot(),
                config.pruneIntervalMs(), config.coldSnapshotIntervalMs(), id -> view.image().topic(id).isPresent()));
        this.topic = new CoordinatorTopic(TOPIC, view, controller, partitions, runtime,
            CoordinatorTopic::absoluteHash, config.statePartitions());
        partitions.addHighWatermarkListener(runtime::highWatermarkMoved);
    }

    /** Loads the shards of the partitions that exist now; later ones load as they appear. */
    public void start() {
        topic.start();
    }

    public LeadershipListener leadershipListener() {
        return runtime;
    }

    /** A cluster's {@code share.coordinator.state.topic.replication.factor} and {@code .min.isr}; a single node keeps 1. */
    public void stateTopicReplication() {
        this.replicationFactor = config.replicationFactor();
        this.minIsr = config.minIsr();
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        topic.onChange(previous, next);
    }

    /** Share-partition states on the loaded shards (a gauge). */
    public int stateCount() {
        int n = 0;
        for (ShareStateShard shard : runtime.stateMachines()) {
            n += shard.stateCount();
        }
        return n;
    }

    /** FindCoordinator with key type 2: creates {@code __share_group_state} when it does not exist yet. */
    public CompletableFuture<CoordinatorTopic.Located> locate(String coordinatorKey) {
        return topic.locate(coordinatorKey, () -> {
            short factor = replicationFactor;
            Map<String, String> configs = Map.of("cleanup.policy", "delete", "retention.ms", "-1",
                "compression.type", "producer", "segment.bytes", Integer.toString(config.segmentBytes()),
                "min.insync.replicas", Integer.toString(Math.max(1, Math.min(minIsr, factor))),
                "unclean.leader.election.enable", "false");
            return new Controller.NewTopic(TOPIC, config.statePartitions(), factor, null, configs);
        });
    }

    /** InitializeShareGroupState for one share-partition; UNKNOWN_TOPIC_OR_PARTITION when it does not exist. */
    public CompletableFuture<ShareStateOutcome> initialize(SharePartitionKey key, int stateEpoch,
                                                                 long startOffset) {
        boolean exists = view.image().topic(key.topicId())
            .filter(t -> key.partition() >= 0 && key.partition() < t.partitions().size()).isPresent();
        if (!exists) {
            return CompletableFuture.completedFuture(ShareStateOutcome.failed(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + key.partition() + " of topic " + key.topicId()));
        }
        return write(key, shard -> shard.initialize(key, stateEpoch, startOffset));
    }

    public CompletableFuture<ShareStateOutcome> read(SharePartitionKey key, int leaderEpoch) {
        return write(key, shard -> shard.read(key, leaderEpoch));
    }

    public CompletableFuture<ShareStateOutcome> write(SharePartitionKey key, int stateEpoch, int leaderEpoch,
                                                            long startOffset, int deliveryCompleteCount,
                                                            List<StateBatches.Batch> batches) {
        return write(key, shard -> shard.write(key, stateEpoch, leaderEpoch, startOffset, deliveryCompleteCount, batches));
    }

    public CompletableFuture<ShareStateOutcome> delete(SharePartitionKey key) {
        return write(key, shard -> shard.delete(key));
    }

    public CompletableFuture<ShareStateOutcome> summary(SharePartitionKey key) {
        return topic.route(key.coordinatorKey(), partition -> runtime.call(partition,
            shard -> CompletableFuture.completedFuture(shard.summary(key))), ShareCoordinator::failed);
    }

    private CompletableFuture<ShareStateOutcome> write(SharePartitionKey key,
            Function<ShareStateShard, CoordinatorResult<ShareStateOutcome>> op) {
        return topic.route(key.coordinatorKey(), partition -> runtime.write(partition, op), ShareCoordinator::failed);
    }

    private static ShareStateOutcome failed(ErrorCode error) {
        return ShareStateOutcome.failed(error, null);
    }

    @Override
    public void close() {
        runtime.close();
    }
}
