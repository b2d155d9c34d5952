package dev.sluice.broker.handler;

import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.PushTelemetryRequest;
import dev.sluice.wire.message.PushTelemetryResponse;
import java.util.concurrent.CompletableFuture;

/**
 * PushTelemetry (key 72), v0 (KIP-714): a client pushes the metrics its subscription asked for.
 * Sluice's subscription asks for none (see {@link GetTelemetrySubscriptionsHandler}), so a push is
 * checked as Kafka checks one (a client instance id, the current subscription id, at most
 * {@code telemetry.max.bytes}) and its metrics are not kept: there is no telemetry receiver.
 */
public final class PushTelemetryHandler extends ApiHandler<PushTelemetryRequest, PushTelemetryResponse> {

    public PushTelemetryHandler() {
        super(ApiKey.PUSH_TELEMETRY, 0, 0);
    }

    /** Any client may ask (Kafka checks no ACL for client telemetry). */
    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<PushTelemetryResponse> handle(RequestContext context, PushTelemetryRequest request) {
        ErrorCode error = ErrorCode.NONE;
        if (request.clientInstanceId() == null || request.clientInstanceId().equals(Uuid.ZERO)) {
            error = ErrorCode.INVALID_REQUEST;
        } else if (request.subscriptionId() != GetTelemetrySubscriptionsHandler.SUBSCRIPTION_ID) {
            error = ErrorCode.UNKNOWN_SUBSCRIPTION_ID;
        } else if (request.metrics() != null
            && request.metrics().remaining() > GetTelemetrySubscriptionsHandler.TELEMETRY_MAX_BYTES) {
            error = ErrorCode.TELEMETRY_TOO_LARGE;
        }
        return CompletableFuture.completedFuture(new PushTelemetryResponse().setErrorCode(error.code()));
    }

    @Override
    public PushTelemetryResponse errorResponse(PushTelemetryRequest request, ErrorCode error) {
        return new PushTelemetryResponse().setErrorCode(error.code());
    }
}
