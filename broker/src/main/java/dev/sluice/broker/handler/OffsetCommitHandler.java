package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.OffsetCommitRequest;
import dev.sluice.wire.message.OffsetCommitResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * OffsetCommit (key 8), v2-10: commits offsets for a group, durably, before answering. Members
 * are checked against the group (generation for classic groups, member epoch for consumer groups);
 * a commit without member and generation is allowed for a group without members (admin tools,
 * consumers with manual assignment). Topics by name (by id from v10); an unknown topic or
 * partition is UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id), metadata longer than
 * {@code offset.metadata.max.bytes} OFFSET_METADATA_TOO_LARGE. v2-4's retention time is kept as
 * the offset's expiry time.
 */
public final class OffsetCommitHandler extends ApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public OffsetCommitHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.OFFSET_COMMIT, 2, 10);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<OffsetCommitResponse> handle(RequestContext context, OffsetCommitRequest request) {
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        if (!context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId())) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        boolean byId = context.version() >= 10;
        MetadataImage image = view.image();
        List<OffsetCommitResponse.OffsetCommitResponseTopic> topics = new ArrayList<>();
        List<OffsetCommitResponse.OffsetCommitResponsePartition> pending = new ArrayList<>();
        List<GroupCoordinator.OffsetToCommit> offsets = new ArrayList<>();
        for (OffsetCommitRequest.OffsetCommitRequestTopic t : request.topics()) {
            TopicImage topic = (byId ? image.topic(t.topicId()) : image.topic(t.name())).orElse(null);
            List<OffsetCommitResponse.OffsetCommitResponsePartition> results = new ArrayList<>();
            for (OffsetCommitRequest.OffsetCommitRequestPartition p : t.partitions()) {
                OffsetCommitResponse.OffsetCommitResponsePartition r =
                    new OffsetCommitResponse.OffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                results.add(r);
                String name = topic != null ? topic.name() : byId ? null : t.name();
                if (name != null && !context.allowed(AclOperation.READ, AclResourceType.TOPIC, name)) {
                    r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                } else if (topic == null) {
                    r.setErrorCode((byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).code());
                } else if (p.partitionIndex() < 0 || p.partitionIndex() >= topic.partitions().size()) {
                    r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else {
                    pending.add(r);
                    offsets.add(new GroupCoordinator.OffsetToCommit(topic.name(), p.partitionIndex(),
                        p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata()));
                }
            }
            topics.add(new OffsetCommitResponse.OffsetCommitResponseTopic().setName(t.name())
                .setTopicId(t.topicId()).setPartitions(results));
        }
        OffsetCommitResponse response = new OffsetCommitResponse().setTopics(topics);
        if (offsets.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        long retention = context.version() <= 4 ? request.retentionTimeMs() : -1;
        return coordinator.commitOffsets(request.groupId(), request.memberId(), request.groupInstanceId(),
            request.generationIdOrMemberEpoch(), context.version(), retention, offsets).thenApply(errors -> {
                for (int i = 0; i < errors.size(); i++) {
                    pending.get(i).setErrorCode(errors.get(i).code());
                }
                return response;
            });
    }

    @Override
    public OffsetCommitResponse errorResponse(OffsetCommitRequest request, ErrorCode error) {
        List<OffsetCommitResponse.OffsetCommitResponseTopic> topics = new ArrayList<>();
        for (OffsetCommitRequest.OffsetCommitRequestTopic t : request.topics()) {
            List<OffsetCommitResponse.OffsetCommitResponsePartition> results = new ArrayList<>();
            for (OffsetCommitRequest.OffsetCommitRequestPartition p : t.partitions()) {
                results.add(new OffsetCommitResponse.OffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex())
                    .setErrorCode(error.code()));
            }
            topics.add(new OffsetCommitResponse.OffsetCommitResponseTopic().setName(t.name()).setTopicId(t.topicId())
                .setPartitions(results));
        }
        return new OffsetCommitResponse().setTopics(topics);
    }
}
