package dev.sluice.broker.security.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server side of OAUTHBEARER (RFC 7628) as Kafka runs it. The client's one message is
 * {@code gs2-header \x01 auth=Bearer <token> \x01 [key=value \x01]* \x01}; the token goes to an
 * {@link OAuthBearerValidator}, and a good one completes the exchange with an empty reply.
 *
 * <p>A token the validator refuses does not fail the exchange at once: as RFC 7628 section 3.2.2
 * and Kafka have it, the server answers with an error JSON such as {@code {"status":"invalid_token"}},
 * the client acknowledges with a single {@code 0x01}, and only then does the exchange fail, with
 * that JSON as its message. Anything other than the acknowledgement fails it the same way (Kafka
 * would read it as a fresh first message; a second try belongs in a new exchange).
 *
 * <p>The other {@code key=value} pairs are extensions (KIP-342), kept in {@link #extensions()} and
 * all accepted; {@code auth} is the token itself, never an extension. An authorization identity,
 * if given, must be the token's principal, with Kafka's message otherwise. A malformed message
 * fails with Kafka's message for invalid credentials.
 *
 * <p>Not thread-safe: owned by the connection it authenticates.
 */
public final class OAuthBearerExchange extends AbstractSaslExchange {
    public static final String MECHANISM = "OAUTHBEARER";

    private static final char SEPARATOR = '\u0001';
    /** RFC 7628's key: letters only. */
    private static final Pattern KEY = Pattern.compile("[A-Za-z]+");
    /** RFC 7628's value: visible ASCII, space, tab, CR and LF. */
    private static final Pattern VALUE = Pattern.compile("[\\x21-\\x7E \\t\\r\\n]+");
    /** RFC 7628's auth value: the scheme, then RFC 6750's b64token. */
    private static final Pattern AUTH = Pattern.compile("([A-Za-z]+) +([-._~+/A-Za-z0-9]+=*)");

    private final OAuthBearerValidator validator;

    private Map<String, String> extensions = Map.of();
    private OAuthBearerValidator.ValidatedToken token;
    /** The failure the client was sent an error challenge for, awaiting its acknowledgement. */
    private SaslAuthenticationException pending;

    public OAuthBearerExchange(OAuthBearerValidator validator) {
        this.validator = Objects.requireNonNull(validator);
    }

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    /** The client's extensions in the order sent; empty before its message. */
    public Map<String, String> extensions() {
        return extensions;
    }

    /** The scopes of the validated token; empty before completion. */
    public Set<String> scopes() {
        return token == null ? Set.of() : token.scopes();
    }

    @Override
    public OptionalLong credentialExpiryMs() {
        return token == null ? OptionalLong.empty() : OptionalLong.of(token.expiryMs());
    }

    @Override
    byte[] step(byte[] clientToken) throws SaslAuthenticationException {
        if (pending != null) {
            boolean acknowledged = clientToken.length == 1 && clientToken[0] == SEPARATOR;
            throw new SaslAuthenticationException(pending.getMessage(), (acknowledged ? ""
                : "the client did not acknowledge the error challenge; ") + pending.detail());
        }
        Gs2Header header;
        String bearer;
        try {
            String message = ClientText.utf8(clientToken);
            header = Gs2Header.parse(message);
            bearer = parsePairs(message.substring(header.text().length()));
        } catch (MalformedTokenException e) {
            throw refuse("malformed OAUTHBEARER message: " + e.getMessage());
        }
        OAuthBearerValidator.ValidatedToken validated;
        try {
            validated = validator.validate(bearer);
        } catch (SaslAuthenticationException e) {
            pending = errorChallenge(e);
            return pending.getMessage().getBytes(StandardCharsets.UTF_8);
        }
        if (!header.authorizationId().isEmpty() && !header.authorizationId().equals(validated.principal())) {
            throw new SaslAuthenticationException(String.format(
                "Authentication failed: Client requested an authorization id (%s) that is different from the"
                    + " token's principal name (%s)", header.authorizationId(), validated.principal()));
        }
        token = validated;
        complete(validated.principal());
        return new byte[0];
    }

    /**
     * Reads {@code \x01 (key=value \x01)* \x01}, keeping the extensions and returning the bearer
     * token of the {@code auth} pair.
     */
    private String parsePairs(String pairs) throws MalformedTokenException {
        if (pairs.length() < 2 || pairs.charAt(0) != SEPARATOR || pairs.charAt(pairs.length() - 1) != SEPARATOR) {
            throw new MalformedTokenException("key/value pairs not framed by \\x01");
        }
        String inner = pairs.substring(1, pairs.length() - 1);
        if (inner.isEmpty()) {
            throw new MalformedTokenException("no auth pair");
        }
        if (inner.charAt(inner.length() - 1) != SEPARATOR) {
            throw new MalformedTokenException("a key/value pair not ended by \\x01");
        }
        Map<String, String> found = new LinkedHashMap<>();
        String bearer = null;
        for (String pair : inner.substring(0, inner.length() - 1).split(String.valueOf(SEPARATOR), -1)) {
            int equals = pair.indexOf('=');
            if (equals < 0 || !KEY.matcher(pair.substring(0, equals)).matches()
                    || !VALUE.matcher(pair.substring(equals + 1)).matches()) {
                throw new MalformedTokenException("a pair that is not key=value");
            }
            String key = pair.substring(0, equals);
            if (found.containsKey(key) || (key.equals("auth") && bearer != null)) {
                throw new MalformedTokenException("a repeated key");
            }
            if (key.equals("auth")) {
                Matcher auth = AUTH.matcher(pair.substring(equals + 1));
                if (!auth.matches() || !auth.group(1).equalsIgnoreCase("Bearer")) {
                    throw new MalformedTokenException("an auth value that is not 'Bearer <token>'");
                }
                bearer = auth.group(2);
            } else {
                found.put(key, pair.substring(equals + 1));
            }
        }
        if (bearer == null) {
            throw new MalformedTokenException("no auth pair");
        }
        extensions = Collections.unmodifiableMap(found);
        return bearer;
    }

    /** The validator's failure with a message that is an RFC 7628 error JSON. */
    private static SaslAuthenticationException errorChallenge(SaslAuthenticationException e) {
        try {
            if (e.getMessage() != null && Json.parse(e.getMessage()) instanceof Map<?, ?> json
                    && json.get("status") instanceof String) {
                return e;
            }
        } catch (IllegalArgumentException notJson) {
            // Replaced below.
        }
        return OAuthBearerValidator.invalidToken(e.detail());
    }
}
