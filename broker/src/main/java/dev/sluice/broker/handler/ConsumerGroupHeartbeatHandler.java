package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ConsumerGroupHeartbeatRequest;
import dev.sluice.wire.message.ConsumerGroupHeartbeatResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.concurrent.CompletableFuture;

/**
 * ConsumerGroupHeartbeat (key 68), v0-1: the KIP-848 consumer protocol. Members join with epoch
 * 0, heartbeat their subscription (topic names, or a regular expression from v1) and owned
 * partitions, and leave with epoch -1 (-2 for a static member); the coordinator assigns on the
 * server (see {@code ConsumerGroup}). UNSUPPORTED_VERSION while the consumer protocol is off:
 * {@code group.coordinator.rebalance.protocols} without {@code consumer}, or {@code group.version}
 * finalized at 0 in the cluster.
 */
public final class ConsumerGroupHeartbeatHandler
        extends ApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public ConsumerGroupHeartbeatHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.CONSUMER_GROUP_HEARTBEAT, 0, 1);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ConsumerGroupHeartbeatResponse> handle(RequestContext context,
                                                                   ConsumerGroupHeartbeatRequest request) {
        if (!(context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        if (!coordinator.config().consumerEnabled() || Features.finalizedLevel(view.image(), Features.GROUP_VERSION) < 1) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.UNSUPPORTED_VERSION));
        }
        return coordinator.consumerGroupHeartbeat(request, context.clientId(), context.clientHost());
    }

    @Override
    public ConsumerGroupHeartbeatResponse errorResponse(ConsumerGroupHeartbeatRequest request, ErrorCode error) {
        return new ConsumerGroupHeartbeatResponse().setErrorCode(error.code()).setMemberEpoch(-1);
    }
}
