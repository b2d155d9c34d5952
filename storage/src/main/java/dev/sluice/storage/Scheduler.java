package dev.sluice.storage;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a log's deferred housekeeping (today: removing the files of deleted segments after
 * {@code file.delete.delay.ms}) on a thread the caller owns. Tasks touch only files that have
 * already left the log, never the log's own state, so they may run on any thread.
 */
@FunctionalInterface
public interface Scheduler {

    /**
     * Runs {@code task} once, about {@code delayMs} from now.
     *
     * @throws RejectedExecutionException if the scheduler is shut down; the log then runs the task
     *     at once
     */
    void schedule(String name, Runnable task, long delayMs);

    /** A scheduler backed by an executor; the task name is not used. */
    static Scheduler of(ScheduledExecutorService executor) {
        return (name, task, delayMs) -> executor.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    }
}
