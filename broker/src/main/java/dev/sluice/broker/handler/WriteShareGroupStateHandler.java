package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.share.ShareCoordinator;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.broker.share.StateBatches;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.WriteShareGroupStateRequest;
import dev.sluice.wire.message.WriteShareGroupStateResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * WriteShareGroupState (key 85), v0-1: a share-partition leader writes what changed in a
 * share-partition's delivery state (records acknowledged, released, archived, a moved start offset;
 * from v1 the count of completed offsets), merged into the durable state; fenced by leader and
 * state epoch (see {@link ShareCoordinator}). Brokers only: CLUSTER_ACTION on the cluster.
 */
public final class WriteShareGroupStateHandler
        extends ApiHandler<WriteShareGroupStateRequest, WriteShareGroupStateResponse> {
    private final ShareCoordinator coordinator;

    public WriteShareGroupStateHandler(ShareCoordinator coordinator) {
        super(ApiKey.WRITE_SHARE_GROUP_STATE, 0, 1);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<WriteShareGroupStateResponse> handle(RequestContext context,
                                                                      WriteShareGroupStateRequest request) {
        if (!context.allowedOnCluster(AclOperation.CLUSTER_ACTION)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        List<CompletableFuture<?>> pending = new ArrayList<>();
        List<WriteShareGroupStateResponse.WriteStateResult> results = new ArrayList<>();
        for (WriteShareGroupStateRequest.WriteStateData t : request.topics()) {
            List<WriteShareGroupStateResponse.PartitionResult> partitions = new ArrayList<>();
            for (WriteShareGroupStateRequest.PartitionData p : t.partitions()) {
                WriteShareGroupStateResponse.PartitionResult r =
                    new WriteShareGroupStateResponse.PartitionResult().setPartition(p.partition());
                partitions.add(r);
                SharePartitionKey key = new SharePartitionKey(request.groupId(), t.topicId(), p.partition());
                List<StateBatches.Batch> batches = new ArrayList<>();
                for (WriteShareGroupStateRequest.StateBatch b : p.stateBatches()) {
                    if (b.lastOffset() < b.firstOffset()) {
                        r.setErrorCode(ErrorCode.INVALID_REQUEST.code())
                            .setErrorMessage("state batch " + b.firstOffset() + "-" + b.lastOffset() + " is empty");
                        batches = null;
                        break;
                    }
                    batches.add(new StateBatches.Batch(b.firstOffset(), b.lastOffset(), b.deliveryState(),
                        b.deliveryCount()));
                }
                if (batches != null) {
                    int complete = context.version() >= 1 ? p.deliveryCompleteCount() : -1;
                    pending.add(coordinator.write(key, p.stateEpoch(), p.leaderEpoch(), p.startOffset(), complete, batches)
                        .thenAccept(o -> r.setErrorCode(o.error().code()).setErrorMessage(o.message())));
                }
            }
            results.add(new WriteShareGroupStateResponse.WriteStateResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
            .thenApply(v -> new WriteShareGroupStateResponse().setResults(results));
    }

    @Override
    public WriteShareGroupStateResponse errorResponse(WriteShareGroupStateRequest request, ErrorCode error) {
        List<WriteShareGroupStateResponse.WriteStateResult> results = new ArrayList<>();
        for (WriteShareGroupStateRequest.WriteStateData t : request.topics()) {
            List<WriteShareGroupStateResponse.PartitionResult> partitions = new ArrayList<>();
            t.partitions().forEach(p -> partitions.add(new WriteShareGroupStateResponse.PartitionResult()
                .setPartition(p.partition()).setErrorCode(error.code())));
            results.add(new WriteShareGroupStateResponse.WriteStateResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return new WriteShareGroupStateResponse().setResults(results);
    }

}
