package dev.sluice.broker.security.sasl;

import static dev.sluice.broker.security.sasl.Jwts.base64Url;
import static dev.sluice.broker.security.sasl.Jwts.unsecured;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.broker.security.sasl.OAuthBearerValidator.ValidatedToken;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.AppConfigurationEntry.LoginModuleControlFlag;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler;
import org.junit.jupiter.api.Test;

/** Kafka's unsecured OAUTHBEARER validation, checked case by case and against Kafka's own handler. */
class UnsecuredJwsValidatorTest {
    /** 2023-11-14T22:13:20Z. */
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW_MS), ZoneOffset.UTC);
    private static final String INVALID = "{\"status\":\"invalid_token\"}";

    private static ValidatedToken validate(Map<String, String> options, String token) throws Exception {
        return new UnsecuredJwsValidator(options, CLOCK).validate(token);
    }

    private static String refusal(Map<String, String> options, String token) {
        return assertThrows(SaslAuthenticationException.class, () -> validate(options, token), token).getMessage();
    }

    @Test
    void aGoodTokenGivesItsPrincipalExpiryAndScopes() throws Exception {
        ValidatedToken token = validate(Map.of(), unsecured(
            "{\"sub\":\"alice\",\"exp\":1700000060.5,\"iat\":1699999990,\"scope\":\"read write\"}"));
        assertEquals(new ValidatedToken("alice", 1_700_000_060_500L, Set.of("read", "write")), token);

        ValidatedToken listed = validate(Map.of(), unsecured(
            "{\"sub\":\"bob\",\"exp\":1700000060,\"scope\":[\"read\",\" write \",\"\"]}"));
        assertEquals(Set.of("read", "write"), listed.scopes());
    }

    @Test
    void claimNamesRequiredScopeAndSkewComeFromTheJaasOptions() throws Exception {
        Map<String, String> options = Map.of(
            UnsecuredJwsValidator.PRINCIPAL_CLAIM_NAME_OPTION, "user",
            UnsecuredJwsValidator.SCOPE_CLAIM_NAME_OPTION, "roles",
            UnsecuredJwsValidator.REQUIRED_SCOPE_OPTION, "LOGIN_TO_KAFKA KAFKA_BROKER",
            UnsecuredJwsValidator.ALLOWABLE_CLOCK_SKEW_MS_OPTION, "5000");
        String claims = "{\"user\":\"carol\",\"exp\":1699999998,\"roles\":[\"KAFKA_BROKER\",\"LOGIN_TO_KAFKA\"]}";
        assertEquals("carol", validate(options, unsecured(claims)).principal());

        assertEquals("{\"status\":\"insufficient_scope\", \"scope\":\"LOGIN_TO_KAFKA KAFKA_BROKER\"}",
            refusal(options, unsecured("{\"user\":\"carol\",\"exp\":1700000060,\"roles\":\"LOGIN_TO_KAFKA\"}")));
        assertEquals(INVALID, refusal(options, unsecured("{\"sub\":\"carol\",\"exp\":1700000060,"
            + "\"roles\":[\"KAFKA_BROKER\",\"LOGIN_TO_KAFKA\"]}")));
    }

    @Test
    void timeIsCheckedWithTheAllowedSkew() throws Exception {
        Map<String, String> noSkew = Map.of();
        Map<String, String> skew = Map.of(UnsecuredJwsValidator.ALLOWABLE_CLOCK_SKEW_MS_OPTION, "1000");
        assertEquals(INVALID, refusal(noSkew, unsecured("{\"sub\":\"a\",\"exp\":1700000000}")));
        assertEquals("a", validate(skew, unsecured("{\"sub\":\"a\",\"exp\":1700000000}")).principal());
        assertEquals(INVALID, refusal(skew, unsecured("{\"sub\":\"a\",\"exp\":1699999999}")));
        assertEquals(INVALID, refusal(noSkew, unsecured("{\"sub\":\"a\",\"exp\":1700000100,\"iat\":1700000001}")));
        assertEquals("a", validate(skew, unsecured("{\"sub\":\"a\",\"exp\":1700000100,\"iat\":1700000001}"))
            .principal());
        assertEquals(INVALID, refusal(skew, unsecured("{\"sub\":\"a\",\"exp\":1700000100,\"iat\":1700000100}")));
    }

    @Test
    void malformedOrSignedTokensAreInvalid() {
        String claims = base64Url("{\"sub\":\"a\",\"exp\":1700000100}");
        for (String token : new String[] {
            base64Url("{\"alg\":\"RS256\"}") + "." + claims + ".",
            base64Url("{\"alg\":\"none\"}") + "." + claims + ".c2ln",
            base64Url("{\"typ\":\"JWT\"}") + "." + claims + ".",
            base64Url("{\"alg\":\"none\"}") + "." + claims,
            base64Url("{\"alg\":\"none\"}") + ".." + claims + ".",
            "." + claims + ".",
            "not-a-token",
            base64Url("[1]") + "." + claims + ".",
            base64Url("{\"alg\":\"none\"}") + "." + base64Url("{\"sub\":\"a\"}") + ".",
            unsecured("{\"sub\":\"a\",\"exp\":\"1700000100\"}"),
            unsecured("{\"sub\":\" \",\"exp\":1700000100}"),
            unsecured("{\"sub\":7,\"exp\":1700000100}"),
            unsecured("{\"exp\":1700000100}"),
            unsecured("{\"sub\":\"a\",\"exp\":1700000100,\"iat\":\"x\"}"),
            unsecured("{\"sub\":\"a\",\"exp\":1700000100,\"scope\":5}"),
            unsecured("{\"sub\":\"a\",\"exp\":1700000100,\"scope\":[5]}"),
            unsecured("{\"sub\":\"a\",\"sub\":\"b\",\"exp\":1700000100}"),
        }) {
            assertEquals(INVALID, refusal(Map.of(), token));
        }
    }

    @Test
    void aNegativeOrNonNumericSkewIsAConfigurationError() {
        assertThrows(IllegalArgumentException.class, () -> new UnsecuredJwsValidator(
            Map.of(UnsecuredJwsValidator.ALLOWABLE_CLOCK_SKEW_MS_OPTION, "-1"), CLOCK));
        assertThrows(IllegalArgumentException.class, () -> new UnsecuredJwsValidator(
            Map.of(UnsecuredJwsValidator.ALLOWABLE_CLOCK_SKEW_MS_OPTION, "soon"), CLOCK));
    }

    /**
     * The same tokens through Kafka's handler: both accept or both refuse, with the same status. Tokens
     * with a multi-word scope string are left out, as Kafka keeps such a string as one scope.
     */
    @Test
    void decisionsAgreeWithKafkasUnsecuredValidator() throws Exception {
        Map<String, String> options = Map.of(UnsecuredJwsValidator.REQUIRED_SCOPE_OPTION, "needed",
            UnsecuredJwsValidator.ALLOWABLE_CLOCK_SKEW_MS_OPTION, "2000");
        long nowSeconds = System.currentTimeMillis() / 1000;
        List<String> claims = List.of(
            "{\"sub\":\"a\",\"exp\":%d,\"scope\":\"needed\"}".formatted(nowSeconds + 60),
            "{\"sub\":\"a\",\"exp\":%d,\"scope\":[\"x\",\"needed\"],\"iat\":%d}".formatted(nowSeconds + 60, nowSeconds),
            "{\"sub\":\"a\",\"exp\":%d,\"scope\":\"other\"}".formatted(nowSeconds + 60),
            "{\"sub\":\"a\",\"exp\":%d}".formatted(nowSeconds + 60),
            "{\"sub\":\"a\",\"exp\":%d,\"scope\":\"needed\"}".formatted(nowSeconds - 60),
            "{\"sub\":\"a\",\"exp\":%d,\"scope\":\"needed\",\"iat\":%d}".formatted(nowSeconds + 60, nowSeconds + 30),
            "{\"sub\":\"a\",\"exp\":%d,\"scope\":\"needed\",\"iat\":%d}".formatted(nowSeconds + 60, nowSeconds + 90),
            "{\"exp\":%d,\"scope\":\"needed\"}".formatted(nowSeconds + 60));
        OAuthBearerUnsecuredValidatorCallbackHandler kafka = new OAuthBearerUnsecuredValidatorCallbackHandler();
        kafka.configure(Map.of(), "OAUTHBEARER", List.of(new AppConfigurationEntry(
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule", LoginModuleControlFlag.REQUIRED,
            new HashMap<>(options))));
        UnsecuredJwsValidator ours = new UnsecuredJwsValidator(options, Clock.systemUTC());

        for (String claim : claims) {
            String token = unsecured(readableByKafka(claim));
            OAuthBearerValidatorCallback callback = new OAuthBearerValidatorCallback(token);
            kafka.handle(new Callback[] {callback});
            String ourStatus;
            try {
                ours.validate(token);
                ourStatus = null;
            } catch (SaslAuthenticationException e) {
                ourStatus = (String) Json.parseObject(e.getMessage()).get("status");
            }
            assertEquals(callback.errorStatus(), ourStatus, claim);
        }
    }

    /**
     * The claims with leading spaces added until their base64url has neither '-' nor '_': Kafka's
     * unsecured validator decodes with the standard alphabet.
     */
    private static String readableByKafka(String claims) {
        String padded = claims;
        while (base64Url(padded).contains("-") || base64Url(padded).contains("_")) {
            padded = " " + padded;
        }
        return padded;
    }
}
