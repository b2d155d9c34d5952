package dev.sluice.broker.security.sasl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.security.sasl.PlainExchange.PasswordCheck;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslClient;
import org.junit.jupiter.api.Test;

/** PLAIN as the JDK's client speaks it and as raw RFC 4616 tokens, with Kafka's failure messages. */
class PlainExchangeTest {
    private static final Map<String, String> JAAS = JaasConfig.options(
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\""
            + " password=\"admin-secret\" user_admin=\"admin-secret\" user_alice=\"alice-secret\";",
        "PlainLoginModule");
    private static final PasswordCheck USERS = PasswordCheck.fromJaasOptions(JAAS);

    private static byte[] token(String authzid, String user, String password) {
        return (authzid + "\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8);
    }

    private static String failure(byte[] token) {
        return assertThrows(SaslAuthenticationException.class, () -> new PlainExchange(USERS).evaluate(token))
            .getMessage();
    }

    @Test
    void theJdksPlainClientAuthenticates() throws Exception {
        SaslClient client = Sasl.createSaslClient(new String[] {"PLAIN"}, null, "kafka", "localhost", Map.of(),
            callbacks -> {
                for (Callback callback : callbacks) {
                    if (callback instanceof NameCallback name) {
                        name.setName("alice");
                    } else if (callback instanceof PasswordCallback password) {
                        password.setPassword("alice-secret".toCharArray());
                    }
                }
            });
        PlainExchange exchange = new PlainExchange(USERS);

        assertArrayEquals(new byte[0], exchange.evaluate(client.evaluateChallenge(new byte[0])));
        assertTrue(exchange.isComplete());
        assertEquals("alice", exchange.authorizedUser());
        assertEquals("PLAIN", exchange.mechanism());
    }

    @Test
    void anAuthorizationIdEqualToTheUserIsAccepted() throws Exception {
        PlainExchange exchange = new PlainExchange(USERS);
        exchange.evaluate(token("admin", "admin", "admin-secret"));
        assertEquals("admin", exchange.authorizedUser());
    }

    @Test
    void failuresCarryKafkasMessages() {
        String invalid = "Authentication failed: Invalid username or password";
        assertEquals(invalid, failure(token("", "alice", "wrong")));
        assertEquals(invalid, failure(token("", "mallory", "alice-secret")));
        assertEquals(invalid, failure(token("", "alice", "alice-secret-longer")));
        // The broker's own login (username/password options) is not a user unless listed as user_admin.
        assertEquals(invalid, failureWith(Map.of("username", "x", "password", "y"), "x", "y"));
        assertEquals("Authentication failed: Client requested an authorization id that is different from username",
            failure(token("admin", "alice", "alice-secret")));
        assertEquals("Authentication failed: username not specified", failure(token("", "", "alice-secret")));
        assertEquals("Authentication failed: password not specified", failure(token("", "alice", "")));
        assertEquals("Invalid SASL/PLAIN response: expected 3 tokens, got 2",
            failure("alice\0alice-secret".getBytes(StandardCharsets.UTF_8)));
        assertEquals("Invalid SASL/PLAIN response: expected 3 tokens, got 4", failure(token("", "alice", "a\0b")));
        assertEquals("Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN",
            failure(new byte[] {0, 'a', 0, (byte) 0xC3}));
    }

    private static String failureWith(Map<String, String> options, String user, String password) {
        return assertThrows(SaslAuthenticationException.class,
            () -> new PlainExchange(PasswordCheck.fromJaasOptions(options)).evaluate(token("", user, password)))
            .getMessage();
    }

    @Test
    void thePasswordIsWipedAfterTheCheck() throws Exception {
        List<char[]> seen = new ArrayList<>();
        PlainExchange exchange = new PlainExchange((user, password) -> {
            seen.add(password);
            return new String(password).equals("s3cret");
        });
        exchange.evaluate(token("", "bob", "s3cret"));

        assertTrue(exchange.isComplete());
        assertArrayEquals(new char[6], seen.get(0));
    }

    @Test
    void aFailedExchangeStaysFailed() {
        PlainExchange exchange = new PlainExchange(USERS);
        assertThrows(SaslAuthenticationException.class, () -> exchange.evaluate(token("", "alice", "wrong")));
        assertThrows(SaslAuthenticationException.class, () -> exchange.evaluate(token("", "alice", "alice-secret")));
        assertFalse(exchange.isComplete());
    }

    @Test
    void nonAsciiCredentialsAreComparedAsUtf8() throws Exception {
        PasswordCheck check = PasswordCheck.fromJaasOptions(Map.of("user_zoë", "pässwörd"));
        PlainExchange exchange = new PlainExchange(check);
        exchange.evaluate(token("", "zoë", "pässwörd"));
        assertEquals("zoë", exchange.authorizedUser());
    }
}
