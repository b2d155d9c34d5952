package dev.sluice.broker.txn;

import dev.sluice.broker.cluster.InterBrokerClient;
import dev.sluice.wire.message.AddPartitionsToTxnRequest;
import dev.sluice.wire.message.AddPartitionsToTxnResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A partition leader's question to the transaction coordinator before a producer's first
 * transactional write to a partition (KIP-890): is the partition in the producer's open
 * transaction? Or, for a transactions-v2 producer, which no longer adds partitions itself: add it.
 * Answered by this broker's own coordinator when it coordinates the transactional id, else with
 * AddPartitionsToTxn (v4+) to the broker that does.
 *
 * <p>The answer is per partition, in the errors a Produce response can carry: the coordinator's
 * passing conditions (not the coordinator, loading, markers of the last transaction still being
 * written, unreachable) become NOT_ENOUGH_REPLICAS, which every producer retries, as Kafka
 * translates them.
 */
public final class TransactionVerifier {
    /** How long a write waits, at most, for the producer's last transaction to finish ending. */
    static final long RETRY_LIMIT_MS = 5_000;

    private final TransactionCoordinator coordinator;
    private final InterBrokerClient peers;
    private final int nodeId;

    /** @param peers the inter-broker client; null on a single node */
    public TransactionVerifier(TransactionCoordinator coordinator, InterBrokerClient peers, int nodeId) {
        this.coordinator = coordinator;
        this.peers = peers;
        this.nodeId = nodeId;
    }

    /** Whether partitions are verified at all ({@code transaction.partition.verification.enable}). */
    public boolean enabled() {
        return coordinator.config().partitionVerification();
    }

    /** As {@link #ask}, with the answers a Produce response can carry. */
    public CompletableFuture<Map<String, Map<Integer, ErrorCode>>> verify(String transactionalId, long producerId,
                                                                          short epoch, Map<String, Set<Integer>> partitions,
                                                                          boolean add) {
        return ask(transactionalId, producerId, epoch, partitions, add).thenApply(errors -> {
            Map<String, Map<Integer, ErrorCode>> out = new HashMap<>();
            errors.forEach((topic, byPartition) -> {
                Map<Integer, ErrorCode> mapped = new HashMap<>();
                byPartition.forEach((p, e) -> mapped.put(p, forProducer(e)));
                out.put(topic, mapped);
            });
            return out;
        });
    }

