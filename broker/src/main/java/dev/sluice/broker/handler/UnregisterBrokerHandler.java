package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.UnregisterBrokerRequest;
import dev.sluice.wire.message.UnregisterBrokerResponse;
import java.util.concurrent.CompletableFuture;

/**
 * UnregisterBroker (key 64), v0, on a cluster node: removes a broker from the cluster's metadata
 * (Admin {@code unregisterBroker}), decided by the active controller; see
 * {@link Controller#unregisterBroker}.
 */
public final class UnregisterBrokerHandler extends ApiHandler<UnregisterBrokerRequest, UnregisterBrokerResponse> {
    private final Controller controller;

    public UnregisterBrokerHandler(Controller controller) {
        super(ApiKey.UNREGISTER_BROKER, 0, 0);
        this.controller = controller;
    }

    @Override
    public CompletableFuture<UnregisterBrokerResponse> handle(RequestContext context, UnregisterBrokerRequest request) {
        return ControllerErrors.answer(controller.unregisterBroker(request.brokerId()), e -> errorResponse(request, e));
    }

    @Override
    public UnregisterBrokerResponse errorResponse(UnregisterBrokerRequest request, ErrorCode error) {
        return new UnregisterBrokerResponse().setErrorCode(error.code());
    }
}
