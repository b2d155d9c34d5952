package dev.sluice.broker.security;

import static dev.sluice.broker.config.SecurityConfigKeys.SASL_ENABLED_MECHANISMS;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_JAAS_CONFIG;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_MECHANISM_INTER_BROKER_PROTOCOL;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.security.sasl.DelegationTokens;
import dev.sluice.broker.security.sasl.JaasConfig;
import dev.sluice.broker.security.sasl.OAuthBearerClient;
import dev.sluice.broker.security.sasl.OAuthBearerExchange;
import dev.sluice.broker.security.sasl.OAuthBearerValidator;
import dev.sluice.broker.security.sasl.PlainClient;
import dev.sluice.broker.security.sasl.PlainExchange;
import dev.sluice.broker.security.sasl.SaslClientExchange;
import dev.sluice.broker.security.sasl.SaslExchange;
import dev.sluice.broker.security.sasl.ScramClient;
import dev.sluice.broker.security.sasl.ScramCredentials;
import dev.sluice.broker.security.sasl.ScramExchange;
import dev.sluice.broker.security.sasl.ScramMechanism;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The SASL mechanisms one listener offers, from Kafka's keys: {@code sasl.enabled.mechanisms}
 * (per listener too), and each mechanism's JAAS setting, looked for as
 * {@code listener.name.<listener>.<mechanism>.sasl.jaas.config}, then
 * {@code listener.name.<listener>.sasl.jaas.config}, then {@code sasl.jaas.config}. PLAIN takes
 * its users from {@code user_<name>="<password>"} options and needs them; SCRAM takes its users
 * and delegation tokens from the cluster metadata; OAUTHBEARER validates tokens as {@link OAuthBearerValidators} says.
 * GSSAPI (Kerberos) is not served: enabling it stops start-up with a message. Thread-safe: each
 * authentication gets an exchange of its own.
 */
public final class SaslMechanisms {
    private final List<String> enabled;
    private final Map<String, Supplier<SaslExchange>> exchanges;

    private SaslMechanisms(List<String> enabled, Map<String, Supplier<SaslExchange>> exchanges) {
        this.enabled = List.copyOf(enabled);
        this.exchanges = Map.copyOf(exchanges);
    }

    /** The mechanisms of {@code listener}; a configuration it cannot serve is a {@link ConfigException}. */
    public static SaslMechanisms forListener(BrokerConfig config, String listener, ScramCredentials scram,
                                             DelegationTokens tokens) {
        List<String> enabled = new ArrayList<>();
        Map<String, Supplier<SaslExchange>> exchanges = new LinkedHashMap<>();
        for (String name : config.listenerList(listener, SASL_ENABLED_MECHANISMS)) {
            String mechanism = name.trim().toUpperCase(Locale.ROOT);
            Map<String, String> jaas = jaasOptions(config, listener, mechanism);
            Optional<ScramMechanism> scramMechanism = ScramMechanism.forName(mechanism);
            if (mechanism.equals(PlainExchange.MECHANISM)) {
                if (jaas.keySet().stream().noneMatch(k -> k.startsWith("user_"))) {
                    throw new ConfigException(SASL_JAAS_CONFIG, null, "listener " + listener + " enables PLAIN but its "
                        + "PlainLoginModule JAAS setting names no users (user_<name>=\"<password>\")");
                }
                PlainExchange.PasswordCheck passwords = PlainExchange.PasswordCheck.fromJaasOptions(jaas);
                exchanges.put(mechanism, () -> new PlainExchange(passwords));
            } else if (scramMechanism.isPresent()) {
                ScramMechanism m = scramMechanism.get();
                exchanges.put(mechanism, () -> new ScramExchange(m, scram, tokens));
            } else if (mechanism.equals(OAuthBearerExchange.MECHANISM)) {
                OAuthBearerValidator validator = OAuthBearerValidators.forListener(config, listener, jaas);
                exchanges.put(mechanism, () -> new OAuthBearerExchange(validator));
            } else {
                throw new ConfigException(SASL_ENABLED_MECHANISMS, name, "SASL mechanism " + mechanism + " is not "
                    + "served; Sluice serves PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER");
            }
            enabled.add(mechanism);
        }
        if (enabled.isEmpty()) {
            throw new ConfigException(SASL_ENABLED_MECHANISMS, null, "listener " + listener + " uses SASL but enables"
                + " no mechanism");
        }
        return new SaslMechanisms(enabled, exchanges);
    }

    /**
     * How this broker authenticates to another broker's {@code listener} with {@code mechanism}
     * ({@code sasl.mechanism.inter.broker.protocol}): the client options of the mechanism's JAAS
     * setting for that listener, as Kafka's brokers read them: {@code username} and
     * {@code password} for PLAIN and SCRAM, an unsecured token's claims
     * ({@code unsecuredLoginStringClaim_sub}) for OAUTHBEARER. A new exchange per connection.
     */
    public static Supplier<SaslClientExchange> client(BrokerConfig config, String listener, String mechanism) {
        String name = mechanism.trim().toUpperCase(Locale.ROOT);
        Map<String, String> jaas = jaasOptions(config, listener, name);
        Optional<ScramMechanism> scram = ScramMechanism.forName(name);
        if (name.equals(PlainExchange.MECHANISM) || scram.isPresent()) {
            String user = jaas.get("username");
            String password = jaas.get("password");
            if (user == null || password == null) {
                throw new ConfigException(SASL_JAAS_CONFIG, null, "the " + name + " JAAS setting of inter-broker"
                    + " listener " + listener + " needs username and password for this broker's own connections");
            }
            return scram.isPresent() ? () -> new ScramClient(scram.get(), user, password)
                : () -> new PlainClient(user, password);
        }
        if (name.equals(OAuthBearerExchange.MECHANISM)) {
            try {
                OAuthBearerClient.fromJaasOptions(jaas, 0);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(SASL_JAAS_CONFIG, null, "the OAUTHBEARER JAAS setting of inter-broker"
                    + " listener " + listener + " cannot make this broker's token: " + e.getMessage());
            }
            return () -> OAuthBearerClient.fromJaasOptions(jaas, System.currentTimeMillis());
        }
        throw new ConfigException(SASL_MECHANISM_INTER_BROKER_PROTOCOL, mechanism, "SASL mechanism " + name
            + " is not served between brokers; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER");
    }

    /** The options of the mechanism's JAAS setting for the listener; empty when none is given. */
    static Map<String, String> jaasOptions(BrokerConfig config, String listener, String mechanism) {
        Object text = config.forListener(listener, mechanism, SASL_JAAS_CONFIG);
        if (text == null) {
            return Map.of();
        }
        try {
            return JaasConfig.options(text.toString(), null);
        } catch (IllegalArgumentException e) {
            // The message says where the text is wrong, never what it holds: it may hold passwords.
            throw new ConfigException(SASL_JAAS_CONFIG, null, "the " + mechanism + " JAAS setting of listener "
                + listener + " cannot be parsed: " + e.getMessage());
        }
    }

    /** The mechanisms offered, in the order configured (what a SaslHandshake answer lists). */
    public List<String> enabled() {
        return enabled;
    }

    /** A new exchange of {@code mechanism}, if it is offered. */
    public Optional<SaslExchange> start(String mechanism) {
        Supplier<SaslExchange> supplier = mechanism == null ? null : exchanges.get(mechanism);
        return supplier == null ? Optional.empty() : Optional.of(supplier.get());
    }
}
