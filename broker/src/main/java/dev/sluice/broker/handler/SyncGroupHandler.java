package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.SyncGroupRequest;
import dev.sluice.wire.message.SyncGroupResponse;
import java.util.concurrent.CompletableFuture;

/**
 * SyncGroup (key 14), v0-5: the leader hands in the assignment, which is written to
 * {@code __consumer_offsets} before every member of the generation gets its share; followers wait
 * for it. v5+ requests naming another protocol type or name get INCONSISTENT_GROUP_PROTOCOL.
 */
public final class SyncGroupHandler extends ApiHandler<SyncGroupRequest, SyncGroupResponse> {
    private final GroupCoordinator coordinator;

    public SyncGroupHandler(GroupCoordinator coordinator) {
        super(ApiKey.SYNC_GROUP, 0, 5);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<SyncGroupResponse> handle(RequestContext context, SyncGroupRequest request) {
        if (!(context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        return coordinator.syncGroup(request);
    }

    @Override
    public SyncGroupResponse errorResponse(SyncGroupRequest request, ErrorCode error) {
        return new SyncGroupResponse().setErrorCode(error.code()).setAssignment(new byte[0]);
    }
}
