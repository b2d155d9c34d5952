package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ElectLeadersRequest;
import dev.sluice.wire.message.ElectLeadersResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.concurrent.CompletableFuture;

/**
 * ElectLeaders (key 43), v0-2, on a cluster node, so that {@code kafka-leader-election} works:
 * preferred (v0 always) or unclean elections decided by the active controller (a broker that is not
 * it forwards the request); see {@link Controller#electLeaders}.
 */
public final class ElectLeadersHandler extends ApiHandler<ElectLeadersRequest, ElectLeadersResponse> {
    private final Controller controller;

    public ElectLeadersHandler(Controller controller) {
        super(ApiKey.ELECT_LEADERS, 0, 2);
        this.controller = controller;
    }

    @Override
    public CompletableFuture<ElectLeadersResponse> handle(RequestContext context, ElectLeadersRequest request) {
        return ControllerErrors.answer(controller.electLeaders(request), e -> errorResponse(request, e));
    }

    @Override
    public ElectLeadersResponse errorResponse(ElectLeadersRequest request, ErrorCode error) {
        return new ElectLeadersResponse().setErrorCode(error.code());
    }
}
