package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.LeaveGroupRequest;
import dev.sluice.wire.message.LeaveGroupResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * LeaveGroup (key 13), v0-5: one member (v0-2) or a batch of members by member id or
 * {@code group.instance.id} (v3+, KIP-345), each answered on its own; the rest of the group
 * rebalances.
 */
public final class LeaveGroupHandler extends ApiHandler<LeaveGroupRequest, LeaveGroupResponse> {
    private final GroupCoordinator coordinator;

    public LeaveGroupHandler(GroupCoordinator coordinator) {
        super(ApiKey.LEAVE_GROUP, 0, 5);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<LeaveGroupResponse> handle(RequestContext context, LeaveGroupRequest request) {
        if (!(context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        return coordinator.leaveGroup(request, context.version());
    }

    @Override
    public LeaveGroupResponse errorResponse(LeaveGroupRequest request, ErrorCode error) {
        List<LeaveGroupResponse.MemberResponse> members = new ArrayList<>();
        for (LeaveGroupRequest.MemberIdentity m : request.members()) {
            members.add(new LeaveGroupResponse.MemberResponse().setMemberId(m.memberId())
                .setGroupInstanceId(m.groupInstanceId()).setErrorCode(error.code()));
        }
        return new LeaveGroupResponse().setErrorCode(error.code()).setMembers(members);
    }
}
