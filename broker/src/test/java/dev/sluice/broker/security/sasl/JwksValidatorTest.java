package dev.sluice.broker.security.sasl;

import static dev.sluice.broker.security.sasl.Jwts.base64Url;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.security.sasl.JwksValidator.Settings;
import dev.sluice.broker.security.sasl.OAuthBearerValidator.ValidatedToken;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Signed JWTs against a JWKS built from key pairs made here: each accepted algorithm, and each way a
 * token can be refused.
 */
class JwksValidatorTest {
    private static final long NOW = 1_700_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static final String ISSUER = "https://issuer.example";

    private static final KeyPair RSA = keyPair("RSA", null);
    private static final KeyPair OTHER_RSA = keyPair("RSA", null);
    private static final KeyPair EC_256 = keyPair("EC", "secp256r1");
    private static final KeyPair EC_384 = keyPair("EC", "secp384r1");
    private static final String JWKS = "{\"keys\":[" + String.join(",",
        rsaJwk("rsa-1", RSA, ""),
        ecJwk("ec-1", "P-256", EC_256, 32),
        ecJwk("ec-2", "P-384", EC_384, 48),
        "{\"kty\":\"oct\",\"kid\":\"hmac\",\"k\":\"c2VjcmV0\"}",
        rsaJwk("enc-1", OTHER_RSA, ",\"use\":\"enc\"")) + "]}";
    private static final JwksValidator DEFAULTS = JwksValidator.fromJwksJson(JWKS, Settings.defaults(), CLOCK);

    private static KeyPair keyPair(String algorithm, String curve) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if (curve == null) {
                generator.initialize(2048);
            } else {
                generator.initialize(new ECGenParameterSpec(curve));
            }
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String rsaJwk(String kid, KeyPair pair, String extra) {
        RSAPublicKey key = (RSAPublicKey) pair.getPublic();
        return "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"n\":\"" + unsigned(key.getModulus(), 0) + "\",\"e\":\""
            + unsigned(key.getPublicExponent(), 0) + "\"" + extra + "}";
    }

    private static String ecJwk(String kid, String curve, KeyPair pair, int size) {
        ECPublicKey key = (ECPublicKey) pair.getPublic();
        return "{\"kty\":\"EC\",\"use\":\"sig\",\"kid\":\"" + kid + "\",\"crv\":\"" + curve + "\",\"x\":\""
            + unsigned(key.getW().getAffineX(), size) + "\",\"y\":\"" + unsigned(key.getW().getAffineY(), size) + "\"}";
    }

    /** Big-endian without the sign byte, left-padded to {@code size} bytes when given. */
    private static String unsigned(BigInteger value, int size) {
        byte[] bytes = value.toByteArray();
        if (bytes[0] == 0 && bytes.length > 1) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        if (bytes.length < size) {
            byte[] padded = new byte[size];
            System.arraycopy(bytes, 0, padded, size - bytes.length, bytes.length);
            bytes = padded;
        }
        return base64Url(bytes);
    }

    private static String sign(String alg, String kid, PrivateKey key, String claims) throws Exception {
        String header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"" + (kid == null ? "" : ",\"kid\":\"" + kid + "\"") + "}";
        String input = Jwts.signingInput(header, claims);
        Signature signer = switch (alg) {
            case "RS256" -> Signature.getInstance("SHA256withRSA");
            case "RS512" -> Signature.getInstance("SHA512withRSA");
            case "ES256" -> Signature.getInstance("SHA256withECDSAinP1363Format");
            case "ES384" -> Signature.getInstance("SHA384withECDSAinP1363Format");
            case "PS256" -> {
                Signature pss = Signature.getInstance("RSASSA-PSS");
                pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
                yield pss;
            }
            default -> throw new IllegalArgumentException(alg);
        };
        signer.initSign(key);
        signer.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + base64Url(signer.sign());
    }

    private static String claims(String extra) {
        return "{\"sub\":\"alice\",\"iss\":\"" + ISSUER + "\",\"iat\":" + (NOW - 10) + ",\"exp\":" + (NOW + 300)
            + extra + "}";
    }

    private static JwksValidator validator(Settings settings) {
        return JwksValidator.fromJwksJson(JWKS, settings, CLOCK);
    }

