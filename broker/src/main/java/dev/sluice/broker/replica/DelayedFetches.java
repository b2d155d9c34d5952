package dev.sluice.broker.replica;

import dev.sluice.broker.log.Partition;
import java.util.Collection;
import java.util.List;
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

    public DelayedFetches(Executor executor) {
        super("fetch");
        this.executor = executor;
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

        Fetch(List<Partition> partitions, long bytesNeeded, Runnable onComplete) {
            this.partitions = partitions;
            this.committedAtStart = new long[partitions.size()];
            for (int i = 0; i < committedAtStart.length; i++) {
                committedAtStart[i] = partitions.get(i).committedBytes();
            }
            this.bytesNeeded = bytesNeeded;
            this.onComplete = onComplete;
        }

        @Override
        protected boolean isSatisfied() {
            long seen = 0;
            for (int i = 0; i < committedAtStart.length; i++) {
                seen += partitions.get(i).committedBytes() - committedAtStart[i];
            }
            return seen >= bytesNeeded;
        }

        @Override
        protected void onComplete(DelayedOperations.Completion how) {
            executor.execute(onComplete);
        }
    }

    /**
     * Parks a fetch on {@code partitions} until {@code bytesNeeded} more bytes are committed in
     * them or {@code maxWaitMs} passes; then runs {@code onComplete} once, on the executor.
     */
    public Parked await(Collection<Partition> partitions, long bytesNeeded, long maxWaitMs, Runnable onComplete) {
        List<Partition> watched = List.copyOf(partitions);
        Fetch fetch = new Fetch(watched, Math.max(1, bytesNeeded), onComplete);
        operations.completeOrWatch(fetch, watched, maxWaitMs);
        return fetch::forget;
    }
}
