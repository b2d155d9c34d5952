package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.wire.message.AllocateProducerIdsRequest;
import dev.sluice.wire.message.AllocateProducerIdsResponse;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.concurrent.CompletableFuture;

/**
 * AllocateProducerIds (key 67), a controller API: a broker reserves the next block of producer ids
 * (of {@link #BLOCK_SIZE}, as Kafka's controller hands out) for the idempotent producers it serves.
 */
public final class AllocateProducerIdsHandler extends ApiHandler<AllocateProducerIdsRequest, AllocateProducerIdsResponse> {
    /** Producer ids per block. */
    public static final int BLOCK_SIZE = 1000;

    private final Controller controller;

    public AllocateProducerIdsHandler(Controller controller) {
        super(ApiKey.ALLOCATE_PRODUCER_IDS, 0, ApiKey.ALLOCATE_PRODUCER_IDS.highestVersion());
        this.controller = controller;
    }

    @Override
    public CompletableFuture<AllocateProducerIdsResponse> handle(RequestContext context, AllocateProducerIdsRequest request) {
        return ControllerErrors.answer(controller.allocateProducerIds(BLOCK_SIZE).thenApply(first ->
            new AllocateProducerIdsResponse().setProducerIdStart(first).setProducerIdLen(BLOCK_SIZE)),
            e -> errorResponse(request, e));
    }

    @Override
    public AllocateProducerIdsResponse errorResponse(AllocateProducerIdsRequest request, ErrorCode error) {
        return new AllocateProducerIdsResponse().setErrorCode(error.code()).setProducerIdStart(-1);
    }
}
