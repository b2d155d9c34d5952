package dev.sluice.broker.handler;

import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.SaslHandshakeRequest;
import dev.sluice.wire.message.SaslHandshakeResponse;
import java.util.concurrent.CompletableFuture;

/**
 * SaslHandshake (key 17), v0-1, as it reaches the handlers: on a listener without SASL, or after a
 * connection has authenticated and is not re-authenticating. Both are ILLEGAL_SASL_STATE, as in
 * Kafka. On SASL listeners the connection's authenticator answers the handshake before any
 * handler sees it.
 */
public final class SaslHandshakeHandler extends ApiHandler<SaslHandshakeRequest, SaslHandshakeResponse> {
    public SaslHandshakeHandler() {
        super(ApiKey.SASL_HANDSHAKE, 0, 1);
    }

    /** Kafka authorizes nothing here. */
    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<SaslHandshakeResponse> handle(RequestContext context, SaslHandshakeRequest request) {
        return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.ILLEGAL_SASL_STATE));
    }

    @Override
    public SaslHandshakeResponse errorResponse(SaslHandshakeRequest request, ErrorCode error) {
        return new SaslHandshakeResponse().setErrorCode(error.code());
    }
}
