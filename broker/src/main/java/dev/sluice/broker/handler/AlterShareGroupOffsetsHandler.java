package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.AlterShareGroupOffsetsRequest;
import dev.sluice.wire.message.AlterShareGroupOffsetsResponse;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * AlterShareGroupOffsets (key 91), v0 (KIP-932): a share group with no members starts anew in the
 * given partitions at the given offsets ({@code kafka-share-groups --reset-offsets}); the group is
 * created if it does not exist. The partitions' states are initialized again at a new group epoch,
 * which fences any leader still holding the old ones. NON_EMPTY_GROUP while the group has members;
 * per partition UNKNOWN_TOPIC_OR_PARTITION for one that does not exist, TOPIC_AUTHORIZATION_FAILED
 * without READ on its topic; READ on the group is needed.
 */
public final class AlterShareGroupOffsetsHandler
        extends ApiHandler<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public AlterShareGroupOffsetsHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.ALTER_SHARE_GROUP_OFFSETS, 0, 0);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<AlterShareGroupOffsetsResponse> handle(RequestContext context,
                                                                   AlterShareGroupOffsetsRequest request) {
        if (Features.finalizedLevel(view.image(), Features.SHARE_VERSION) < 1) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.UNSUPPORTED_VERSION));
        }
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        if (!context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId())) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        MetadataImage image = view.image();
        List<AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponseTopic> topics = new ArrayList<>();
        Map<Uuid, Map.Entry<String, Map<Integer, Long>>> valid = new LinkedHashMap<>();
        Map<String, AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponsePartition> byKey = new LinkedHashMap<>();
        for (AlterShareGroupOffsetsRequest.AlterShareGroupOffsetsRequestTopic t : request.topics()) {
            TopicImage topic = image.topic(t.topicName()).orElse(null);
            boolean allowed = context.allowed(AclOperation.READ, AclResourceType.TOPIC, t.topicName());
            List<AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponsePartition> ps = new ArrayList<>();
            for (AlterShareGroupOffsetsRequest.AlterShareGroupOffsetsRequestPartition p : t.partitions()) {
                AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponsePartition r =
                    new AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponsePartition()
                        .setPartitionIndex(p.partitionIndex());
                ps.add(r);
                if (!allowed) {
                    r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                } else if (topic == null || p.partitionIndex() < 0 || p.partitionIndex() >= topic.partitions().size()) {
                    r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else if (p.startOffset() < 0) {
                    r.setErrorCode(ErrorCode.INVALID_REQUEST.code()).setErrorMessage("a start offset cannot be negative");
                } else {
                    valid.computeIfAbsent(topic.id(), id -> Map.entry(topic.name(), new LinkedHashMap<>())).getValue()
                        .put(p.partitionIndex(), p.startOffset());
                    byKey.put(topic.id() + ":" + p.partitionIndex(), r);
                }
            }
            topics.add(new AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponseTopic().setTopicName(t.topicName())
                .setTopicId(topic == null ? Uuid.ZERO : topic.id()).setPartitions(ps));
        }
        AlterShareGroupOffsetsResponse response = new AlterShareGroupOffsetsResponse().setResponses(topics);
        if (valid.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        return coordinator.alterShareGroupOffsets(request.groupId(), valid).thenApply(result -> {
            if (result.getKey() != ErrorCode.NONE) {
                return errorResponse(request, result.getKey());
            }
            result.getValue().forEach((k, e) -> byKey.get(k.topicId() + ":" + k.partition()).setErrorCode(e.code()));
            return response;
        });
    }

    @Override
    public AlterShareGroupOffsetsResponse errorResponse(AlterShareGroupOffsetsRequest request, ErrorCode error) {
        List<AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponseTopic> topics = new ArrayList<>();
        for (AlterShareGroupOffsetsRequest.AlterShareGroupOffsetsRequestTopic t : request.topics()) {
            List<AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponsePartition> ps = new ArrayList<>();
            t.partitions().forEach(p -> ps.add(new AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponsePartition()
                .setPartitionIndex(p.partitionIndex()).setErrorCode(error.code())));
            topics.add(new AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponseTopic().setTopicName(t.topicName())
                .setTopicId(Uuid.ZERO).setPartitions(ps));
        }
        return new AlterShareGroupOffsetsResponse().setErrorCode(error.code()).setResponses(topics);
    }
}
