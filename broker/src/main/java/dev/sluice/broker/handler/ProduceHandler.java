package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.replica.DelayedProduces;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.txn.TransactionVerifier;
import dev.sluice.storage.append.AppendException;
import dev.sluice.storage.producer.AppendOrigin;
import dev.sluice.storage.producer.VerificationGuard;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ProduceRequest;
import dev.sluice.wire.message.ProduceResponse;
import dev.sluice.wire.record.CorruptRecordException;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Produce (key 0), v3-13.
 *
 * <p>Each partition's records are validated and appended by the partition's own writer, so
 * partitions of one request proceed in parallel and each partition sees requests in arrival order.
 * Per-partition errors: UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID when named by id, v13),
 * CORRUPT_MESSAGE, INVALID_RECORD and INVALID_TIMESTAMP with record errors (KIP-467),
 * MESSAGE_TOO_LARGE, INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER (a retried batch among a
 * producer's last five is answered with its original offset), NOT_LEADER_OR_FOLLOWER where this
 * broker does not lead the partition (with the current leader, KIP-951, v10+), NOT_ENOUGH_REPLICAS
 * for {@code acks=all} when the ISR is smaller than {@code min.insync.replicas} (nothing is
 * written), and
 * INVALID_TOPIC_EXCEPTION for writes to internal topics from any client (Kafka lets a client
 * whose id is {@code __admin_client} write them; here only the coordinators do, without a request). {@code acks} other than -1, 0 and 1 is
 * INVALID_REQUIRED_ACKS. With {@code acks=0} no response is sent, and a write that fails closes
 * the connection (as Kafka does).
 *
 * <p>Transactional writes: a producer's first transactional batch on a partition in a transaction
 * is verified with the transaction coordinator first (KIP-890, {@code
 * transaction.partition.verification.enable}); a partition not in the producer's transaction is
 * INVALID_TXN_STATE, and the coordinator's passing conditions NOT_ENOUGH_REPLICAS, which producers
 * retry. From v12 (transactions v2) the coordinator adds the partition instead of checking it.
 *
 * <p>{@code acks=all}: once appended, each partition's write waits in {@link DelayedProduces} until
 * the high watermark passes it (at once with a single replica), at most {@code timeout_ms}
 * (REQUEST_TIMED_OUT), and gets NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below
 * {@code min.insync.replicas} meanwhile. The response's {@code node_endpoints} stay empty: the
 * metadata does not hold other brokers' endpoints yet.
 */
public final class ProduceHandler extends ApiHandler<ProduceRequest, ProduceResponse> {
    private final MetadataView view;
    private final PartitionLookup lookup;
    private final DelayedProduces delayed;
    private final TransactionVerifier verifier;

    /** A handler without transactions: transactional batches are refused as unverified. */
    public ProduceHandler(MetadataView view, Partitions partitions, DelayedProduces delayed) {
        this(view, partitions, delayed, null);
    }

    public ProduceHandler(MetadataView view, Partitions partitions, DelayedProduces delayed,
                          TransactionVerifier verifier) {
        super(ApiKey.PRODUCE, 3, 13);
        this.view = view;
        this.lookup = new PartitionLookup(view, partitions);
        this.delayed = delayed;
        this.verifier = verifier;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    /** Whether any batch carries a producer id (an idempotent or transactional producer's). */
    private static boolean hasProducerId(ProduceRequest request) {
        for (ProduceRequest.TopicProduceData t : request.topicData()) {
            for (ProduceRequest.PartitionProduceData p : t.partitionData()) {
                if (p.records() instanceof MemoryRecords records) {
                    for (dev.sluice.wire.record.RecordBatch batch : records.batches()) {
                        if (batch.producerId() >= 0) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    /** Kafka's rule for idempotent producers: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic. */
    static boolean mayWriteIdempotently(RequestContext context) {
        return context.allowedOnCluster(AclOperation.IDEMPOTENT_WRITE)
            || context.allowedOnAny(AclOperation.WRITE, AclResourceType.TOPIC);
    }

    @Override
    public CompletableFuture<ProduceResponse> handle(RequestContext context, ProduceRequest request) {
        short acks = request.acks();
        boolean byId = context.version() >= 13;
        ErrorCode requestError = null;
        if (acks != -1 && acks != 0 && acks != 1) {
            requestError = ErrorCode.INVALID_REQUIRED_ACKS;
        } else if (request.transactionalId() != null && request.transactionalId().isEmpty()) {
            requestError = ErrorCode.INVALID_REQUEST;
        } else if (request.transactionalId() != null
                && !context.allowed(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, request.transactionalId())) {
            requestError = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
        } else if (context.authorizer() != null && request.transactionalId() == null && hasProducerId(request)
                && !mayWriteIdempotently(context)) {
            requestError = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
        }
        List<ProduceResponse.TopicProduceResponse> topics = new ArrayList<>();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        // acks=all: the appends that must be committed before their partitions are answered,
        // added by the partitions' writers as their appends finish.
        Queue<Awaiting> awaiting = new ConcurrentLinkedQueue<>();
        for (ProduceRequest.TopicProduceData topicData : request.topicData()) {
            TopicImage topic = byId ? view.image().topic(topicData.topicId()).orElse(null)
                : view.image().topic(topicData.name()).orElse(null);
            ProduceResponse.TopicProduceResponse topicResponse = new ProduceResponse.TopicProduceResponse()
                .setName(byId ? "" : topicData.name()).setTopicId(byId ? topicData.topicId() : Uuid.ZERO);
            List<ProduceResponse.PartitionProduceResponse> results = new ArrayList<>();
            // Decided once per topic; a topic named by an id that does not exist has no name to check.
            String name = topic != null ? topic.name() : byId ? null : topicData.name();
            boolean writable = name == null || context.allowed(AclOperation.WRITE, AclResourceType.TOPIC, name);
            for (ProduceRequest.PartitionProduceData data : topicData.partitionData()) {
                ProduceResponse.PartitionProduceResponse result = new ProduceResponse.PartitionProduceResponse()
                    .setIndex(data.index()).setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
                results.add(result);
                ErrorCode error = requestError;
                Partition partition = null;
                if (error == null) {
                    if (!writable) {
                        error = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
                    } else if (topic == null) {
                        error = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                    } else if (topic.isInternal()) {
                        // Only the coordinators write internal topics, straight to the partition.
                        error = ErrorCode.INVALID_TOPIC_EXCEPTION;
                    } else {
                        PartitionLookup.Found found = lookup.find(topic, data.index(), -1);
                        partition = found.partition();
                        if (found.error() != ErrorCode.NONE) {
                            error = found.error();
                            if (error == ErrorCode.NOT_LEADER_OR_FOLLOWER) {
                                result.setCurrentLeader(new ProduceResponse.LeaderIdAndEpoch()
                                    .setLeaderId(found.leaderId()).setLeaderEpoch(found.leaderEpoch()));
                            }
                        } else if (!(data.records() instanceof MemoryRecords)) {
                            error = ErrorCode.INVALID_RECORD;
                        }
                    }
                }
                if (error != null) {
                    result.setErrorCode(error.code());
                    continue;
                }
                Partition target = partition;
                MemoryRecords records = (MemoryRecords) data.records();
                CompletableFuture<Partition.AppendOutcome> appended = request.transactionalId() == null
                    ? partition.append(records, acks)
                    : partition.inOrder(() -> verified(context, request.transactionalId(), topic.name(), target,
                        records).thenCompose(guard -> target.append(records, acks, AppendOrigin.CLIENT, guard)));
                pending.add(appended.handle((outcome, failure) -> {
                    if (failure != null) {
                        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                        if (cause instanceof AppendException ae) {
                            result.setErrorCode(ae.error().code()).setErrorMessage(ae.getMessage());
                        } else {
                            result.setErrorCode(ErrorCode.KAFKA_STORAGE_ERROR.code())
                                .setErrorMessage("the partition could not append: " + cause.getMessage());
                        }
                        return null;
                    }
                    result.setErrorCode(outcome.error().code()).setErrorMessage(outcome.message())
                        .setBaseOffset(outcome.baseOffset()).setLogAppendTimeMs(outcome.logAppendTime())
                        .setLogStartOffset(outcome.logStartOffset());
                    List<ProduceResponse.BatchIndexAndErrorMessage> recordErrors = new ArrayList<>();
                    for (AppendException.RecordError e : outcome.recordErrors()) {
                        recordErrors.add(new ProduceResponse.BatchIndexAndErrorMessage().setBatchIndex(e.batchIndex())
                            .setBatchIndexErrorMessage(e.message()));
                    }
                    result.setRecordErrors(recordErrors);
                    if (outcome.error() == ErrorCode.NOT_LEADER_OR_FOLLOWER) {
                        // Leadership left between the lookup and the append.
                        Partition.Role role = target.role();
                        result.setCurrentLeader(new ProduceResponse.LeaderIdAndEpoch().setLeaderId(role.leaderId())
                            .setLeaderEpoch(role.leaderEpoch()));
                    }
                    if (acks == -1 && outcome.error() == ErrorCode.NONE) {
                        awaiting.add(new Awaiting(result, new DelayedProduces.Appended(target, outcome.lastOffset() + 1)));
                    }
                    return null;
                }));
            }
            topics.add(topicResponse.setPartitionResponses(results));
        }
        ProduceResponse response = new ProduceResponse().setResponses(topics);
        if (acks == 0) {
            // No response, but a failed write closes the connection, as Kafka does: it is the only
            // way an acks=0 producer learns to refresh its metadata.
            return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
                String failure = firstError(response);
                if (failure != null) {
                    throw new RequestDispatcher.CloseConnectionException("acks=0 produce failed: " + failure);
                }
                return null;
            });
        }
        CompletableFuture<Void> written = CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]));
        if (acks == 1) {
            return written.thenApply(v -> response);
        }
        return written.thenCompose(v -> {
            if (awaiting.isEmpty()) {
                return CompletableFuture.completedFuture(response);
            }
            List<Awaiting> waits = List.copyOf(awaiting);
            return delayed.await(waits.stream().map(Awaiting::appended).toList(), request.timeoutMs()).thenApply(errors -> {
                for (int i = 0; i < errors.size(); i++) {
                    if (errors.get(i) != ErrorCode.NONE) {
                        waits.get(i).result().setErrorCode(errors.get(i).code());
                    }
                }
                return response;
            });
        });
    }

    /**
     * The verification a producer's first transactional write to a partition needs (KIP-890): the
     * partition hands out a guard, the transaction coordinator confirms the partition is in the
     * producer's transaction (or, for Produce v12+, a transactions-v2 producer's, adds it), and the
     * append must still find that guard. Fails with the coordinator's error as an
     * {@link AppendException}.
     */
    private CompletableFuture<VerificationGuard> verified(RequestContext context, String transactionalId, String topic,
                                                          Partition partition, MemoryRecords records) {
        RecordBatch first = null;
        try {
            for (RecordBatch batch : records.batches()) {
                first = batch;
                break;
            }
        } catch (CorruptRecordException e) {
            // Not verified: the partition's validation refuses the records with CORRUPT_MESSAGE.
            return CompletableFuture.completedFuture(VerificationGuard.NONE);
        }
        if (first == null || !first.isTransactional() || verifier == null || !verifier.enabled()) {
            return CompletableFuture.completedFuture(VerificationGuard.NONE);
        }
        long producerId = first.producerId();
        short epoch = first.producerEpoch();
        int index = partition.index();
        return partition.startVerification(producerId, epoch, context.version() >= 12).thenCompose(guard -> {
            if (guard == VerificationGuard.NONE) {
                return CompletableFuture.completedFuture(guard);
            }
            return verifier.verify(transactionalId, producerId, epoch, Map.of(topic, Set.of(index)),
                context.version() >= 12).thenApply(errors -> {
                    ErrorCode error = errors.get(topic).get(index);
                    if (error != ErrorCode.NONE) {
                        throw new AppendException(error, topic + "-" + index + " is not in the open transaction of "
                            + transactionalId + " (producer id " + producerId + ", epoch " + epoch + "): " + error);
                    }
                    return guard;
                });
        });
    }

    /** A partition's answer, held back until its {@code acks=all} write is committed. */
    private record Awaiting(ProduceResponse.PartitionProduceResponse result, DelayedProduces.Appended appended) {
    }

    private static String firstError(ProduceResponse response) {
        for (ProduceResponse.TopicProduceResponse t : response.responses()) {
            for (ProduceResponse.PartitionProduceResponse p : t.partitionResponses()) {
                if (p.errorCode() != 0) {
                    return ErrorCode.forCode(p.errorCode()) + " for " + (t.name().isEmpty() ? t.topicId() : t.name())
                        + "-" + p.index();
                }
            }
        }
        return null;
    }

    @Override
    public ProduceResponse errorResponse(ProduceRequest request, ErrorCode error) {
        List<ProduceResponse.TopicProduceResponse> topics = new ArrayList<>();
        for (ProduceRequest.TopicProduceData t : request.topicData()) {
            List<ProduceResponse.PartitionProduceResponse> results = new ArrayList<>();
            for (ProduceRequest.PartitionProduceData p : t.partitionData()) {
                results.add(new ProduceResponse.PartitionProduceResponse().setIndex(p.index()).setErrorCode(error.code())
                    .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1));
            }
            topics.add(new ProduceResponse.TopicProduceResponse().setName(t.name()).setTopicId(t.topicId())
                .setPartitionResponses(results));
        }
        return new ProduceResponse().setResponses(topics);
    }
}