    /**
     * The coordinator's answer for each of {@code partitions} ({@link #askOnce}), asked again with a
     * growing back-off while the coordinator answers
     * CONCURRENT_TRANSACTIONS (the producer's last transaction is still writing its markers, which
     * takes milliseconds), as Kafka's brokers do, so the producer does not wait out its own
     * {@code retry.backoff.ms} for it; after {@link #RETRY_LIMIT_MS} the answer goes back as it is.
     */
    public CompletableFuture<Map<String, Map<Integer, ErrorCode>>> ask(String transactionalId, long producerId,
                                                                       short epoch, Map<String, Set<Integer>> partitions,
                                                                       boolean add) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_LIMIT_MS);
        return askUntilSettled(transactionalId, producerId, epoch, partitions, add,
            coordinator.config().verificationBackoffMs(), deadline);
    }

    private CompletableFuture<Map<String, Map<Integer, ErrorCode>>> askUntilSettled(
            String transactionalId, long producerId, short epoch, Map<String, Set<Integer>> partitions, boolean add,
            long backoffMs, long deadline) {
        return askOnce(transactionalId, producerId, epoch, partitions, add).thenCompose(errors -> {
            boolean concurrent = errors.values().stream()
                .anyMatch(byPartition -> byPartition.containsValue(ErrorCode.CONCURRENT_TRANSACTIONS));
            if (!concurrent || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs) > deadline) {
                return CompletableFuture.completedFuture(errors);
            }
            long next = Math.min(backoffMs * 2, coordinator.config().verificationBackoffMaxMs());
            Executor later = CompletableFuture.delayedExecutor(backoffMs, TimeUnit.MILLISECONDS);
            return CompletableFuture.supplyAsync(() -> null, later).thenCompose(v ->
                askUntilSettled(transactionalId, producerId, epoch, partitions, add, next, deadline));
        });
    }

    /**
     * The coordinator's answer for each of {@code partitions}: checked to be in the producer's
     * open transaction, or with {@code add} added to it. An unreachable coordinator is
     * COORDINATOR_NOT_AVAILABLE.
     */
    private CompletableFuture<Map<String, Map<Integer, ErrorCode>>> askOnce(String transactionalId, long producerId,
                                                                       short epoch, Map<String, Set<Integer>> partitions,
                                                                       boolean add) {
        int node = coordinator.coordinatorOf(transactionalId);
        CompletableFuture<Map<String, Map<Integer, ErrorCode>>> asked;
        if (node == nodeId || node < 0 && peers == null) {
            asked = add ? coordinator.addPartitions(transactionalId, producerId, epoch, partitions, (short) 2)
                .thenApply(e -> TransactionCoordinator.uniform(partitions, e))
                : coordinator.verify(transactionalId, producerId, epoch, partitions);
        } else if (node < 0) {
            asked = CompletableFuture.completedFuture(TransactionCoordinator.uniform(partitions,
                ErrorCode.COORDINATOR_NOT_AVAILABLE));
        } else {
            asked = send(node, transactionalId, producerId, epoch, partitions, add);
        }
        return asked.handle((errors, failure) -> {
            Map<String, Map<Integer, ErrorCode>> out = new HashMap<>();
            partitions.forEach((topic, ids) -> {
                Map<Integer, ErrorCode> byPartition = new HashMap<>();
                for (int p : ids) {
                    byPartition.put(p, failure != null ? ErrorCode.COORDINATOR_NOT_AVAILABLE
                        : errors.getOrDefault(topic, Map.of()).getOrDefault(p, ErrorCode.INVALID_TXN_STATE));
                }
                out.put(topic, byPartition);
            });
            return out;
        });
    }

    private static ErrorCode forProducer(ErrorCode error) {
        return switch (error) {
            case NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS ->
                ErrorCode.NOT_ENOUGH_REPLICAS;
            default -> error;
        };
    }

    private CompletableFuture<Map<String, Map<Integer, ErrorCode>>> send(int node, String transactionalId, long producerId,
                                                                        short epoch, Map<String, Set<Integer>> partitions,
                                                                        boolean add) {
        List<AddPartitionsToTxnRequest.AddPartitionsToTxnTopic> topics = new ArrayList<>();
        partitions.forEach((topic, ids) -> topics.add(new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic()
            .setName(topic).setPartitions(List.copyOf(ids))));
        AddPartitionsToTxnRequest request = new AddPartitionsToTxnRequest().setTransactions(List.of(
            new AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction().setTransactionalId(transactionalId)
                .setProducerId(producerId).setProducerEpoch(epoch).setVerifyOnly(!add).setTopics(topics)));
        return peers.<AddPartitionsToTxnResponse>send(node, request).thenApply(response -> {
            Map<String, Map<Integer, ErrorCode>> out = new HashMap<>();
            if (response.errorCode() != 0) {
                return TransactionCoordinator.uniform(partitions, ErrorCode.forCode(response.errorCode()));
            }
            for (AddPartitionsToTxnResponse.AddPartitionsToTxnResult r : response.resultsByTransaction()) {
                for (AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult t : r.topicResults()) {
                    for (AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult p : t.resultsByPartition()) {
                        out.computeIfAbsent(t.name(), n -> new HashMap<>()).put(p.partitionIndex(),
                            ErrorCode.forCode(p.partitionErrorCode()));
                    }
                }
            }
            return out;
        });
    }
}
