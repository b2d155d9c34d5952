package dev.sluice.broker.log;

import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic durability work over every partition {@link Partitions} holds: retention, the
 * {@code flush.ms} flusher, and the three offset checkpoints. Retention and flushes run on each
 * partition's writer; the checkpoints read offsets the logs publish for any thread. The tasks are
 * scheduled on the partitions' housekeeping thread; {@link Partitions#close()} writes the
 * checkpoints once more after the logs are closed.
 *
 * <p>Thread-safe; {@link #close()} cancels the schedule (call it before closing the partitions).
 */
public final class LogMaintenance implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogMaintenance.class);

    /**
     * How often the periodic durability work runs; Kafka's keys and defaults.
     *
     * @param retentionCheckMs {@code log.retention.check.interval.ms}
     * @param flushCheckMs how often to look for partitions unflushed for their {@code flush.ms}
     *     ({@code min(1000, log.flush.scheduler.interval.ms)})
     * @param recoveryPointCheckpointMs {@code log.flush.offset.checkpoint.interval.ms}, 0 for never
     * @param logStartCheckpointMs {@code log.flush.start.offset.checkpoint.interval.ms}, 0 for never
     * @param highWatermarkCheckpointMs {@code replica.high.watermark.checkpoint.interval.ms}
     */
    public record Schedule(long retentionCheckMs, long flushCheckMs, long recoveryPointCheckpointMs,
                           long logStartCheckpointMs, long highWatermarkCheckpointMs) {
    }

    private final Partitions partitions;
    private final InstantSource clock = InstantSource.system();
    private final List<ScheduledFuture<?>> tasks = new CopyOnWriteArrayList<>();

    private LogMaintenance(Partitions partitions) {
        this.partitions = partitions;
    }

    /** Starts the periodic work on {@code partitions}' housekeeping thread. */
    public static LogMaintenance start(Partitions partitions, Schedule schedule) {
        LogMaintenance m = new LogMaintenance(partitions);
        m.every(schedule.retentionCheckMs(), m::applyRetention);
        m.every(schedule.flushCheckMs(), m::flushDueLogs);
        m.every(schedule.recoveryPointCheckpointMs(), partitions::checkpointRecoveryPoints);
        m.every(schedule.logStartCheckpointMs(), partitions::checkpointLogStartOffsets);
        m.every(schedule.highWatermarkCheckpointMs(), partitions::checkpointHighWatermarks);
        return m;
    }

    private void every(long periodMs, Runnable task) {
        if (periodMs <= 0) {
            return;
        }
        ScheduledExecutorService housekeeping = partitions.housekeeping();
        tasks.add(housekeeping.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                // An exception would cancel the schedule; the next round may succeed.
                log.warn("periodic log maintenance failed: {}", e.toString());
            }
        }, periodMs, periodMs, TimeUnit.MILLISECONDS));
    }

    private void applyRetention() {
        for (Partition p : partitions.all()) {
            if (!p.isOffline()) {
                p.applyRetention().exceptionally(e -> logFailure("retention", p, e));
            }
        }
    }

    private void flushDueLogs() {
        long now = clock.millis();
        for (Partition p : partitions.all()) {
            p.flushIfDue(now).exceptionally(e -> logFailure("flush", p, e));
        }
    }

    private static <T> T logFailure(String what, Partition p, Throwable e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        if (!(cause instanceof IllegalStateException)) {
            // A closed log (topic deleted meanwhile) is not worth a warning.
            log.warn("{} of {} failed: {}", what, p, cause.toString());
        }
        return null;
    }

    /** Cancels the schedule; a round already running finishes. */
    @Override
    public void close() {
        tasks.forEach(f -> f.cancel(false));
    }
}
