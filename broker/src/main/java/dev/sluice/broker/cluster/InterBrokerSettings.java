package dev.sluice.broker.cluster;

import java.time.Duration;

/**
 * How the {@link InterBrokerClient} talks to other brokers. The defaults are those of Kafka's
 * inter-broker clients: a 30 s request timeout, reconnect back-off from 50 ms doubling up to 1 s
 * ({@code reconnect.backoff.ms}, {@code reconnect.backoff.max.ms}), 10 s to set a connection up
 * ({@code socket.connection.setup.timeout.ms}), and responses up to 100 MiB.
 *
 * @param nodeId              this broker's node id; the client id is {@code sluice-broker-<nodeId>}
 * @param requestTimeout      default time a request may wait for its response, connecting included
 * @param reconnectBackoff    wait before reconnecting after a first failure
 * @param reconnectBackoffMax longest wait between attempts, however many failed in a row
 * @param connectTimeout      time a TCP connection may take to open
 * @param maxResponseBytes    largest response frame accepted; a larger size closes the connection
 * @param threads             event-loop threads shared by all peers' connections
 * @param security            TLS and SASL of the connections, as the inter-broker listener wants
 */
public record InterBrokerSettings(int nodeId, Duration requestTimeout, Duration reconnectBackoff,
                                  Duration reconnectBackoffMax, Duration connectTimeout, int maxResponseBytes,
                                  int threads, PeerSecurity security) {

    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RECONNECT_BACKOFF = Duration.ofMillis(50);
    public static final Duration DEFAULT_RECONNECT_BACKOFF_MAX = Duration.ofMillis(1000);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024;

    public InterBrokerSettings {
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive: " + requestTimeout);
        }
        if (reconnectBackoff.isNegative() || reconnectBackoffMax.compareTo(reconnectBackoff) < 0) {
            throw new IllegalArgumentException("reconnect back-off must be between 0 and its maximum: "
                + reconnectBackoff + ", " + reconnectBackoffMax);
        }
        java.util.Objects.requireNonNull(security, "security");
        if (maxResponseBytes < 1 || threads < 1) {
            throw new IllegalArgumentException("maxResponseBytes and threads must be positive");
        }
    }

    /** Kafka's defaults, one event-loop thread. */
    public static InterBrokerSettings defaults(int nodeId) {
        return new InterBrokerSettings(nodeId, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RECONNECT_BACKOFF,
            DEFAULT_RECONNECT_BACKOFF_MAX, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, 1, PeerSecurity.PLAINTEXT);
    }

    public InterBrokerSettings withRequestTimeout(Duration timeout) {
        return new InterBrokerSettings(nodeId, timeout, reconnectBackoff, reconnectBackoffMax, connectTimeout,
            maxResponseBytes, threads, security);
    }

    public InterBrokerSettings withReconnectBackoff(Duration backoff, Duration max) {
        return new InterBrokerSettings(nodeId, requestTimeout, backoff, max, connectTimeout, maxResponseBytes, threads,
            security);
    }

    public InterBrokerSettings withMaxResponseBytes(int bytes) {
        return new InterBrokerSettings(nodeId, requestTimeout, reconnectBackoff, reconnectBackoffMax, connectTimeout,
            bytes, threads, security);
    }

    public InterBrokerSettings withSecurity(PeerSecurity peerSecurity) {
        return new InterBrokerSettings(nodeId, requestTimeout, reconnectBackoff, reconnectBackoffMax, connectTimeout,
            maxResponseBytes, threads, peerSecurity);
    }

    /** The client id every request carries. */
    public String clientId() {
        return "sluice-broker-" + nodeId;
    }
}
