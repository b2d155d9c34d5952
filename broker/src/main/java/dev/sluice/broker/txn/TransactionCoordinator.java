package dev.sluice.broker.txn;

import dev.sluice.broker.cluster.InterBrokerClient;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The transaction coordinator: routes each transactional id to the {@link TransactionShard} of
 * its {@code __transaction_state} partition (Kafka's placement: the absolute value of the id's
 * hash modulo the partition count, so an id lands on the same partition as in Kafka), creates that
 * topic on the first FindCoordinator, loads a partition's shard while this broker leads it, and
 * writes the markers that end transactions ({@link TransactionMarkers}).
 *
 * <p>The coordinator's epoch for a partition is the partition's leader epoch: markers carry it,
 * and a partition refuses a marker from an older coordinator (TRANSACTION_COORDINATOR_FENCED).
 *
 * <p>Threading: the entry points may be called from any thread; each runs on its id's shard.
 */
public final class TransactionCoordinator implements MetadataListener, AutoCloseable {
    public static final String TOPIC = "__transaction_state";
    /** Shard executors: transaction work is light (a record per request) next to a rebalance. */
    private static final int THREADS = 2;

    private final TransactionConfig config;
    private final ProducerIds producerIds;
    private final CoordinatorRuntime<TransactionShard> runtime;
    private final CoordinatorTopic topic;
    private final TransactionCounts counts = new TransactionCounts();
    private final ScheduledExecutorService scheduler;
    private final int nodeId;
    private volatile short replicationFactor = 1;
    private volatile int minIsr = 1;

