package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.txn.TransactionCoordinator;
import dev.sluice.wire.message.AddPartitionsToTxnRequest;
import dev.sluice.wire.message.AddPartitionsToTxnResponse;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * AddPartitionsToTxn (key 24), v0-5.
 *
 * <p>v0-3, from producers: adds partitions to the producer's transaction, opening it if none is
 * open. A partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION and the others are then
 * OPERATION_NOT_ATTEMPTED; otherwise every partition gets the one outcome: NONE,
 * CONCURRENT_TRANSACTIONS (the last transaction's markers are still being written; the producer
 * retries), INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2),
 * INVALID_TXN_STATE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS.
 *
 * <p>v4+, from brokers (KIP-890), a batch of transactions: with {@code verify_only} each partition
 * is checked to be in the producer's open transaction (NONE, or INVALID_TXN_STATE) before the
 * producer's first transactional write to it; without, the partitions are added (transactions v2,
 * where producers no longer add their partitions themselves).
 */
public final class AddPartitionsToTxnHandler extends ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> {
    private final TransactionCoordinator coordinator;
    private final MetadataView view;

    public AddPartitionsToTxnHandler(TransactionCoordinator coordinator, MetadataView view) {
        super(ApiKey.ADD_PARTITIONS_TO_TXN, 0, 5);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<AddPartitionsToTxnResponse> handle(RequestContext context,
                                                               AddPartitionsToTxnRequest request) {
        if (context.version() < 4) {
            return fromProducer(context, request);
        }
        // Brokers verifying for their partitions need CLUSTER_ACTION; anyone else WRITE on each
        // transactional id and topic, as for a producer's own request.
        boolean broker = context.allowedOnCluster(AclOperation.CLUSTER_ACTION);
        List<CompletableFuture<AddPartitionsToTxnResponse.AddPartitionsToTxnResult>> results = new ArrayList<>();
        for (AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction t : request.transactions()) {
            Map<String, Set<Integer>> wanted = partitions(t.topics());
            Map<String, Map<Integer, ErrorCode>> refused = broker ? null : refused(context, t.transactionalId(), wanted);
            if (refused != null) {
                results.add(CompletableFuture.completedFuture(new AddPartitionsToTxnResponse.AddPartitionsToTxnResult()
                    .setTransactionalId(t.transactionalId()).setTopicResults(topicResults(refused))));
                continue;
            }
            CompletableFuture<Map<String, Map<Integer, ErrorCode>>> outcome = t.verifyOnly()
                ? coordinator.verify(t.transactionalId(), t.producerId(), t.producerEpoch(), wanted)
                : coordinator.addPartitions(t.transactionalId(), t.producerId(), t.producerEpoch(), wanted, (short) 2)
                    .thenApply(error -> TransactionCoordinator.uniform(wanted, error));
            results.add(outcome.thenApply(errors -> new AddPartitionsToTxnResponse.AddPartitionsToTxnResult()
                .setTransactionalId(t.transactionalId()).setTopicResults(topicResults(errors))));
        }
        return CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).thenApply(v ->
            new AddPartitionsToTxnResponse().setResultsByTransaction(results.stream().map(CompletableFuture::join).toList()));
    }

