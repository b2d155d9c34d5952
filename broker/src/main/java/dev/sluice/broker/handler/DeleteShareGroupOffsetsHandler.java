package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DeleteShareGroupOffsetsRequest;
import dev.sluice.wire.message.DeleteShareGroupOffsetsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * DeleteShareGroupOffsets (key 92), v0 (KIP-932): a share group with no members forgets where it
 * stands in whole topics ({@code kafka-share-groups --delete-offsets}): their share-partition
 * states are deleted at the share coordinator, then dropped from the group. GROUP_ID_NOT_FOUND for
 * an unknown group, NON_EMPTY_GROUP while it has members; per topic UNKNOWN_TOPIC_OR_PARTITION when
 * the group has no state for it, TOPIC_AUTHORIZATION_FAILED without READ on it. DELETE on the group
 * is needed.
 */
public final class DeleteShareGroupOffsetsHandler
        extends ApiHandler<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public DeleteShareGroupOffsetsHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.DELETE_SHARE_GROUP_OFFSETS, 0, 0);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DeleteShareGroupOffsetsResponse> handle(RequestContext context,
                                                                    DeleteShareGroupOffsetsRequest request) {
        if (Features.finalizedLevel(view.image(), Features.SHARE_VERSION) < 1) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.UNSUPPORTED_VERSION));
        }
        String groupId = request.groupId();
        if (groupId == null || groupId.isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        if (!context.allowed(AclOperation.DELETE, AclResourceType.GROUP, groupId)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        return coordinator.shareGroupPartitions(groupId, true).thenCompose(found -> {
            if (found.error() != ErrorCode.NONE) {
                return CompletableFuture.completedFuture(errorResponse(request, found.error()));
            }
            MetadataImage image = view.image();
            List<DeleteShareGroupOffsetsResponse.DeleteShareGroupOffsetsResponseTopic> topics = new ArrayList<>();
            Map<Uuid, Set<Integer>> deleting = new LinkedHashMap<>();
            Map<Uuid, DeleteShareGroupOffsetsResponse.DeleteShareGroupOffsetsResponseTopic> byId = new LinkedHashMap<>();
            for (DeleteShareGroupOffsetsRequest.DeleteShareGroupOffsetsRequestTopic t : request.topics()) {
                TopicImage topic = image.topic(t.topicName()).orElse(null);
                DeleteShareGroupOffsetsResponse.DeleteShareGroupOffsetsResponseTopic r =
                    new DeleteShareGroupOffsetsResponse.DeleteShareGroupOffsetsResponseTopic().setTopicName(t.topicName())
                        .setTopicId(topic == null ? Uuid.ZERO : topic.id());
                topics.add(r);
                if (!context.allowed(AclOperation.READ, AclResourceType.TOPIC, t.topicName())) {
                    r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                } else if (topic == null || !found.partitions().containsKey(topic.id())) {
                    r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("There is no offset information to delete.");
                } else {
                    deleting.put(topic.id(), found.partitions().get(topic.id()).getValue());
                    byId.put(topic.id(), r);
                }
            }
            DeleteShareGroupOffsetsResponse response = new DeleteShareGroupOffsetsResponse().setResponses(topics);
            if (deleting.isEmpty()) {
                return CompletableFuture.completedFuture(response);
            }
            return coordinator.deleteShareGroupOffsets(groupId, deleting).thenApply(errors -> {
                errors.forEach((id, e) -> byId.get(id).setErrorCode(e.code()));
                return response;
            });
        });
    }

    @Override
    public DeleteShareGroupOffsetsResponse errorResponse(DeleteShareGroupOffsetsRequest request, ErrorCode error) {
        return new DeleteShareGroupOffsetsResponse().setErrorCode(error.code()).setResponses(new ArrayList<>());
    }
}
