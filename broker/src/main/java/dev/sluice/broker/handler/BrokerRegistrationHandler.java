package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.BrokerRegistrationRequest;
import dev.sluice.wire.message.BrokerRegistrationResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.concurrent.CompletableFuture;

/**
 * BrokerRegistration (key 62), a controller API: a broker joins the cluster, fenced, and learns its
 * broker epoch. Served only on the active controller, reached through the metadata quorum; the
 * decisions and errors are {@link Controller#registerBroker}'s.
 */
public final class BrokerRegistrationHandler extends ApiHandler<BrokerRegistrationRequest, BrokerRegistrationResponse> {
    private final Controller controller;

    public BrokerRegistrationHandler(Controller controller) {
        super(ApiKey.BROKER_REGISTRATION, 0, ApiKey.BROKER_REGISTRATION.highestVersion());
        this.controller = controller;
    }

    @Override
    public CompletableFuture<BrokerRegistrationResponse> handle(RequestContext context, BrokerRegistrationRequest request) {
        return ControllerErrors.answer(controller.registerBroker(request), e -> errorResponse(request, e));
    }

    @Override
    public BrokerRegistrationResponse errorResponse(BrokerRegistrationRequest request, ErrorCode error) {
        return new BrokerRegistrationResponse().setErrorCode(error.code()).setBrokerEpoch(-1);
    }
}
