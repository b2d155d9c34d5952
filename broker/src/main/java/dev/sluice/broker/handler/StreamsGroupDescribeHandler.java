package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.StreamsGroupDescribeRequest;
import dev.sluice.wire.message.StreamsGroupDescribeResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * StreamsGroupDescribe (key 89), v0-1 (KIP-1071): each streams group's state, epochs, topology
 * (with the partition counts decided for its internal topics) and members with their processes,
 * endpoints and tasks, as {@code kafka-streams-groups --describe} shows them. Per group:
 * GROUP_AUTHORIZATION_FAILED without DESCRIBE on it, GROUP_ID_NOT_FOUND for an unknown group or one
 * of another type, TOPIC_AUTHORIZATION_FAILED when its topology names a topic the caller may not
 * describe. A topology description is never stored (no description plugin, as in Kafka by default):
 * asked for one, the status says NOT_STORED.
 */
public final class StreamsGroupDescribeHandler
        extends ApiHandler<StreamsGroupDescribeRequest, StreamsGroupDescribeResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public StreamsGroupDescribeHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.STREAMS_GROUP_DESCRIBE, 0, 1);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<StreamsGroupDescribeResponse> handle(RequestContext context, StreamsGroupDescribeRequest request) {
        boolean served = StreamsGroupHeartbeatHandler.served(coordinator, view);
        boolean description = context.version() >= 1 && request.includeTopologyDescription();
        List<CompletableFuture<StreamsGroupDescribeResponse.DescribedGroup>> groups = new ArrayList<>();
        for (String groupId : request.groupIds()) {
            if (!served) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.UNSUPPORTED_VERSION)));
            } else if (groupId == null || groupId.isEmpty()) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.INVALID_GROUP_ID)));
            } else if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.GROUP, groupId)) {
                groups.add(CompletableFuture.completedFuture(failed(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED)));
            } else {
                groups.add(coordinator.describeStreamsGroup(groupId, description).thenApply(g -> {
                    if (g.topology() != null) {
                        for (StreamsGroupDescribeResponse.Subtopology s : g.topology().subtopologies()) {
                            List<String> topics = new ArrayList<>(s.sourceTopics());
                            topics.addAll(s.repartitionSinkTopics());
                            s.repartitionSourceTopics().forEach(t -> topics.add(t.name()));
                            s.stateChangelogTopics().forEach(t -> topics.add(t.name()));
                            for (String topic : topics) {
                                if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, topic)) {
                                    return failed(groupId, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
                                }
                            }
                        }
                    }
                    return g.setAuthorizedOperations(AuthorizedOperations.group(context, groupId,
                        request.includeAuthorizedOperations()));
                }));
            }
        }
        return CompletableFuture.allOf(groups.toArray(new CompletableFuture<?>[0])).thenApply(v ->
            new StreamsGroupDescribeResponse().setGroups(groups.stream().map(CompletableFuture::join).toList()));
    }

    private static StreamsGroupDescribeResponse.DescribedGroup failed(String groupId, ErrorCode error) {
        return new StreamsGroupDescribeResponse.DescribedGroup().setGroupId(groupId == null ? "" : groupId)
            .setErrorCode(error.code()).setGroupState("").setAssignorName("");
    }

    @Override
    public StreamsGroupDescribeResponse errorResponse(StreamsGroupDescribeRequest request, ErrorCode error) {
        return new StreamsGroupDescribeResponse().setGroups(request.groupIds().stream().map(g -> failed(g, error))
            .toList());
    }
}
