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
            if (!done.compareAndSet(false, true)) {
                return;
            }
            Timeout t = timeout;
            if (t != null) {
                t.cancel();
            }
            for (Partition p : partitions) {
                Set<Waiter> set = waiting.get(p);
                if (set != null) {
                    set.remove(this);
                }
            }
            executor.execute(onComplete);
        }
    }

    /**
     * Parks a fetch on {@code partitions} until {@code bytesNeeded} more bytes are appended to them
     * or {@code maxWaitMs} passes; then runs {@code onComplete} once.
     */
    public void await(Collection<Partition> partitions, long bytesNeeded, long maxWaitMs, Runnable onComplete) {
        Waiter waiter = new Waiter(List.copyOf(partitions), Math.max(1, bytesNeeded), onComplete);
        for (Partition p : waiter.partitions) {
            waiting.computeIfAbsent(p, k -> ConcurrentHashMap.newKeySet()).add(waiter);
        }
        if (closed) {
            waiter.fire();
            return;
        }
        waiter.timeout = timer.newTimeout(t -> waiter.fire(), Math.max(0, maxWaitMs), TimeUnit.MILLISECONDS);
        if (waiter.done.get()) {
            waiter.timeout.cancel();
        }
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
