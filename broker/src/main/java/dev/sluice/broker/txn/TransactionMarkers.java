package dev.sluice.broker.txn;

import dev.sluice.broker.cluster.InterBrokerClient;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.WriteTxnMarkersRequest;
import dev.sluice.wire.message.WriteTxnMarkersResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the markers of a transaction that is preparing to end to every partition in it, on
 * whichever broker leads each now: locally through a {@link MarkerWriter}, or with WriteTxnMarkers
 * to the leader. Partitions whose write failed for a passing reason (no leader, leader moved, not
 * enough replicas, a timeout) are tried again with a growing back-off, for as long as this broker
 * still coordinates the transaction; a deleted partition needs no marker. Once every partition has
 * its marker the coordinator is told, and completes the transaction.
 *
 * <p>A coordinator that lost its partition stops: its next marker is refused with
 * TRANSACTION_COORDINATOR_FENCED (the new coordinator writes them, at its newer epoch), or it sees
 * it no longer holds the partition.
 *
 * <p>Threading: any thread; each transaction's writing proceeds on futures and the scheduler.
 */
final class TransactionMarkers implements TransactionShard.Markers {
    private static final Logger log = LoggerFactory.getLogger(TransactionMarkers.class);
    private static final long FIRST_BACKOFF_MS = 50;
    private static final long MAX_BACKOFF_MS = 1_000;
    /**
     * How long a local write may take before it is tried again: a marker waits at most 30 s for
     * its commit, and a marker to {@code __consumer_offsets} waits behind the group coordinator's
     * writes, which have no bound of their own.
     */
    private static final long LOCAL_WAIT_MS = 40_000;

    /** The coordinator's side: whether it still holds a partition, and completing a transaction. */
    interface Coordinator {
        boolean holds(int coordinatorPartition, int coordinatorEpoch);

        /** Writes the transaction's completion; fails when that write failed (it is then tried again). */
        CompletableFuture<?> markersWritten(int coordinatorPartition, TransactionMetadata ending);
    }

    private final int nodeId;
    private final MetadataView view;
    private final MarkerWriter local;
    private final InterBrokerClient peers;
    private final ScheduledExecutorService scheduler;
    private volatile Coordinator coordinator;

    /** @param peers the inter-broker client; null on a single node, where every partition is local */
    TransactionMarkers(int nodeId, MetadataView view, MarkerWriter local, InterBrokerClient peers,
                       ScheduledExecutorService scheduler) {
        this.nodeId = nodeId;
        this.view = view;
        this.local = local;
        this.peers = peers;
        this.scheduler = scheduler;
    }