    private static String refusal(JwksValidator validator, String token) {
        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
            () -> validator.validate(token));
        assertEquals("{\"status\":\"invalid_token\"}", e.getMessage());
        return e.detail();
    }

    @Test
    void eachAlgorithmVerifies() throws Exception {
        assertEquals(new ValidatedToken("alice", (NOW + 300) * 1000, Set.of("read", "write")),
            DEFAULTS.validate(sign("RS256", "rsa-1", RSA.getPrivate(), claims(",\"scope\":\"read write\""))));
        assertEquals("alice", DEFAULTS.validate(sign("RS512", "rsa-1", RSA.getPrivate(), claims(""))).principal());
        assertEquals("alice", DEFAULTS.validate(sign("PS256", "rsa-1", RSA.getPrivate(), claims(""))).principal());
        assertEquals("alice", DEFAULTS.validate(sign("ES256", "ec-1", EC_256.getPrivate(), claims(""))).principal());
        assertEquals("alice", DEFAULTS.validate(sign("ES384", "ec-2", EC_384.getPrivate(), claims(""))).principal());
        assertEquals(3, DEFAULTS.keyCount(), "the symmetric and encryption keys are left out");
    }

    @Test
    void aTokenWithoutKidUsesAnyKeyFitForItsAlgorithm() throws Exception {
        assertEquals("alice", DEFAULTS.validate(sign("ES256", null, EC_256.getPrivate(), claims(""))).principal());
        assertEquals("alice", DEFAULTS.validate(sign("RS256", null, RSA.getPrivate(), claims(""))).principal());
    }

    @Test
    void aForgedOrMisdirectedSignatureIsRefused() throws Exception {
        String good = sign("RS256", "rsa-1", RSA.getPrivate(), claims(""));
        String tampered = good.substring(0, good.indexOf('.') + 1)
            + base64Url(claims(",\"admin\":true")) + good.substring(good.lastIndexOf('.'));
        assertTrue(refusal(DEFAULTS, tampered).contains("signature"));
        assertTrue(refusal(DEFAULTS, sign("RS256", "rsa-1", OTHER_RSA.getPrivate(), claims(""))).contains("signature"));
        assertTrue(refusal(DEFAULTS, sign("RS256", "enc-1", OTHER_RSA.getPrivate(), claims(""))).contains("kid enc-1"));
        assertTrue(refusal(DEFAULTS, sign("RS256", "nobody", RSA.getPrivate(), claims(""))).contains("kid nobody"));
        assertTrue(refusal(DEFAULTS, sign("ES256", "rsa-1", EC_256.getPrivate(), claims(""))).contains("kid rsa-1"));
        assertTrue(refusal(DEFAULTS, sign("ES256", "ec-2", EC_256.getPrivate(), claims(""))).contains("kid ec-2"));
        String truncated = good.substring(0, good.length() - 10);
        assertTrue(refusal(DEFAULTS, truncated).contains("signature"));
    }

    @Test
    void unsignedAndSymmetricTokensAreRefused() {
        String payload = base64Url(claims(""));
        assertTrue(refusal(DEFAULTS, base64Url("{\"alg\":\"none\"}") + "." + payload + ".").contains("alg none"));
        assertTrue(refusal(DEFAULTS, base64Url("{\"alg\":\"HS256\",\"kid\":\"hmac\"}") + "." + payload + ".c2ln")
            .contains("HS256"));
        assertTrue(refusal(DEFAULTS, base64Url("{\"alg\":\"RS256\",\"crit\":[\"exp\"]}") + "." + payload + ".c2ln")
            .contains("crit"));
    }

    @Test
    void expiryNotBeforeAndIssuedAtAreCheckedWithTheSkew() throws Exception {
        String expiredWithinSkew = "{\"sub\":\"alice\",\"iat\":" + (NOW - 100) + ",\"exp\":" + (NOW - 20) + "}";
        assertEquals("alice", DEFAULTS.validate(sign("ES256", "ec-1", EC_256.getPrivate(), expiredWithinSkew))
            .principal());
        String expired = "{\"sub\":\"alice\",\"iat\":" + (NOW - 100) + ",\"exp\":" + (NOW - 30) + "}";
        assertTrue(refusal(DEFAULTS, sign("ES256", "ec-1", EC_256.getPrivate(), expired)).contains("expired"));

        JwksValidator noSkew = validator(new Settings(List.of(), Optional.empty(), "sub", "scope", 0));
        assertTrue(refusal(noSkew, sign("ES256", "ec-1", EC_256.getPrivate(), expiredWithinSkew)).contains("expired"));
        assertTrue(refusal(DEFAULTS, sign("ES256", "ec-1", EC_256.getPrivate(), claims(",\"nbf\":" + (NOW + 31))))
            .contains("nbf"));
        assertEquals("alice", DEFAULTS.validate(sign("ES256", "ec-1", EC_256.getPrivate(),
            claims(",\"nbf\":" + (NOW + 29)))).principal());
        String noIssuedAt = "{\"sub\":\"alice\",\"exp\":" + (NOW + 300) + "}";
        assertTrue(refusal(DEFAULTS, sign("ES256", "ec-1", EC_256.getPrivate(), noIssuedAt)).contains("iat"));
        String noExpiry = "{\"sub\":\"alice\",\"iat\":" + NOW + "}";
        assertTrue(refusal(DEFAULTS, sign("ES256", "ec-1", EC_256.getPrivate(), noExpiry)).contains("exp"));
    }

    @Test
    void issuerAndAudienceMustBeTheExpectedOnes() throws Exception {
        JwksValidator strict = validator(Settings.fromConfig(Map.of(
            JwksValidator.EXPECTED_ISSUER_CONFIG, ISSUER,
            JwksValidator.EXPECTED_AUDIENCE_CONFIG, "kafka, other-service")));
        assertEquals("alice", strict.validate(sign("RS256", "rsa-1", RSA.getPrivate(),
            claims(",\"aud\":[\"web\",\"kafka\"]"))).principal());
        assertEquals("alice", strict.validate(sign("RS256", "rsa-1", RSA.getPrivate(),
            claims(",\"aud\":\"other-service\""))).principal());
        assertTrue(refusal(strict, sign("RS256", "rsa-1", RSA.getPrivate(), claims(",\"aud\":\"web\"")))
            .contains("aud"));
        assertTrue(refusal(strict, sign("RS256", "rsa-1", RSA.getPrivate(), claims(""))).contains("aud"));
        String otherIssuer = "{\"sub\":\"alice\",\"iss\":\"https://evil.example\",\"aud\":\"kafka\",\"iat\":" + NOW
            + ",\"exp\":" + (NOW + 300) + "}";
        assertTrue(refusal(strict, sign("RS256", "rsa-1", RSA.getPrivate(), otherIssuer)).contains("iss"));
        String noIssuer = "{\"sub\":\"alice\",\"aud\":\"kafka\",\"iat\":" + NOW + ",\"exp\":" + (NOW + 300) + "}";
        assertTrue(refusal(strict, sign("RS256", "rsa-1", RSA.getPrivate(), noIssuer)).contains("iss"));

        // As in Kafka: an audience in the token with none configured is refused.
        assertTrue(refusal(DEFAULTS, sign("RS256", "rsa-1", RSA.getPrivate(), claims(",\"aud\":\"kafka\"")))
            .contains(JwksValidator.EXPECTED_AUDIENCE_CONFIG));
    }

    @Test
    void claimNamesComeFromTheSettings() throws Exception {
        JwksValidator custom = validator(Settings.fromConfig(Map.of(
            JwksValidator.SUB_CLAIM_NAME_CONFIG, "client_id",
            JwksValidator.SCOPE_CLAIM_NAME_CONFIG, "scp",
            JwksValidator.CLOCK_SKEW_SECONDS_CONFIG, "0")));
        ValidatedToken token = custom.validate(sign("ES256", "ec-1", EC_256.getPrivate(),
            claims(",\"client_id\":\" svc-1 \",\"scp\":[\"produce\"]")));
        assertEquals(new ValidatedToken("svc-1", (NOW + 300) * 1000, Set.of("produce")), token);
        assertTrue(refusal(custom, sign("ES256", "ec-1", EC_256.getPrivate(),
            "{\"sub\":\"alice\",\"iat\":" + NOW + ",\"exp\":" + (NOW + 300) + "}")).contains("client_id"));
    }

    @Test
    void aKeyNamingItsAlgorithmServesOnlyThatOne() throws Exception {
        String pinned = "{\"keys\":[" + rsaJwk("rsa-1", RSA, ",\"alg\":\"RS256\"") + "]}";
        JwksValidator validator = JwksValidator.fromJwksJson(pinned, Settings.defaults(), CLOCK);
        assertEquals("alice", validator.validate(sign("RS256", "rsa-1", RSA.getPrivate(), claims(""))).principal());
        refusal(validator, sign("PS256", "rsa-1", RSA.getPrivate(), claims("")));
    }

    @Test
    void unusableKeySetsAreConfigurationErrors() throws Exception {
        KeyPairGenerator small = KeyPairGenerator.getInstance("RSA");
        small.initialize(1024);
        for (String set : new String[] {
            "[]",
            "{\"keys\":{}}",
            "{\"keys\":[]}",
            "{\"keys\":[" + rsaJwk("small", small.generateKeyPair(), "") + "]}",
            "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"broken\",\"n\":\"AQAB\"}]}",
            "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"AQ\"}]}",
            "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AQ\",\"y\":\"AQ\"}]}",
            "{\"keys\":[7]}",
        }) {
            assertThrows(IllegalArgumentException.class, () -> JwksValidator.fromJwksJson(set, Settings.defaults(),
                CLOCK), set);
        }
    }

    @Test
    void settingsReadKafkasKeysAndDefaults() {
        assertEquals(Settings.defaults(), Settings.fromConfig(Map.of()));
        assertEquals(new Settings(List.of("a", "b"), Optional.of("iss"), "sub", "scope", 5),
            Settings.fromConfig(Map.of(JwksValidator.EXPECTED_AUDIENCE_CONFIG, "a,b",
                JwksValidator.EXPECTED_ISSUER_CONFIG, "iss", JwksValidator.CLOCK_SKEW_SECONDS_CONFIG, "5")));
        assertThrows(IllegalArgumentException.class,
            () -> Settings.fromConfig(Map.of(JwksValidator.CLOCK_SKEW_SECONDS_CONFIG, "-1")));
    }

    @Test
    void throughTheExchangeAGoodTokenAuthenticates() throws Exception {
        OAuthBearerExchange exchange = new OAuthBearerExchange(DEFAULTS);
        String token = sign("ES256", "ec-1", EC_256.getPrivate(), claims(""));
        exchange.evaluate(("n,,\u0001auth=Bearer " + token + "\u0001\u0001").getBytes(StandardCharsets.UTF_8));
        assertEquals("alice", exchange.authorizedUser());
    }
}
