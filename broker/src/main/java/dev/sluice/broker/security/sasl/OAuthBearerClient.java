package dev.sluice.broker.security.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * The client side of OAUTHBEARER (RFC 7628) with an unsecured token, as Kafka's unsecured login
 * module makes one for development: a JWS with {@code "alg":"none"}, its subject, issue and
 * expiry times and optional scope, sent as {@code n,,^Aauth=Bearer <token>^A^A}. The server's
 * empty reply means success; anything else is its error.
 */
public final class OAuthBearerClient implements SaslClientExchange {
    private final String token;
    private boolean complete;

    /**
     * @param subject         the principal claim's value
     * @param principalClaim  the claim naming the principal ({@code sub} unless configured)
     * @param lifetimeSeconds how long the token is valid from now
     */
    public OAuthBearerClient(String subject, String principalClaim, long lifetimeSeconds, long nowMs) {
        long iat = nowMs / 1000;
        String header = "{\"alg\":\"none\"}";
        String claims = "{" + Json.quote(principalClaim) + ":" + Json.quote(subject) + ",\"iat\":" + iat + ",\"exp\":"
            + (iat + lifetimeSeconds) + "}";
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        this.token = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
            + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".";
    }

    /** From the options of Kafka's {@code OAuthBearerLoginModule} with its unsecured login handler. */
    public static OAuthBearerClient fromJaasOptions(Map<String, String> options, long nowMs) {
        String subject = options.get("unsecuredLoginStringClaim_sub");
        if (subject == null || subject.isEmpty()) {
            throw new IllegalArgumentException("the OAUTHBEARER JAAS config has no unsecuredLoginStringClaim_sub");
        }
        long lifetime = Long.parseLong(options.getOrDefault("unsecuredLoginLifetimeSeconds", "3600"));
        String claim = options.getOrDefault("unsecuredLoginPrincipalClaimName", "sub");
        String principal = "sub".equals(claim) ? subject : options.get("unsecuredLoginStringClaim_" + claim);
        if (principal == null) {
            throw new IllegalArgumentException("the OAUTHBEARER JAAS config names principal claim " + claim
                + " but gives no unsecuredLoginStringClaim_" + claim);
        }
        return new OAuthBearerClient(principal, claim, lifetime, nowMs);
    }

    @Override
    public String mechanism() {
        return "OAUTHBEARER";
    }

    @Override
    public byte[] first() {
        return ("n,,\u0001auth=Bearer " + token + "\u0001\u0001").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] respond(byte[] serverToken) throws SaslAuthenticationException {
        if (serverToken.length > 0) {
            String message = "OAUTHBEARER authentication failed: the server answered "
                + new String(serverToken, StandardCharsets.UTF_8);
            throw new SaslAuthenticationException(message, message);
        }
        complete = true;
        return null;
    }

    @Override
    public boolean isComplete() {
        return complete;
    }
}
