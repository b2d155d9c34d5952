package dev.sluice.broker.network;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * Warnings about what clients did wrong (connections closed for bad requests, accepts that failed),
 * in full for the first {@link #FULL_PER_MINUTE} each minute and then counted, so a client sending
 * a stream of bad requests cannot flood the log: the rest of the minute goes to DEBUG, and the next
 * warning says how many were left out. Thread-safe.
 */
final class RejectionLog {
    static final int FULL_PER_MINUTE = 20;
    private static final long WINDOW_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Logger log;
    private long windowStart = System.nanoTime();
    private int logged;
    private int leftOut;

    RejectionLog(Logger log) {
        this.log = log;
    }

    /** A warning with SLF4J's {@code {}} placeholders. */
    void warn(String format, Object... args) {
        int skipped = -1;
        boolean full;
        synchronized (this) {
            long now = System.nanoTime();
            if (now - windowStart >= WINDOW_NANOS) {
                skipped = leftOut;
                windowStart = now;
                logged = 0;
                leftOut = 0;
            }
            full = logged < FULL_PER_MINUTE;
            if (full) {
                logged++;
            } else {
                leftOut++;
            }
        }
        if (skipped > 0) {
            log.warn("{} more such warnings in the last minute were logged at DEBUG only", skipped);
        }
        if (full) {
            log.warn(format, args);
        } else {
            log.debug(format, args);
        }
    }
}
