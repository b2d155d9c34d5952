package dev.sluice.broker.security.sasl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Random, truncated and mutated client tokens for every exchange and validator: whatever the bytes,
 * the only exception is {@link SaslAuthenticationException}, and never one that wraps an unforeseen
 * failure. The seed is fixed, so a failure reproduces.
 */
class SaslFuzzTest {
    private static final int ROUNDS = 3000;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);
    private static final byte[] SALT = "fuzz-salt".getBytes(StandardCharsets.US_ASCII);
    private static final ScramCredential PENCIL = ScramMechanism.SCRAM_SHA_256.credential("pencil", SALT, 4096);

    private final Random random = new Random(20240611);

    @Test
    void plainTokens() {
        PlainExchange.PasswordCheck check = PlainExchange.PasswordCheck.fromJaasOptions(Map.of("user_alice", "pw"));
        fuzz(() -> new PlainExchange(check), List.of(bytes("\0alice\0pw"), bytes("alice\0alice\0pw")), List.of());
    }

    @Test
    void scramTokens() throws Exception {
        Supplier<SaslExchange> exchanges = () -> new ScramExchange(ScramMechanism.SCRAM_SHA_256,
            (user, mechanism) -> user.equals("user") ? Optional.of(PENCIL) : Optional.empty(),
            (id, mechanism) -> Optional.empty(), () -> "srv");
        String serverFirst = "r=abcsrv,s=" + Base64.getEncoder().encodeToString(SALT) + ",i=4096";
        String clientFinal = ScramExchangeTest.clientFinal("pencil", "n,,", "n=user,r=abc", serverFirst,
            "c=biws,r=abcsrv");
        fuzz(exchanges, List.of(bytes("n,,n=user,r=abc"), bytes("n,a=user,n=us=3Der,r=abc,tokenauth=true")),
            List.of(bytes(clientFinal)));
    }

    @Test
    void oauthBearerTokens() throws Exception {
        String good = Jwts.unsecured("{\"sub\":\"alice\",\"exp\":1700000600,\"scope\":[\"a\"],\"iat\":1699999999}");
        List<byte[]> seeds = List.of(
            bytes("n,,\u0001auth=Bearer " + good + "\u0001k=v\u0001\u0001"),
            bytes("n,a=alice,\u0001auth=Bearer " + Jwts.unsecured("{\"exp\":1}") + "\u0001\u0001"));
        fuzz(() -> new OAuthBearerExchange(new UnsecuredJwsValidator(Map.of(), CLOCK)), seeds,
            List.of(new byte[] {1}));

        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        RSAPublicKey key = (RSAPublicKey) generator.generateKeyPair().getPublic();
        JwksValidator jwks = JwksValidator.fromJwksJson("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\""
            + Jwts.base64Url(key.getModulus().toByteArray()) + "\",\"e\":\"AQAB\"}]}",
            JwksValidator.Settings.defaults(), CLOCK);
        String signedShape = Jwts.signingInput("{\"alg\":\"RS256\",\"kid\":\"k\"}",
            "{\"sub\":\"a\",\"exp\":1700000600,\"iat\":1}") + "." + Jwts.base64Url(new byte[256]);
        fuzz(() -> new OAuthBearerExchange(jwks), List.of(bytes("n,,\u0001auth=Bearer " + signedShape + "\u0001\u0001")),
            List.of(new byte[] {1}));
    }

    @Test
    void jsonAndJaasText() {
        List<String> seeds = List.of("{\"a\":[1,2.5e3,{\"b\":null}],\"c\":\"\\u00e9\\n\",\"d\":true}",
            "org.example.M required a=\"x\\\"y\" b=c; o.N optional;");
        for (int i = 0; i < ROUNDS; i++) {
            String text = new String(mutate(bytes(seeds.get(i % 2))), StandardCharsets.UTF_8);
            try {
                if (i % 2 == 0) {
                    Json.parse(text);
                } else {
                    JaasConfig.parse(text);
                }
            } catch (IllegalArgumentException expected) {
                // The one failure these readers have.
            }
        }
    }

    /**
     * Feeds mutated first tokens, and mutated second tokens after a good first one, to new exchanges.
     */
    private void fuzz(Supplier<SaslExchange> exchanges, List<byte[]> firstSeeds, List<byte[]> secondSeeds) {
        for (int i = 0; i < ROUNDS; i++) {
            byte[] first = firstSeeds.get(random.nextInt(firstSeeds.size()));
            SaslExchange exchange = exchanges.get();
            boolean mutateFirst = secondSeeds.isEmpty() || random.nextBoolean();
            byte[] token = mutateFirst ? mutate(first) : first;
            if (!evaluate(exchange, token) || exchange.isComplete() || secondSeeds.isEmpty()) {
                continue;
            }
            byte[] second = secondSeeds.get(random.nextInt(secondSeeds.size()));
            evaluate(exchange, mutateFirst ? second : mutate(second));
            if (!exchange.isComplete()) {
                evaluate(exchange, mutate(second));
            }
        }
    }

    /** Whether the exchange took the token; fails the test on any exception other than the expected one. */
    private static boolean evaluate(SaslExchange exchange, byte[] token) {
        try {
            exchange.evaluate(token);
            return true;
        } catch (SaslAuthenticationException e) {
            assertFalse(e.detail() != null && e.detail().startsWith(AbstractSaslExchange.UNEXPECTED),
                () -> "unforeseen failure for " + Arrays.toString(token) + ": " + e.detail());
            return false;
        } catch (RuntimeException e) {
            fail("evaluate threw " + e + " for " + Arrays.toString(token), e);
            return false;
        }
    }

    private byte[] mutate(byte[] seed) {
        byte[] out = seed.clone();
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            switch (random.nextInt(7)) {
                case 0 -> out = Arrays.copyOf(out, random.nextInt(out.length + 1));
                case 1 -> {
                    if (out.length > 0) {
                        out[random.nextInt(out.length)] = (byte) random.nextInt(256);
                    }
                }
                case 2 -> {
                    int at = random.nextInt(out.length + 1);
                    byte[] longer = new byte[out.length + 1];
                    System.arraycopy(out, 0, longer, 0, at);
                    longer[at] = interesting();
                    System.arraycopy(out, at, longer, at + 1, out.length - at);
                    out = longer;
                }
                case 3 -> {
                    if (out.length > 0) {
                        int at = random.nextInt(out.length);
                        byte[] shorter = new byte[out.length - 1];
                        System.arraycopy(out, 0, shorter, 0, at);
                        System.arraycopy(out, at + 1, shorter, at, out.length - at - 1);
                        out = shorter;
                    }
                }
                case 4 -> {
                    out = new byte[random.nextInt(64)];
                    random.nextBytes(out);
                }
                case 5 -> {
                    if (out.length > 0) {
                        out[random.nextInt(out.length)] = interesting();
                    }
                }
                default -> {
                    int from = random.nextInt(out.length + 1);
                    byte[] doubled = Arrays.copyOf(out, out.length + (out.length - from));
                    System.arraycopy(out, from, doubled, out.length, out.length - from);
                    out = doubled;
                }
            }
        }
        return out;
    }

    /** Bytes that mean something to one grammar or another. */
    private byte interesting() {
        byte[] choices = {0, 1, ',', '=', '.', '"', '\\', '{', '}', '[', ']', ':', ';', '-', '_', (byte) 0xC3,
            (byte) 0xFF, ' ', 'a', '9'};
        return choices[random.nextInt(choices.length)];
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
