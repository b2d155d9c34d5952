package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.TxnOffsetCommitRequest;
import dev.sluice.wire.message.TxnOffsetCommitResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * TxnOffsetCommit (key 28), v0-5: a transactional producer commits a group's offsets as part of
 * its transaction (KIP-98; the consumer's group metadata from v3, KIP-447). The offsets are written
 * to the group's {@code __consumer_offsets} partition as the producer's transactional batch before
 * the answer, and stay pending: OffsetFetch does not return them until the transaction coordinator's
 * COMMIT marker reaches that partition (an ABORT drops them).
 *
 * <p>Checks, as Kafka: an empty group id is INVALID_GROUP_ID; a topic or partition that does not
 * exist UNKNOWN_TOPIC_OR_PARTITION; metadata longer than {@code offset.metadata.max.bytes}
 * OFFSET_METADATA_TOO_LARGE. With a member or generation (v3+) the member is checked as for
 * OffsetCommit (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION); without them (v0-2,
 * generation -1) the commit is accepted, creating a simple group when there is none; a group that
 * does not exist with a generation is ILLEGAL_GENERATION. A producer epoch older than the one the
 * group coordinator holds pending offsets of is INVALID_PRODUCER_EPOCH, and the partition's own
 * producer-state refusals (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED...) reach the client as they are.
 * The coordinator's state answers NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or
 * COORDINATOR_NOT_AVAILABLE for every partition.
 *
 * <p>Knowingly not done: v5's implicit AddOffsetsToTxn (transactions V2, KIP-890 part 2: the group
 * coordinator would add the offsets partition to the transaction itself); clients use v5 inside a
 * transaction only once {@code transaction.version} 2 is finalized. No ACLs, so no
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED or GROUP_AUTHORIZATION_FAILED.
 */
public final class TxnOffsetCommitHandler extends ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public TxnOffsetCommitHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.TXN_OFFSET_COMMIT, 0, 5);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    public CompletableFuture<TxnOffsetCommitResponse> handle(RequestContext context, TxnOffsetCommitRequest request) {
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        MetadataImage image = view.image();
        List<TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic> topics = new ArrayList<>();
        List<TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition> pending = new ArrayList<>();
        List<GroupCoordinator.OffsetToCommit> offsets = new ArrayList<>();
        for (TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic t : request.topics()) {
            TopicImage topic = image.topic(t.name()).orElse(null);
            List<TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition> results = new ArrayList<>();
            for (TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition p : t.partitions()) {
                TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition r =
                    new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                results.add(r);
                if (topic == null || p.partitionIndex() < 0 || p.partitionIndex() >= topic.partitions().size()) {
                    r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else {
                    pending.add(r);
                    offsets.add(new GroupCoordinator.OffsetToCommit(topic.name(), p.partitionIndex(),
                        p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata()));
                }
            }
            topics.add(new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic().setName(t.name())
                .setPartitions(results));
        }
        TxnOffsetCommitResponse response = new TxnOffsetCommitResponse().setTopics(topics);
        if (offsets.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        return coordinator.commitTransactionalOffsets(request.groupId(), request.memberId(), request.groupInstanceId(),
            request.generationId(), request.producerId(), request.producerEpoch(), offsets).thenApply(errors -> {
                for (int i = 0; i < errors.size(); i++) {
                    pending.get(i).setErrorCode(errors.get(i).code());
                }
                return response;
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
                .setPartitions(results));
        }
        return new TxnOffsetCommitResponse().setTopics(topics);
    }
}
