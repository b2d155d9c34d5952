package dev.sluice.broker.replica;

import dev.sluice.broker.log.Partition;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Fetches waiting for data (long poll): each waits on its partitions until their high watermarks
 * have moved past enough bytes for it, or until its {@code max.wait.ms} passes, then completes
 * exactly once. Records count when they are committed (below the high watermark), not when they
 * are appended, since a consumer may read nothing above it. Completion work runs on the given
 * executor, never on the partition writer that moved the high watermark.
 *
 * <p>Thread-safe. On shutdown, and for a partition this broker stops leading, waiting fetches
 * complete at once, so in-flight requests are answered before connections close.
 */
public final class DelayedFetches extends PartitionPurgatory {
    private final Executor executor;
    /**
     * Followers' fetches on a leader, which wait for appended bytes rather than committed ones (a
     * follower must fetch records before they can commit); woken on appends, apart from the
     * consumers' so that neither is checked for the other's events.
     */
    private final DelayedOperations<Partition> replicaFetches = new DelayedOperations<>("replica-fetch");

    public DelayedFetches(Executor executor) {
        super("fetch");
        this.executor = executor;
    }

    /** Records were appended to {@code partition}: followers waiting on it may complete. */
    void appended(Partition partition) {
        replicaFetches.wake(partition);
    }

    @Override
    void cancelAll(Partition partition) {
        super.cancelAll(partition);
        replicaFetches.cancelAll(partition);
    }

    @Override
    public int waitingCount() {
        return super.waitingCount() + replicaFetches.waitingCount();
    }

    @Override
    public void close() {
        super.close();
        replicaFetches.close();
    }

    /** A parked fetch, as its handler sees it. */
    public interface Parked {
        /** Forgets the fetch without completing it: its connection closed, nobody wants the answer. */
        void cancel();
    }

    private final class Fetch extends DelayedOperations.DelayedOperation {
        private final List<Partition> partitions;
        private final long[] committedAtStart;
        private final long bytesNeeded;
        private final Runnable onComplete;
        private final boolean appended;
        /** For a read_committed fetch, each partition's last stable offset when its read began; else null. */
        private long[] stableAtStart;

        /**
         * @param marks each partition's byte count when its read began, or null (or a negative
         *     entry) to take it now
         */
        Fetch(List<Partition> partitions, long[] marks, long bytesNeeded, boolean appended, Runnable onComplete) {
            this.partitions = partitions;
            this.appended = appended;
            this.committedAtStart = new long[partitions.size()];
            for (int i = 0; i < committedAtStart.length; i++) {
                committedAtStart[i] = marks != null && marks[i] >= 0 ? marks[i] : bytes(partitions.get(i));
            }
            this.bytesNeeded = bytesNeeded;
            this.onComplete = onComplete;
        }

        @Override
        protected boolean isSatisfied() {
            if (stableAtStart != null) {
                for (int i = 0; i < stableAtStart.length; i++) {
                    if (partitions.get(i).lastStableOffset() > stableAtStart[i]) {
                        return true;
                    }
                }
            }
            long seen = 0;
            for (int i = 0; i < committedAtStart.length; i++) {
                seen += bytes(partitions.get(i)) - committedAtStart[i];
            }
            return seen >= bytesNeeded;
        }

        private long bytes(Partition p) {
            return appended ? p.appendedBytes() : p.committedBytes();
        }

        @Override
        protected void onComplete(DelayedOperations.Completion how) {
            executor.execute(onComplete);
        }
    }

    /**
     * Parks a fetch on {@code partitions} until {@code bytesNeeded} more bytes are committed in
     * them or {@code maxWaitMs} passes; then runs {@code onComplete} once, on the executor. Counts
     * from now: what was committed between the caller's read and this call does not wake it (see
     * {@link #await(Map, long, long, Runnable)}).
     */
    public Parked await(Collection<Partition> partitions, long bytesNeeded, long maxWaitMs, Runnable onComplete) {
        return park(List.copyOf(partitions), null, bytesNeeded, false, maxWaitMs, onComplete);
    }

    /**
     * Parks a fetch as {@link #await(Collection, long, long, Runnable)}, counting from {@code marks}:
     * each partition's {@link Partition#committedBytes} taken before the caller read it. Bytes
     * committed while the read ran then count, so a fetch that read just before a commit is not
     * left waiting for a later one (or for its whole {@code maxWaitMs}).
     */
    public Parked await(Map<Partition, Long> marks, long bytesNeeded, long maxWaitMs, Runnable onComplete) {
        return park(List.copyOf(marks.keySet()), values(marks), bytesNeeded, false, maxWaitMs, onComplete);
    }

    /**
     * A follower's fetch on a leader: parks until {@code bytesNeeded} more bytes are appended to
     * the partitions (committed or not) or {@code maxWaitMs} passes, counting from {@code marks},
     * each partition's {@link Partition#appendedBytes} taken before the caller read it: an append
     * that lands while the read runs wakes the fetch at once, rather than leaving the follower (and
     * every {@code acks=all} produce waiting on it) for {@code replica.fetch.wait.max.ms}.
     */
    public Parked awaitAppended(Map<Partition, Long> marks, long bytesNeeded, long maxWaitMs, Runnable onComplete) {
        return park(List.copyOf(marks.keySet()), values(marks), bytesNeeded, true, maxWaitMs, onComplete);
    }

    /**
     * A read_committed fetch: parks as {@link #await(Map, long, long, Runnable)}, and is also woken
     * when the last stable offset of a partition passes its value in {@code stableMarks} (taken
     * before the read, in the same key order as {@code marks}). Bytes committed above the last
     * stable offset count as for any fetch, so such a fetch answers (without them) rather than
     * waiting: it never re-parks, and so never spins on data it may not read.
     */
    public Parked awaitStable(Map<Partition, Long> marks, Map<Partition, Long> stableMarks, long bytesNeeded,
                              long maxWaitMs, Runnable onComplete) {
        return park(List.copyOf(marks.keySet()), values(marks), values(stableMarks), bytesNeeded, false, maxWaitMs,
            onComplete);
    }

    private Parked park(List<Partition> watched, long[] marks, long bytesNeeded, boolean appended, long maxWaitMs,
                        Runnable onComplete) {
        return park(watched, marks, null, bytesNeeded, appended, maxWaitMs, onComplete);
    }

    private Parked park(List<Partition> watched, long[] marks, long[] stableMarks, long bytesNeeded, boolean appended,
                        long maxWaitMs, Runnable onComplete) {
        Fetch fetch = new Fetch(watched, marks, Math.max(1, bytesNeeded), appended, onComplete);
        fetch.stableAtStart = stableMarks;
        (appended ? replicaFetches : operations).completeOrWatch(fetch, watched, maxWaitMs);
        return fetch::forget;
    }

    /** The marks in key order (a map's keys and values iterate alike). */
    private static long[] values(Map<Partition, Long> marks) {
        long[] values = new long[marks.size()];
        int i = 0;
        for (long mark : marks.values()) {
            values[i++] = mark;
        }
        return values;
    }
}
