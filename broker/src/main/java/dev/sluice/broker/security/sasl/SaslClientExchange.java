package dev.sluice.broker.security.sasl;

/**
 * One client-side SASL exchange, as a broker authenticates to another broker's SASL listener:
 * {@link #first} is the token sent in the first SaslAuthenticate, and each server reply goes to
 * {@link #respond} until the exchange is over. A failed or completed exchange is not reused.
 *
 * <p>Not thread-safe: owned by the connection it authenticates.
 */
public interface SaslClientExchange {
    /** The mechanism's name, as SaslHandshake asks for it. */
    String mechanism();

    /** The client's first token. */
    byte[] first();

    /**
     * Takes the server's reply to the last token and returns the next one to send, or null when
     * the exchange is over on this side (the server's last reply was checked).
     *
     * @throws SaslAuthenticationException when the server's reply is malformed or does not prove
     *     the server knows the credential
     */
    byte[] respond(byte[] serverToken) throws SaslAuthenticationException;

    /** Whether the server's replies so far finished the exchange successfully. */
    boolean isComplete();
}
