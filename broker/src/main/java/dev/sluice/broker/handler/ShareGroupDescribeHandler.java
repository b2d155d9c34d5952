package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ShareGroupDescribeRequest;
import dev.sluice.wire.message.ShareGroupDescribeResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * ShareGroupDescribe (key 77), v1 (KIP-932): each share group's state, epochs, assignor and
 * members with their subscriptions and assignments, as {@code kafka-share-groups --describe} shows
 * them. Per group: GROUP_AUTHORIZATION_FAILED without DESCRIBE on it, GROUP_ID_NOT_FOUND for an
 * unknown group or one that is not a share group, TOPIC_AUTHORIZATION_FAILED when a member
 * subscribes to a topic the caller may not describe; UNSUPPORTED_VERSION while {@code share.version}
 * is 0.
 */
public final class ShareGroupDescribeHandler extends ApiHandler<ShareGroupDescribeRequest, ShareGroupDescribeResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public ShareGroupDescribeHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.SHARE_GROUP_DESCRIBE, 1, 1);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ShareGroupDescribeResponse> handle(RequestContext context, ShareGroupDescribeRequest request) {
        boolean off = Features.finalizedLevel(view.image(), Features.SHARE_VERSION) < 1;
        List<CompletableFuture<ShareGroupDescribeResponse.DescribedGroup>> groups = new ArrayList<>();
        for (String groupId : request.groupIds()) {
            if (off) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.UNSUPPORTED_VERSION)));
            } else if (groupId == null || groupId.isEmpty()) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.INVALID_GROUP_ID)));
            } else if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.GROUP, groupId)) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED)));
            } else {
                groups.add(coordinator.describeShareGroup(groupId).thenApply(g -> {
                    for (ShareGroupDescribeResponse.Member m : g.members()) {
                        for (String topic : m.subscribedTopicNames()) {
                            if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, topic)) {
                                return failed(groupId, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
                            }
                        }
                    }
                    return g.setAuthorizedOperations(AuthorizedOperations.group(context, groupId,
                        request.includeAuthorizedOperations()));
                }));
            }
        }
        return CompletableFuture.allOf(groups.toArray(new CompletableFuture<?>[0])).thenApply(v ->
            new ShareGroupDescribeResponse().setGroups(groups.stream().map(CompletableFuture::join).toList()));
    }

    private static ShareGroupDescribeResponse.DescribedGroup failed(String groupId, ErrorCode error) {
        return new ShareGroupDescribeResponse.DescribedGroup().setGroupId(groupId == null ? "" : groupId)
            .setErrorCode(error.code()).setGroupState("").setAssignorName("");
    }

    @Override
    public ShareGroupDescribeResponse errorResponse(ShareGroupDescribeRequest request, ErrorCode error) {
        return new ShareGroupDescribeResponse().setGroups(request.groupIds().stream().map(g -> failed(g, error))
            .toList());
    }
}
