package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ShareGroupHeartbeatRequest;
import dev.sluice.wire.message.ShareGroupHeartbeatResponse;
import java.util.concurrent.CompletableFuture;

/**
 * ShareGroupHeartbeat (key 76), v1 (KIP-932): a share group member joins with epoch 0 and the
 * member id it generated, heartbeats its subscription, and leaves with epoch -1; the coordinator
 * assigns partitions with the {@code simple} assignor, a partition to several members when there
 * are more members than partitions (see {@code ShareGroup}). Checks in Kafka's order: the
 * {@code share.version} feature (UNSUPPORTED_VERSION in the response while it is 0), READ on the
 * group, the member id, DESCRIBE on each subscribed topic (else TOPIC_AUTHORIZATION_FAILED).
 */
public final class ShareGroupHeartbeatHandler
        extends ApiHandler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public ShareGroupHeartbeatHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.SHARE_GROUP_HEARTBEAT, 1, 1);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ShareGroupHeartbeatResponse> handle(RequestContext context,
                                                                ShareGroupHeartbeatRequest request) {
        if (Features.finalizedLevel(view.image(), Features.SHARE_VERSION) < 1) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.UNSUPPORTED_VERSION)
                .setErrorMessage("share groups are off: share.version is 0 in this cluster"));
        }
        if (!context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId())) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        if (request.subscribedTopicNames() != null) {
            for (String topic : request.subscribedTopicNames()) {
                if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, topic)) {
                    return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
                        .setErrorMessage("not authorized to describe topic " + topic));
                }
            }
        }
        return coordinator.shareGroupHeartbeat(request, context.clientId(), context.clientHost());
    }

    @Override
    public ShareGroupHeartbeatResponse errorResponse(ShareGroupHeartbeatRequest request, ErrorCode error) {
        return new ShareGroupHeartbeatResponse().setErrorCode(error.code()).setMemberEpoch(-1);
    }
}
