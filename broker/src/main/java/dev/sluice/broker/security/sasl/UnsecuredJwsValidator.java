package dev.sluice.broker.security.sasl;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Validates unsecured JWTs ({@code "alg":"none"}, no signature) as Kafka's default OAUTHBEARER
 * validator (OAuthBearerUnsecuredValidatorCallbackHandler) does: anyone can make such a token, so
 * this is for development and tests only, as in Kafka.
 *
 * <p>A token passes when its header's alg is {@code none}, its signature part is empty
 * ({@code header.payload.}), its principal claim is a non-blank string, it has a numeric
 * {@code exp} (seconds, perhaps fractional) that now minus the allowed skew has not reached, its
 * optional numeric {@code iat} is not later than now plus the skew and is before {@code exp}, and
 * its scope holds every required scope; a missing scope fails with {@code insufficient_scope}, any
 * other failure with {@code invalid_token}.
 *
 * <p>Options (Kafka's JAAS option names, all optional):
 * <ul>
 *   <li>{@value #PRINCIPAL_CLAIM_NAME_OPTION}: the principal claim, {@code sub} by default;</li>
 *   <li>{@value #SCOPE_CLAIM_NAME_OPTION}: the scope claim, {@code scope} by default;</li>
 *   <li>{@value #REQUIRED_SCOPE_OPTION}: scopes every token must have, separated by spaces as in
 *       Kafka;</li>
 *   <li>{@value #ALLOWABLE_CLOCK_SKEW_MS_OPTION}: milliseconds of clock skew allowed, 0 by default.</li>
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class UnsecuredJwsValidator implements OAuthBearerValidator {
    public static final String PRINCIPAL_CLAIM_NAME_OPTION = "unsecuredValidatorPrincipalClaimName";
    public static final String SCOPE_CLAIM_NAME_OPTION = "unsecuredValidatorScopeClaimName";
    public static final String REQUIRED_SCOPE_OPTION = "unsecuredValidatorRequiredScope";
    public static final String ALLOWABLE_CLOCK_SKEW_MS_OPTION = "unsecuredValidatorAllowableClockSkewMs";

    private final String principalClaimName;
    private final String scopeClaimName;
    private final List<String> requiredScope;
    private final long clockSkewMs;
    private final Clock clock;

    /**
     * @param jaasOptions the options of the OAuthBearerLoginModule entry; those not listed above
     *     (the login side's {@code unsecuredLogin*}) are ignored
     * @throws IllegalArgumentException if the clock skew is not a non-negative integer
     */
    public UnsecuredJwsValidator(Map<String, String> jaasOptions, Clock clock) {
        this.principalClaimName = option(jaasOptions, PRINCIPAL_CLAIM_NAME_OPTION, "sub");
        this.scopeClaimName = option(jaasOptions, SCOPE_CLAIM_NAME_OPTION, "scope");
        String required = option(jaasOptions, REQUIRED_SCOPE_OPTION, "");
        this.requiredScope = required.isEmpty() ? List.of() : List.of(required.split("\\s+"));
        String skew = option(jaasOptions, ALLOWABLE_CLOCK_SKEW_MS_OPTION, "0");
        try {
            this.clockSkewMs = Integer.parseInt(skew);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(ALLOWABLE_CLOCK_SKEW_MS_OPTION + " is not an integer");
        }
        if (clockSkewMs < 0) {
            throw new IllegalArgumentException(ALLOWABLE_CLOCK_SKEW_MS_OPTION + " is negative");
        }
        this.clock = Objects.requireNonNull(clock);
    }

    @Override
    public ValidatedToken validate(String compactJws) throws SaslAuthenticationException {
        CompactJws jws = CompactJws.parse(compactJws);
        if (!jws.algorithm().equals("none")) {
            throw OAuthBearerValidator.invalidToken("an unsecured token must have alg none");
        }
        if (!compactJws.endsWith(".")) {
            throw OAuthBearerValidator.invalidToken("an unsecured token must not be signed");
        }
        String principal = jws.principal(principalClaimName);
        OptionalDouble expiry = jws.secondsClaim("exp");
        if (expiry.isEmpty()) {
            throw OAuthBearerValidator.invalidToken("the token has no exp claim");
        }
        OptionalDouble issuedAt = jws.secondsClaim("iat");
        Set<String> scopes = jws.scopes(scopeClaimName);
        long now = clock.millis();
        if (issuedAt.isPresent() && issuedAt.getAsDouble() * 1000 > now + clockSkewMs) {
            throw OAuthBearerValidator.invalidToken("the token's iat is in the future beyond the allowed skew");
        }
        if (now - clockSkewMs >= expiry.getAsDouble() * 1000) {
            throw OAuthBearerValidator.invalidToken("the token expired");
        }
        if (issuedAt.isPresent() && expiry.getAsDouble() <= issuedAt.getAsDouble()) {
            throw OAuthBearerValidator.invalidToken("the token's exp is not after its iat");
        }
        for (String scope : requiredScope) {
            if (!scopes.contains(scope)) {
                throw OAuthBearerValidator.insufficientScope(requiredScope,
                    "the token of " + principal + " lacks the required scope " + scope);
            }
        }
        return new ValidatedToken(principal, CompactJws.millis(expiry.getAsDouble()), scopes);
    }

    /** A trimmed option, or the default when it is absent or blank (as Kafka reads them). */
    private static String option(Map<String, String> options, String name, String defaultValue) {
        String value = options.get(name);
        return value == null || value.isBlank() ? defaultValue : value.trim();
    }
}
