package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ListPartitionReassignmentsRequest;
import dev.sluice.wire.message.ListPartitionReassignmentsResponse;
import java.util.concurrent.CompletableFuture;

/**
 * ListPartitionReassignments (key 46), v0, on a cluster node, so that Admin
 * {@code listPartitionReassignments} and {@code kafka-reassign-partitions --verify/--list} work:
 * the reassignments in progress, answered by the active controller (any other node forwards the
 * request), whose image is the newest; see {@link Controller#listPartitionReassignments}.
 */
public final class ListPartitionReassignmentsHandler
    extends ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> {
    private final Controller controller;

    public ListPartitionReassignmentsHandler(Controller controller) {
        super(ApiKey.LIST_PARTITION_REASSIGNMENTS, 0, 0);
        this.controller = controller;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ListPartitionReassignmentsResponse> handle(RequestContext context,
                                                                       ListPartitionReassignmentsRequest request) {
        if (!(context.allowedOnCluster(AclOperation.DESCRIBE))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        return ControllerErrors.answer(controller.listPartitionReassignments(request), e -> errorResponse(request, e));
    }

    @Override
    public ListPartitionReassignmentsResponse errorResponse(ListPartitionReassignmentsRequest request, ErrorCode error) {
        return new ListPartitionReassignmentsResponse().setErrorCode(error.code()).setErrorMessage(null);
    }
}
