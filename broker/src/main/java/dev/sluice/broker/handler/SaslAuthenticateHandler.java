package dev.sluice.broker.handler;

import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.SaslAuthenticateRequest;
import dev.sluice.wire.message.SaslAuthenticateResponse;
import java.util.concurrent.CompletableFuture;

/**
 * SaslAuthenticate (key 36), v0-2, as it reaches the handlers: on a listener without SASL, or
 * outside an exchange the connection's authenticator runs. ILLEGAL_SASL_STATE, as in Kafka.
 */
public final class SaslAuthenticateHandler extends ApiHandler<SaslAuthenticateRequest, SaslAuthenticateResponse> {
    public SaslAuthenticateHandler() {
        super(ApiKey.SASL_AUTHENTICATE, 0, 2);
    }

    /** Kafka authorizes nothing here. */
    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<SaslAuthenticateResponse> handle(RequestContext context, SaslAuthenticateRequest request) {
        return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.ILLEGAL_SASL_STATE)
            .setErrorMessage("no SASL authentication is under way on this connection"));
    }

    @Override
    public SaslAuthenticateResponse errorResponse(SaslAuthenticateRequest request, ErrorCode error) {
        return new SaslAuthenticateResponse().setErrorCode(error.code()).setAuthBytes(new byte[0]);
    }
}
