package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DeleteGroupsRequest;
import dev.sluice.wire.message.DeleteGroupsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DeleteGroups (key 42), v0-3: deletes each group that has no members, with its committed
 * offsets (tombstones in {@code __consumer_offsets}); NON_EMPTY_GROUP for a group with members,
 * GROUP_ID_NOT_FOUND for an unknown one.
 */
public final class DeleteGroupsHandler extends ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
    private final GroupCoordinator coordinator;

    public DeleteGroupsHandler(GroupCoordinator coordinator) {
        super(ApiKey.DELETE_GROUPS, 0, 3);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DeleteGroupsResponse> handle(RequestContext context, DeleteGroupsRequest request) {
        List<CompletableFuture<DeleteGroupsResponse.DeletableGroupResult>> results = new ArrayList<>();
        for (String groupId : request.groupsNames()) {
            if (groupId == null || groupId.isEmpty()) {
                results.add(CompletableFuture.completedFuture(result(groupId, ErrorCode.INVALID_GROUP_ID)));
            } else if (!context.allowed(AclOperation.DELETE, AclResourceType.GROUP, groupId)) {
                results.add(CompletableFuture.completedFuture(result(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED)));
            } else {
                results.add(coordinator.deleteGroup(groupId).thenApply(e -> result(groupId, e)));
            }
        }
        return CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).thenApply(v ->
            new DeleteGroupsResponse().setResults(results.stream().map(CompletableFuture::join).toList()));
    }

    private static DeleteGroupsResponse.DeletableGroupResult result(String groupId, ErrorCode error) {
        return new DeleteGroupsResponse.DeletableGroupResult().setGroupId(groupId == null ? "" : groupId)
            .setErrorCode(error.code());
    }

    @Override
    public DeleteGroupsResponse errorResponse(DeleteGroupsRequest request, ErrorCode error) {
        return new DeleteGroupsResponse().setResults(request.groupsNames().stream().map(g -> result(g, error)).toList());
    }
}