    void coordinator(Coordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public void write(int coordinatorPartition, int coordinatorEpoch, TransactionMetadata ending) {
        Set<TopicPartition> all = new LinkedHashSet<>();
        ending.partitions().forEach((topic, ids) -> ids.forEach(p -> all.add(new TopicPartition(topic, p))));
        new Attempt(coordinatorPartition, coordinatorEpoch, ending, all).run();
    }

    /** The writing of one transaction's markers, until every partition has one. */
    private final class Attempt {
        final int coordinatorPartition;
        final int coordinatorEpoch;
        final TransactionMetadata ending;
        final boolean commit;
        final Set<TopicPartition> remaining;
        /** A newer coordinator refused a marker: this one stops. */
        volatile boolean fenced;
        int tries;

        Attempt(int coordinatorPartition, int coordinatorEpoch, TransactionMetadata ending, Set<TopicPartition> all) {
            this.coordinatorPartition = coordinatorPartition;
            this.coordinatorEpoch = coordinatorEpoch;
            this.ending = ending;
            this.commit = ending.state() == TransactionState.PREPARE_COMMIT;
            this.remaining = java.util.Collections.synchronizedSet(new LinkedHashSet<>(all));
        }

        void run() {
            if (!coordinator.holds(coordinatorPartition, coordinatorEpoch)) {
                log.debug("Leaving the markers of {} to the next coordinator of partition {}: epoch {} is over",
                    ending.transactionalId(), coordinatorPartition, coordinatorEpoch);
                return;
            }
            MetadataImage image = view.image();
            Map<Integer, Set<TopicPartition>> byLeader = new HashMap<>();
            for (TopicPartition tp : List.copyOf(remaining)) {
                TopicImage topic = image.topic(tp.topic()).orElse(null);
                if (topic == null || tp.partition() >= topic.partitions().size()) {
                    remaining.remove(tp); // deleted: nothing left to mark
                    continue;
                }
                PartitionImage p = topic.partitions().get(tp.partition());
                if (p.leader() >= 0 && (p.leader() == nodeId || peers != null)) {
                    byLeader.computeIfAbsent(p.leader(), id -> new HashSet<>()).add(tp);
                }
            }
            List<CompletableFuture<Void>> sent = new ArrayList<>();
            byLeader.forEach((leader, partitions) -> sent.add(send(leader, partitions).handle((errors, failure) -> {
                if (failure != null) {
                    log.debug("Markers of {} to broker {} failed, will retry: {}", ending.transactionalId(), leader,
                        failure.toString());
                    return null;
                }
                errors.forEach(this::settle);
                return null;
            })));
            CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).whenComplete((v, e) -> next());
        }

        private void settle(TopicPartition tp, ErrorCode error) {
            switch (error) {
                case NONE -> remaining.remove(tp);
                case INVALID_PRODUCER_EPOCH -> {
                    // A newer epoch of this producer already wrote there: the transaction is over on it.
                    log.warn("Partition {} refused the {} marker of {} (producer id {}, epoch {}) as stale", tp,
                        commit ? "COMMIT" : "ABORT", ending.transactionalId(), ending.producerId(),
                        ending.producerEpoch());
                    remaining.remove(tp);
                }
                case TRANSACTION_COORDINATOR_FENCED -> {
                    log.info("Stopping the markers of {}: a newer coordinator took over ({} refused epoch {})",
                        ending.transactionalId(), tp, coordinatorEpoch);
                    fenced = true;
                }
                default -> log.debug("Marker of {} on {} failed with {}, will retry", ending.transactionalId(), tp, error);
            }
        }

        private void next() {
            if (fenced) {
                return;
            }
            if (remaining.isEmpty()) {
                coordinator.markersWritten(coordinatorPartition, ending).whenComplete((done, failure) -> {
                    if (failure != null) {
                        // Not enough replicas, a slow disk: the transaction stays preparing until
                        // it is written, which the next run does while this broker coordinates.
                        log.debug("Cannot complete the transaction of {} yet, will retry: {}", ending.transactionalId(),
                            failure.toString());
                        later();
                    }
                });
                return;
            }
            later();
        }

        private void later() {
            long backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(tries++, 5));
            try {
                scheduler.schedule(this::run, backoff, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Shutting down: the next coordinator of the partition writes them.
            }
        }

        private CompletableFuture<Map<TopicPartition, ErrorCode>> send(int leader, Set<TopicPartition> partitions) {
            if (leader == nodeId) {
                return local.write(ending.producerId(), ending.producerEpoch(), coordinatorEpoch, commit,
                        ending.clientTransactionVersion() >= 2, partitions)
                    .orTimeout(LOCAL_WAIT_MS, TimeUnit.MILLISECONDS);
            }
            Map<String, List<Integer>> byTopic = new HashMap<>();
            partitions.forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
            List<WriteTxnMarkersRequest.WritableTxnMarkerTopic> topics = new ArrayList<>();
            byTopic.forEach((topic, ids) -> topics.add(new WriteTxnMarkersRequest.WritableTxnMarkerTopic().setName(topic)
                .setPartitionIndexes(ids)));
            WriteTxnMarkersRequest request = new WriteTxnMarkersRequest().setMarkers(List.of(
                new WriteTxnMarkersRequest.WritableTxnMarker().setProducerId(ending.producerId())
                    .setProducerEpoch(ending.producerEpoch()).setTransactionResult(commit).setTopics(topics)
                    .setCoordinatorEpoch(coordinatorEpoch).setTransactionVersion((byte) ending.clientTransactionVersion())));
            return peers.<WriteTxnMarkersResponse>send(leader, request).thenApply(response -> {
                Map<TopicPartition, ErrorCode> out = new HashMap<>();
                for (WriteTxnMarkersResponse.WritableTxnMarkerResult m : response.markers()) {
                    for (WriteTxnMarkersResponse.WritableTxnMarkerTopicResult t : m.topics()) {
                        for (WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult p : t.partitions()) {
                            out.put(new TopicPartition(t.name(), p.partitionIndex()), ErrorCode.forCode(p.errorCode()));
                        }
                    }
                }
                return out;
            });
        }
    }
}
