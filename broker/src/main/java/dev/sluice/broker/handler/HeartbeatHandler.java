package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.HeartbeatRequest;
import dev.sluice.wire.message.HeartbeatResponse;
import java.util.concurrent.CompletableFuture;

/**
 * Heartbeat (key 12), v0-4: keeps a classic group member's session alive; REBALANCE_IN_PROGRESS
 * tells it to rejoin, UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / FENCED_INSTANCE_ID that it is out.
 */
public final class HeartbeatHandler extends ApiHandler<HeartbeatRequest, HeartbeatResponse> {
    private final GroupCoordinator coordinator;

    public HeartbeatHandler(GroupCoordinator coordinator) {
        super(ApiKey.HEARTBEAT, 0, 4);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<HeartbeatResponse> handle(RequestContext context, HeartbeatRequest request) {
        if (!(context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        return coordinator.heartbeat(request);
    }

    @Override
    public HeartbeatResponse errorResponse(HeartbeatRequest request, ErrorCode error) {
        return new HeartbeatResponse().setErrorCode(error.code());
    }
}
