package dev.sluice.broker.security;

/**
 * How a connection's client proved who it is. Kafka lets only clients that proved it with their
 * own credential (SASL, or a TLS client certificate) create, renew or expire delegation tokens:
 * neither anonymous clients nor those that logged in with a token.
 */
public enum AuthenticationMethod {
    /** Not authenticated: a plaintext connection, or TLS without a client certificate. */
    NONE,
    /** A TLS client certificate. */
    CERTIFICATE,
    /** SASL with the client's own credential. */
    SASL,
    /** SASL/SCRAM with a delegation token. */
    DELEGATION_TOKEN;

    /** Whether a client authenticated this way may use the delegation token APIs that change tokens. */
    public boolean mayManageTokens() {
        return this == CERTIFICATE || this == SASL;
    }
}
