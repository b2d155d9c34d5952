package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.storage.LeaderEpochCheckpoint;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.OffsetForLeaderEpochRequest;
import dev.sluice.wire.message.OffsetForLeaderEpochResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * OffsetForLeaderEpoch (key 23), v2-4: the end offset of the largest leader epoch not greater than
 * the one asked for, which consumers use to detect log truncation after a leader change. Answered
 * from the partition's leader-epoch checkpoint by Kafka's rules: the latest epoch ends at the log
 * end offset; an older one where the next higher epoch starts; one older than every known epoch
 * (requested epoch, first epoch's start offset); a newer or negative one is undefined (-1, -1).
 * Requests from replicas (replica id) are answered the same way.
 */
public final class OffsetForLeaderEpochHandler
        extends ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> {
    private final PartitionLookup lookup;

    public OffsetForLeaderEpochHandler(MetadataView view, Partitions partitions) {
        super(ApiKey.OFFSET_FOR_LEADER_EPOCH, 2, 4);
        this.lookup = new PartitionLookup(view, partitions);
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<OffsetForLeaderEpochResponse> handle(RequestContext context,
                                                                   OffsetForLeaderEpochRequest request) {
        List<OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult> topics = new ArrayList<>();
        // Followers need CLUSTER_ACTION; consumers DESCRIBE on each topic.
        boolean follower = request.replicaId() >= 0;
        boolean clusterAction = follower && context.allowedOnCluster(AclOperation.CLUSTER_ACTION);
        for (OffsetForLeaderEpochRequest.OffsetForLeaderTopic t : request.topics()) {
            boolean allowed = follower ? clusterAction
                : context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, t.topic());
            List<OffsetForLeaderEpochResponse.EpochEndOffset> results = new ArrayList<>();
            for (OffsetForLeaderEpochRequest.OffsetForLeaderPartition p : t.partitions()) {
                OffsetForLeaderEpochResponse.EpochEndOffset r = new OffsetForLeaderEpochResponse.EpochEndOffset()
                    .setPartition(p.partition()).setLeaderEpoch(-1).setEndOffset(-1);
                results.add(r);
                if (!allowed) {
                    r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                    continue;
                }
                PartitionLookup.Found found = lookup.find(t.topic(), p.partition(), p.currentLeaderEpoch(),
                    request.replicaId() >= 0);
                if (found.error() != ErrorCode.NONE) {
                    r.setErrorCode(found.error().code());
                    continue;
                }
                LeaderEpochCheckpoint.EpochEnd end = found.partition().endOffsetForEpoch(p.leaderEpoch());
                r.setLeaderEpoch(end.epoch()).setEndOffset(end.endOffset());
            }
            topics.add(new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult().setTopic(t.topic())
                .setPartitions(results));
        }
        return CompletableFuture.completedFuture(new OffsetForLeaderEpochResponse().setTopics(topics));
    }

    @Override
    public OffsetForLeaderEpochResponse errorResponse(OffsetForLeaderEpochRequest request, ErrorCode error) {
        List<OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult> topics = new ArrayList<>();
        for (OffsetForLeaderEpochRequest.OffsetForLeaderTopic t : request.topics()) {
            List<OffsetForLeaderEpochResponse.EpochEndOffset> results = new ArrayList<>();
            for (OffsetForLeaderEpochRequest.OffsetForLeaderPartition p : t.partitions()) {
                results.add(new OffsetForLeaderEpochResponse.EpochEndOffset().setPartition(p.partition())
                    .setErrorCode(error.code()).setLeaderEpoch(-1).setEndOffset(-1));
            }
            topics.add(new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult().setTopic(t.topic())
                .setPartitions(results));
        }
        return new OffsetForLeaderEpochResponse().setTopics(topics);
    }
}
