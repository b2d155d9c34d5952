package dev.sluice.broker.security.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The client side of each mechanism, as one broker authenticates to another, run against this
 * package's server side: the exchanges complete with the right principal, and a wrong password
 * or a server that does not hold the credential fails them.
 */
class SaslClientExchangeTest {
    private static final byte[] SALT = "salt-of-the-broker".getBytes(StandardCharsets.US_ASCII);

    /** Runs the two sides to their end; returns the server's exchange. */
    private static SaslExchange run(SaslClientExchange client, SaslExchange server) throws SaslAuthenticationException {
        byte[] token = client.first();
        while (token != null) {
            byte[] reply = server.evaluate(token);
            token = client.respond(reply);
        }
        return server;
    }

    private static ScramCredentials only(ScramMechanism mechanism, String user, String password) {
        ScramCredential credential = mechanism.credential(password, SALT, 4096);
        return (name, m) -> name.equals(user) && m == mechanism ? Optional.of(credential) : Optional.empty();
    }

    @ParameterizedTest
    @EnumSource(ScramMechanism.class)
    void scramCompletesBothWaysWithTheRightPassword(ScramMechanism mechanism) throws Exception {
        ScramClient client = new ScramClient(mechanism, "broker", "s3cret");
        SaslExchange server = run(client, new ScramExchange(mechanism, only(mechanism, "broker", "s3cret")));
        assertTrue(server.isComplete());
        assertTrue(client.isComplete());
        assertEquals("broker", server.authorizedUser());
        assertEquals(mechanism.mechanismName(), client.mechanism());
    }

    @Test
    void scramWithAWrongPasswordIsRefusedByTheServer() {
        ScramClient client = new ScramClient(ScramMechanism.SCRAM_SHA_512, "broker", "wrong");
        ScramExchange server = new ScramExchange(ScramMechanism.SCRAM_SHA_512,
            only(ScramMechanism.SCRAM_SHA_512, "broker", "s3cret"));
        assertThrows(SaslAuthenticationException.class, () -> run(client, server));
        assertFalse(client.isComplete());
    }

    @Test
    void aServerWithoutTheCredentialIsFoundOutByItsSignature() throws Exception {
        ScramMechanism m = ScramMechanism.SCRAM_SHA_256;
        ScramClient client = new ScramClient(m, "broker", "s3cret");
        ScramExchange server = new ScramExchange(m, only(m, "broker", "s3cret"));
        byte[] serverFirst = server.evaluate(client.first());
        server.evaluate(client.respond(serverFirst));
        byte[] forged = "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".getBytes(StandardCharsets.US_ASCII);
        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class, () -> client.respond(forged));
        assertTrue(e.getMessage().contains("server signature"), e.getMessage());
        assertFalse(client.isComplete());
    }

    @Test
    void scramRefusesAServerNonceThatDoesNotExtendItsOwn() {
        ScramClient client = new ScramClient(ScramMechanism.SCRAM_SHA_256, "broker", "s3cret");
        client.first();
        byte[] serverFirst = "r=someone-elses,s=c2FsdA==,i=4096".getBytes(StandardCharsets.US_ASCII);
        assertThrows(SaslAuthenticationException.class, () -> client.respond(serverFirst));
    }

    @Test
    void scramRefusesTooFewIterations() {
        ScramClient client = new ScramClient(ScramMechanism.SCRAM_SHA_256, "broker", "s3cret");
        String nonce = new String(client.first(), StandardCharsets.UTF_8).split("r=")[1];
        byte[] serverFirst = ("r=" + nonce + "xyz,s=c2FsdA==,i=1").getBytes(StandardCharsets.US_ASCII);
        assertThrows(SaslAuthenticationException.class, () -> client.respond(serverFirst));
    }

    @Test
    void plainCompletesWithTheRightPasswordAndIsRefusedWithAWrongOne() throws Exception {
        PlainExchange.PasswordCheck users = PlainExchange.PasswordCheck.fromJaasOptions(
            Map.of("user_broker", "s3cret"));
        PlainClient client = new PlainClient("broker", "s3cret");
        assertEquals("broker", run(client, new PlainExchange(users)).authorizedUser());
        assertTrue(client.isComplete());
        assertThrows(SaslAuthenticationException.class, () -> run(new PlainClient("broker", "nope"),
            new PlainExchange(users)));
    }

    @Test
    void anUnsecuredOAuthBearerTokenFromKafkasJaasOptionsIsAccepted() throws Exception {
        OAuthBearerClient client = OAuthBearerClient.fromJaasOptions(
            Map.of("unsecuredLoginStringClaim_sub", "broker"), System.currentTimeMillis());
        OAuthBearerExchange server = new OAuthBearerExchange(new UnsecuredJwsValidator(Map.of(), Clock.systemUTC()));
        assertEquals("broker", run(client, server).authorizedUser());
        assertTrue(client.isComplete());
    }

    @Test
    void anOAuthBearerErrorReplyFailsTheClient() {
        OAuthBearerClient client = new OAuthBearerClient("broker", "sub", 60, System.currentTimeMillis());
        byte[] error = "{\"status\":\"invalid_token\"}".getBytes(StandardCharsets.UTF_8);
        assertThrows(SaslAuthenticationException.class, () -> client.respond(error));
        assertFalse(client.isComplete());
    }

    @Test
    void anUnsecuredTokenNeedsItsSubject() {
        assertThrows(IllegalArgumentException.class, () -> OAuthBearerClient.fromJaasOptions(Map.of(), 0));
        assertNull(new PlainClient("a", "b").respond(new byte[0]));
    }
}
