package dev.sluice.broker.coordinator;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the runtime offers the state machine of one partition: writes, timers and the clock.
 *
 * <p>Threading: call only from the partition's executor (from inside an operation, a timer, or a
 * write's completion); futures returned here complete on that executor too.
 */
public interface CoordinatorContext {

    /** The partition this state lives on, such as {@code __consumer_offsets-7}. */
    String partitionName();

    /** The partition's index in its topic. */
    int partition();

    /**
     * The leader epoch of the partition this state was loaded at: the coordinator's epoch, which
     * fences markers and writes of a coordinator that lost the partition.
     */
    int leaderEpoch();

    /** The runtime's clock, in milliseconds. */
    long now();

    /**
     * Appends the result's records as one batch, then, on the executor, applies it and completes
     * the answer; see {@link CoordinatorResult} for a failed write.
     */
    <T> CompletableFuture<T> write(CoordinatorResult<T> result);

    /**
     * Appends {@code records} as one batch; completes on the executor once written, or fails with
     * a {@link CoordinatorException}. For state machines whose answer waits on more than this write
     * (a rebalance parks its members' requests).
     */
    default CompletableFuture<Void> append(List<CoordinatorRecord> records) {
        return write(CoordinatorResult.write(records, null, () -> { }));
    }

    /**
     * Runs {@code task} on the executor after {@code delayMs}, replacing any timer under {@code key}.
     * Does nothing once the partition is unloading.
     */
    void schedule(String key, long delayMs, Runnable task);

    /** Cancels the timer under {@code key}, if any: its task will not run. */
    void cancel(String key);

    /**
     * Runs {@code task} on the executor, from any thread (an answer from another component coming
     * back to the state machine), after the writes in flight; dropped once the partition unloads.
     * The default runs it at once, for contexts used from one thread only.
     */
    default void execute(Runnable task) {
        task.run();
    }

    /**
     * The offset of the first record of the write being applied: valid inside the apply action of
     * a {@link CoordinatorResult} whose records were written, -1 anywhere else.
     */
    default long appliedOffset() {
        return -1;
    }

    /**
     * Deletes the partition's records below {@code offset}, which must be committed (at most the
     * high watermark); completes on the executor with the new log start offset, or fails.
     */
    default CompletableFuture<Long> deleteRecordsBefore(long offset) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("this context deletes no records"));
    }
}
