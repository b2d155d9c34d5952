package dev.sluice.broker.security.sasl;

import java.util.OptionalLong;

/**
 * One server-side SASL exchange: one authentication attempt by one client with one mechanism.
 * The connection layer passes each token the client sends (SaslAuthenticate's auth_bytes) to
 * {@link #evaluate} and sends back the reply, until {@link #isComplete()} or a failure. A failed or
 * completed exchange is not reused; re-authentication (KIP-368) starts a new one.
 *
 * <p>Not thread-safe: owned by the connection it authenticates.
 */
public interface SaslExchange {
    /** The mechanism's name as clients ask for it in SaslHandshake, such as {@code SCRAM-SHA-256}. */
    String mechanism();

    /**
     * Consumes the client's next token and returns the server's reply (an empty array when there is
     * none).
     *
     * @throws SaslAuthenticationException when authentication fails, whatever the client sent; the
     *     exchange is then over
     */
    byte[] evaluate(byte[] clientToken) throws SaslAuthenticationException;

    /** Whether the client is authenticated. */
    boolean isComplete();

    /**
     * The authenticated user name (for PLAIN and SCRAM the user, for a SCRAM delegation token its
     * owner, for OAUTHBEARER the token's principal claim).
     *
     * @throws IllegalStateException before the exchange is complete
     */
    String authorizedUser();

    /**
     * When the credential used stops being valid, in epoch milliseconds, if it has an end (an
     * OAUTHBEARER token's exp, a delegation token's expiry): the connection's session may last no
     * longer (KIP-368).
     */
    default OptionalLong credentialExpiryMs() {
        return OptionalLong.empty();
    }

    /** Whether the client authenticated with a delegation token rather than its own credential. */
    default boolean viaDelegationToken() {
        return false;
    }
}
