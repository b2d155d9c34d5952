package dev.sluice.broker.security.sasl;

/**
 * Thrown when a SASL exchange fails. {@link #getMessage()} is what the client is told (it goes into
 * the SaslAuthenticate response's error message) and never contains a secret; {@link #detail()}
 * says more precisely what went wrong, for the broker's log, and never contains a secret either
 * (it may name the user or the check that failed, which the client must not learn).
 *
 * <p>A failed authentication is an expected outcome that a client can cause at will, so this
 * exception records no stack trace.
 */
public final class SaslAuthenticationException extends Exception {
    private final String detail;

    public SaslAuthenticationException(String message) {
        this(message, message);
    }

    public SaslAuthenticationException(String message, String detail) {
        super(message, null, false, false);
        this.detail = detail;
    }

    /** For a failure that was not the client's doing (a bug, a validator that threw): keeps the cause. */
    SaslAuthenticationException(String message, String detail, Throwable cause) {
        super(message, cause, false, false);
        this.detail = detail;
    }

    /** Why the exchange failed, for the broker's log. */
    public String detail() {
        return detail;
    }
}
