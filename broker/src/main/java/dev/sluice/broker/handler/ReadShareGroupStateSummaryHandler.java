package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.share.ShareCoordinator;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ReadShareGroupStateSummaryRequest;
import dev.sluice.wire.message.ReadShareGroupStateSummaryResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * ReadShareGroupStateSummary (key 87), v0-1: a share-partition's state epoch, leader epoch, start
 * offset and (v1) count of completed offsets, without the delivery state of each range: what
 * describing a share group's offsets needs. A state never initialized reads as start offset -1.
 * Brokers only: CLUSTER_ACTION on the cluster.
 */
public final class ReadShareGroupStateSummaryHandler
        extends ApiHandler<ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponse> {
    private final ShareCoordinator coordinator;

    public ReadShareGroupStateSummaryHandler(ShareCoordinator coordinator) {
        super(ApiKey.READ_SHARE_GROUP_STATE_SUMMARY, 0, 1);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ReadShareGroupStateSummaryResponse> handle(RequestContext context,
                                                                      ReadShareGroupStateSummaryRequest request) {
        if (!context.allowedOnCluster(AclOperation.CLUSTER_ACTION)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        List<CompletableFuture<?>> pending = new ArrayList<>();
        List<ReadShareGroupStateSummaryResponse.ReadStateSummaryResult> results = new ArrayList<>();
        for (ReadShareGroupStateSummaryRequest.ReadStateSummaryData t : request.topics()) {
            List<ReadShareGroupStateSummaryResponse.PartitionResult> partitions = new ArrayList<>();
            for (ReadShareGroupStateSummaryRequest.PartitionData p : t.partitions()) {
                ReadShareGroupStateSummaryResponse.PartitionResult r =
                    new ReadShareGroupStateSummaryResponse.PartitionResult().setPartition(p.partition());
                partitions.add(r);
                SharePartitionKey key = new SharePartitionKey(request.groupId(), t.topicId(), p.partition());
                pending.add(coordinator.summary(key).thenAccept(o -> {
                    r.setErrorCode(o.error().code()).setErrorMessage(o.message());
                    if (o.state() != null) {
                        r.setStateEpoch(o.state().stateEpoch()).setLeaderEpoch(o.state().leaderEpoch())
                            .setStartOffset(o.state().startOffset());
                        if (context.version() >= 1) {
                            r.setDeliveryCompleteCount(o.state().deliveryCompleteCount());
                        }
                    }
                }));
            }
            results.add(new ReadShareGroupStateSummaryResponse.ReadStateSummaryResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
            .thenApply(v -> new ReadShareGroupStateSummaryResponse().setResults(results));
    }

    @Override
    public ReadShareGroupStateSummaryResponse errorResponse(ReadShareGroupStateSummaryRequest request, ErrorCode error) {
        List<ReadShareGroupStateSummaryResponse.ReadStateSummaryResult> results = new ArrayList<>();
        for (ReadShareGroupStateSummaryRequest.ReadStateSummaryData t : request.topics()) {
            List<ReadShareGroupStateSummaryResponse.PartitionResult> partitions = new ArrayList<>();
            t.partitions().forEach(p -> partitions.add(new ReadShareGroupStateSummaryResponse.PartitionResult()
                .setPartition(p.partition()).setErrorCode(error.code())));
            results.add(new ReadShareGroupStateSummaryResponse.ReadStateSummaryResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return new ReadShareGroupStateSummaryResponse().setResults(results);
    }

}
