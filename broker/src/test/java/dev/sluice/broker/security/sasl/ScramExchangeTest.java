package dev.sluice.broker.security.sasl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.security.sasl.DelegationTokens.TokenCredential;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.SaslClient;
import org.apache.kafka.common.security.scram.ScramExtensionsCallback;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramSaslClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SCRAM against RFC 7677's published exchange, against Kafka's own client and credential
 * arithmetic, and against hand-made messages for each way a client can get it wrong.
 */
class ScramExchangeTest {
    private static final String INVALID = "Authentication failed during authentication due to invalid credentials"
        + " with SASL mechanism SCRAM-SHA-256";
    private static final byte[] SALT = "a-fixed-salt-for-tests".getBytes(StandardCharsets.US_ASCII);
    private static final String SERVER_NONCE = "server-nonce";

    private static ScramCredentials only(String user, ScramCredential credential) {
        return (name, mechanism) -> name.equals(user) ? Optional.of(credential) : Optional.empty();
    }

    private static ScramExchange exchange(ScramCredentials credentials) {
        return new ScramExchange(ScramMechanism.SCRAM_SHA_256, credentials, null, () -> SERVER_NONCE);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** RFC 7677 section 3, with the server's nonce and the user's salt as published. */
    @Test
    void rfc7677ExchangeIsReproducedByteForByte() throws Exception {
        ScramCredential pencil = ScramMechanism.SCRAM_SHA_256.credential("pencil",
            Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
        ScramExchange exchange = new ScramExchange(ScramMechanism.SCRAM_SHA_256, only("user", pencil), null,
            () -> "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");

        byte[] serverFirst = exchange.evaluate(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
        assertEquals("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            text(serverFirst));
        byte[] serverFinal = exchange.evaluate(bytes("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        assertEquals("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", text(serverFinal));
        assertTrue(exchange.isComplete());
        assertEquals("user", exchange.authorizedUser());
        assertEquals(OptionalLong.empty(), exchange.credentialExpiryMs());
    }

    @ParameterizedTest
    @EnumSource(ScramMechanism.class)
    void credentialsMatchKafkasFormatter(ScramMechanism mechanism) throws Exception {
        ScramFormatter kafka = new ScramFormatter(kafkaMechanism(mechanism));
        byte[] salted = kafka.saltedPassword("alice-secret", SALT, 4096);
        ScramCredential ours = mechanism.credential("alice-secret", SALT, 4096);

        assertArrayEquals(kafka.storedKey(kafka.clientKey(salted)), ours.storedKey());
        assertArrayEquals(kafka.serverKey(salted), ours.serverKey());
        assertArrayEquals(SALT, ours.salt());
        assertEquals(mechanism.hashLength(), ours.storedKey().length);

        ScramCredential fromSalted = mechanism.credentialFromSaltedPassword(salted, SALT, 4096);
        assertArrayEquals(ours.storedKey(), fromSalted.storedKey());
        assertArrayEquals(ours.serverKey(), fromSalted.serverKey());
    }

    @Test
    void mechanismsAreFoundByNameAndKafkasTypeId() {
        assertEquals(Optional.of(ScramMechanism.SCRAM_SHA_512), ScramMechanism.forName("SCRAM-SHA-512"));
        assertEquals(Optional.of(ScramMechanism.SCRAM_SHA_256), ScramMechanism.forType((byte) 1));
        assertEquals(Optional.of(ScramMechanism.SCRAM_SHA_512), ScramMechanism.forType((byte) 2));
        assertEquals(Optional.empty(), ScramMechanism.forName("SCRAM-SHA-1"));
        assertEquals(Optional.empty(), ScramMechanism.forType((byte) 0));
        assertEquals(4096, ScramMechanism.SCRAM_SHA_256.minIterations());
        assertThrows(IllegalArgumentException.class, () -> ScramMechanism.SCRAM_SHA_256.credential("", SALT, 4096));
    }

    @ParameterizedTest
    @EnumSource(ScramMechanism.class)
    void kafkasClientAuthenticatesAndAcceptsTheServerSignature(ScramMechanism mechanism) throws Exception {
        ScramExchange exchange = new ScramExchange(mechanism,
            only("alice", mechanism.credential("alice-secret", SALT, 4096)));
        SaslClient client = kafkaClient(mechanism, "alice", "alice-secret", Map.of());

        runKafkaClient(client, exchange);

        assertTrue(client.isComplete(), "the client verified the server's signature");
        assertTrue(exchange.isComplete());
        assertEquals("alice", exchange.authorizedUser());
        assertEquals(mechanism.mechanismName(), exchange.mechanism());
    }

    @Test
    void aWrongPasswordFailsWithKafkasMessage() throws Exception {
        ScramExchange exchange = exchange(only("alice", ScramMechanism.SCRAM_SHA_256.credential("right", SALT, 4096)));

        SaslAuthenticationException e = refusal(exchange, "alice", "wrong", Map.of());
        assertEquals(INVALID, e.getMessage());
        assertTrue(e.detail().contains("wrong password"), e.detail());
        assertFalse(exchange.isComplete());
        assertThrows(IllegalStateException.class, exchange::authorizedUser);
    }

    @Test
    void anUnknownUserGetsAStableFakeSaltAndFailsOnlyAtTheEnd() throws Exception {
        ScramCredentials none = (user, mechanism) -> Optional.empty();
        String first = text(exchange(none).evaluate(bytes("n,,n=mallory,r=abc")));
        String again = text(exchange(none).evaluate(bytes("n,,n=mallory,r=xyz")));
        String other = text(exchange(none).evaluate(bytes("n,,n=trudy,r=abc")));

        assertTrue(first.matches("r=abcserver-nonce,s=[A-Za-z0-9+/=]+,i=4096"), first);
        assertEquals(first.substring(first.indexOf(",s=")), again.substring(again.indexOf(",s=")));
        assertFalse(first.substring(first.indexOf(",s=")).equals(other.substring(other.indexOf(",s="))));
        String salt = new String(Base64.getDecoder().decode(first.split(",")[1].substring(2)),
            StandardCharsets.US_ASCII);
        assertTrue(salt.matches("[0-9a-z]{20,26}"), "shaped like a salt of Kafka's tools: " + salt);

        SaslAuthenticationException e = refusal(exchange(none), "mallory", "guess", Map.of());
        assertEquals(INVALID, e.getMessage());
        assertTrue(e.detail().contains("unknown user mallory"), e.detail());
    }

    @Test
    void aCredentialWithTooFewIterationsIsRefused() throws Exception {
        ScramExchange exchange = exchange(only("alice", ScramMechanism.SCRAM_SHA_256.credential("pw", SALT, 1000)));

        SaslAuthenticationException e = refusal(exchange, "alice", "pw", Map.of());
        assertTrue(e.detail().contains("fewer than 4096"), e.detail());
    }

    @Test
    void theClientFinalMessageMustCarryTheServersNonce() throws Exception {
        ScramExchange exchange = exchange(only("user", ScramMechanism.SCRAM_SHA_256.credential("pw", SALT, 4096)));
        exchange.evaluate(bytes("n,,n=user,r=abc"));
        String message = clientFinal("pw", "n,,", "n=user,r=abc", "r=abcserver-nonce,s="
            + Base64.getEncoder().encodeToString(SALT) + ",i=4096", "c=biws,r=abcother-nonce");

        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
            () -> exchange.evaluate(bytes(message)));
        assertEquals(INVALID, e.getMessage());
        assertTrue(e.detail().contains("nonce"), e.detail());
    }

    @Test
    void channelBindingIsRefusedButAClientThatMerelySupportsItIsAccepted() throws Exception {
        ScramCredentials credentials = only("user", ScramMechanism.SCRAM_SHA_256.credential("pw", SALT, 4096));
        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
            () -> exchange(credentials).evaluate(bytes("p=tls-unique,,n=user,r=abc")));
        assertEquals(INVALID, e.getMessage());
        assertTrue(e.detail().contains("channel binding"), e.detail());

        assertTrue(completes(credentials, "pw", "y,,", "n=user,r=abc", "c=eSws,r=abcserver-nonce"));
        // The c= attribute must echo the header actually sent.
        assertThrows(SaslAuthenticationException.class,
            () -> completes(credentials, "pw", "y,,", "n=user,r=abc", "c=biws,r=abcserver-nonce"));
    }

    @Test
    void anAuthorizationIdMustBeTheUserItself() throws Exception {
        ScramCredentials credentials = only("user", ScramMechanism.SCRAM_SHA_256.credential("pw", SALT, 4096));
        assertTrue(completes(credentials, "pw", "n,a=user,", "n=user,r=abc",
            "c=" + Base64.getEncoder().encodeToString(bytes("n,a=user,")) + ",r=abcserver-nonce"));

        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
            () -> exchange(credentials).evaluate(bytes("n,a=admin,n=user,r=abc")));
        assertEquals("Authentication failed: Client requested an authorization id that is different from username",
            e.getMessage());
    }

    @Test
    void escapedUserNamesAreUnescapedForLookUp() throws Exception {
        String user = "o=dd,name";
        ScramExchange exchange = new ScramExchange(ScramMechanism.SCRAM_SHA_256,
            only(user, ScramMechanism.SCRAM_SHA_256.credential("pw", SALT, 4096)));
        runKafkaClient(kafkaClient(ScramMechanism.SCRAM_SHA_256, user, "pw", Map.of()), exchange);
        assertEquals(user, exchange.authorizedUser());

        ScramCredentials any = (name, mechanism) -> Optional.empty();
        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
            () -> exchange(any).evaluate(bytes("n,,n=bad=2Xescape,r=abc")));
        assertTrue(e.detail().contains("2C or 3D"), e.detail());
    }

    @Test
    void mandatoryExtensionsAndMalformedAttributesAreRefused() {
        ScramCredentials any = (name, mechanism) -> Optional.empty();
        for (String message : new String[] {"n,,m=ext,n=user,r=abc", "n,,n=user", "n,,r=abc,n=user", "n,,n=,r=abc",
                "n,,n=user,r=", "n,,n=user,r=abc,", "n,,n=user,r=abc,9=x", "n,,n=user,r=abc,a=1,a=2", "x,,n=u,r=a",
                "n,n=user,r=abc", "", "n,,n=user,r=ab\u00e9"}) {
            SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
                () -> exchange(any).evaluate(bytes(message)), message);
            assertEquals(INVALID, e.getMessage(), message);
        }
    }

    @Test
    void aProofOfTheWrongLengthOrEncodingIsRefused() throws Exception {
        ScramCredentials credentials = only("user", ScramMechanism.SCRAM_SHA_256.credential("pw", SALT, 4096));
        for (String end : new String[] {",p=AAAA", ",p=not base64!", "", ",p="}) {
            ScramExchange exchange = exchange(credentials);
            exchange.evaluate(bytes("n,,n=user,r=abc"));
            assertThrows(SaslAuthenticationException.class,
                () -> exchange.evaluate(bytes("c=biws,r=abcserver-nonce" + end)), end);
        }
    }

    @Test
    void tokenAuthenticationFailsWithoutDelegationTokens() throws Exception {
        ScramExchange exchange = new ScramExchange(ScramMechanism.SCRAM_SHA_256,
            only("token-id", ScramMechanism.SCRAM_SHA_256.credential("hmac", SALT, 4096)));
        SaslAuthenticationException e = refusal(exchange, "token-id", "hmac", Map.of("tokenauth", "true"));
        assertTrue(exchange.tokenAuthentication());
        assertEquals(INVALID, e.getMessage());
        assertTrue(e.detail().contains("not supported"), e.detail());
    }

    @Test
    void aDelegationTokenAuthenticatesItsOwnerUntilItExpires() throws Exception {
        ScramCredential tokenCredential = ScramMechanism.SCRAM_SHA_512.credential("token-hmac", SALT, 4096);
        DelegationTokens tokens = (id, mechanism) -> id.equals("token-id")
            ? Optional.of(new TokenCredential("alice", tokenCredential, 1_700_000_000_000L))
            : Optional.empty();
        ScramExchange exchange = new ScramExchange(ScramMechanism.SCRAM_SHA_512, (user, m) -> Optional.empty(), tokens);

        runKafkaClient(kafkaClient(ScramMechanism.SCRAM_SHA_512, "token-id", "token-hmac",
            Map.of("tokenauth", "true")), exchange);

        assertTrue(exchange.tokenAuthentication());
        assertEquals(Map.of("tokenauth", "true"), exchange.extensions());
        assertEquals("alice", exchange.authorizedUser());
        assertEquals(OptionalLong.of(1_700_000_000_000L), exchange.credentialExpiryMs());
    }

    @Test
    void aTokenDoesNotStandInForAUserNorAUserForAToken() throws Exception {
        ScramCredential credential = ScramMechanism.SCRAM_SHA_256.credential("secret", SALT, 4096);
        DelegationTokens tokens = (id, mechanism) -> Optional.of(new TokenCredential("alice", credential, 0));
        ScramExchange asUser = new ScramExchange(ScramMechanism.SCRAM_SHA_256, (u, m) -> Optional.empty(), tokens);
        refusal(asUser, "token-id", "secret", Map.of());

        ScramExchange asToken = new ScramExchange(ScramMechanism.SCRAM_SHA_256, only("bob", credential),
            (id, mechanism) -> Optional.empty());
        refusal(asToken, "bob", "secret", Map.of("tokenauth", "true"));
    }

    @Test
    void nothingIsAcceptedAfterTheExchangeEnds() throws Exception {
        ScramExchange exchange = new ScramExchange(ScramMechanism.SCRAM_SHA_256,
            only("alice", ScramMechanism.SCRAM_SHA_256.credential("pw", SALT, 4096)));
        runKafkaClient(kafkaClient(ScramMechanism.SCRAM_SHA_256, "alice", "pw", Map.of()), exchange);

        assertThrows(SaslAuthenticationException.class, () -> exchange.evaluate(bytes("n,,n=alice,r=abc")));
        assertTrue(exchange.isComplete(), "a stray token does not undo a completed exchange");
    }

    /** How a SCRAM-SHA-256 exchange fails for Kafka's client with these credentials. */
    private static SaslAuthenticationException refusal(ScramExchange exchange, String user, String password,
            Map<String, String> extensions) throws Exception {
        SaslClient client = kafkaClient(ScramMechanism.SCRAM_SHA_256, user, password, extensions);
        return assertThrows(SaslAuthenticationException.class, () -> runKafkaClient(client, exchange));
    }

    /** Runs a client that speaks first (client-first, client-final) until it stops sending. */
    static void runKafkaClient(SaslClient client, SaslExchange exchange) throws Exception {
        byte[] token = client.evaluateChallenge(new byte[0]);
        while (token != null) {
            byte[] reply = exchange.evaluate(token);
            token = client.isComplete() ? null : client.evaluateChallenge(reply);
        }
    }

    static SaslClient kafkaClient(ScramMechanism mechanism, String user, String password,
            Map<String, String> extensions) throws Exception {
        CallbackHandler handler = callbacks -> {
            for (Callback callback : callbacks) {
                if (callback instanceof NameCallback name) {
                    name.setName(user);
                } else if (callback instanceof PasswordCallback pw) {
                    pw.setPassword(password.toCharArray());
                } else if (callback instanceof ScramExtensionsCallback ext) {
                    ext.extensions(extensions);
                } else {
                    throw new UnsupportedCallbackException(callback);
                }
            }
        };
        return new ScramSaslClient(kafkaMechanism(mechanism), handler);
    }

    private static org.apache.kafka.common.security.scram.internals.ScramMechanism kafkaMechanism(
            ScramMechanism mechanism) {
        return org.apache.kafka.common.security.scram.internals.ScramMechanism.forMechanismName(
            mechanism.mechanismName());
    }

    /** Runs a hand-made exchange: the client-final message is built from the given parts. */
    private static boolean completes(ScramCredentials credentials, String password, String gs2Header, String bare,
            String finalWithoutProof) throws Exception {
        ScramExchange exchange = exchange(credentials);
        String serverFirst = text(exchange.evaluate(bytes(gs2Header + bare)));
        byte[] serverFinal = exchange.evaluate(bytes(clientFinal(password, gs2Header, bare, serverFirst,
            finalWithoutProof)));
        return exchange.isComplete() && text(serverFinal).startsWith("v=");
    }

    /** A client-final message with the proof Kafka's formatter computes for the password. */
    static String clientFinal(String password, String gs2Header, String bare, String serverFirst,
            String finalWithoutProof) throws Exception {
        ScramFormatter formatter = new ScramFormatter(
            org.apache.kafka.common.security.scram.internals.ScramMechanism.SCRAM_SHA_256);
        byte[] salted = formatter.saltedPassword(password, SALT, 4096);
        byte[] clientKey = formatter.clientKey(salted);
        byte[] signature = formatter.hmac(formatter.hash(clientKey),
            bytes(bare + "," + serverFirst + "," + finalWithoutProof));
        return finalWithoutProof + ",p=" + Base64.getEncoder().encodeToString(ScramFormatter.xor(clientKey, signature));
    }
}
