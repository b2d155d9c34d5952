package dev.sluice.broker.security.sasl;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The server side of SCRAM (RFC 5802) as Kafka runs it, in two client tokens:
 * <ol>
 *   <li>client-first {@code gs2-header n=user,r=client-nonce[,ext=value]*}, answered by
 *       server-first {@code r=client-nonce server-nonce,s=base64(salt),i=iterations};</li>
 *   <li>client-final {@code c=base64(gs2-header),r=nonce[,ext]*,p=base64(ClientProof)}, checked by
 *       recomputing StoredKey = H(ClientSignature XOR ClientProof), answered by server-final
 *       {@code v=base64(ServerSignature)} which lets the client check the server in turn.</li>
 * </ol>
 *
 * <p>What a client learns on failure: every failure, whether a malformed message, a wrong
 * password, a changed nonce or an unknown user, gets Kafka's one message ("Authentication failed
 * during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"), with the
 * reason only in {@link SaslAuthenticationException#detail()}; the single exception is Kafka's own
 * message for an authorization identity other than the user. An
 * unknown user (or delegation token, or a credential with too few iterations) is not refused at
 * once, as Kafka does, but answered with a server-first message made from a fake credential whose
 * salt is stable per user name and shaped like the salts Kafka's tools make (RFC 5802 section 5.1
 * suggests it): a client cannot tell from the first round whether a user exists.
 *
 * <p>Extensions of the client-first message are kept ({@link #extensions()}); {@code tokenauth=true}
 * (KIP-48) makes the user name a delegation token id, looked up in {@link DelegationTokens} when
 * the exchange has one and failing otherwise. Channel binding is not offered (see {@link Gs2Header}),
 * nor are mandatory extensions ({@code m=}), and names are compared without SASLprep, as in Kafka.
 *
 * <p>Not thread-safe: owned by the connection it authenticates.
 */
public final class ScramExchange extends AbstractSaslExchange {
    /** The extension that asks for delegation token authentication (Kafka's ScramExtensions). */
    public static final String TOKEN_AUTH_EXTENSION = "tokenauth";

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Keys the fake salts of unknown users: unpredictable, yet the same for a name while the broker runs. */
    private static final byte[] FAKE_SALT_KEY = randomBytes(32);

    private enum Step { CLIENT_FIRST, CLIENT_FINAL }

    private final ScramMechanism mechanism;
    private final ScramCredentials credentials;
    private final DelegationTokens tokens;
    private final Supplier<String> serverNonces;

    private Step step = Step.CLIENT_FIRST;
    private Gs2Header header;
    private String user;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private Map<String, String> extensions = Map.of();
    private ScramCredential credential;
    /** Why the exchange will fail whatever the proof, when it goes on only to hide that; null otherwise. */
    private String refusal;
    private String owner;
    private OptionalLong expiryMs = OptionalLong.empty();

    /** An exchange that refuses delegation tokens. */
    public ScramExchange(ScramMechanism mechanism, ScramCredentials credentials) {
        this(mechanism, credentials, null, ScramExchange::randomNonce);
    }

    public ScramExchange(ScramMechanism mechanism, ScramCredentials credentials, DelegationTokens tokens) {
        this(mechanism, credentials, Objects.requireNonNull(tokens), ScramExchange::randomNonce);
    }

    /** With the server's half of each nonce chosen by the caller, for tests against published vectors. */
    ScramExchange(ScramMechanism mechanism, ScramCredentials credentials, DelegationTokens tokensOrNull,
            Supplier<String> serverNonces) {
        this.mechanism = Objects.requireNonNull(mechanism);
        this.credentials = Objects.requireNonNull(credentials);
        this.tokens = tokensOrNull;
        this.serverNonces = serverNonces;
    }

    @Override
    public String mechanism() {
        return mechanism.mechanismName();
    }

    /** Whether the client asked to authenticate with a delegation token ({@code tokenauth=true}). */
    public boolean tokenAuthentication() {
        return "true".equalsIgnoreCase(extensions.get(TOKEN_AUTH_EXTENSION));
    }

    @Override
    public boolean viaDelegationToken() {
        return tokenAuthentication();
    }

    /** The extensions of the client-first message, in the order sent; empty before it. */
    public Map<String, String> extensions() {
        return extensions;
    }

    /** A delegation token's expiry; empty for a user's credential, which does not expire. */
    @Override
    public OptionalLong credentialExpiryMs() {
        return expiryMs;
    }

    @Override
    byte[] step(byte[] clientToken) throws SaslAuthenticationException {
        return step == Step.CLIENT_FIRST ? clientFirst(clientToken) : clientFinal(clientToken);
    }

    @Override
    void forgetSecrets() {
        credential = null;
    }

    private byte[] clientFirst(byte[] token) throws SaslAuthenticationException {
        String clientNonce;
        try {
            String message = ClientText.utf8(token);
            header = Gs2Header.parse(message);
            clientFirstBare = message.substring(header.text().length());
            String[] attributes = clientFirstBare.split(",", -1);
            if (attributes[0].startsWith("m=")) {
                throw new MalformedTokenException("a mandatory extension (m=), which is not supported");
            }
            user = ClientText.decodeSaslName(attribute(attributes, 0, "n="));
            clientNonce = attribute(attributes, 1, "r=");
            checkNonce(clientNonce);
            extensions = extensions(attributes);
        } catch (MalformedTokenException e) {
            throw refuse("malformed client-first message: " + e.getMessage());
        }
        if (!header.authorizationId().isEmpty() && !header.authorizationId().equals(user)) {
            throw new SaslAuthenticationException(
                "Authentication failed: Client requested an authorization id that is different from username",
                "authorization id requested for user " + user + " is another user");
        }
        lookUpCredential();
        nonce = clientNonce + serverNonces.get();
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(credential.salt())
            + ",i=" + credential.iterations();
        step = Step.CLIENT_FINAL;
        return serverFirst.getBytes(StandardCharsets.UTF_8);
    }

    private void lookUpCredential() {
        if (tokenAuthentication()) {
            if (tokens == null) {
                refusal = "delegation token authentication is not supported";
            } else {
                tokens.find(user, mechanism).ifPresent(token -> {
                    credential = token.credential();
                    owner = token.owner();
                    expiryMs = OptionalLong.of(token.expiryMs());
                });
                if (credential == null) {
                    refusal = "unknown or expired delegation token " + user;
                }
            }
        } else {
            credential = credentials.find(user, mechanism).orElse(null);
            owner = user;
            if (credential == null) {
                refusal = "unknown user " + user;
            }
        }
        if (credential != null && credential.iterations() < mechanism.minIterations()) {
            refusal = "the " + mechanism() + " credential of " + user + " has " + credential.iterations()
                + " iterations, fewer than " + mechanism.minIterations();
            credential = null;
        }
        if (credential == null) {
            credential = fakeCredential();
        }
    }

    /** A credential no proof matches, with the salt a real one would show for this name. */
    private ScramCredential fakeCredential() {
        byte[] mac = ScramMechanism.SCRAM_SHA_256.hmac(FAKE_SALT_KEY,
            (mechanism() + '\0' + user).getBytes(StandardCharsets.UTF_8));
        byte[] salt = new BigInteger(1, Arrays.copyOf(mac, 16)).toString(Character.MAX_RADIX)
            .getBytes(StandardCharsets.US_ASCII);
        return new ScramCredential(salt, randomBytes(mechanism.hashLength()), randomBytes(mechanism.hashLength()),
            mechanism.minIterations());
    }

    private byte[] clientFinal(byte[] token) throws SaslAuthenticationException {
        String withoutProof;
        byte[] proof;
        try {
            String message = ClientText.utf8(token);
            int proofAt = message.lastIndexOf(",p=");
            if (proofAt < 0) {
                throw new MalformedTokenException("no proof (p=)");
            }
            withoutProof = message.substring(0, proofAt);
            String[] attributes = withoutProof.split(",", -1);
            byte[] binding = base64(attribute(attributes, 0, "c="));
            if (!Arrays.equals(binding, header.text().getBytes(StandardCharsets.UTF_8))) {
                throw new MalformedTokenException("channel binding data (c=) that is not the GS2 header sent first");
            }
            // RFC 5802 wants the nonce echoed exactly. Some librdkafka releases (2.0.2, which
            // Debian ships under kcat) send their own nonce again in front of it, and Kafka's
            // brokers have long accepted that; the nonce the server sent, which makes the
            // exchange fresh, must still come back whole at the end, and the proof covers the
            // nonce as sent.
            if (!attribute(attributes, 1, "r=").endsWith(nonce)) {
                throw new MalformedTokenException("a nonce that does not end with the one the server sent");
            }
            extensions(attributes);
            proof = base64(message.substring(proofAt + 3));
            if (proof.length != mechanism.hashLength()) {
                throw new MalformedTokenException("a proof of " + proof.length + " bytes");
            }
        } catch (MalformedTokenException e) {
            throw refuse("malformed client-final message from " + user + ": " + e.getMessage());
        }
        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof)
            .getBytes(StandardCharsets.UTF_8);
        byte[] clientKey = mechanism.hmac(credential.storedKey(), authMessage);
        for (int i = 0; i < clientKey.length; i++) {
            clientKey[i] ^= proof[i];
        }
        boolean proven = MessageDigest.isEqual(mechanism.hash(clientKey), credential.storedKey());
        if (refusal != null) {
            throw refuse(refusal);
        }
        if (!proven) {
            throw refuse("wrong password for " + (tokenAuthentication() ? "delegation token " : "user ") + user);
        }
        byte[] serverSignature = mechanism.hmac(credential.serverKey(), authMessage);
        complete(owner);
        return ("v=" + Base64.getEncoder().encodeToString(serverSignature)).getBytes(StandardCharsets.US_ASCII);
    }

    /** The value of attribute {@code index}, which must be {@code name=value} (the name given with its '='). */
    private static String attribute(String[] attributes, int index, String name) throws MalformedTokenException {
        if (index >= attributes.length || !attributes[index].startsWith(name)) {
            throw new MalformedTokenException("no " + name + " attribute where expected");
        }
        return attributes[index].substring(name.length());
    }

    /** The {@code key=value} attributes from the third on, as the extensions of RFC 5802 and Kafka. */
    private static Map<String, String> extensions(String[] attributes) throws MalformedTokenException {
        Map<String, String> found = new LinkedHashMap<>();
        for (int i = 2; i < attributes.length; i++) {
            int equals = attributes[i].indexOf('=');
            String key = equals < 0 ? "" : attributes[i].substring(0, equals);
            if (key.isEmpty() || !key.chars().allMatch(c -> c < 128 && Character.isLetter(c))
                    || equals == attributes[i].length() - 1) {
                throw new MalformedTokenException("an extension that is not letters=value");
            }
            if (found.put(key, attributes[i].substring(equals + 1)) != null) {
                throw new MalformedTokenException("a repeated extension");
            }
        }
        return Collections.unmodifiableMap(found);
    }

    /** RFC 5802's nonce: printable ASCII other than ','. */
    private static void checkNonce(String nonce) throws MalformedTokenException {
        if (nonce.isEmpty() || !nonce.chars().allMatch(c -> c >= 0x21 && c <= 0x7E)) {
            throw new MalformedTokenException("a nonce that is empty or not printable ASCII");
        }
    }

    private static byte[] base64(String text) throws MalformedTokenException {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new MalformedTokenException("a value that is not base64");
        }
    }

    private static String randomNonce() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(18));
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
