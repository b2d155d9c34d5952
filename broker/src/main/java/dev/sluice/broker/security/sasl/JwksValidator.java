package dev.sluice.broker.security.sasl;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.EllipticCurve;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Validates signed JWTs against a JSON Web Key Set (RFC 7517), with the rules and configuration keys
 * of Kafka's broker-side OAUTHBEARER validator (BrokerJwtValidator):
 * <ul>
 *   <li>the signature must verify with a key of the set: the one named by the header's {@code kid},
 *       or, without a kid, any key fit for the algorithm. RS256/384/512, PS256/384/512 and
 *       ES256/384/512 are accepted; {@code none}, HMAC algorithms and a {@code crit} header are
 *       refused;</li>
 *   <li>{@code exp} and {@code iat} are required numbers; the token is refused once now minus the
 *       allowed skew reaches {@code exp}, or while now plus the skew is before its {@code nbf};</li>
 *   <li>{@code iss} must equal the expected issuer when one is configured;</li>
 *   <li>{@code aud} must name an expected audience when some are configured, and, as in Kafka (whose
 *       JWT library does this by default), a token that names any audience is refused when none
 *       is configured;</li>
 *   <li>the subject claim must be a non-blank string (it becomes the principal, trimmed); the scope
 *       claim, if present, a string of space-separated scopes or an array of strings.</li>
 * </ul>
 * Every refusal is {@code invalid_token}. Keys are read from JSON once: the connection layer loads
 * the set from a file or URL and builds a new validator when it changes.
 *
 * <p>Immutable and thread-safe.
 */
public final class JwksValidator implements OAuthBearerValidator {
    public static final String EXPECTED_AUDIENCE_CONFIG = "sasl.oauthbearer.expected.audience";
    public static final String EXPECTED_ISSUER_CONFIG = "sasl.oauthbearer.expected.issuer";
    public static final String SUB_CLAIM_NAME_CONFIG = "sasl.oauthbearer.sub.claim.name";
    public static final String SCOPE_CLAIM_NAME_CONFIG = "sasl.oauthbearer.scope.claim.name";
    public static final String CLOCK_SKEW_SECONDS_CONFIG = "sasl.oauthbearer.clock.skew.seconds";

    /** What a token must satisfy besides its signature; defaults as Kafka's. */
    public record Settings(List<String> expectedAudiences, Optional<String> expectedIssuer, String subClaimName,
            String scopeClaimName, long clockSkewSeconds) {
        public Settings {
            expectedAudiences = List.copyOf(expectedAudiences);
            Objects.requireNonNull(expectedIssuer);
            Objects.requireNonNull(subClaimName);
            Objects.requireNonNull(scopeClaimName);
            if (clockSkewSeconds < 0) {
                throw new IllegalArgumentException(CLOCK_SKEW_SECONDS_CONFIG + " is negative");
            }
        }

        public static Settings defaults() {
            return new Settings(List.of(), Optional.empty(), "sub", "scope", 30);
        }

        /**
         * Settings from Kafka's broker configuration keys, with values as they are written in the
         * properties file (the audience a comma-separated list); absent keys take the defaults.
         *
         * @throws IllegalArgumentException if the clock skew is not a non-negative integer
         */
        public static Settings fromConfig(Map<String, String> config) {
            Settings defaults = defaults();
            String audiences = config.getOrDefault(EXPECTED_AUDIENCE_CONFIG, "").trim();
            String issuer = config.getOrDefault(EXPECTED_ISSUER_CONFIG, "").trim();
            String skew = config.getOrDefault(CLOCK_SKEW_SECONDS_CONFIG, "").trim();
            long skewSeconds;
            try {
                skewSeconds = skew.isEmpty() ? defaults.clockSkewSeconds() : Integer.parseInt(skew);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(CLOCK_SKEW_SECONDS_CONFIG + " is not an integer");
            }
            return new Settings(
                audiences.isEmpty() ? List.of() : List.of(audiences.split("\\s*,\\s*")),
                issuer.isEmpty() ? Optional.empty() : Optional.of(issuer),
                nonBlank(config.get(SUB_CLAIM_NAME_CONFIG), defaults.subClaimName()),
                nonBlank(config.get(SCOPE_CLAIM_NAME_CONFIG), defaults.scopeClaimName()),
                skewSeconds);
        }

        private static String nonBlank(String value, String defaultValue) {
            return value == null || value.isBlank() ? defaultValue : value.trim();
        }
    }

