package dev.sluice.broker.security.sasl;

/**
 * What the broker stores for one user and one SCRAM mechanism (RFC 5802 section 3): enough to
 * check a client's proof and prove itself in return, but not the password nor anything a client
 * could log in with. Kafka keeps the same four values in its metadata (UserScramCredentialRecord).
 *
 * <p>The arrays are not copied: treat them as read-only.
 */
public record ScramCredential(byte[] salt, byte[] storedKey, byte[] serverKey, int iterations) {
    public ScramCredential {
        if (salt.length == 0 || storedKey.length == 0 || serverKey.length == 0 || iterations < 1) {
            throw new IllegalArgumentException("a SCRAM credential needs a salt, both keys and at least one iteration");
        }
    }

    /** Names no key, so that a credential in a log line gives nothing away. */
    @Override
    public String toString() {
        return "ScramCredential[iterations=" + iterations + "]";
    }
}
