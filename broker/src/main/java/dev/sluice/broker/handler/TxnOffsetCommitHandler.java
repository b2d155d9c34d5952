package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.txn.TransactionVerifier;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.TxnOffsetCommitRequest;
import dev.sluice.wire.message.TxnOffsetCommitResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * TxnOffsetCommit (key 28), v0-6: a transactional producer commits a group's offsets as part of
 * its transaction (KIP-98; the consumer's group metadata from v3, KIP-447). The offsets are written
 * to the group's {@code __consumer_offsets} partition as the producer's transactional batch before
 * the answer, and stay pending: OffsetFetch does not return them until the transaction coordinator's
 * COMMIT marker reaches that partition (an ABORT drops them).
 *
 * <p>Checks, as Kafka: an empty group id is INVALID_GROUP_ID; a topic or partition that does not
 * exist UNKNOWN_TOPIC_OR_PARTITION (from v6 topics are named by id, KIP-1319, and an unknown id is
 * UNKNOWN_TOPIC_ID); metadata longer than {@code offset.metadata.max.bytes}
 * OFFSET_METADATA_TOO_LARGE. With a member or generation (v3+) the member is checked as for
 * OffsetCommit (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION); without them (v0-2,
 * generation -1) the commit is accepted, creating a simple group when there is none; a group that
 * does not exist with a generation is GROUP_ID_NOT_FOUND and a consumer group member's stale epoch
 * STALE_MEMBER_EPOCH from v6, both ILLEGAL_GENERATION before. A producer epoch older than the one the
 * group coordinator holds pending offsets of is INVALID_PRODUCER_EPOCH, and the partition's own
 * producer-state refusals (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED...) reach the client as they are.
 * The coordinator's state answers NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or
 * COORDINATOR_NOT_AVAILABLE for every partition.
 *
 * <p>Before writing, the transaction coordinator is asked (KIP-890): up to v4 whether the group's
 * {@code __consumer_offsets} partition is in the producer's open transaction (AddOffsetsToTxn put
 * it there; INVALID_TXN_STATE if not); from v5 (transactions v2, where producers no longer send
 * AddOffsetsToTxn) to add it. The coordinator's passing conditions are answered as
 * COORDINATOR_LOAD_IN_PROGRESS, which producers retry. No ACLs, so no
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED or GROUP_AUTHORIZATION_FAILED.
 */
public final class TxnOffsetCommitHandler extends ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;
    private final TransactionVerifier verifier;

    /** @param verifier asks the transaction coordinator about the producer's transaction; null to trust the producer */
    public TxnOffsetCommitHandler(GroupCoordinator coordinator, MetadataView view, TransactionVerifier verifier) {
        super(ApiKey.TXN_OFFSET_COMMIT, 0, 6);
        this.coordinator = coordinator;
        this.view = view;
        this.verifier = verifier;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<TxnOffsetCommitResponse> handle(RequestContext context, TxnOffsetCommitRequest request) {
        if (!(context.allowed(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, request.transactionalId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
        }
        if (!(context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        boolean byId = context.version() >= 6;
        MetadataImage image = view.image();
        List<TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic> topics = new ArrayList<>();
        List<TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition> pending = new ArrayList<>();
        List<GroupCoordinator.OffsetToCommit> offsets = new ArrayList<>();
        for (TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic t : request.topics()) {
            TopicImage topic = (byId ? image.topic(t.topicId()) : image.topic(t.name())).orElse(null);
            String name = topic != null ? topic.name() : byId ? null : t.name();
            List<TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition> results = new ArrayList<>();
            for (TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition p : t.partitions()) {
                TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition r =
                    new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                results.add(r);
                if (name != null && !context.allowed(AclOperation.READ, AclResourceType.TOPIC, name)) {
                    r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                } else if (topic == null) {
                    r.setErrorCode((byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).code());
                } else if (p.partitionIndex() < 0 || p.partitionIndex() >= topic.partitions().size()) {
                    r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else {
                    pending.add(r);
                    offsets.add(new GroupCoordinator.OffsetToCommit(topic.name(), p.partitionIndex(),
                        p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata()));
                }
            }
            topics.add(new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic().setName(t.name())
                .setTopicId(t.topicId()).setPartitions(results));
        }
        TxnOffsetCommitResponse response = new TxnOffsetCommitResponse().setTopics(topics);
        if (offsets.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        return verified(context.version(), request).thenCompose(error -> {
            if (error != ErrorCode.NONE) {
                pending.forEach(r -> r.setErrorCode(error.code()));
                return CompletableFuture.completedFuture(response);
            }
            return coordinator.commitTransactionalOffsets(request.groupId(), request.memberId(),
                request.groupInstanceId(), request.generationIdOrMemberEpoch(), request.producerId(),
                request.producerEpoch(), offsets)
                .thenApply(errors -> {
                    for (int i = 0; i < errors.size(); i++) {
                        pending.get(i).setErrorCode(versioned(errors.get(i), context.version()).code());
                    }
                    return response;
                });
        });
    }

    /** Before v6 (KIP-1319) a missing group and a stale member epoch were both ILLEGAL_GENERATION. */
    private static ErrorCode versioned(ErrorCode error, short version) {
        boolean old = version < 6 && (error == ErrorCode.GROUP_ID_NOT_FOUND || error == ErrorCode.STALE_MEMBER_EPOCH);
        return old ? ErrorCode.ILLEGAL_GENERATION : error;
    }

    /** NONE once the transaction coordinator holds the group's offsets partition in the producer's transaction. */
    private CompletableFuture<ErrorCode> verified(short version, TxnOffsetCommitRequest request) {
        boolean add = version >= 5;
        if (verifier == null || !add && !verifier.enabled()) {
            return CompletableFuture.completedFuture(ErrorCode.NONE);
        }
        int partition = coordinator.partitionFor(request.groupId());
        return verifier.ask(request.transactionalId(), request.producerId(), request.producerEpoch(),
            Map.of(GroupCoordinator.TOPIC, Set.of(partition)), add).thenApply(errors -> {
                ErrorCode e = errors.get(GroupCoordinator.TOPIC).get(partition);
                return switch (e) {
                    case NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, CONCURRENT_TRANSACTIONS ->
                        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
                    case PRODUCER_FENCED -> version < 3 ? ErrorCode.INVALID_PRODUCER_EPOCH : e;
                    default -> e;
                };
            });
    }

    @Override
    public TxnOffsetCommitResponse errorResponse(TxnOffsetCommitRequest request, ErrorCode error) {
        List<TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic> topics = new ArrayList<>();
        for (TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic t : request.topics()) {
            List<TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition> results = new ArrayList<>();
            for (TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition p : t.partitions()) {
                results.add(new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition()
                    .setPartitionIndex(p.partitionIndex()).setErrorCode(error.code()));
            }
            topics.add(new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic().setName(t.name())
                .setTopicId(t.topicId()).setPartitions(results));
        }
        return new TxnOffsetCommitResponse().setTopics(topics);
    }
}
