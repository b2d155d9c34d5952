package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ConsumerGroupDescribeRequest;
import dev.sluice.wire.message.ConsumerGroupDescribeResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * ConsumerGroupDescribe (key 69), v0-1: a consumer (KIP-848) group's epochs, assignor and members
 * with their current and target assignments. An unknown group, or a classic one, is
 * GROUP_ID_NOT_FOUND.
 */
public final class ConsumerGroupDescribeHandler
        extends ApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> {
    private final GroupCoordinator coordinator;

    public ConsumerGroupDescribeHandler(GroupCoordinator coordinator) {
        super(ApiKey.CONSUMER_GROUP_DESCRIBE, 0, 1);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ConsumerGroupDescribeResponse> handle(RequestContext context,
                                                                  ConsumerGroupDescribeRequest request) {
        List<CompletableFuture<ConsumerGroupDescribeResponse.DescribedGroup>> groups = new ArrayList<>();
        for (String groupId : request.groupIds()) {
            if (groupId == null || groupId.isEmpty()) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.INVALID_GROUP_ID)));
            } else if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.GROUP, groupId)) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED)));
            } else {
                groups.add(coordinator.describeConsumerGroup(groupId).thenApply(g ->
                    g.setAuthorizedOperations(AuthorizedOperations.group(context, groupId,
                        request.includeAuthorizedOperations()))));
            }
        }
        return CompletableFuture.allOf(groups.toArray(new CompletableFuture<?>[0])).thenApply(v ->
            new ConsumerGroupDescribeResponse().setGroups(groups.stream().map(CompletableFuture::join).toList()));
    }

    private static ConsumerGroupDescribeResponse.DescribedGroup failed(String groupId, ErrorCode error) {
        return new ConsumerGroupDescribeResponse.DescribedGroup().setGroupId(groupId == null ? "" : groupId)
            .setErrorCode(error.code()).setGroupState("").setAssignorName("");
    }

    @Override
    public ConsumerGroupDescribeResponse errorResponse(ConsumerGroupDescribeRequest request, ErrorCode error) {
        return new ConsumerGroupDescribeResponse().setGroups(request.groupIds().stream().map(g -> failed(g, error))
            .toList());
    }
}
