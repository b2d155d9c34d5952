package dev.sluice.broker.metadata;

import dev.sluice.wire.codec.Uuid;
import java.util.List;
import java.util.Optional;

/**
 * A broker as the cluster metadata knows it: what it registered with and where its lifecycle
 * stands. Immutable.
 *
 * @param incarnationId     random per process start, so a restart is told from a retry
 * @param epoch             the broker epoch of this registration; a later registration of the same
 *                          id always gets a higher one
 * @param endpoints         the listeners it advertised, in the order it gave them
 * @param fenced            whether it is fenced: it leads nothing and joins no ISR until unfenced
 * @param inControlledShutdown whether it asked to shut down and is handing its leaderships over
 * @param registrationOffset the metadata log offset of the batch that registered it (for a
 *                          registration loaded from a snapshot, the snapshot's offset); the broker
 *                          is caught up once it has applied this far
 */
public record BrokerRegistration(int id, Uuid incarnationId, long epoch, List<Endpoint> endpoints,
                                 Optional<String> rack, boolean fenced, boolean inControlledShutdown,
                                 long registrationOffset) {

    /** One advertised listener. {@code securityProtocol} is Kafka's id (0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL). */
    public record Endpoint(String listener, String host, int port, short securityProtocol) {
    }

    public BrokerRegistration {
        endpoints = List.copyOf(endpoints);
    }

    /** Whether it may lead partitions and be in ISRs: unfenced and not shutting down. */
    public boolean active() {
        return !fenced && !inControlledShutdown;
    }

    /** The endpoint of {@code listener}, if it advertised one. */
    public Optional<Endpoint> endpoint(String listener) {
        return endpoints.stream().filter(e -> e.listener().equals(listener)).findFirst();
    }

    BrokerRegistration withState(boolean newFenced, boolean newInControlledShutdown) {
        return new BrokerRegistration(id, incarnationId, epoch, endpoints, rack, newFenced, newInControlledShutdown,
            registrationOffset);
    }
}
