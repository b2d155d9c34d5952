package dev.sluice.broker.cluster;

import static dev.sluice.broker.config.BrokerConfigKeys.LISTENER_SECURITY_PROTOCOL_MAP;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_MECHANISM_INTER_BROKER_PROTOCOL;
import static dev.sluice.broker.config.SecurityConfigKeys.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.security.SaslMechanisms;
import dev.sluice.broker.security.SecurityProtocol;
import dev.sluice.broker.security.TlsContexts;
import dev.sluice.broker.security.sasl.SaslClientExchange;
import io.netty.handler.ssl.SslContext;
import java.util.function.Supplier;

/**
 * How this broker's connections to other brokers are secured, from the inter-broker listener's
 * protocol as Kafka's brokers decide it: TLS with the listener's own key store (its identity, for
 * peers that ask for client certificates) and trust store, the peer's host name checked against
 * its certificate unless {@code ssl.endpoint.identification.algorithm} is empty; SASL with
 * {@code sasl.mechanism.inter.broker.protocol} and the client options of that mechanism's JAAS
 * setting for the listener.
 *
 * @param tls            the client TLS context, or null for a plaintext connection
 * @param verifyHostname whether the peer's certificate must name the host connected to
 * @param sasl           a new SASL exchange per connection, or null when the listener does not use SASL
 */
public record PeerSecurity(SslContext tls, boolean verifyHostname, Supplier<SaslClientExchange> sasl) {
    public static final PeerSecurity PLAINTEXT = new PeerSecurity(null, false, null);

    /** The security of connections to {@code listener} of other brokers, as {@code config} sets it. */
    public static PeerSecurity forListener(BrokerConfig config, String listener) {
        String name = config.securityProtocolMap().getOrDefault(listener, listener);
        SecurityProtocol protocol = SecurityProtocol.forName(name).orElseThrow(() -> new ConfigException(
            LISTENER_SECURITY_PROTOCOL_MAP, name, "listener " + listener + " has no security protocol"));
        SslContext tls = protocol.tls() ? TlsContexts.client(config, listener) : null;
        String algorithm = config.listenerString(listener, SSL_ENDPOINT_IDENTIFICATION_ALGORITHM);
        Supplier<SaslClientExchange> sasl = protocol.sasl()
            ? SaslMechanisms.client(config, listener, config.getString(SASL_MECHANISM_INTER_BROKER_PROTOCOL))
            : null;
        return new PeerSecurity(tls, algorithm != null && !algorithm.isBlank(), sasl);
    }

    public boolean isPlaintext() {
        return tls == null && sasl == null;
    }
}
