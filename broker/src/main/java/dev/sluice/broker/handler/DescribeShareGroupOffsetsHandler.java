package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.broker.share.ShareState;
import dev.sluice.broker.share.ShareStateOutcome;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeShareGroupOffsetsRequest;
import dev.sluice.wire.message.DescribeShareGroupOffsetsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeShareGroupOffsets (key 90), v0-1 (KIP-932): where a share group stands in each
 * partition: its start offset (every record before it is done), the leader epoch that last wrote
 * it, and from v1 the lag (records at or past the start offset not yet acknowledged or archived).
 * Topics null means every partition the group has a state for. A topic that does not exist answers
 * start offset -1; so does a partition whose state cannot be read. The lag is known where this
 * broker leads the partition (its high watermark), else -1. An unknown group answers no topics.
 */
public final class DescribeShareGroupOffsetsHandler
        extends ApiHandler<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;
    private final Partitions partitions;

    public DescribeShareGroupOffsetsHandler(GroupCoordinator coordinator, MetadataView view, Partitions partitions) {
        super(ApiKey.DESCRIBE_SHARE_GROUP_OFFSETS, 0, 1);
        this.coordinator = coordinator;
        this.view = view;
        this.partitions = partitions;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeShareGroupOffsetsResponse> handle(RequestContext context,
                                                                      DescribeShareGroupOffsetsRequest request) {
        boolean off = Features.finalizedLevel(view.image(), Features.SHARE_VERSION) < 1;
        List<CompletableFuture<DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseGroup>> groups =
            new ArrayList<>();
        for (DescribeShareGroupOffsetsRequest.DescribeShareGroupOffsetsRequestGroup g : request.groups()) {
            if (off) {
                groups.add(CompletableFuture.completedFuture(failed(g.groupId(), ErrorCode.UNSUPPORTED_VERSION)));
            } else if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.GROUP, g.groupId())) {
                groups.add(CompletableFuture.completedFuture(failed(g.groupId(), ErrorCode.GROUP_AUTHORIZATION_FAILED)));
            } else {
                groups.add(describe(context, g));
            }
        }
        return CompletableFuture.allOf(groups.toArray(new CompletableFuture<?>[0])).thenApply(v ->
            new DescribeShareGroupOffsetsResponse().setGroups(groups.stream().map(CompletableFuture::join).toList()));
    }

    private CompletableFuture<DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseGroup> describe(
            RequestContext context, DescribeShareGroupOffsetsRequest.DescribeShareGroupOffsetsRequestGroup g) {
        String groupId = g.groupId();
        return coordinator.shareGroupPartitions(groupId, false).thenCompose(found -> {
            if (found.error() != ErrorCode.NONE && found.error() != ErrorCode.GROUP_ID_NOT_FOUND) {
                return CompletableFuture.completedFuture(failed(groupId, found.error()));
            }
            MetadataImage image = view.image();
            List<DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseTopic> topics = new ArrayList<>();
            List<CompletableFuture<?>> reads = new ArrayList<>();
            if (g.topics() == null) {
                found.partitions().forEach((id, named) -> {
                    String name = image.topic(id).map(TopicImage::name).orElse(named.getKey());
                    topics.add(topic(context, groupId, id, name, named.getValue(), reads));
                });
            } else {
                for (DescribeShareGroupOffsetsRequest.DescribeShareGroupOffsetsRequestTopic t : g.topics()) {
                    TopicImage topic = image.topic(t.topicName()).orElse(null);
                    if (topic == null) {
                        List<DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponsePartition> ps = new ArrayList<>();
                        t.partitions().forEach(p -> ps.add(unknown(p)));
                        topics.add(new DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseTopic()
                            .setTopicName(t.topicName()).setTopicId(Uuid.ZERO).setPartitions(ps));
                    } else {
                        topics.add(topic(context, groupId, topic.id(), topic.name(), new TreeSet<>(t.partitions()), reads));
                    }
                }
            }
            return CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0])).thenApply(v ->
                new DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseGroup().setGroupId(groupId)
                    .setTopics(topics));
        });
    }

    private DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseTopic topic(
            RequestContext context, String groupId, Uuid topicId, String name, Set<Integer> wanted,
            List<CompletableFuture<?>> reads) {
        List<DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponsePartition> ps = new ArrayList<>();
        boolean allowed = context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, name);
        for (int p : new TreeSet<>(wanted)) {
            DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponsePartition r = unknown(p);
            ps.add(r);
            if (!allowed) {
                r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                continue;
            }
            reads.add(coordinator.sharePersister().summary(new SharePartitionKey(groupId, topicId, p))
                .thenAccept(o -> fill(r, o, name, p)));
        }
        return new DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseTopic().setTopicName(name)
            .setTopicId(topicId).setPartitions(ps);
    }

    private void fill(DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponsePartition r,
                      ShareStateOutcome outcome, String topic, int partition) {
        if (outcome.error() != ErrorCode.NONE || outcome.state() == null) {
            return;
        }
        ShareState s = outcome.state();
        r.setStartOffset(s.startOffset()).setLeaderEpoch(s.leaderEpoch());
        Partition local = partitions.get(topic, partition).filter(Partition::isLeader).orElse(null);
        if (local != null && s.startOffset() >= 0 && s.deliveryCompleteCount() >= 0) {
            r.setLag(Math.max(0, local.highWatermark() - s.startOffset() - s.deliveryCompleteCount()));
        }
    }

    private static DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponsePartition unknown(int partition) {
        return new DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponsePartition()
            .setPartitionIndex(partition).setStartOffset(-1).setLeaderEpoch(-1).setLag(-1);
    }

    private static DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseGroup failed(String groupId,
                                                                                                 ErrorCode error) {
        return new DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseGroup().setGroupId(groupId)
            .setErrorCode(error.code()).setTopics(new ArrayList<>());
    }

    @Override
    public DescribeShareGroupOffsetsResponse errorResponse(DescribeShareGroupOffsetsRequest request, ErrorCode error) {
        return new DescribeShareGroupOffsetsResponse().setGroups(request.groups().stream()
            .map(g -> failed(g.groupId(), error)).toList());
    }
}
