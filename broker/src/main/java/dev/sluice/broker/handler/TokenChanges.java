package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.Controller.TokenChange;
import dev.sluice.broker.metadata.DelegationTokenImage;
import dev.sluice.broker.security.TokenAuthority;
import dev.sluice.wire.message.ErrorCode;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * What RenewDelegationToken and ExpireDelegationToken share: the token is named by its HMAC, only
 * a client that proved who it is with its own credential may ask, and the owner or a renewer
 * changes its expiry through the active controller.
 */
final class TokenChanges {
    private final Controller controller;
    private final TokenAuthority tokens;
    private final LongSupplier clockMs;
    private final long expiryTimeMs;

    TokenChanges(Controller controller, TokenAuthority tokens, LongSupplier clockMs, long expiryTimeMs) {
        this.controller = controller;
        this.tokens = tokens;
        this.clockMs = clockMs;
        this.expiryTimeMs = expiryTimeMs;
    }

    /** Renews the token for {@code periodMs}, or {@code delegation.token.expiry.time.ms} when negative. */
    CompletableFuture<TokenChange> renew(RequestContext context, byte[] hmac, long periodMs) {
        return change(context, hmac, (id, principal) -> controller.renewDelegationToken(id, principal, periodMs,
            expiryTimeMs, clockMs.getAsLong()));
    }

    /** Moves the token's expiry to {@code periodMs} from now; a negative period expires it at once. */
    CompletableFuture<TokenChange> expire(RequestContext context, byte[] hmac, long periodMs) {
        return change(context, hmac, (id, principal) -> controller.expireDelegationToken(id, principal, periodMs,
            clockMs.getAsLong()));
    }

    private interface Change {
        CompletableFuture<TokenChange> apply(String tokenId, String principal);
    }

    private CompletableFuture<TokenChange> change(RequestContext context, byte[] hmac, Change change) {
        if (!context.connection().method().mayManageTokens()) {
            return refused(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
        }
        if (!tokens.enabled()) {
            return refused(ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED);
        }
        Optional<DelegationTokenImage> token = tokens.byHmac(hmac);
        if (token.isEmpty()) {
            return refused(ErrorCode.DELEGATION_TOKEN_NOT_FOUND);
        }
        return change.apply(token.get().tokenId(), context.principal().toString());
    }

    private static CompletableFuture<TokenChange> refused(ErrorCode error) {
        return CompletableFuture.completedFuture(new TokenChange(error, null, -1));
    }
}
