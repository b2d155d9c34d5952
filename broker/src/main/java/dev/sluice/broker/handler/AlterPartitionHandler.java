package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.wire.message.AlterPartitionRequest;
import dev.sluice.wire.message.AlterPartitionResponse;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.concurrent.CompletableFuture;

/**
 * AlterPartition (key 56), v2-3, a controller API: a partition leader asks for an ISR change; see
 * {@link Controller#alterPartition}. Versions before 2 name topics instead of ids and are not
 * spoken between Sluice brokers.
 */
public final class AlterPartitionHandler extends ApiHandler<AlterPartitionRequest, AlterPartitionResponse> {
    private final Controller controller;

    public AlterPartitionHandler(Controller controller) {
        super(ApiKey.ALTER_PARTITION, 2, 3);
        this.controller = controller;
    }

    @Override
    public CompletableFuture<AlterPartitionResponse> handle(RequestContext context, AlterPartitionRequest request) {
        return ControllerErrors.answer(controller.alterPartition(request, context.version()),
            e -> errorResponse(request, e));
    }

    @Override
    public AlterPartitionResponse errorResponse(AlterPartitionRequest request, ErrorCode error) {
        return new AlterPartitionResponse().setErrorCode(error.code());
    }
}
