package dev.sluice.broker.metadata;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * What a {@link Controller} needs to decide for a cluster of registered brokers rather than for
 * itself alone. Given one, the controller places replicas over the registered brokers, keeps
 * their sessions and elects leaders; without one it is a single node's controller.
 *
 * @param sessionTimeoutMs   {@code broker.session.timeout.ms}: a broker whose last heartbeat is older
 *                           is fenced
 * @param uncleanLeaderElection {@code unclean.leader.election.enable} as the broker configuration has
 *                           it; read at each election, so a dynamic change applies. A topic's own
 *                           setting and the cluster-wide dynamic default take precedence
 * @param interBrokerListener {@code inter.broker.listener.name}: the endpoint a suspected broker is
 *                           probed on (its first endpoint when it advertised none of that name)
 * @param probeTimeoutMs     how long a probe's TCP connect may take before it counts as no evidence
 * @param clockMs            milliseconds of a monotonic clock; a test's own clock drives sessions
 */
public record ClusterSettings(long sessionTimeoutMs, BooleanSupplier uncleanLeaderElection, String interBrokerListener,
                              int probeTimeoutMs, LongSupplier clockMs) {

    /** Kafka's default {@code broker.session.timeout.ms}. */
    public static final long DEFAULT_SESSION_TIMEOUT_MS = 9000;
    /** A connect to a live broker's listener is answered in well under this, even on a loaded machine. */
    public static final int DEFAULT_PROBE_TIMEOUT_MS = 1000;

    /** Settings on the system's monotonic clock. */
    public ClusterSettings(long sessionTimeoutMs, BooleanSupplier uncleanLeaderElection, String interBrokerListener) {
        this(sessionTimeoutMs, uncleanLeaderElection, interBrokerListener, DEFAULT_PROBE_TIMEOUT_MS,
            () -> System.nanoTime() / 1_000_000);
    }

    public ClusterSettings {
        if (sessionTimeoutMs <= 0) {
            throw new IllegalArgumentException("broker.session.timeout.ms must be positive, was " + sessionTimeoutMs);
        }
    }
}
