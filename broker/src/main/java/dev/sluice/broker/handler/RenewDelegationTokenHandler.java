package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.security.TokenAuthority;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.RenewDelegationTokenRequest;
import dev.sluice.wire.message.RenewDelegationTokenResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * RenewDelegationToken (key 39), v1-2: the token's owner or a renewer moves its expiry to the
 * renew period from now (a negative period: {@code delegation.token.expiry.time.ms}), never past
 * its maximum time. Errors as {@link TokenChanges} lists them; forwarded to the active controller.
 */
public final class RenewDelegationTokenHandler
        extends ApiHandler<RenewDelegationTokenRequest, RenewDelegationTokenResponse> {
    private final TokenChanges changes;

    public RenewDelegationTokenHandler(Controller controller, TokenAuthority tokens, LongSupplier clockMs,
                                       long expiryTimeMs) {
        super(ApiKey.RENEW_DELEGATION_TOKEN, 1, 2);
        this.changes = new TokenChanges(controller, tokens, clockMs, expiryTimeMs);
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<RenewDelegationTokenResponse> handle(RequestContext context,
                                                                   RenewDelegationTokenRequest request) {
        return changes.renew(context, request.hmac(), request.renewPeriodMs()).thenApply(change ->
            new RenewDelegationTokenResponse().setErrorCode(change.error().code()).setExpiryTimestampMs(change.expiryMs()));
    }

    @Override
    public RenewDelegationTokenResponse errorResponse(RenewDelegationTokenRequest request, ErrorCode error) {
        return new RenewDelegationTokenResponse().setErrorCode(error.code()).setExpiryTimestampMs(-1);
    }
}
