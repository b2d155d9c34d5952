package dev.sluice.broker.security.sasl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The client side of SCRAM-SHA-256/512 (RFC 5802, without channel binding, as Kafka's clients):
 * client-first {@code n,,n=user,r=nonce}, then, from the server-first's nonce, salt and
 * iterations, the client-final with the proof; the server-final's signature is checked, so a
 * server that does not hold the user's credential is found out.
 */
public final class ScramClient implements SaslClientExchange {
    private static final String GS2_HEADER = "n,,";
    private static final SecureRandom RANDOM = new SecureRandom();

    private enum Step { SERVER_FIRST, SERVER_FINAL, DONE }

    private final ScramMechanism mechanism;
    private final String user;
    private final String password;
    private final String clientNonce;
    private Step step = Step.SERVER_FIRST;
    private String clientFirstBare;
    private byte[] expectedSignature;
    private boolean complete;

    public ScramClient(ScramMechanism mechanism, String user, String password) {
        this.mechanism = mechanism;
        this.user = user;
        this.password = password;
        byte[] nonce = new byte[24];
        RANDOM.nextBytes(nonce);
        this.clientNonce = Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
    }

    @Override
    public String mechanism() {
        return mechanism.mechanismName();
    }

    @Override
    public byte[] first() {
        clientFirstBare = "n=" + user.replace("=", "=3D").replace(",", "=2C") + ",r=" + clientNonce;
        return (GS2_HEADER + clientFirstBare).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] respond(byte[] serverToken) throws SaslAuthenticationException {
        return switch (step) {
            case SERVER_FIRST -> serverFirst(new String(serverToken, StandardCharsets.UTF_8));
            case SERVER_FINAL -> serverFinal(new String(serverToken, StandardCharsets.UTF_8));
            case DONE -> throw failed("a reply after the exchange ended");
        };
    }

    private byte[] serverFirst(String serverFirst) throws SaslAuthenticationException {
        String[] attributes = serverFirst.split(",", -1);
        if (attributes.length < 3 || !attributes[0].startsWith("r=") || !attributes[1].startsWith("s=")
                || !attributes[2].startsWith("i=")) {
            throw failed("a malformed server-first message");
        }
        String nonce = attributes[0].substring(2);
        if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length()) {
            throw failed("a server nonce that does not extend the client's");
        }
        byte[] salt;
        int iterations;
        try {
            salt = Base64.getDecoder().decode(attributes[1].substring(2));
            iterations = Integer.parseInt(attributes[2].substring(2));
        } catch (IllegalArgumentException e) {
            throw failed("a malformed salt or iteration count");
        }
        if (iterations < mechanism.minIterations() || salt.length == 0) {
            throw failed(iterations + " iterations, fewer than " + mechanism.minIterations());
        }
        String withoutProof = "c=" + Base64.getEncoder().encodeToString(GS2_HEADER.getBytes(StandardCharsets.UTF_8))
            + ",r=" + nonce;
        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
        byte[] salted = mechanism.saltedPassword(password, salt, iterations);
        byte[] clientKey = mechanism.hmac(salted, "Client Key".getBytes(StandardCharsets.US_ASCII));
        byte[] signature = mechanism.hmac(mechanism.hash(clientKey), authMessage);
        for (int i = 0; i < clientKey.length; i++) {
            clientKey[i] ^= signature[i];
        }
        byte[] serverKey = mechanism.hmac(salted, "Server Key".getBytes(StandardCharsets.US_ASCII));
        expectedSignature = mechanism.hmac(serverKey, authMessage);
        java.util.Arrays.fill(salted, (byte) 0);
        step = Step.SERVER_FINAL;
        return (withoutProof + ",p=" + Base64.getEncoder().encodeToString(clientKey)).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] serverFinal(String serverFinal) throws SaslAuthenticationException {
        if (serverFinal.startsWith("e=")) {
            throw failed("the server's error " + serverFinal.substring(2));
        }
        byte[] signature;
        try {
            signature = serverFinal.startsWith("v=") ? Base64.getDecoder().decode(serverFinal.substring(2)) : null;
        } catch (IllegalArgumentException e) {
            signature = null;
        }
        if (signature == null || !MessageDigest.isEqual(signature, expectedSignature)) {
            throw failed("a server signature that does not match: the server does not hold this user's credential");
        }
        step = Step.DONE;
        complete = true;
        return null;
    }

    private SaslAuthenticationException failed(String what) {
        step = Step.DONE;
        String message = mechanism() + " authentication of " + user + " failed: the server sent " + what;
        return new SaslAuthenticationException(message, message);
    }

    @Override
    public boolean isComplete() {
        return complete;
    }
}
