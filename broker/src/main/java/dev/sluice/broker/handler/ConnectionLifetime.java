package dev.sluice.broker.handler;

import dev.sluice.broker.security.AuthenticationMethod;
import dev.sluice.broker.security.KafkaPrincipal;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The life of one client connection as handlers see it: who it authenticated as, and work parked
 * on the connection's behalf (a fetch waiting for data), which registers here to be let go when
 * the connection closes, instead of holding partitions and memory for an answer nobody will read.
 * Thread-safe.
 */
public final class ConnectionLifetime {
    private final Set<Runnable> onClose = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private volatile KafkaPrincipal principal = KafkaPrincipal.ANONYMOUS;
    private volatile AuthenticationMethod method = AuthenticationMethod.NONE;
    private final java.util.concurrent.atomic.AtomicLong throttledUntilNanos = new java.util.concurrent.atomic.AtomicLong();

    /** Who the connection authenticated as; {@link KafkaPrincipal#ANONYMOUS} until it does, or when it cannot. */
    public KafkaPrincipal principal() {
        return principal;
    }

    /** Keeps the connection from reading requests for {@code ms} from now (a quota's throttle). */
    public void throttleFor(long ms) {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(ms);
        throttledUntilNanos.accumulateAndGet(until, Math::max);
    }

    /** Until when (System.nanoTime) the connection must not read; 0 when it is not throttled. */
    public long throttledUntilNanos() {
        return throttledUntilNanos.get();
    }

    /** How the client proved who it is; {@link AuthenticationMethod#NONE} for an anonymous one. */
    public AuthenticationMethod method() {
        return method;
    }

    /** Called by the connection when its client authenticated (TLS certificate or SASL). */
    public void authenticated(KafkaPrincipal principal, AuthenticationMethod method) {
        this.method = method;
        this.principal = principal;
    }

    /**
     * Runs {@code action} once when the connection closes (at once if it already has). Returns what
     * to run to cancel the registration once the work is done, so a long-lived connection does not
     * collect actions.
     */
    public Runnable whenClosed(Runnable action) {
        Runnable once = action::run;
        onClose.add(once);
        if (closed && onClose.remove(once)) {
            action.run();
        }
        return () -> onClose.remove(once);
    }

    /** Called once, by the connection, when it closes. */
    public void close() {
        closed = true;
        for (Runnable action : onClose) {
            if (onClose.remove(action)) {
                action.run();
            }
        }
    }
}
