package dev.sluice.broker.metadata;

import dev.sluice.broker.config.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who this broker is to clients: its id, rack and the addresses it advertises per listener.
 * Listeners configured with port 0 are advertised with the port actually bound, once
 * {@link #bound} has been told it; clients cannot learn such a port before then.
 */
public final class BrokerIdentity {
    private final int nodeId;
    private final String rack;
    private volatile List<Listener> advertised;

    public BrokerIdentity(int nodeId, String rack, List<Listener> advertised) {
        this.nodeId = nodeId;
        this.rack = rack;
        this.advertised = List.copyOf(advertised);
    }

    public int nodeId() {
        return nodeId;
    }

    public String rack() {
        return rack;
    }

    public List<Listener> advertised() {
        return advertised;
    }

    /** Replaces advertised port 0 with the port bound for the listener of the same name. */
    public void bound(List<Listener> boundListeners) {
        List<Listener> updated = new ArrayList<>();
        for (Listener a : advertised) {
            Listener result = a;
            if (a.port() == 0) {
                for (Listener b : boundListeners) {
                    if (b.name().equals(a.name())) {
                        result = a.withPort(b.port());
                    }
                }
            }
            updated.add(result);
        }
        advertised = List.copyOf(updated);
    }

    /** The address to hand a client that connected through {@code listenerName}. */
    public Optional<Listener> endpoint(String listenerName) {
        for (Listener l : advertised) {
            if (l.name().equals(listenerName)) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }

    /** A host a client can reach: an empty (wildcard) host is advertised as localhost. */
    public static String reachableHost(Listener listener) {
        return reachableHost(listener.host());
    }

    /** As {@link #reachableHost(Listener)}, for a host another broker registered. */
    public static String reachableHost(String host) {
        return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
    }
}
