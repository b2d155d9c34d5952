package dev.sluice.broker.security.sasl;

/**
 * What every exchange does around its own steps: refuses tokens once it has completed or failed,
 * turns any unexpected exception into a {@link SaslAuthenticationException} (so that no client bytes
 * can make {@link #evaluate} throw anything else), and holds the authenticated user.
 */
abstract class AbstractSaslExchange implements SaslExchange {
    /** Prefix of {@link SaslAuthenticationException#detail()} when a step threw something unforeseen. */
    static final String UNEXPECTED = "unexpected failure: ";

    private enum State { RUNNING, COMPLETE, FAILED }

    private State state = State.RUNNING;
    private String user;

    @Override
    public final byte[] evaluate(byte[] clientToken) throws SaslAuthenticationException {
        if (state != State.RUNNING) {
            throw new SaslAuthenticationException(invalidCredentials(),
                "a token arrived after the exchange had " + (state == State.COMPLETE ? "completed" : "failed"));
        }
        try {
            return step(clientToken == null ? new byte[0] : clientToken);
        } catch (SaslAuthenticationException e) {
            fail();
            throw e;
        } catch (RuntimeException e) {
            fail();
            throw new SaslAuthenticationException(invalidCredentials(), UNEXPECTED + e, e);
        }
    }

    /** Handles the next client token; calls {@link #complete} when the client is authenticated. */
    abstract byte[] step(byte[] clientToken) throws SaslAuthenticationException;

    /** Forgets whatever secret material the exchange still holds; called once it has completed or failed. */
    void forgetSecrets() {
    }

    final void complete(String authorizedUser) {
        user = authorizedUser;
        state = State.COMPLETE;
        forgetSecrets();
    }

    private void fail() {
        state = State.FAILED;
        forgetSecrets();
    }

    @Override
    public final boolean isComplete() {
        return state == State.COMPLETE;
    }

    @Override
    public final String authorizedUser() {
        if (state != State.COMPLETE) {
            throw new IllegalStateException("the " + mechanism() + " exchange has not completed");
        }
        return user;
    }

    /**
     * Kafka's answer to a failure it does not describe to the client (a malformed message, an
     * unknown user, a wrong proof), which tells an attacker nothing about which it was.
     */
    final String invalidCredentials() {
        return "Authentication failed during authentication due to invalid credentials with SASL mechanism "
            + mechanism();
    }

    /** A failure described to the client only by {@link #invalidCredentials()}. */
    final SaslAuthenticationException refuse(String detail) {
        return new SaslAuthenticationException(invalidCredentials(), detail);
    }
}
