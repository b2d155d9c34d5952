package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.StreamsGroupTopologyDescriptionUpdateRequest;
import dev.sluice.wire.message.StreamsGroupTopologyDescriptionUpdateResponse;
import java.util.concurrent.CompletableFuture;

/**
 * StreamsGroupTopologyDescriptionUpdate (key 93), v0 (KIP-1331): a Kafka Streams member pushes the
 * description of its topology for the broker's description plugin to keep. Sluice has no such
 * plugin (Kafka has none unless {@code group.streams.topology.description.plugin.class} is set), so
 * after the same gate and group authorization as the other streams APIs it answers
 * UNSUPPORTED_VERSION, as Kafka does then; clients only push when a heartbeat asks them to, which
 * Sluice's never do.
 */
public final class StreamsGroupTopologyDescriptionUpdateHandler extends
        ApiHandler<StreamsGroupTopologyDescriptionUpdateRequest, StreamsGroupTopologyDescriptionUpdateResponse> {
    private final GroupCoordinator coordinator;
    private final MetadataView view;

    public StreamsGroupTopologyDescriptionUpdateHandler(GroupCoordinator coordinator, MetadataView view) {
        super(ApiKey.STREAMS_GROUP_TOPOLOGY_DESCRIPTION_UPDATE, 0, 0);
        this.coordinator = coordinator;
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<StreamsGroupTopologyDescriptionUpdateResponse> handle(
            RequestContext context, StreamsGroupTopologyDescriptionUpdateRequest request) {
        if (StreamsGroupHeartbeatHandler.served(coordinator, view)
            && !context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId())) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.UNSUPPORTED_VERSION)
            .setErrorMessage("The broker has no streams group topology description plugin configured."));
    }

    @Override
    public StreamsGroupTopologyDescriptionUpdateResponse errorResponse(StreamsGroupTopologyDescriptionUpdateRequest request,
                                                                      ErrorCode error) {
        return new StreamsGroupTopologyDescriptionUpdateResponse().setErrorCode(error.code());
    }
}
