package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.wire.message.AlterPartitionReassignmentsRequest;
import dev.sluice.wire.message.AlterPartitionReassignmentsResponse;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * AlterPartitionReassignments (key 45), v0-1, on a cluster node, so that Admin
 * {@code alterPartitionReassignments} and {@code kafka-reassign-partitions --execute} work:
 * moves partitions to other brokers, or cancels a move (null replicas), decided by the active
 * controller (any other node forwards the request); see {@link Controller#alterPartitionReassignments}.
 * From v1 a request may forbid changing a partition's replication factor. The request's timeout
 * is not waited on: the answer comes once the change is committed, not once the move completes,
 * as in Kafka.
 */
public final class AlterPartitionReassignmentsHandler
    extends ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> {
    private final Controller controller;

    public AlterPartitionReassignmentsHandler(Controller controller) {
        super(ApiKey.ALTER_PARTITION_REASSIGNMENTS, 0, 1);
        this.controller = controller;
    }

    @Override
    public CompletableFuture<AlterPartitionReassignmentsResponse> handle(RequestContext context,
                                                                        AlterPartitionReassignmentsRequest request) {
        return ControllerErrors.answer(controller.alterPartitionReassignments(request), e -> errorResponse(request, e));
    }

    @Override
    public AlterPartitionReassignmentsResponse errorResponse(AlterPartitionReassignmentsRequest request,
                                                             ErrorCode error) {
        List<AlterPartitionReassignmentsResponse.ReassignableTopicResponse> topics = new ArrayList<>();
        for (AlterPartitionReassignmentsRequest.ReassignableTopic t : request.topics()) {
            List<AlterPartitionReassignmentsResponse.ReassignablePartitionResponse> partitions = new ArrayList<>();
            for (AlterPartitionReassignmentsRequest.ReassignablePartition p : t.partitions()) {
                partitions.add(new AlterPartitionReassignmentsResponse.ReassignablePartitionResponse()
                    .setPartitionIndex(p.partitionIndex()).setErrorCode(error.code()).setErrorMessage(null));
            }
            topics.add(new AlterPartitionReassignmentsResponse.ReassignableTopicResponse().setName(t.name())
                .setPartitions(partitions));
        }
        return new AlterPartitionReassignmentsResponse().setErrorCode(error.code()).setErrorMessage(null)
            .setAllowReplicationFactorChange(request.allowReplicationFactorChange()).setResponses(topics);
    }
}
