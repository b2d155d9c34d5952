package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.BrokerHeartbeatRequest;
import dev.sluice.wire.message.BrokerHeartbeatResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.concurrent.CompletableFuture;

/**
 * BrokerHeartbeat (key 63), a controller API: renews a broker's session and moves it between
 * fenced, unfenced and shutting down; see {@link Controller#heartbeat}.
 */
public final class BrokerHeartbeatHandler extends ApiHandler<BrokerHeartbeatRequest, BrokerHeartbeatResponse> {
    private final Controller controller;

    public BrokerHeartbeatHandler(Controller controller) {
        super(ApiKey.BROKER_HEARTBEAT, 0, ApiKey.BROKER_HEARTBEAT.highestVersion());
        this.controller = controller;
    }

    @Override
    public CompletableFuture<BrokerHeartbeatResponse> handle(RequestContext context, BrokerHeartbeatRequest request) {
        return ControllerErrors.answer(controller.heartbeat(request), e -> errorResponse(request, e));
    }

    @Override
    public BrokerHeartbeatResponse errorResponse(BrokerHeartbeatRequest request, ErrorCode error) {
        return new BrokerHeartbeatResponse().setErrorCode(error.code()).setIsFenced(true);
    }
}
