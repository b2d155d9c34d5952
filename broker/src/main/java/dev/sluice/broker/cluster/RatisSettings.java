package dev.sluice.broker.cluster;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.security.TlsContexts;
import java.time.Duration;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * Timing and snapshot settings of the metadata quorum.
 *
 * @param electionTimeoutMin shortest time a follower waits without hearing from a leader before it
 *     seeks election; Ratis' 150 ms default makes a loaded two-core machine flap between leaders
 * @param electionTimeoutMax longest such wait; each wait is random in between, so peers rarely collide
 * @param requestTimeout how long one Ratis call between peers, or from {@link RatisMetadataLog#askLeader}
 *     to the leader, may take; longer than the election timeout, so a call outlives a leader change
 * @param snapshotEvery committed entries after which a snapshot is taken and the log before it
 *     purged, so a restart replays at most about this many batches
 * @param tls the TLS of the quorum's gRPC, mutual (every peer and client presents a certificate
 *     the others trust), or null for plaintext
 */
public record RatisSettings(Duration electionTimeoutMin, Duration electionTimeoutMax, Duration requestTimeout,
    long snapshotEvery, GrpcTlsConfig tls) {

    public RatisSettings(Duration electionTimeoutMin, Duration electionTimeoutMax, Duration requestTimeout,
                         long snapshotEvery) {
        this(electionTimeoutMin, electionTimeoutMax, requestTimeout, snapshotEvery, null);
    }

    public RatisSettings {
        if (electionTimeoutMin.isNegative() || electionTimeoutMin.isZero()
            || electionTimeoutMax.compareTo(electionTimeoutMin) < 0) {
            throw new IllegalArgumentException("election timeouts must be positive with min <= max, not "
                + electionTimeoutMin + " and " + electionTimeoutMax);
        }
        if (snapshotEvery < 1) {
            throw new IllegalArgumentException("snapshotEvery must be positive, not " + snapshotEvery);
        }
    }

    /** Election after 1-2 s of silence, 5 s calls, a snapshot every 10,000 entries. */
    public static RatisSettings defaults() {
        return new RatisSettings(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), 10_000);
    }

    public RatisSettings withSnapshotEvery(long entries) {
        return new RatisSettings(electionTimeoutMin, electionTimeoutMax, requestTimeout, entries, tls);
    }

    public RatisSettings withTls(GrpcTlsConfig quorumTls) {
        return new RatisSettings(electionTimeoutMin, electionTimeoutMax, requestTimeout, snapshotEvery, quorumTls);
    }

    /** What Ratis' servers and clients are built with: the TLS of all their gRPC channels, if any. */
    public Parameters parameters() {
        return parameters(tls);
    }

    static Parameters parameters(GrpcTlsConfig tls) {
        Parameters p = new Parameters();
        if (tls != null) {
            GrpcConfigKeys.TLS.setConf(p, tls);
        }
        return p;
    }

    /**
     * The quorum's TLS as the controller listener sets it ({@code listener.name.<controller>.ssl.*}
     * or the plain keys): null for a PLAINTEXT controller listener, mutual TLS for an SSL one.
     */
    public static GrpcTlsConfig tlsOf(BrokerConfig config) {
        String listener = config.controllerListenerNames().isEmpty() ? null : config.controllerListenerNames().get(0);
        if (listener == null || !"SSL".equals(config.securityProtocolMap().get(listener))) {
            return null;
        }
        TlsContexts.JdkManagers managers = TlsContexts.jdkManagers(config, listener);
        return new GrpcTlsConfig(managers.keyManager(), managers.trustManager(), true);
    }
}
