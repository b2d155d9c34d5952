package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.OffsetDeleteRequest;
import dev.sluice.wire.message.OffsetDeleteResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * OffsetDelete (key 47), v0: deletes a group's committed offsets for the given partitions. A
 * group with members keeps the offsets of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC); a
 * classic group with members that is not a consumer group is NON_EMPTY_GROUP; unknown partitions
 * are UNKNOWN_TOPIC_OR_PARTITION.
 */
public final class OffsetDeleteHandler extends ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public OffsetDeleteHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.OFFSET_DELETE, 0, 0);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<OffsetDeleteResponse> handle(RequestContext context, OffsetDeleteRequest request) {
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        if (!context.allowed(AclOperation.DELETE, AclResourceType.GROUP, request.groupId())) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        List<GroupCoordinator.PartitionKey> keys = new ArrayList<>();
        List<OffsetDeleteResponse.OffsetDeleteResponseTopic> topics = new ArrayList<>();
        for (OffsetDeleteRequest.OffsetDeleteRequestTopic t : request.topics()) {
            TopicImage topic = view.image().topic(t.name()).orElse(null);
            List<OffsetDeleteResponse.OffsetDeleteResponsePartition> ps = new ArrayList<>();
            for (OffsetDeleteRequest.OffsetDeleteRequestPartition p : t.partitions()) {
                OffsetDeleteResponse.OffsetDeleteResponsePartition r =
                    new OffsetDeleteResponse.OffsetDeleteResponsePartition().setPartitionIndex(p.partitionIndex());
                if (!context.allowed(AclOperation.READ, AclResourceType.TOPIC, t.name())) {
                    r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                } else if (topic == null || p.partitionIndex() < 0 || p.partitionIndex() >= topic.partitions().size()) {
                    r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else {
                    keys.add(new GroupCoordinator.PartitionKey(t.name(), p.partitionIndex()));
                }
                ps.add(r);
            }
            topics.add(new OffsetDeleteResponse.OffsetDeleteResponseTopic().setName(t.name()).setPartitions(ps));
        }
        return coordinator.deleteOffsets(request.groupId(), keys).thenApply(result -> {
            if (result.error() != ErrorCode.NONE) {
                return new OffsetDeleteResponse().setErrorCode(result.error().code()).setTopics(List.of());
            }
            for (OffsetDeleteResponse.OffsetDeleteResponseTopic t : topics) {
                for (OffsetDeleteResponse.OffsetDeleteResponsePartition p : t.partitions()) {
                    ErrorCode e = result.partitions().get(new GroupCoordinator.PartitionKey(t.name(), p.partitionIndex()));
                    if (e != null) {
                        p.setErrorCode(e.code());
                    }
                }
            }
            return new OffsetDeleteResponse().setTopics(topics);
        });
    }

    @Override
    public OffsetDeleteResponse errorResponse(OffsetDeleteRequest request, ErrorCode error) {
        return new OffsetDeleteResponse().setErrorCode(error.code()).setTopics(List.of());
    }
}
