package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.share.ShareCoordinator;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.broker.share.StateBatches;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ReadShareGroupStateRequest;
import dev.sluice.wire.message.ReadShareGroupStateResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * ReadShareGroupState (key 84), v0: a share-partition leader reads the durable state of a
 * share-partition when it starts leading it: state epoch, start offset and the delivery state of
 * the offsets past it. A newer leader epoch is recorded, fencing the previous leader's writes (see
 * {@link ShareCoordinator}). Brokers only: CLUSTER_ACTION on the cluster.
 */
public final class ReadShareGroupStateHandler
        extends ApiHandler<ReadShareGroupStateRequest, ReadShareGroupStateResponse> {
    private final ShareCoordinator coordinator;

    public ReadShareGroupStateHandler(ShareCoordinator coordinator) {
        super(ApiKey.READ_SHARE_GROUP_STATE, 0, 0);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ReadShareGroupStateResponse> handle(RequestContext context,
                                                                      ReadShareGroupStateRequest request) {
        if (!context.allowedOnCluster(AclOperation.CLUSTER_ACTION)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        List<CompletableFuture<?>> pending = new ArrayList<>();
        List<ReadShareGroupStateResponse.ReadStateResult> results = new ArrayList<>();
        for (ReadShareGroupStateRequest.ReadStateData t : request.topics()) {
            List<ReadShareGroupStateResponse.PartitionResult> partitions = new ArrayList<>();
            for (ReadShareGroupStateRequest.PartitionData p : t.partitions()) {
                ReadShareGroupStateResponse.PartitionResult r =
                    new ReadShareGroupStateResponse.PartitionResult().setPartition(p.partition());
                partitions.add(r);
                SharePartitionKey key = new SharePartitionKey(request.groupId(), t.topicId(), p.partition());
                pending.add(coordinator.read(key, p.leaderEpoch()).thenAccept(o -> {
                    r.setErrorCode(o.error().code()).setErrorMessage(o.message());
                    if (o.state() != null) {
                        List<ReadShareGroupStateResponse.StateBatch> batches = new ArrayList<>();
                        for (StateBatches.Batch b : o.state().batches()) {
                            batches.add(new ReadShareGroupStateResponse.StateBatch().setFirstOffset(b.firstOffset())
                                .setLastOffset(b.lastOffset()).setDeliveryState(b.deliveryState())
                                .setDeliveryCount(b.deliveryCount()));
                        }
                        r.setStateEpoch(o.state().stateEpoch()).setStartOffset(o.state().startOffset())
                            .setStateBatches(batches);
                    }
                }));
            }
            results.add(new ReadShareGroupStateResponse.ReadStateResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
            .thenApply(v -> new ReadShareGroupStateResponse().setResults(results));
    }

    @Override
    public ReadShareGroupStateResponse errorResponse(ReadShareGroupStateRequest request, ErrorCode error) {
        List<ReadShareGroupStateResponse.ReadStateResult> results = new ArrayList<>();
        for (ReadShareGroupStateRequest.ReadStateData t : request.topics()) {
            List<ReadShareGroupStateResponse.PartitionResult> partitions = new ArrayList<>();
            t.partitions().forEach(p -> partitions.add(new ReadShareGroupStateResponse.PartitionResult()
                .setPartition(p.partition()).setErrorCode(error.code())));
            results.add(new ReadShareGroupStateResponse.ReadStateResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return new ReadShareGroupStateResponse().setResults(results);
    }

}
