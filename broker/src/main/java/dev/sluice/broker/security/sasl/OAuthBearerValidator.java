package dev.sluice.broker.security.sasl;

import java.util.Collection;
import java.util.Set;

/**
 * Decides whether an OAUTHBEARER client's token is good, and who it names. Implementations are
 * thread-safe: one validator serves every connection of a listener.
 *
 * <p>The message of the exception a validator throws is sent to the client as the server's error
 * challenge of RFC 7628 when it is a JSON object with a {@code status} member, as
 * {@link #invalidToken} and {@link #insufficientScope} make it; any other message is replaced by
 * {@code {"status":"invalid_token"}} and kept only in the detail.
 */
@FunctionalInterface
public interface OAuthBearerValidator {
    /**
     * Checks {@code compactJws} (the bearer token as the client sent it).
     *
     * @throws SaslAuthenticationException if the token is not acceptable
     */
    ValidatedToken validate(String compactJws) throws SaslAuthenticationException;

    /**
     * A token that passed.
     *
     * @param principal the user the token authenticates
     * @param expiryMs when the token expires, in epoch milliseconds
     * @param scopes the scopes the token grants
     */
    record ValidatedToken(String principal, long expiryMs, Set<String> scopes) {
        public ValidatedToken {
            scopes = Set.copyOf(scopes);
        }
    }

    /** The failure for a token that is malformed, forged, expired or not meant for this broker. */
    static SaslAuthenticationException invalidToken(String detail) {
        return new SaslAuthenticationException("{\"status\":\"invalid_token\"}", detail);
    }

    /** The failure for a good token that lacks a scope the broker requires (RFC 6750's insufficient_scope). */
    static SaslAuthenticationException insufficientScope(Collection<String> requiredScope, String detail) {
        // Kafka's layout, separator included; the scope is RFC 7628's space-separated list.
        return new SaslAuthenticationException("{\"status\":\"insufficient_scope\", \"scope\":"
            + Json.quote(String.join(" ", requiredScope)) + "}", detail);
    }
}
