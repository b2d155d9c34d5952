package dev.sluice.broker.security.sasl;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The SCRAM mechanisms Kafka offers (RFC 5802 with the hashes of RFC 7677 and its SHA-512
 * sibling), and the arithmetic that turns a password into the credential the broker stores.
 *
 * <p>Passwords are used as their UTF-8 bytes without SASLprep, as Kafka's clients and brokers do:
 * a credential made here matches one made by Kafka's tools for the same password.
 */
public enum ScramMechanism {
    SCRAM_SHA_256("SCRAM-SHA-256", (byte) 1, "SHA-256", "HmacSHA256"),
    SCRAM_SHA_512("SCRAM-SHA-512", (byte) 2, "SHA-512", "HmacSHA512");

    /** Kafka refuses fewer iterations than this, at authentication and when credentials are altered. */
    private static final int MIN_ITERATIONS = 4096;
    /** Kafka refuses more iterations than this when credentials are altered (AlterUserScramCredentials). */
    private static final int MAX_ITERATIONS = 16384;

    private final String mechanismName;
    private final byte type;
    private final String hashAlgorithm;
    private final String macAlgorithm;

    ScramMechanism(String mechanismName, byte type, String hashAlgorithm, String macAlgorithm) {
        this.mechanismName = mechanismName;
        this.type = type;
        this.hashAlgorithm = hashAlgorithm;
        this.macAlgorithm = macAlgorithm;
    }

    /** The name clients ask for in SaslHandshake, such as {@code SCRAM-SHA-256}. */
    public String mechanismName() {
        return mechanismName;
    }

    /** The id DescribeUserScramCredentials and AlterUserScramCredentials carry: 1 for SHA-256, 2 for SHA-512. */
    public byte type() {
        return type;
    }

    public int minIterations() {
        return MIN_ITERATIONS;
    }

    public int maxIterations() {
        return MAX_ITERATIONS;
    }

    /** Length in bytes of the hash, and so of a stored key, server key, proof and signature. */
    public int hashLength() {
        return this == SCRAM_SHA_256 ? 32 : 64;
    }

    public static Optional<ScramMechanism> forName(String name) {
        return Arrays.stream(values()).filter(m -> m.mechanismName.equals(name)).findFirst();
    }

    public static Optional<ScramMechanism> forType(byte type) {
        return Arrays.stream(values()).filter(m -> m.type == type).findFirst();
    }

    /**
     * The credential for {@code password}: SaltedPassword = Hi(password, salt, iterations) of RFC 5802
     * (PBKDF2 with this mechanism's HMAC and one block), then the keys derived from it.
     *
     * @throws IllegalArgumentException for an empty password (an HMAC key cannot be empty, in Kafka
     *     either), an empty salt or fewer than one iteration
     */
    public ScramCredential credential(String password, byte[] salt, int iterations) {
        if (password.isEmpty()) {
            throw new IllegalArgumentException("a SCRAM password cannot be empty");
        }
        return credentialFromSaltedPassword(hi(password.getBytes(StandardCharsets.UTF_8), salt, iterations),
            salt, iterations);
    }

    /**
     * The credential from a salted password, as AlterUserScramCredentials carries it (Kafka's admin
     * client sends SaltedPassword, never the password): StoredKey = H(HMAC(SaltedPassword,
     * "Client Key")) and ServerKey = HMAC(SaltedPassword, "Server Key").
     *
     * @throws IllegalArgumentException for an empty salted password or salt, or fewer than one iteration
     */
    public ScramCredential credentialFromSaltedPassword(byte[] saltedPassword, byte[] salt, int iterations) {
        if (saltedPassword.length == 0) {
            throw new IllegalArgumentException("a salted password cannot be empty");
        }
        byte[] storedKey = hash(hmac(saltedPassword, "Client Key".getBytes(StandardCharsets.US_ASCII)));
        byte[] serverKey = hmac(saltedPassword, "Server Key".getBytes(StandardCharsets.US_ASCII));
        return new ScramCredential(salt.clone(), storedKey, serverKey, iterations);
    }

    /** SaltedPassword = Hi(password, salt, iterations), which a client proves it knows. */
    byte[] saltedPassword(String password, byte[] salt, int iterations) {
        return hi(password.getBytes(StandardCharsets.UTF_8), salt, iterations);
    }

    byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(macAlgorithm);
            mac.init(new SecretKeySpec(key, macAlgorithm));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + macAlgorithm, e);
        }
    }

    byte[] hash(byte[] data) {
        try {
            return MessageDigest.getInstance(hashAlgorithm).digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + hashAlgorithm, e);
        }
    }

    /** Hi() of RFC 5802: U1 = HMAC(password, salt + INT(1)), Ui = HMAC(password, Ui-1), result U1 ^ ... ^ Ui. */
    private byte[] hi(byte[] password, byte[] salt, int iterations) {
        if (salt.length == 0 || iterations < 1) {
            throw new IllegalArgumentException("a SCRAM credential needs a salt and at least one iteration");
        }
        try {
            Mac mac = Mac.getInstance(macAlgorithm);
            mac.init(new SecretKeySpec(password, macAlgorithm));
            mac.update(salt);
            byte[] u = mac.doFinal(new byte[] {0, 0, 0, 1});
            byte[] result = u.clone();
            for (int i = 1; i < iterations; i++) {
                u = mac.doFinal(u);
                for (int j = 0; j < result.length; j++) {
                    result[j] ^= u[j];
                }
            }
            return result;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + macAlgorithm, e);
        } finally {
            Arrays.fill(password, (byte) 0);
        }
    }
}
