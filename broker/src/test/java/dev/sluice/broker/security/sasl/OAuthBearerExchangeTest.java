package dev.sluice.broker.security.sasl;

import static dev.sluice.broker.security.sasl.Jwts.unsecured;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.sasl.SaslClient;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.auth.SaslExtensions;
import org.apache.kafka.common.security.auth.SaslExtensionsCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;
import org.apache.kafka.common.security.oauthbearer.internals.OAuthBearerSaslClient;
import org.apache.kafka.common.security.oauthbearer.internals.secured.BasicOAuthBearerToken;
import org.junit.jupiter.api.Test;

/** OAUTHBEARER's message, its two-step failure, and Kafka's client on the other end. */
class OAuthBearerExchangeTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);
    private static final OAuthBearerValidator UNSECURED = new UnsecuredJwsValidator(Map.of(), CLOCK);
    private static final String GOOD = unsecured("{\"sub\":\"alice\",\"exp\":1700000600,\"scope\":\"a b\"}");
    private static final String EXPIRED = unsecured("{\"sub\":\"alice\",\"exp\":1600000000}");
    private static final String INVALID_CREDENTIALS =
        "Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER";

    private static byte[] message(String gs2Header, String pairs) {
        return (gs2Header + "\u0001" + pairs + "\u0001").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aGoodTokenCompletesWithItsPrincipalExpiryScopesAndExtensions() throws Exception {
        OAuthBearerExchange exchange = new OAuthBearerExchange(UNSECURED);
        byte[] reply = exchange.evaluate(message("n,,", "auth=Bearer " + GOOD + "\u0001traceId=abc 1\u0001"));

        assertArrayEquals(new byte[0], reply);
        assertTrue(exchange.isComplete());
        assertEquals("alice", exchange.authorizedUser());
        assertEquals(OptionalLong.of(1_700_000_600_000L), exchange.credentialExpiryMs());
        assertEquals(Set.of("a", "b"), exchange.scopes());
        assertEquals(Map.of("traceId", "abc 1"), exchange.extensions());
    }

    @Test
    void aRefusedTokenIsAnsweredWithAnErrorThenFailsOnTheAcknowledgement() throws Exception {
        OAuthBearerExchange exchange = new OAuthBearerExchange(UNSECURED);
        byte[] challenge = exchange.evaluate(message("n,,", "auth=Bearer " + EXPIRED + "\u0001"));

        assertEquals("{\"status\":\"invalid_token\"}", new String(challenge, StandardCharsets.UTF_8));
        assertFalse(exchange.isComplete());
        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
            () -> exchange.evaluate(new byte[] {1}));
        assertEquals("{\"status\":\"invalid_token\"}", e.getMessage());
        assertEquals("the token expired", e.detail());
        assertFalse(exchange.isComplete());
    }

    @Test
    void anythingButTheAcknowledgementAlsoFails() throws Exception {
        OAuthBearerExchange exchange = new OAuthBearerExchange(UNSECURED);
        exchange.evaluate(message("n,,", "auth=Bearer " + EXPIRED + "\u0001"));
        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
            () -> exchange.evaluate(message("n,,", "auth=Bearer " + GOOD + "\u0001")));
        assertTrue(e.detail().contains("did not acknowledge"), e.detail());
        assertFalse(exchange.isComplete());
    }

    @Test
    void aValidatorsPlainMessageBecomesInvalidToken() throws Exception {
        OAuthBearerExchange exchange = new OAuthBearerExchange(token -> {
            throw new SaslAuthenticationException("key server unreachable");
        });
        byte[] challenge = exchange.evaluate(message("n,,", "auth=Bearer abc\u0001"));
        assertEquals("{\"status\":\"invalid_token\"}", new String(challenge, StandardCharsets.UTF_8));
        assertEquals("key server unreachable",
            assertThrows(SaslAuthenticationException.class, () -> exchange.evaluate(new byte[] {1})).detail());
    }

    @Test
    void aValidatorThatThrowsSomethingElseStillFailsCleanly() {
        OAuthBearerExchange exchange = new OAuthBearerExchange(token -> {
            throw new IllegalStateException("bug");
        });
        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
            () -> exchange.evaluate(message("n,,", "auth=Bearer abc\u0001")));
        assertEquals(INVALID_CREDENTIALS, e.getMessage());
        assertTrue(e.detail().startsWith(AbstractSaslExchange.UNEXPECTED));
    }

    @Test
    void anAuthorizationIdMustBeTheTokensPrincipal() throws Exception {
        OAuthBearerExchange same = new OAuthBearerExchange(UNSECURED);
        same.evaluate(message("n,a=alice,", "auth=Bearer " + GOOD + "\u0001"));
        assertEquals("alice", same.authorizedUser());

        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
            () -> new OAuthBearerExchange(UNSECURED).evaluate(message("n,a=bob,", "auth=Bearer " + GOOD + "\u0001")));
        assertEquals("Authentication failed: Client requested an authorization id (bob) that is different from the"
            + " token's principal name (alice)", e.getMessage());
    }

    @Test
    void malformedMessagesFailWithKafkasMessage() {
        List<byte[]> messages = List.of(
            message("n,,", "auth=Bearer " + GOOD),
            message("n,,", ""),
            message("n,,", "host=example\u0001"),
            message("n,,", "auth=Basic " + GOOD + "\u0001"),
            message("n,,", "auth=Bearer\u0001"),
            message("n,,", "auth=Bearer " + GOOD + "\u0001auth=Bearer " + GOOD + "\u0001"),
            message("n,,", "auth=Bearer " + GOOD + "\u0001k=v\u0001k=w\u0001"),
            message("n,,", "auth=Bearer " + GOOD + "\u0001k1=v\u0001"),
            message("n,,", "auth=Bearer " + GOOD + "\u0001\u0001"),
            message("p=tls-unique,,", "auth=Bearer " + GOOD + "\u0001"),
            ("n,,auth=Bearer " + GOOD + "\u0001\u0001").getBytes(StandardCharsets.UTF_8),
            new byte[0],
            new byte[] {1});
        for (byte[] message : messages) {
            SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
                () -> new OAuthBearerExchange(UNSECURED).evaluate(message), new String(message, StandardCharsets.UTF_8));
            assertEquals(INVALID_CREDENTIALS, e.getMessage());
        }
    }

    @Test
    void kafkasClientAuthenticatesWithExtensions() throws Exception {
        SaslClient client = kafkaClient(GOOD, Map.of("logicalCluster", "lkc-1"));
        OAuthBearerExchange exchange = new OAuthBearerExchange(UNSECURED);

        byte[] reply = exchange.evaluate(client.evaluateChallenge(new byte[0]));
        assertNull(client.evaluateChallenge(reply));

        assertTrue(client.isComplete());
        assertTrue(exchange.isComplete());
        assertEquals(Map.of("logicalCluster", "lkc-1"), exchange.extensions());
    }

    @Test
    void kafkasClientAcknowledgesTheErrorChallenge() throws Exception {
        SaslClient client = kafkaClient(EXPIRED, Map.of());
        OAuthBearerExchange exchange = new OAuthBearerExchange(UNSECURED);

        byte[] challenge = exchange.evaluate(client.evaluateChallenge(new byte[0]));
        byte[] acknowledgement = client.evaluateChallenge(challenge);
        assertArrayEquals(new byte[] {1}, acknowledgement);
        assertEquals("{\"status\":\"invalid_token\"}",
            assertThrows(SaslAuthenticationException.class, () -> exchange.evaluate(acknowledgement)).getMessage());
    }

    private static SaslClient kafkaClient(String token, Map<String, String> extensions) {
        return new OAuthBearerSaslClient(new AuthenticateCallbackHandler() {
            @Override
            public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> entries) {
            }

            @Override
            public void close() {
            }

            @Override
            public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
                for (Callback callback : callbacks) {
                    if (callback instanceof OAuthBearerTokenCallback tokenCallback) {
                        tokenCallback.token(new BasicOAuthBearerToken(token, Set.of(), Long.MAX_VALUE, "alice", null));
                    } else if (callback instanceof SaslExtensionsCallback extensionsCallback) {
                        extensionsCallback.extensions(new SaslExtensions(extensions));
                    } else {
                        throw new UnsupportedCallbackException(callback);
                    }
                }
            }
        });
    }
}
