package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.security.TokenAuthority;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ExpireDelegationTokenRequest;
import dev.sluice.wire.message.ExpireDelegationTokenResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * ExpireDelegationToken (key 40), v1-2: the token's owner or a renewer moves its expiry to the
 * period from now, never past its maximum time; a negative period expires the token at once and
 * removes it. Errors as {@link TokenChanges} lists them; forwarded to the active controller.
 */
public final class ExpireDelegationTokenHandler
        extends ApiHandler<ExpireDelegationTokenRequest, ExpireDelegationTokenResponse> {
    private final TokenChanges changes;

    public ExpireDelegationTokenHandler(Controller controller, TokenAuthority tokens, LongSupplier clockMs,
                                        long expiryTimeMs) {
        super(ApiKey.EXPIRE_DELEGATION_TOKEN, 1, 2);
        this.changes = new TokenChanges(controller, tokens, clockMs, expiryTimeMs);
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ExpireDelegationTokenResponse> handle(RequestContext context,
                                                                   ExpireDelegationTokenRequest request) {
        return changes.expire(context, request.hmac(), request.expiryTimePeriodMs()).thenApply(change ->
            new ExpireDelegationTokenResponse().setErrorCode(change.error().code()).setExpiryTimestampMs(change.expiryMs()));
    }

    @Override
    public ExpireDelegationTokenResponse errorResponse(ExpireDelegationTokenRequest request, ErrorCode error) {
        return new ExpireDelegationTokenResponse().setErrorCode(error.code()).setExpiryTimestampMs(-1);
    }
}
