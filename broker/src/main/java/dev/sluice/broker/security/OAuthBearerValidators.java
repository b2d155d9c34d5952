package dev.sluice.broker.security;

import static dev.sluice.broker.config.SecurityConfigKeys.SASL_OAUTHBEARER_CLOCK_SKEW_SECONDS;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_OAUTHBEARER_EXPECTED_AUDIENCE;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_OAUTHBEARER_EXPECTED_ISSUER;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_OAUTHBEARER_JWKS_ENDPOINT_REFRESH_MS;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_OAUTHBEARER_JWKS_ENDPOINT_URL;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_OAUTHBEARER_SCOPE_CLAIM_NAME;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_OAUTHBEARER_SUB_CLAIM_NAME;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.security.sasl.JwksValidator;
import dev.sluice.broker.security.sasl.OAuthBearerValidator;
import dev.sluice.broker.security.sasl.SaslAuthenticationException;
import dev.sluice.broker.security.sasl.UnsecuredJwsValidator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a listener's OAUTHBEARER tokens are checked. Without {@code sasl.oauthbearer.jwks.endpoint.url},
 * Kafka's unsecured development mode: unsigned tokens, checked by the JAAS setting's
 * {@code unsecuredValidator*} options. With it, JWTs signed by a key of that JWKS ({@code file:}
 * or {@code http(s):}), with the expected audience, issuer and claims; the JWKS is read at start
 * (a JWKS that cannot be read stops start-up) and again every
 * {@code sasl.oauthbearer.jwks.endpoint.refresh.ms}, in the background, so rotated keys are picked
 * up while tokens are checked against the keys last read.
 */
final class OAuthBearerValidators {
    private static final Logger log = LoggerFactory.getLogger(OAuthBearerValidators.class);

    private OAuthBearerValidators() {
    }

    static OAuthBearerValidator forListener(BrokerConfig config, String listener, Map<String, String> jaas) {
        String url = config.listenerString(listener, SASL_OAUTHBEARER_JWKS_ENDPOINT_URL);
        if (url == null) {
            return new UnsecuredJwsValidator(jaas, Clock.systemUTC());
        }
        String issuer = config.listenerString(listener, SASL_OAUTHBEARER_EXPECTED_ISSUER);
        JwksValidator.Settings settings = new JwksValidator.Settings(
            config.listenerList(listener, SASL_OAUTHBEARER_EXPECTED_AUDIENCE), Optional.ofNullable(issuer),
            config.listenerString(listener, SASL_OAUTHBEARER_SUB_CLAIM_NAME),
            config.listenerString(listener, SASL_OAUTHBEARER_SCOPE_CLAIM_NAME),
            ((Number) config.forListener(listener, SASL_OAUTHBEARER_CLOCK_SKEW_SECONDS)).longValue());
        long refreshMs = ((Number) config.forListener(listener, SASL_OAUTHBEARER_JWKS_ENDPOINT_REFRESH_MS)).longValue();
        JwksValidator first;
        try {
            first = JwksValidator.fromJwksJson(read(url), settings, Clock.systemUTC());
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(SASL_OAUTHBEARER_JWKS_ENDPOINT_URL, url, "cannot read a JWKS from it: "
                + e.getMessage());
        }
        return new Refreshing(url, settings, first, refreshMs);
    }

    static String read(String url) throws IOException {
        URI uri = URI.create(url);
        if ("file".equalsIgnoreCase(uri.getScheme())) {
            return Files.readString(Path.of(uri));
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("HTTP status " + response.statusCode());
            }
            return response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Checks tokens against the keys last read, and reads the JWKS again off the network threads when due. */
    private static final class Refreshing implements OAuthBearerValidator {
        private static final ExecutorService REFRESHER = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-jwks-refresh");
            t.setDaemon(true);
            return t;
        });

        private final String url;
        private final JwksValidator.Settings settings;
        private final long refreshMs;
        private final AtomicBoolean refreshing = new AtomicBoolean();
        private volatile JwksValidator current;
        private volatile long readAtMs;

        Refreshing(String url, JwksValidator.Settings settings, JwksValidator first, long refreshMs) {
            this.url = url;
            this.settings = settings;
            this.current = first;
            this.refreshMs = refreshMs;
            this.readAtMs = System.currentTimeMillis();
        }

        @Override
        public ValidatedToken validate(String compactJws) throws SaslAuthenticationException {
            if (System.currentTimeMillis() - readAtMs >= refreshMs && refreshing.compareAndSet(false, true)) {
                REFRESHER.execute(this::refresh);
            }
            return current.validate(compactJws);
        }

        private void refresh() {
            try {
                current = JwksValidator.fromJwksJson(read(url), settings, Clock.systemUTC());
            } catch (IOException | RuntimeException e) {
                // The keys last read stay in use; the next validation after the interval tries again.
                log.warn("could not read the JWKS at {} again, keeping the keys read before: {}", url, e.toString());
            } finally {
                readAtMs = System.currentTimeMillis();
                refreshing.set(false);
            }
        }
    }
}
