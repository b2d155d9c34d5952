package dev.sluice.broker.log;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fetches waiting for data (long poll): each waits on its partitions until appends bring the bytes
 * it still needs, or until its {@code max.wait.ms} passes, then completes exactly once. Completion
 * work runs on the given executor, never on the appending partition's writer.
 *
 * <p>Thread-safe. On shutdown every waiting fetch completes at once, so in-flight requests are
 * answered before connections close.
 */
public final class DelayedFetches implements Partition.AppendListener, AutoCloseable {
    private final Map<Partition, Set<Waiter>> waiting = new ConcurrentHashMap<>();
    private final HashedWheelTimer timer = new HashedWheelTimer(new DefaultThreadFactory("sluice-fetch-timer", true),
        5, TimeUnit.MILLISECONDS);
    private final Executor executor;
    private volatile boolean closed;

    public DelayedFetches(Executor executor) {
        this.executor = executor;
    }

    private final class Waiter {
        final List<Partition> partitions;
        final long bytesNeeded;
        final AtomicLong bytesSeen = new AtomicLong();
        final AtomicBoolean done = new AtomicBoolean();
        final Runnable onComplete;
        volatile Timeout timeout;

        Waiter(List<Partition> partitions, long bytesNeeded, Runnable onComplete) {
            this.partitions = partitions;
            this.bytesNeeded = bytesNeeded;
            this.onComplete = onComplete;
        }

        void fire() {
            if (leave()) {
                executor.execute(onComplete);
            }
        }

        /** Takes the waiter off its partitions; true only for the first caller. */
        boolean leave() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            Timeout t = timeout;
            if (t != null) {
                t.cancel();
            }
            for (Partition p : partitions) {
                // Drop a partition's set once empty, so partitions nobody waits on (or that were deleted) hold nothing.
                waiting.computeIfPresent(p, (k, set) -> set.remove(this) && set.isEmpty() ? null : set);
            }
            return true;
        }
    }

    /** A parked fetch, as its handler sees it. */
    public interface Parked {
        /** Forgets the fetch without completing it: its connection closed, nobody wants the answer. */
        void cancel();
    }

    /**
     * Parks a fetch on {@code partitions} until {@code bytesNeeded} more bytes are appended to them
     * or {@code maxWaitMs} passes; then runs {@code onComplete} once.
     */
    public Parked await(Collection<Partition> partitions, long bytesNeeded, long maxWaitMs, Runnable onComplete) {
        Waiter waiter = new Waiter(List.copyOf(partitions), Math.max(1, bytesNeeded), onComplete);
        for (Partition p : waiter.partitions) {
            waiting.compute(p, (k, set) -> {
                Set<Waiter> s = set == null ? ConcurrentHashMap.newKeySet() : set;
                s.add(waiter);
                return s;
            });
        }
        if (closed) {
            waiter.fire();
            return waiter::leave;
        }
        waiter.timeout = timer.newTimeout(t -> waiter.fire(), Math.max(0, maxWaitMs), TimeUnit.MILLISECONDS);
        if (waiter.done.get()) {
            waiter.timeout.cancel();
        }
        return waiter::leave;
    }

    @Override
    public void appended(Partition partition, int bytes, int records) {
        Set<Waiter> set = waiting.get(partition);
        if (set == null || set.isEmpty()) {
            return;
        }
        for (Waiter w : set) {
            if (w.bytesSeen.addAndGet(bytes) >= w.bytesNeeded) {
                w.fire();
            }
        }
    }

    /** Fetches currently waiting (for metrics and tests). */
    public int waitingCount() {
        Set<Waiter> all = ConcurrentHashMap.newKeySet();
        for (Set<Waiter> s : waiting.values()) {
            all.addAll(s);
        }
        return all.size();
    }

    /** Completes every waiting fetch now and stops the timer. */
    @Override
    public void close() {
        closed = true;
        for (Set<Waiter> set : waiting.values()) {
            for (Waiter w : set) {
                w.fire();
            }
        }
        timer.stop();
    }
}
