package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.JoinGroupRequest;
import dev.sluice.wire.message.JoinGroupResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * JoinGroup (key 11), v0-9: joins a classic group and waits for the rebalance to complete (see
 * {@code ClassicGroup}). An empty group id is INVALID_GROUP_ID; v4+ joins without a member id are
 * answered MEMBER_ID_REQUIRED with the id to join again with (KIP-394).
 */
public final class JoinGroupHandler extends ApiHandler<JoinGroupRequest, JoinGroupResponse> {
    private final GroupCoordinator coordinator;

    public JoinGroupHandler(GroupCoordinator coordinator) {
        super(ApiKey.JOIN_GROUP, 0, 9);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<JoinGroupResponse> handle(RequestContext context, JoinGroupRequest request) {
        if (!(context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        return coordinator.joinGroup(request, context.version(), context.clientId(), context.clientHost());
    }

    @Override
    public JoinGroupResponse errorResponse(JoinGroupRequest request, ErrorCode error) {
        return new JoinGroupResponse().setErrorCode(error.code()).setGenerationId(-1).setProtocolName("").setLeader("")
            .setMemberId(request.memberId() == null ? "" : request.memberId()).setMembers(List.of());
    }
}