    /** The JWS algorithms accepted (RFC 7518 section 3.1), with the JDK signature each needs. */
    private enum Algorithm {
        RS256("RSA", "SHA256withRSA", null), RS384("RSA", "SHA384withRSA", null), RS512("RSA", "SHA512withRSA", null),
        PS256("RSA", "RSASSA-PSS", "SHA-256"), PS384("RSA", "RSASSA-PSS", "SHA-384"),
        PS512("RSA", "RSASSA-PSS", "SHA-512"),
        // JWS carries ECDSA signatures as R || S (P1363), not DER; the JDK reads that form directly.
        ES256("P-256", "SHA256withECDSAinP1363Format", null), ES384("P-384", "SHA384withECDSAinP1363Format", null),
        ES512("P-521", "SHA512withECDSAinP1363Format", null);

        /** "RSA", or the curve an EC key must be on. */
        final String keyKind;
        final String jdkName;
        final String pssDigest;

        Algorithm(String keyKind, String jdkName, String pssDigest) {
            this.keyKind = keyKind;
            this.jdkName = jdkName;
            this.pssDigest = pssDigest;
        }

        static Optional<Algorithm> forName(String name) {
            return Arrays.stream(values()).filter(a -> a.name().equals(name)).findFirst();
        }

        boolean verify(PublicKey key, byte[] signingInput, byte[] signature) {
            try {
                Signature verifier = Signature.getInstance(jdkName);
                if (pssDigest != null) {
                    int saltLength = Integer.parseInt(name().substring(2)) / 8;
                    verifier.setParameter(new PSSParameterSpec(pssDigest, "MGF1", new MGF1ParameterSpec(pssDigest),
                        saltLength, PSSParameterSpec.TRAILER_FIELD_BC));
                }
                verifier.initVerify(key);
                verifier.update(signingInput);
                return verifier.verify(signature);
            } catch (SignatureException e) {
                // A signature of the wrong length or shape: as false as a wrong one.
                return false;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK cannot verify " + name(), e);
            }
        }
    }

    /** A key of the set: its kid and alg if it names them, and "RSA" or its curve. */
    private record VerificationKey(Optional<String> kid, Optional<String> alg, String kind, PublicKey key) {
        boolean fits(Algorithm algorithm) {
            return kind.equals(algorithm.keyKind) && alg.map(algorithm.name()::equals).orElse(true);
        }
    }

    /** RSA keys shorter than this are not used, as Kafka's JWT library refuses them. */
    private static final int MIN_RSA_BITS = 2048;
    private static final Map<String, String> CURVES = Map.of("P-256", "secp256r1", "P-384", "secp384r1",
        "P-521", "secp521r1");

    private final List<VerificationKey> keys;
    private final Settings settings;
    private final Clock clock;

    private JwksValidator(List<VerificationKey> keys, Settings settings, Clock clock) {
        this.keys = keys;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * A validator for the keys of a JWKS document ({@code {"keys":[...]}}). Keys that are not for
     * signatures ({@code "use"} other than {@code sig}), of other types (symmetric, OKP) or RSA keys
     * under 2048 bits are left out.
     *
     * @throws IllegalArgumentException if the document is not a JWKS, an RSA or EC key in it is
     *     malformed, or no usable key is left; the message never quotes key material
     */
    public static JwksValidator fromJwksJson(String jwksJson, Settings settings, Clock clock) {
        Map<String, Object> document = Json.parseObject(jwksJson);
        if (!(document.get("keys") instanceof List<?> entries)) {
            throw new IllegalArgumentException("a JWKS must be an object with a \"keys\" array");
        }
        List<VerificationKey> keys = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            if (!(entries.get(i) instanceof Map<?, ?> jwk)) {
                throw new IllegalArgumentException("JWKS key " + i + " is not an object");
            }
            verificationKey(jwk, i).ifPresent(keys::add);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("the JWKS has no RSA or EC signing key");
        }
        return new JwksValidator(Collections.unmodifiableList(keys), Objects.requireNonNull(settings),
            Objects.requireNonNull(clock));
    }

    /** How many keys of the set are used. */
    public int keyCount() {
        return keys.size();
    }

    @Override
    public ValidatedToken validate(String compactJws) throws SaslAuthenticationException {
        CompactJws jws = CompactJws.parse(compactJws);
        String algName = jws.algorithm();
        Algorithm algorithm = Algorithm.forName(algName).orElseThrow(() ->
            OAuthBearerValidator.invalidToken("the token's alg " + algName + " is not accepted"));
        if (jws.hasHeader("crit")) {
            throw OAuthBearerValidator.invalidToken("the token's header has crit, which no extension here understands");
        }
        Optional<String> kid = jws.headerString("kid");
        List<VerificationKey> candidates = keys.stream()
            .filter(k -> kid.isEmpty() || k.kid().equals(kid))
            .filter(k -> k.fits(algorithm))
            .toList();
        if (candidates.isEmpty()) {
            throw OAuthBearerValidator.invalidToken(kid.map(id -> "no " + algName + " key with kid " + id)
                .orElse("no " + algName + " key, and the token names no kid"));
        }
        if (candidates.stream().noneMatch(k -> algorithm.verify(k.key(), jws.signingInput(), jws.signature()))) {
            throw OAuthBearerValidator.invalidToken("the token's signature does not verify");
        }
        return checkClaims(jws);
    }

