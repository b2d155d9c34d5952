package dev.sluice.broker.security.sasl;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * A JWT in JWS compact serialization (RFC 7515 section 7.1), {@code header.payload.signature}, with
 * its header and claims read, and the claim rules both OAUTHBEARER validators share. Every failure
 * is {@link OAuthBearerValidator#invalidToken}.
 */
final class CompactJws {
    private final String signingInput;
    private final byte[] signature;
    private final Map<String, Object> header;
    private final Map<String, Object> claims;

    private CompactJws(String signingInput, byte[] signature, Map<String, Object> header, Map<String, Object> claims) {
        this.signingInput = signingInput;
        this.signature = signature;
        this.header = header;
        this.claims = claims;
    }

    static CompactJws parse(String token) throws SaslAuthenticationException {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw OAuthBearerValidator.invalidToken("the token is not three dot-separated base64url parts");
        }
        return new CompactJws(parts[0] + "." + parts[1], decode(parts[2], "signature"),
            json(parts[0], "header"), json(parts[1], "claims"));
    }

    /** The bytes the signature covers: the first two parts as sent, with their dot. */
    byte[] signingInput() {
        return signingInput.getBytes(StandardCharsets.US_ASCII);
    }

    byte[] signature() {
        return signature;
    }

    /** The header's {@code alg}, which must be a string. */
    String algorithm() throws SaslAuthenticationException {
        if (header.get("alg") instanceof String alg) {
            return alg;
        }
        throw OAuthBearerValidator.invalidToken("the token's header has no alg");
    }

    Optional<String> headerString(String name) throws SaslAuthenticationException {
        return string(header, name, "header member");
    }

    boolean hasHeader(String name) {
        return header.containsKey(name);
    }

    Optional<String> stringClaim(String name) throws SaslAuthenticationException {
        return string(claims, name, "claim");
    }

    /** A NumericDate claim (seconds since the epoch, perhaps fractional), if present. */
    OptionalDouble secondsClaim(String name) throws SaslAuthenticationException {
        Object value = claims.get(name);
        if (value == null) {
            return OptionalDouble.empty();
        }
        if (value instanceof BigDecimal number) {
            return OptionalDouble.of(number.doubleValue());
        }
        throw OAuthBearerValidator.invalidToken("the " + name + " claim is not a number");
    }

    /** The principal claim: a string that is not blank. */
    String principal(String claimName) throws SaslAuthenticationException {
        Optional<String> principal = stringClaim(claimName);
        if (principal.isEmpty() || principal.get().isBlank()) {
            throw OAuthBearerValidator.invalidToken("the token has no principal claim " + claimName);
        }
        return principal.get();
    }

    /**
     * The scope claim: absent (no scopes), a string of space-separated scopes (RFC 8693 section
     * 4.2), or an array of strings. Kafka's validators keep a string whole, as one scope; splitting it
     * gives the same answer for the one-word scopes that works for, and the right one for the rest.
     */
    Set<String> scopes(String claimName) throws SaslAuthenticationException {
        return stringsClaim(claimName, true);
    }

    /** The audiences of the {@code aud} claim (RFC 7519 section 4.1.3): a string or an array of strings. */
    Set<String> audiences() throws SaslAuthenticationException {
        return stringsClaim("aud", false);
    }

    /** NumericDate seconds as epoch milliseconds, rounded as Kafka's unsecured validator does. */
    static long millis(double seconds) {
        return Math.round(seconds * 1000);
    }

    private Set<String> stringsClaim(String name, boolean splitString) throws SaslAuthenticationException {
        Object value = claims.get(name);
        List<Object> elements = new ArrayList<>();
        if (value instanceof String string) {
            elements.addAll(splitString ? List.of(string.trim().split("\\s+")) : List.of(string));
        } else if (value instanceof List<?> list) {
            elements.addAll(list);
        } else if (value != null) {
            throw OAuthBearerValidator.invalidToken("the " + name + " claim is neither a string nor an array");
        }
        Set<String> strings = new LinkedHashSet<>();
        for (Object element : elements) {
            if (!(element instanceof String string)) {
                throw OAuthBearerValidator.invalidToken("the " + name + " claim holds something other than strings");
            }
            if (!string.isBlank()) {
                strings.add(string.trim());
            }
        }
        return strings;
    }

    private static Optional<String> string(Map<String, Object> members, String name, String what)
            throws SaslAuthenticationException {
        Object value = members.get(name);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof String string) {
            return Optional.of(string);
        }
        throw OAuthBearerValidator.invalidToken("the " + name + " " + what + " is not a string");
    }

    private static Map<String, Object> json(String part, String what) throws SaslAuthenticationException {
        try {
            return Json.parseObject(new String(decode(part, what), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw OAuthBearerValidator.invalidToken("the token's " + what + " is not a JSON object: " + e.getMessage());
        }
    }

    /**
     * Base64url as RFC 7515 wants it, also taking the standard alphabet and padding, since Kafka's
     * unsecured validator reads that one: the signature covers the text as sent either way.
     */
    private static byte[] decode(String part, String what) throws SaslAuthenticationException {
        try {
            return Base64.getDecoder().decode(part.replace('-', '+').replace('_', '/'));
        } catch (IllegalArgumentException e) {
            throw OAuthBearerValidator.invalidToken("the token's " + what + " is not base64url");
        }
    }
}
