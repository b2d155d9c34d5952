package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeGroupsRequest;
import dev.sluice.wire.message.DescribeGroupsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeGroups (key 15), v0-6: a classic group's state, protocol and members (subscription and
 * assignment bytes only while Stable). An unknown group is "Dead" (GROUP_ID_NOT_FOUND from v6); a
 * consumer (KIP-848) group is GROUP_ID_NOT_FOUND, which sends the Admin client to
 * ConsumerGroupDescribe.
 */
public final class DescribeGroupsHandler extends ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> {
    private final GroupCoordinator coordinator;

    public DescribeGroupsHandler(GroupCoordinator coordinator) {
        super(ApiKey.DESCRIBE_GROUPS, 0, 6);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeGroupsResponse> handle(RequestContext context, DescribeGroupsRequest request) {
        List<CompletableFuture<DescribeGroupsResponse.DescribedGroup>> groups = new ArrayList<>();
        for (String groupId : request.groups()) {
            if (groupId == null || groupId.isEmpty()) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.INVALID_GROUP_ID)));
            } else if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.GROUP, groupId)) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED)));
            } else {
                groups.add(coordinator.describeGroup(groupId, context.version()).thenApply(g ->
                    g.setAuthorizedOperations(AuthorizedOperations.group(context, groupId,
                        request.includeAuthorizedOperations()))));
            }
        }
        return CompletableFuture.allOf(groups.toArray(new CompletableFuture<?>[0])).thenApply(v ->
            new DescribeGroupsResponse().setGroups(groups.stream().map(CompletableFuture::join).toList()));
    }

    private static DescribeGroupsResponse.DescribedGroup failed(String groupId, ErrorCode error) {
        return new DescribeGroupsResponse.DescribedGroup().setGroupId(groupId == null ? "" : groupId)
            .setErrorCode(error.code()).setGroupState("").setProtocolType("").setProtocolData("").setMembers(List.of());
    }

    @Override
    public DescribeGroupsResponse errorResponse(DescribeGroupsRequest request, ErrorCode error) {
        return new DescribeGroupsResponse().setGroups(request.groups().stream().map(g -> failed(g, error)).toList());
    }
}
