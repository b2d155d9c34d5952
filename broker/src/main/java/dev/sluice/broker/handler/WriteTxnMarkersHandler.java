package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.replica.DelayedProduces;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.txn.MarkerWriter;
import dev.sluice.broker.txn.TopicPartition;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.WriteTxnMarkersRequest;
import dev.sluice.wire.message.WriteTxnMarkersResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * WriteTxnMarkers (key 27), v1-2: writes COMMIT or ABORT markers to partitions this broker leads,
 * sent by transaction coordinators (and by {@code kafka-transactions abort}). A partition answers
 * once its marker is committed (the high watermark past it, at most {@value #COMMIT_WAIT_MS} ms:
 * else REQUEST_TIMED_OUT and the coordinator writes it again). Markers for
 * {@code __consumer_offsets} go through the group coordinator, which completes the transaction's
 * offset commits with them. Per-partition errors: NOT_LEADER_OR_FOLLOWER,
 * UNKNOWN_TOPIC_OR_PARTITION, INVALID_PRODUCER_EPOCH (a newer epoch of the producer wrote there),
 * TRANSACTION_COORDINATOR_FENCED (an older coordinator), KAFKA_STORAGE_ERROR,
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND. From v2 a marker names its transaction version (KIP-1228):
 * a transactions-v2 marker must carry an epoch newer than the producer's at the partition, so a
 * late copy of one cannot end the transaction the producer opened since at that epoch.
 *
 * <p>The same code writes the markers of this broker's own transaction coordinator to the
 * partitions it leads, without a request ({@link MarkerWriter}).
 */
public final class WriteTxnMarkersHandler extends ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>
        implements MarkerWriter {
    static final long COMMIT_WAIT_MS = 30_000;

    private final PartitionLookup lookup;
    private final DelayedProduces delayed;
    private final GroupCoordinator groups;

    public WriteTxnMarkersHandler(MetadataView view, Partitions partitions, DelayedProduces delayed,
                                  GroupCoordinator groups) {
        super(ApiKey.WRITE_TXN_MARKERS, 1, 2);
        this.lookup = new PartitionLookup(view, partitions);
        this.delayed = delayed;
        this.groups = groups;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<WriteTxnMarkersResponse> handle(RequestContext context, WriteTxnMarkersRequest request) {
        if (!(context.allowedOnCluster(AclOperation.CLUSTER_ACTION))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        List<CompletableFuture<WriteTxnMarkersResponse.WritableTxnMarkerResult>> results = new ArrayList<>();
        for (WriteTxnMarkersRequest.WritableTxnMarker m : request.markers()) {
            Set<TopicPartition> partitions = new LinkedHashSet<>();
            for (WriteTxnMarkersRequest.WritableTxnMarkerTopic t : m.topics()) {
                t.partitionIndexes().forEach(p -> partitions.add(new TopicPartition(t.name(), p)));
            }
            results.add(write(m.producerId(), m.producerEpoch(), m.coordinatorEpoch(), m.transactionResult(),
                m.transactionVersion() >= 2, partitions)
                .thenApply(errors -> result(m.producerId(), errors)));
        }
        return CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).thenApply(v ->
            new WriteTxnMarkersResponse().setMarkers(results.stream().map(CompletableFuture::join).toList()));
    }

    @Override
    public CompletableFuture<Map<TopicPartition, ErrorCode>> write(long producerId, short producerEpoch,
                                                                 int coordinatorEpoch, boolean commit,
                                                                 boolean epochPerTransaction,
                                                                 Set<TopicPartition> partitions) {
        Map<TopicPartition, ErrorCode> errors = new ConcurrentHashMap<>();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            pending.add(writeOne(tp, producerId, producerEpoch, coordinatorEpoch, commit, epochPerTransaction)
                .thenAccept(e -> errors.put(tp, e)));
        }
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).thenApply(v -> new HashMap<>(errors));
    }

    private CompletableFuture<ErrorCode> writeOne(TopicPartition tp, long producerId, short producerEpoch,
                                                  int coordinatorEpoch, boolean commit, boolean epochPerTransaction) {
        PartitionLookup.Found found = lookup.find(tp.topic(), tp.partition(), -1);
        if (found.error() != ErrorCode.NONE) {
            return CompletableFuture.completedFuture(found.error());
        }
        if (tp.topic().equals(GroupCoordinator.TOPIC)) {
            return groups.completeTransaction(tp.partition(), producerId, producerEpoch, coordinatorEpoch, commit,
                    epochPerTransaction)
                .thenApply(e -> e == ErrorCode.NOT_COORDINATOR ? ErrorCode.NOT_LEADER_OR_FOLLOWER : e);
        }
        return found.partition().appendMarker(producerId, producerEpoch, coordinatorEpoch, commit, epochPerTransaction)
            .thenCompose(outcome -> {
                if (outcome.error() != ErrorCode.NONE) {
                    return CompletableFuture.completedFuture(outcome.error());
                }
                return delayed.await(List.of(new DelayedProduces.Appended(found.partition(), outcome.lastOffset() + 1)),
                    COMMIT_WAIT_MS).thenApply(e -> e.get(0));
            }).exceptionally(failure -> ErrorCode.KAFKA_STORAGE_ERROR);
    }

    private static WriteTxnMarkersResponse.WritableTxnMarkerResult result(long producerId,
                                                                          Map<TopicPartition, ErrorCode> errors) {
        Map<String, List<WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult>> byTopic = new LinkedHashMap<>();
        errors.forEach((tp, e) -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>())
            .add(new WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult().setPartitionIndex(tp.partition())
                .setErrorCode(e.code())));
        List<WriteTxnMarkersResponse.WritableTxnMarkerTopicResult> topics = new ArrayList<>();
        byTopic.forEach((topic, partitions) -> topics.add(new WriteTxnMarkersResponse.WritableTxnMarkerTopicResult()
            .setName(topic).setPartitions(partitions)));
        return new WriteTxnMarkersResponse.WritableTxnMarkerResult().setProducerId(producerId).setTopics(topics);
    }

    @Override
    public WriteTxnMarkersResponse errorResponse(WriteTxnMarkersRequest request, ErrorCode error) {
        List<WriteTxnMarkersResponse.WritableTxnMarkerResult> markers = new ArrayList<>();
        for (WriteTxnMarkersRequest.WritableTxnMarker m : request.markers()) {
            Map<TopicPartition, ErrorCode> errors = new LinkedHashMap<>();
            for (WriteTxnMarkersRequest.WritableTxnMarkerTopic t : m.topics()) {
                t.partitionIndexes().forEach(p -> errors.put(new TopicPartition(t.name(), p), error));
            }
            markers.add(result(m.producerId(), errors));
        }
        return new WriteTxnMarkersResponse().setMarkers(markers);
    }
}
