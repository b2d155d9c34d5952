package dev.sluice.broker.network;

import io.netty.channel.Channel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open connections and whether each has requests in flight, so that shutdown can stop reading,
 * let in-flight requests finish and only then close.
 */
final class ConnectionTracker {
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();
    private final Set<Channel> busy = ConcurrentHashMap.newKeySet();

    void opened(Channel channel) {
        open.add(channel);
    }

    void drained(Channel channel, boolean idle) {
        if (idle) {
            busy.remove(channel);
        }
    }

    void received(Channel channel) {
        busy.add(channel);
    }

    void closed(Channel channel) {
        open.remove(channel);
        busy.remove(channel);
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
}