    private ValidatedToken checkClaims(CompactJws jws) throws SaslAuthenticationException {
        double now = clock.millis() / 1000.0;
        double expiry = required(jws.secondsClaim("exp"), "exp");
        double issuedAt = required(jws.secondsClaim("iat"), "iat");
        OptionalDouble notBefore = jws.secondsClaim("nbf");
        if (now - settings.clockSkewSeconds() >= expiry) {
            throw OAuthBearerValidator.invalidToken("the token expired");
        }
        if (notBefore.isPresent() && now + settings.clockSkewSeconds() < notBefore.getAsDouble()) {
            throw OAuthBearerValidator.invalidToken("the token is not valid yet (nbf)");
        }
        if (issuedAt < 0) {
            throw OAuthBearerValidator.invalidToken("the token's iat is negative");
        }
        if (settings.expectedIssuer().isPresent() && !jws.stringClaim("iss").equals(settings.expectedIssuer())) {
            throw OAuthBearerValidator.invalidToken("the token's iss is not the expected issuer");
        }
        Set<String> audiences = jws.audiences();
        if (!audiences.isEmpty() || !settings.expectedAudiences().isEmpty()) {
            if (settings.expectedAudiences().stream().noneMatch(audiences::contains)) {
                throw OAuthBearerValidator.invalidToken(settings.expectedAudiences().isEmpty()
                    ? "the token names an audience but none is expected (" + EXPECTED_AUDIENCE_CONFIG + ")"
                    : "the token's aud names no expected audience");
            }
        }
        String principal = jws.principal(settings.subClaimName()).trim();
        return new ValidatedToken(principal, CompactJws.millis(expiry), jws.scopes(settings.scopeClaimName()));
    }

    private static double required(OptionalDouble value, String claim) throws SaslAuthenticationException {
        if (value.isEmpty()) {
            throw OAuthBearerValidator.invalidToken("the token has no " + claim + " claim");
        }
        return value.getAsDouble();
    }

    private static Optional<VerificationKey> verificationKey(Map<?, ?> jwk, int index) {
        Object use = jwk.get("use");
        if (use != null && !"sig".equals(use)) {
            return Optional.empty();
        }
        Optional<String> kid = jwk.get("kid") instanceof String s ? Optional.of(s) : Optional.empty();
        Optional<String> alg = jwk.get("alg") instanceof String s ? Optional.of(s) : Optional.empty();
        String where = "JWKS key " + kid.map(id -> "with kid " + id).orElse(String.valueOf(index));
        try {
            Object kty = jwk.get("kty");
            if ("RSA".equals(kty)) {
                RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(
                    new RSAPublicKeySpec(unsigned(jwk, "n", where), unsigned(jwk, "e", where)));
                return key.getModulus().bitLength() < MIN_RSA_BITS
                    ? Optional.empty()
                    : Optional.of(new VerificationKey(kid, alg, "RSA", key));
            }
            if ("EC".equals(kty)) {
                String curve = jwk.get("crv") instanceof String s ? s : "";
                if (!CURVES.containsKey(curve)) {
                    throw new IllegalArgumentException(where + " is on an unsupported curve");
                }
                AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
                parameters.init(new ECGenParameterSpec(CURVES.get(curve)));
                ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
                ECPoint point = new ECPoint(unsigned(jwk, "x", where), unsigned(jwk, "y", where));
                if (!onCurve(point, spec.getCurve())) {
                    throw new IllegalArgumentException(where + " is not a point on " + curve);
                }
                PublicKey key = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, spec));
                return Optional.of(new VerificationKey(kid, alg, curve, key));
            }
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(where + " is not a valid key", e);
        }
    }

    /** y^2 = x^3 + ax + b over the curve's prime field, with both coordinates inside it. */
    private static boolean onCurve(ECPoint point, EllipticCurve curve) {
        BigInteger p = ((ECFieldFp) curve.getField()).getP();
        BigInteger x = point.getAffineX();
        BigInteger y = point.getAffineY();
        if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
            return false;
        }
        BigInteger right = x.pow(3).add(curve.getA().multiply(x)).add(curve.getB()).mod(p);
        return y.pow(2).mod(p).equals(right);
    }

    /** A base64url big-endian unsigned integer member of a JWK (RFC 7518 section 6). */
    private static BigInteger unsigned(Map<?, ?> jwk, String member, String where) {
        if (!(jwk.get(member) instanceof String text) || text.isEmpty()) {
            throw new IllegalArgumentException(where + " has no \"" + member + "\"");
        }
        try {
            return new BigInteger(1, Base64.getUrlDecoder().decode(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " has a \"" + member + "\" that is not base64url");
        }
    }
}
