package dev.sluice.broker.security.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Builds JWTs for tests from header and claims JSON. */
final class Jwts {
    private Jwts() {
    }

    static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String base64Url(String text) {
        return base64Url(text.getBytes(StandardCharsets.UTF_8));
    }

    /** An unsecured JWT: {@code {"alg":"none"}}, the claims, and an empty signature. */
    static String unsecured(String claimsJson) {
        return base64Url("{\"alg\":\"none\"}") + "." + base64Url(claimsJson) + ".";
    }

    /** The first two parts of a JWS, ready to sign. */
    static String signingInput(String headerJson, String claimsJson) {
        return base64Url(headerJson) + "." + base64Url(claimsJson);
    }
}
