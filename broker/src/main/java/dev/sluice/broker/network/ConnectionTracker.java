package dev.sluice.broker.network;

import dev.sluice.broker.quota.ClientQuotas;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open connections: whether each has requests in flight, so that shutdown can stop reading,
 * let in-flight requests finish and only then close; and how many each client address holds, for
 * Kafka's connection limits:
 * <ul>
 *   <li>{@code max.connections}: past it the listeners stop accepting (new connections wait in the
 *       accept backlog, as in Kafka) until one closes;</li>
 *   <li>{@code max.connections.per.ip} and {@code max.connections.per.ip.overrides}: a connection
 *       past its address's limit is closed as soon as it is accepted;</li>
 *   <li>the {@code connection_creation_rate} quota of an ip (or the default ip): a connection
 *       that takes its address over the rate is closed once it has waited the throttle time
 *       (KIP-612), so that a client reconnecting in a loop is slowed down.</li>
 * </ul>
 * Thread-safe: connections open and close on every event loop.
 */
final class ConnectionTracker {
    private static final Logger log = LoggerFactory.getLogger(ConnectionTracker.class);

    /** The limits, with Kafka's keys. */
    record Limits(int maxConnections, int maxPerIp, Map<InetAddress, Integer> perIpOverrides) {
        static final Limits NONE = new Limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Map.of());

        int maxFor(InetAddress address) {
            return perIpOverrides.getOrDefault(address, maxPerIp);
        }

        /** Parses {@code max.connections.per.ip.overrides}: {@code host:count} pairs separated by commas. */
        static Map<InetAddress, Integer> parseOverrides(String value) {
            Map<InetAddress, Integer> overrides = new HashMap<>();
            if (value == null || value.isBlank()) {
                return overrides;
            }
            for (String pair : value.split(",")) {
                String entry = pair.trim();
                int colon = entry.lastIndexOf(':');
                if (colon <= 0 || colon == entry.length() - 1) {
                    throw new IllegalArgumentException("expected host:count, got '" + entry + "'");
                }
                int count;
                try {
                    count = Integer.parseInt(entry.substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("expected a count after ':' in '" + entry + "'");
                }
                if (count < 0) {
                    throw new IllegalArgumentException("negative count in '" + entry + "'");
                }
                try {
                    overrides.put(InetAddress.getByName(entry.substring(0, colon).trim()), count);
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalArgumentException("unknown host in '" + entry + "'");
                }
            }
            return overrides;
        }
    }

    private final Limits limits;
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();
    private final Set<Channel> busy = ConcurrentHashMap.newKeySet();
    private final Map<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
    /** Addresses refused since they last were under their limit: each is logged once per episode. */
    private final Set<InetAddress> refusedLogged = ConcurrentHashMap.newKeySet();
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    private volatile ClientQuotas quotas;

    ConnectionTracker(Limits limits) {
        this.limits = limits;
    }

    void throttleWith(ClientQuotas clientQuotas) {
        this.quotas = clientQuotas;
    }

    /**
     * Counts a connection just opened against its address's {@code connection_creation_rate};
     * returns how long it must wait before it is closed for going over it, 0 when it may stay.
     */
    long creationThrottleMs(Channel channel) {
        ClientQuotas q = quotas;
        InetAddress address = address(channel);
        if (q == null || address == null) {
            return 0;
        }
        long wait = q.connectionThrottleMs(address);
        if (wait > 0) {
            refused.incrementAndGet();
            if (refusedLogged.add(address)) {
                log.info("closing new connections from {}: they come faster than its connection_creation_rate quota",
                    address.getHostAddress());
            }
        }
        return wait;
    }

    /**
     * Counts a connection the moment a listener accepts it (on the accepting thread, so the
     * listener can stop before it accepts another); false when that reached {@code max.connections}.
     */
    boolean accepted() {
        return total.incrementAndGet() < limits.maxConnections();
    }

    /** An accepted connection closed; true when that brought the count back under the limit. */
    boolean acceptedClosed() {
        return total.decrementAndGet() == limits.maxConnections() - 1;
    }

    /** Counts a new connection; false if it must be closed at once (its address is over its limit). */
    boolean opened(Channel channel) {
        InetAddress address = address(channel);
        if (address != null) {
            int max = limits.maxFor(address);
            int now = perIp.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
            if (now > max) {
                release(address);
                refused.incrementAndGet();
                if (refusedLogged.add(address)) {
                    log.info("refusing connections from {}: it already holds the configured maximum of {}"
                        + " (max.connections.per.ip)", address.getHostAddress(), max);
                }
                return false;
            }
        }
        open.add(channel);
        return true;
    }

    void closed(Channel channel) {
        busy.remove(channel);
        if (!open.remove(channel)) {
            return;
        }
        InetAddress address = address(channel);
        if (address != null) {
            release(address);
            refusedLogged.remove(address);
        }
    }

    private void release(InetAddress address) {
        perIp.computeIfPresent(address, (a, count) -> count.decrementAndGet() <= 0 ? null : count);
    }

    private static InetAddress address(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }

    /** Whether another connection may be accepted. */
    boolean belowLimit() {
        return total.get() < limits.maxConnections();
    }

    void drained(Channel channel, boolean idle) {
        if (idle) {
            busy.remove(channel);
        }
    }

    void received(Channel channel) {
        busy.add(channel);
    }

    Set<Channel> open() {
        return open;
    }

    boolean anyBusy() {
        return !busy.isEmpty();
    }

    int count() {
        return open.size();
    }

    /** Connections closed at once for being over their address's limit, since start. */
    int refusedCount() {
        return refused.get();
    }
}
