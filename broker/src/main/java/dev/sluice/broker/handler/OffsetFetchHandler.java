package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.OffsetFetchRequest;
import dev.sluice.wire.message.OffsetFetchResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * OffsetFetch (key 9), v1-10: a group's committed offsets, for the listed partitions (-1 where
 * none is committed) or, with a null topic list (v2+), all of them. v8+ batches groups; v9+
 * checks the member id and epoch against a consumer group; v10 names topics by id (unknown ids are UNKNOWN_TOPIC_ID). With {@code require_stable}
 * (v7+) a partition whose group has a pending transactional offset for it (TxnOffsetCommit of a
 * transaction not ended yet) answers UNSTABLE_OFFSET_COMMIT, per partition in every version, so
 * the client retries; without it the last committed offset is returned, as Kafka does.
 */
public final class OffsetFetchHandler extends ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public OffsetFetchHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.OFFSET_FETCH, 1, 10);
        this.coordinator = coordinator;
        this.view = view;
    }

    /** One topic asked about, by name or id, with the partitions wanted. */
    private record Wanted(String name, Uuid id, List<Integer> partitions) {
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<OffsetFetchResponse> handle(RequestContext context, OffsetFetchRequest request) {
        short version = context.version();
        if (version >= 8) {
            List<CompletableFuture<OffsetFetchResponse.OffsetFetchResponseGroup>> groups = new ArrayList<>();
            for (OffsetFetchRequest.OffsetFetchRequestGroup g : request.groups()) {
                List<Wanted> wanted = null;
                if (g.topics() != null) {
                    wanted = new ArrayList<>();
                    for (OffsetFetchRequest.OffsetFetchRequestTopics t : g.topics()) {
                        wanted.add(new Wanted(t.name(), t.topicId(), t.partitionIndexes()));
                    }
                }
                groups.add(fetch(context, g.groupId(), version >= 9 ? g.memberId() : null, g.memberEpoch(), wanted,
                    version >= 10, request.requireStable()));
            }
            return CompletableFuture.allOf(groups.toArray(new CompletableFuture<?>[0])).thenApply(v ->
                new OffsetFetchResponse().setGroups(groups.stream().map(CompletableFuture::join).toList()));
        }
        List<Wanted> wanted = null;
        if (request.topics() != null) {
            wanted = new ArrayList<>();
            for (OffsetFetchRequest.OffsetFetchRequestTopic t : request.topics()) {
                wanted.add(new Wanted(t.name(), Uuid.ZERO, t.partitionIndexes()));
            }
        }
        boolean requireStable = version >= 7 && request.requireStable();
        return fetch(context, request.groupId(), null, -1, wanted, false, requireStable).thenApply(g -> {
            List<OffsetFetchResponse.OffsetFetchResponseTopic> topics = new ArrayList<>();
            for (OffsetFetchResponse.OffsetFetchResponseTopics t : g.topics()) {
                List<OffsetFetchResponse.OffsetFetchResponsePartition> partitions = new ArrayList<>();
                for (OffsetFetchResponse.OffsetFetchResponsePartitions p : t.partitions()) {
                    partitions.add(new OffsetFetchResponse.OffsetFetchResponsePartition()
                        .setPartitionIndex(p.partitionIndex()).setCommittedOffset(p.committedOffset())
                        .setCommittedLeaderEpoch(p.committedLeaderEpoch()).setMetadata(p.metadata())
                        .setErrorCode(p.errorCode() != 0 ? p.errorCode() : version < 2 ? g.errorCode() : (short) 0));
                }
                topics.add(new OffsetFetchResponse.OffsetFetchResponseTopic().setName(t.name()).setPartitions(partitions));
            }
            return new OffsetFetchResponse().setErrorCode(g.errorCode()).setTopics(topics);
        });
    }

    /**
     * One group's offsets. As in Kafka, the group needs DESCRIBE (else GROUP_AUTHORIZATION_FAILED),
     * each topic asked for DESCRIBE (else its partitions are TOPIC_AUTHORIZATION_FAILED), and
     * asking for every offset leaves out topics the principal may not describe.
     */
    private CompletableFuture<OffsetFetchResponse.OffsetFetchResponseGroup> fetch(RequestContext context, String groupId,
                                                                                 String memberId, int memberEpoch,
                                                                                 List<Wanted> wanted, boolean byId,
                                                                                 boolean requireStable) {
        OffsetFetchResponse.OffsetFetchResponseGroup result = new OffsetFetchResponse.OffsetFetchResponseGroup()
            .setGroupId(groupId).setTopics(new ArrayList<>());
        if (groupId == null || groupId.isEmpty()) {
            return CompletableFuture.completedFuture(result.setErrorCode(ErrorCode.INVALID_GROUP_ID.code()));
        }
        if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.GROUP, groupId)) {
            return CompletableFuture.completedFuture(result.setErrorCode(ErrorCode.GROUP_AUTHORIZATION_FAILED.code()));
        }
        MetadataImage image = view.image();
        // Topics by id that do not exist are answered here; the rest are looked up by name.
        Map<String, OffsetFetchResponse.OffsetFetchResponseTopics> byName = new LinkedHashMap<>();
        List<GroupCoordinator.PartitionKey> keys = null;
        if (wanted != null) {
            keys = new ArrayList<>();
            for (Wanted w : wanted) {
                String name = w.name();
                if (byId) {
                    TopicImage topic = image.topic(w.id()).orElse(null);
                    if (topic == null) {
                        List<OffsetFetchResponse.OffsetFetchResponsePartitions> ps = new ArrayList<>();
                        for (int p : w.partitions()) {
                            ps.add(partition(p, -1, -1, "").setErrorCode(ErrorCode.UNKNOWN_TOPIC_ID.code()));
                        }
                        result.topics().add(new OffsetFetchResponse.OffsetFetchResponseTopics().setName("")
                            .setTopicId(w.id()).setPartitions(ps));
                        continue;
                    }
                    name = topic.name();
                }
                if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, name)) {
                    List<OffsetFetchResponse.OffsetFetchResponsePartitions> ps = new ArrayList<>();
                    for (int p : w.partitions()) {
                        ps.add(partition(p, -1, -1, "").setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code()));
                    }
                    result.topics().add(new OffsetFetchResponse.OffsetFetchResponseTopics().setName(name)
                        .setTopicId(byId ? w.id() : Uuid.ZERO).setPartitions(ps));
                    continue;
                }
                byName.put(name, new OffsetFetchResponse.OffsetFetchResponseTopics().setName(name)
                    .setTopicId(byId ? w.id() : Uuid.ZERO).setPartitions(new ArrayList<>()));
                for (int p : w.partitions()) {
                    keys.add(new GroupCoordinator.PartitionKey(name, p));
                }
            }
        }
        return coordinator.fetchOffsets(groupId, memberId, memberEpoch, keys, requireStable).thenApply(found -> {
            if (found.error() != ErrorCode.NONE) {
                return result.setErrorCode(found.error().code());
            }
            for (GroupCoordinator.CommittedOffset o : found.offsets()) {
                if (!byName.containsKey(o.topic()) && !context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, o.topic())) {
                    continue;
                }
                OffsetFetchResponse.OffsetFetchResponseTopics t = byName.computeIfAbsent(o.topic(), n ->
                    new OffsetFetchResponse.OffsetFetchResponseTopics().setName(n).setTopicId(byId
                        ? image.topic(n).map(TopicImage::id).orElse(Uuid.ZERO) : Uuid.ZERO).setPartitions(new ArrayList<>()));
                t.partitions().add(partition(o.partition(), o.offset(), o.leaderEpoch(), o.metadata())
                    .setErrorCode(o.error().code()));
            }
            result.topics().addAll(byName.values());
            return result;
        });
    }

    private static OffsetFetchResponse.OffsetFetchResponsePartitions partition(int index, long offset, int epoch,
                                                                               String metadata) {
        return new OffsetFetchResponse.OffsetFetchResponsePartitions().setPartitionIndex(index)
            .setCommittedOffset(offset).setCommittedLeaderEpoch(epoch).setMetadata(metadata);
    }

    @Override
    public OffsetFetchResponse errorResponse(OffsetFetchRequest request, ErrorCode error) {
        List<OffsetFetchResponse.OffsetFetchResponseGroup> groups = new ArrayList<>();
        for (OffsetFetchRequest.OffsetFetchRequestGroup g : request.groups()) {
            groups.add(new OffsetFetchResponse.OffsetFetchResponseGroup().setGroupId(g.groupId())
                .setErrorCode(error.code()).setTopics(List.of()));
        }
        List<OffsetFetchResponse.OffsetFetchResponseTopic> topics = new ArrayList<>();
        if (request.topics() != null) {
            for (OffsetFetchRequest.OffsetFetchRequestTopic t : request.topics()) {
                List<OffsetFetchResponse.OffsetFetchResponsePartition> ps = new ArrayList<>();
                for (int p : t.partitionIndexes()) {
                    ps.add(new OffsetFetchResponse.OffsetFetchResponsePartition().setPartitionIndex(p)
                        .setCommittedOffset(-1).setMetadata("").setErrorCode(error.code()));
                }
                topics.add(new OffsetFetchResponse.OffsetFetchResponseTopic().setName(t.name()).setPartitions(ps));
            }
        }
        return new OffsetFetchResponse().setErrorCode(error.code()).setTopics(topics).setGroups(groups);
    }
}
