package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.share.ShareCoordinator;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.DeleteShareGroupStateRequest;
import dev.sluice.wire.message.DeleteShareGroupStateResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DeleteShareGroupState (key 86), v0: deletes the durable state of share-partitions, when their
 * group is deleted or stops consuming the topic; a state that does not exist is no error. Brokers
 * only: CLUSTER_ACTION on the cluster.
 */
public final class DeleteShareGroupStateHandler
        extends ApiHandler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponse> {
    private final ShareCoordinator coordinator;

    public DeleteShareGroupStateHandler(ShareCoordinator coordinator) {
        super(ApiKey.DELETE_SHARE_GROUP_STATE, 0, 0);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DeleteShareGroupStateResponse> handle(RequestContext context,
                                                                      DeleteShareGroupStateRequest request) {
        if (!context.allowedOnCluster(AclOperation.CLUSTER_ACTION)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        List<CompletableFuture<?>> pending = new ArrayList<>();
        List<DeleteShareGroupStateResponse.DeleteStateResult> results = new ArrayList<>();
        for (DeleteShareGroupStateRequest.DeleteStateData t : request.topics()) {
            List<DeleteShareGroupStateResponse.PartitionResult> partitions = new ArrayList<>();
            for (DeleteShareGroupStateRequest.PartitionData p : t.partitions()) {
                DeleteShareGroupStateResponse.PartitionResult r =
                    new DeleteShareGroupStateResponse.PartitionResult().setPartition(p.partition());
                partitions.add(r);
                SharePartitionKey key = new SharePartitionKey(request.groupId(), t.topicId(), p.partition());
                pending.add(coordinator.delete(key)
                    .thenAccept(o -> r.setErrorCode(o.error().code()).setErrorMessage(o.message())));
            }
            results.add(new DeleteShareGroupStateResponse.DeleteStateResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
            .thenApply(v -> new DeleteShareGroupStateResponse().setResults(results));
    }

    @Override
    public DeleteShareGroupStateResponse errorResponse(DeleteShareGroupStateRequest request, ErrorCode error) {
        List<DeleteShareGroupStateResponse.DeleteStateResult> results = new ArrayList<>();
        for (DeleteShareGroupStateRequest.DeleteStateData t : request.topics()) {
            List<DeleteShareGroupStateResponse.PartitionResult> partitions = new ArrayList<>();
            t.partitions().forEach(p -> partitions.add(new DeleteShareGroupStateResponse.PartitionResult()
                .setPartition(p.partition()).setErrorCode(error.code())));
            results.add(new DeleteShareGroupStateResponse.DeleteStateResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return new DeleteShareGroupStateResponse().setResults(results);
    }

}
