package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.share.ShareCoordinator;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.InitializeShareGroupStateRequest;
import dev.sluice.wire.message.InitializeShareGroupStateResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * InitializeShareGroupState (key 83), v0: a share-partition leader starts the durable state of a
 * share-partition at a state epoch and start offset, replacing any older one (see
 * {@link ShareCoordinator}). Brokers only: CLUSTER_ACTION on the cluster.
 */
public final class InitializeShareGroupStateHandler
        extends ApiHandler<InitializeShareGroupStateRequest, InitializeShareGroupStateResponse> {
    private final ShareCoordinator coordinator;

    public InitializeShareGroupStateHandler(ShareCoordinator coordinator) {
        super(ApiKey.INITIALIZE_SHARE_GROUP_STATE, 0, 0);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<InitializeShareGroupStateResponse> handle(RequestContext context,
                                                                      InitializeShareGroupStateRequest request) {
        if (!context.allowedOnCluster(AclOperation.CLUSTER_ACTION)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        List<CompletableFuture<?>> pending = new ArrayList<>();
        List<InitializeShareGroupStateResponse.InitializeStateResult> results = new ArrayList<>();
        for (InitializeShareGroupStateRequest.InitializeStateData t : request.topics()) {
            List<InitializeShareGroupStateResponse.PartitionResult> partitions = new ArrayList<>();
            for (InitializeShareGroupStateRequest.PartitionData p : t.partitions()) {
                InitializeShareGroupStateResponse.PartitionResult r =
                    new InitializeShareGroupStateResponse.PartitionResult().setPartition(p.partition());
                partitions.add(r);
                SharePartitionKey key = new SharePartitionKey(request.groupId(), t.topicId(), p.partition());
                pending.add(coordinator.initialize(key, p.stateEpoch(), p.startOffset())
                    .thenAccept(o -> r.setErrorCode(o.error().code()).setErrorMessage(o.message())));
            }
            results.add(new InitializeShareGroupStateResponse.InitializeStateResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
            .thenApply(v -> new InitializeShareGroupStateResponse().setResults(results));
    }

    @Override
    public InitializeShareGroupStateResponse errorResponse(InitializeShareGroupStateRequest request, ErrorCode error) {
        List<InitializeShareGroupStateResponse.InitializeStateResult> results = new ArrayList<>();
        for (InitializeShareGroupStateRequest.InitializeStateData t : request.topics()) {
            List<InitializeShareGroupStateResponse.PartitionResult> partitions = new ArrayList<>();
            t.partitions().forEach(p -> partitions.add(new InitializeShareGroupStateResponse.PartitionResult()
                .setPartition(p.partition()).setErrorCode(error.code())));
            results.add(new InitializeShareGroupStateResponse.InitializeStateResult().setTopicId(t.topicId())
                .setPartitions(partitions));
        }
        return new InitializeShareGroupStateResponse().setResults(results);
    }

}