    public TransactionCoordinator(TransactionConfig config, MetadataView view, Controller controller, Partitions partitions,
                                  ProducerIds producerIds, MarkerWriter local, InterBrokerClient peers) {
        this.config = config;
        this.producerIds = producerIds;
        this.nodeId = partitions.nodeId();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-transaction-markers");
            t.setDaemon(true);
            return t;
        });
        TransactionMarkers markers = new TransactionMarkers(nodeId, view, local, peers, scheduler);
        this.runtime = new CoordinatorRuntime<>("transaction", TOPIC, THREADS, InstantSource.system(),
            CompressionType.NONE, context -> new TransactionShard(context, config, markers, counts));
        markers.coordinator(new TransactionMarkers.Coordinator() {
            @Override
            public boolean holds(int coordinatorPartition, int coordinatorEpoch) {
                return runtime.status(coordinatorPartition) == ErrorCode.NONE
                    && topic.leaderEpochOf(coordinatorPartition) == coordinatorEpoch;
            }

            @Override
            public CompletableFuture<?> markersWritten(int coordinatorPartition, TransactionMetadata ending) {
                // Should the partition have moved, its new coordinator finds the transaction preparing and finishes it.
                return runtime.write(coordinatorPartition, shard -> shard.markersWritten(ending));
            }
        });
        this.topic = new CoordinatorTopic(TOPIC, view, controller, partitions, runtime,
            CoordinatorTopic::absoluteHash, config.stateLogPartitions());
        // Writes are answered once committed, and a load waits for its log to be committed.
        partitions.addHighWatermarkListener(runtime::highWatermarkMoved);
    }

    /** Loads the shards of the partitions that exist now; later ones load as they appear. */
    public void start() {
        topic.start();
    }

    public TransactionConfig config() {
        return config;
    }

    /** Where leadership of {@code __transaction_state} partitions is announced. */
    public LeadershipListener leadershipListener() {
        return runtime;
    }

    /**
     * Sets how {@code __transaction_state} is created: a cluster's
     * {@code transaction.state.log.replication.factor} and {@code .min.isr}; a single node keeps 1.
     */
    public void stateLogReplication(short replicationFactor, int minIsr) {
        this.replicationFactor = replicationFactor;
        this.minIsr = minIsr;
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        topic.onChange(previous, next);
    }

    /** Transactions completed by this broker's coordinator, for metrics. */
    public TransactionCounts counts() {
        return counts;
    }

    /** Transactional ids on the loaded shards (a gauge). */
    public int transactionalIdCount() {
        int n = 0;
        for (TransactionShard shard : runtime.stateMachines()) {
            n += shard.transactionCount();
        }
        return n;
    }

    /** Kafka's placement: the absolute value of the id's hash modulo the partition count of {@code __transaction_state}. */
    public int partitionFor(String transactionalId) {
        return topic.partitionFor(transactionalId);
    }

    /** The broker coordinating {@code transactionalId} as the metadata says, or -1 when none is known. */
    public int coordinatorOf(String transactionalId) {
        return topic.exists() ? topic.leaderOf(partitionFor(transactionalId)) : -1;
    }

    /**
     * FindCoordinator for a transactional id: creates {@code __transaction_state} when it does
     * not exist yet, and waits (up to a few seconds) for a partition of this broker to load.
     */
    public CompletableFuture<CoordinatorTopic.Located> locate(String transactionalId) {
        return topic.locate(transactionalId, () -> {
            short factor = replicationFactor;
            Map<String, String> configs = Map.of("cleanup.policy", "compact", "compression.type", "uncompressed",
                "segment.bytes", Integer.toString(config.stateLogSegmentBytes()),
                "min.insync.replicas", Integer.toString(Math.max(1, Math.min(minIsr, factor))),
                "unclean.leader.election.enable", "false");
            return new Controller.NewTopic(TOPIC, config.stateLogPartitions(), factor, null, configs);
        });
    }

    // ------------------------------------------------------------------ operations

    private <T> CompletableFuture<T> write(String transactionalId, Function<TransactionShard, CoordinatorResult<T>> op,
                                           Function<ErrorCode, T> onError) {
        return topic.route(transactionalId, partition -> runtime.write(partition, op), onError);
    }

    private <T> CompletableFuture<T> read(String transactionalId, Function<TransactionShard, T> op,
                                          Function<ErrorCode, T> onError) {
        return topic.route(transactionalId,
            partition -> runtime.call(partition, shard -> CompletableFuture.completedFuture(op.apply(shard))), onError);
    }

    /** InitProducerId with a transactional id; the timeout is checked against {@code transaction.max.timeout.ms}. */
    public CompletableFuture<TransactionShard.InitOutcome> initProducerId(String transactionalId, int timeoutMs,
                                                                          long expectedProducerId, short expectedEpoch) {
        if (timeoutMs <= 0 || timeoutMs > config.maxTimeoutMs()) {
            return CompletableFuture.completedFuture(TransactionShard.InitOutcome.failed(
                ErrorCode.INVALID_TRANSACTION_TIMEOUT));
        }
        ErrorCode status = status(transactionalId);
        if (status != ErrorCode.NONE) {
            return CompletableFuture.completedFuture(TransactionShard.InitOutcome.failed(status));
        }
        return producerIds.next().thenCompose(fresh -> write(transactionalId,
            shard -> shard.initProducerId(transactionalId, timeoutMs, expectedProducerId, expectedEpoch, fresh),
            TransactionShard.InitOutcome::failed)).exceptionally(failure -> {
                if (ProducerIds.unavailable(failure)) {
                    return TransactionShard.InitOutcome.failed(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
                }
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            });
    }

    /** NONE when this broker coordinates the id now, else the coordinator error to answer. */
    public ErrorCode status(String transactionalId) {
        return topic.status(transactionalId);
    }

    public CompletableFuture<ErrorCode> addPartitions(String transactionalId, long producerId, short epoch,
                                                      Map<String, ? extends Set<Integer>> partitions, short clientVersion) {
        return write(transactionalId, shard -> shard.addPartitions(transactionalId, producerId, epoch, partitions,
            clientVersion), e -> e);
    }

    /** The partitions' verification (KIP-890): NONE for each in the producer's open transaction. */
    public CompletableFuture<Map<String, Map<Integer, ErrorCode>>> verify(String transactionalId, long producerId,
                                                                          short epoch,
                                                                          Map<String, ? extends Set<Integer>> partitions) {
        return read(transactionalId, shard -> shard.verify(transactionalId, producerId, epoch, partitions),
            e -> uniform(partitions, e));
    }

    public static Map<String, Map<Integer, ErrorCode>> uniform(Map<String, ? extends Set<Integer>> partitions, ErrorCode error) {
        Map<String, Map<Integer, ErrorCode>> out = new java.util.HashMap<>();
        partitions.forEach((topic, ids) -> {
            Map<Integer, ErrorCode> byPartition = new java.util.HashMap<>();
            ids.forEach(p -> byPartition.put(p, error));
            out.put(topic, byPartition);
        });
        return out;
    }

    public CompletableFuture<TransactionShard.EndOutcome> endTransaction(String transactionalId, long producerId,
                                                                         short epoch, boolean commit, boolean bumpEpoch) {
        return write(transactionalId, shard -> shard.endTransaction(transactionalId, producerId, epoch, commit, bumpEpoch),
            TransactionShard.EndOutcome::failed);
    }

    /** DescribeTransactions: the id's state, or the error (TRANSACTIONAL_ID_NOT_FOUND, NOT_COORDINATOR, …). */
    public CompletableFuture<Map.Entry<ErrorCode, Optional<TransactionMetadata>>> describe(String transactionalId) {
        return read(transactionalId, shard -> {
            Optional<TransactionMetadata> m = shard.describe(transactionalId);
            return Map.entry(m.isPresent() ? ErrorCode.NONE : ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, m);
        }, e -> Map.entry(e, Optional.empty()));
    }

    /** Every transactional id on the loaded shards passing {@code filter}; an error if one is still loading. */
    public CompletableFuture<Map.Entry<ErrorCode, List<TransactionMetadata>>> list(Predicate<TransactionMetadata> filter) {
        List<CompletableFuture<List<TransactionMetadata>>> parts = new ArrayList<>();
        ErrorCode error = ErrorCode.NONE;
        for (int partition : runtime.partitions()) {
            ErrorCode status = runtime.status(partition);
            if (status == ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
                error = status;
            } else if (status == ErrorCode.NONE) {
                parts.add(CoordinatorTopic.answer(runtime.call(partition, shard -> CompletableFuture.completedFuture(shard.list(filter))),
                    e -> List.of()));
            }
        }
        ErrorCode finalError = error;
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<TransactionMetadata> all = new ArrayList<>();
            parts.forEach(p -> all.addAll(p.join()));
            return Map.entry(finalError, all);
        });
    }

    @Override
    public void close() {
        runtime.close();
        scheduler.shutdownNow();
    }
}