    /**
     * The answer when {@code transactionalId} or some of the topics may not be written: every
     * partition TRANSACTIONAL_ID_AUTHORIZATION_FAILED, or the refused topics' partitions
     * TOPIC_AUTHORIZATION_FAILED and the others OPERATION_NOT_ATTEMPTED, as Kafka answers; null
     * when everything is allowed.
     */
    private static Map<String, Map<Integer, ErrorCode>> refused(RequestContext context, String transactionalId,
                                                                Map<String, Set<Integer>> wanted) {
        if (!context.allowed(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, transactionalId)) {
            return TransactionCoordinator.uniform(wanted, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        }
        Map<String, Map<Integer, ErrorCode>> errors = null;
        for (Map.Entry<String, Set<Integer>> e : wanted.entrySet()) {
            if (!context.allowed(AclOperation.WRITE, AclResourceType.TOPIC, e.getKey())) {
                if (errors == null) {
                    errors = TransactionCoordinator.uniform(wanted, ErrorCode.OPERATION_NOT_ATTEMPTED);
                }
                for (int p : e.getValue()) {
                    errors.get(e.getKey()).put(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
                }
            }
        }
        return errors;
    }

    private CompletableFuture<AddPartitionsToTxnResponse> fromProducer(RequestContext context,
                                                                       AddPartitionsToTxnRequest request) {
        short version = context.version();
        Map<String, Set<Integer>> wanted = partitions(request.v3AndBelowTopics());
        Map<String, Map<Integer, ErrorCode>> refused = refused(context, request.v3AndBelowTransactionalId(), wanted);
        if (refused != null) {
            return CompletableFuture.completedFuture(new AddPartitionsToTxnResponse()
                .setResultsByTopicV3AndBelow(topicResults(refused)));
        }
        MetadataImage image = view.image();
        Map<String, Map<Integer, ErrorCode>> unknown = new HashMap<>();
        wanted.forEach((topic, ids) -> {
            TopicImage t = image.topic(topic).orElse(null);
            for (int p : ids) {
                if (t == null || p < 0 || p >= t.partitions().size()) {
                    unknown.computeIfAbsent(topic, n -> new HashMap<>()).put(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
                }
            }
        });
        if (!unknown.isEmpty()) {
            Map<String, Map<Integer, ErrorCode>> errors = TransactionCoordinator.uniform(wanted, ErrorCode.OPERATION_NOT_ATTEMPTED);
            unknown.forEach((topic, byPartition) -> errors.get(topic).putAll(byPartition));
            return CompletableFuture.completedFuture(new AddPartitionsToTxnResponse()
                .setResultsByTopicV3AndBelow(topicResults(errors)));
        }
        return coordinator.addPartitions(request.v3AndBelowTransactionalId(), request.v3AndBelowProducerId(),
            request.v3AndBelowProducerEpoch(), wanted, (short) 0).thenApply(error -> new AddPartitionsToTxnResponse()
                .setResultsByTopicV3AndBelow(topicResults(TransactionCoordinator.uniform(wanted, TransactionErrors.forVersion(error, version, 2)))));
    }

    private static Map<String, Set<Integer>> partitions(List<AddPartitionsToTxnRequest.AddPartitionsToTxnTopic> topics) {
        Map<String, Set<Integer>> out = new HashMap<>();
        for (AddPartitionsToTxnRequest.AddPartitionsToTxnTopic t : topics) {
            out.computeIfAbsent(t.name(), n -> new TreeSet<>()).addAll(t.partitions());
        }
        return out;
    }

    private static List<AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult> topicResults(
            Map<String, Map<Integer, ErrorCode>> errors) {
        List<AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult> out = new ArrayList<>();
        errors.forEach((topic, byPartition) -> {
            List<AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult> partitions = new ArrayList<>();
            byPartition.forEach((p, e) -> partitions.add(new AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult()
                .setPartitionIndex(p).setPartitionErrorCode(e.code())));
            out.add(new AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult().setName(topic)
                .setResultsByPartition(partitions));
        });
        return out;
    }

    @Override
    public AddPartitionsToTxnResponse errorResponse(AddPartitionsToTxnRequest request, ErrorCode error) {
        List<AddPartitionsToTxnResponse.AddPartitionsToTxnResult> byTransaction = new ArrayList<>();
        for (AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction t : request.transactions()) {
            byTransaction.add(new AddPartitionsToTxnResponse.AddPartitionsToTxnResult().setTransactionalId(t.transactionalId())
                .setTopicResults(topicResults(TransactionCoordinator.uniform(partitions(t.topics()), error))));
        }
        return new AddPartitionsToTxnResponse().setErrorCode(error.code()).setResultsByTransaction(byTransaction)
            .setResultsByTopicV3AndBelow(topicResults(TransactionCoordinator.uniform(partitions(request.v3AndBelowTopics()), error)));
    }
}
