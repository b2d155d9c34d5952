package dev.sluice.broker.replica;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Requests that cannot be answered yet, parked until what they wait for happens or their time is
 * up. Kafka calls such a place a <em>purgatory</em>: a fetch long poll waits for enough committed
 * bytes, an {@code acks=all} produce for the high watermark to pass its records. Operations are
 * watched under keys (a partition); whoever changes what they wait for {@link #wake wakes} the key,
 * and each operation watching it checks itself. Every operation completes exactly once: satisfied,
 * timed out, or cancelled (leadership lost, broker closing), whichever comes first.
 *
 * <p>Thread-safe, without locks: watch lists are concurrent sets, and completion is decided by one
 * compare-and-set per operation. {@link DelayedOperation#isSatisfied} may run on several threads
 * at once (each waking a different key); {@link DelayedOperation#onComplete} runs once, on the thread
 * that completed the operation (a partition's writer, the timer thread, or the caller of
 * {@link #cancelAll} or {@link #close}), so it must be quick and hand longer work to an executor.
 *
 * @param <K> what operations wait on; compared with {@code equals}
 */
public final class DelayedOperations<K> implements AutoCloseable {
    /** How an operation ended. */
    public enum Completion {
        /** What it waited for happened. */
        SATISFIED,
        /** Its timeout passed first. */
        TIMED_OUT,
        /** Nobody will satisfy it here any more: the broker lost leadership of a key, or is closing. */
        CANCELLED
    }

    /**
     * One parked request. Subclasses say when it is satisfied and what completing it does.
     */
    public abstract static class DelayedOperation {
        private final AtomicBoolean completed = new AtomicBoolean();
        private volatile Timeout timeout;
        private volatile Runnable unwatch = () -> { };

        /**
         * Whether the operation can complete now. Called on the waking thread, possibly on several
         * threads at once; must be quick and must not block. It may record partial progress
         * (a partition that reached its offset) as long as that is safe to repeat.
         */
        protected abstract boolean isSatisfied();

        /** Answers the request; runs exactly once, on the thread that completed the operation. */
        protected abstract void onComplete(Completion how);

        public final boolean isCompleted() {
            return completed.get();
        }

        /**
         * Takes the operation off its keys and out of the timer; true only for the first caller,
         * which then owns the completion.
         */
        private boolean finish() {
            if (!completed.compareAndSet(false, true)) {
                return false;
            }
            Timeout t = timeout;
            if (t != null) {
                t.cancel();
            }
            unwatch.run();
            return true;
        }

        final boolean complete(Completion how) {
            if (!finish()) {
                return false;
            }
            onComplete(how);
            return true;
        }

        /** Forgets the operation without completing it: nobody wants its answer (the connection closed). */
        public final void forget() {
            finish();
        }
    }

    private final Map<K, Set<DelayedOperation>> watchers = new ConcurrentHashMap<>();
    private final HashedWheelTimer timer;
    private volatile boolean closed;

    /** @param name names the timer thread ({@code sluice-<name>-timer}) */
    public DelayedOperations(String name) {
        this.timer = new HashedWheelTimer(new DefaultThreadFactory("sluice-" + name + "-timer", true), 5,
            TimeUnit.MILLISECONDS);
    }

    /**
     * Completes {@code operation} now if it is satisfied; otherwise watches it under {@code keys}
     * until a {@link #wake} finds it satisfied, {@code timeoutMs} passes, or it is cancelled.
     * Returns whether it completed during this call. An operation that is satisfied at once costs
     * no watch list entry and no timer.
     */
    public boolean completeOrWatch(DelayedOperation operation, Collection<K> keys, long timeoutMs) {
        if (operation.isSatisfied()) {
            return operation.complete(Completion.SATISFIED);
        }
        List<K> watched = List.copyOf(keys);
        operation.unwatch = () -> {
            for (K key : watched) {
                // A key's set goes once empty, so keys nobody waits on (or that are gone) hold nothing.
                watchers.computeIfPresent(key, (k, set) -> set.remove(operation) && set.isEmpty() ? null : set);
            }
        };
        for (K key : watched) {
            watchers.compute(key, (k, set) -> {
                Set<DelayedOperation> s = set == null ? ConcurrentHashMap.newKeySet() : set;
                s.add(operation);
                return s;
            });
        }
        if (closed) {
            operation.complete(Completion.CANCELLED);
            return true;
        }
        // A wake between the first check and the watch would have found nothing to wake: look again.
        if (operation.isSatisfied()) {
            return operation.complete(Completion.SATISFIED);
        }
        operation.timeout = timer.newTimeout(t -> operation.complete(Completion.TIMED_OUT), Math.max(0, timeoutMs),
            TimeUnit.MILLISECONDS);
        if (operation.isCompleted()) {
            // Completed by a wake while the timer was being armed.
            operation.timeout.cancel();
        }
        return false;
    }

    /**
     * Checks every operation watching {@code key} and completes those now satisfied. Returns how
     * many completed. Costs one map lookup when nobody waits on the key.
     */
    public int wake(K key) {
        Set<DelayedOperation> set = watchers.get(key);
        if (set == null) {
            return 0;
        }
        int completed = 0;
        for (DelayedOperation operation : set) {
            if (!operation.isCompleted() && operation.isSatisfied() && operation.complete(Completion.SATISFIED)) {
                completed++;
            }
        }
        return completed;
    }

    /** Completes every operation watching {@code key} as {@link Completion#CANCELLED}. */
    public void cancelAll(K key) {
        Set<DelayedOperation> set = watchers.get(key);
        if (set != null) {
            for (DelayedOperation operation : set) {
                operation.complete(Completion.CANCELLED);
            }
        }
    }

    /** Operations waiting now (for metrics and tests). */
    public int waitingCount() {
        Set<DelayedOperation> all = ConcurrentHashMap.newKeySet();
        for (Set<DelayedOperation> s : watchers.values()) {
            all.addAll(s);
        }
        return all.size();
    }

    /** Completes every waiting operation as cancelled, so in-flight requests are answered, and stops the timer. */
    @Override
    public void close() {
        closed = true;
        for (Set<DelayedOperation> set : watchers.values()) {
            for (DelayedOperation operation : set) {
                operation.complete(Completion.CANCELLED);
            }
        }
        timer.stop();
    }
}
