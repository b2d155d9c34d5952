package dev.sluice.broker.quota;

import java.util.Arrays;

/**
 * A rate per second over a sliding window of samples, as Kafka's quotas measure: amounts are
 * added to the current sample, samples older than the window drop out, and the span counts as at
 * least all but one sample (so that a burst right after a quiet spell is not divided by almost
 * nothing). Thread-safe.
 */
public final class WindowedRate {
    private final long sampleMs;
    private final long[] amounts;
    private final long[] startMs;
    private int current;

    /** {@code samples} samples of {@code sampleMs} each ({@code quota.window.num}, {@code quota.window.size.seconds}). */
    public WindowedRate(int samples, long sampleMs) {
        this.sampleMs = sampleMs;
        this.amounts = new long[samples];
        this.startMs = new long[samples];
        Arrays.fill(startMs, Long.MIN_VALUE);
    }

    /** Adds {@code n} at {@code now} (milliseconds); returns the rate per second. */
    public synchronized double record(long n, long now) {
        if (startMs[current] == Long.MIN_VALUE) {
            startMs[current] = now;
        } else if (now - startMs[current] >= sampleMs) {
            current = (current + 1) % amounts.length;
            amounts[current] = 0;
            startMs[current] = now;
        }
        amounts[current] += n;
        long total = 0;
        long windowMs = windowMs();
        for (int i = 0; i < amounts.length; i++) {
            if (startMs[i] != Long.MIN_VALUE && now - startMs[i] < windowMs) {
                total += amounts[i];
            }
        }
        return total * 1000.0 / spanMs(now);
    }

    /**
     * Adds {@code n} at {@code now} and returns how long the rate must rest to come back down to
     * {@code bound} per second: Kafka's formula, the excess over the bound as a share of the bound
     * times the measured span, at most the whole window; 0 within the bound.
     */
    public long recordAndThrottleMs(long n, long now, double bound) {
        return throttleMs(record(n, now), bound, now);
    }

    /** The throttle for an {@code observed} rate against {@code bound}, as {@link #recordAndThrottleMs}. */
    public long throttleMs(double observed, double bound, long now) {
        if (observed <= bound) {
            return 0;
        }
        double excess = bound <= 0 ? windowMs() : (observed - bound) / bound * spanMs(now);
        return (long) Math.min(excess, windowMs());
    }

    private long windowMs() {
        return amounts.length * sampleMs;
    }

    private synchronized long spanMs(long now) {
        long oldest = now;
        long windowMs = windowMs();
        for (long s : startMs) {
            if (s != Long.MIN_VALUE && now - s < windowMs) {
                oldest = Math.min(oldest, s);
            }
        }
        return Math.max(now - oldest, (amounts.length - 1) * sampleMs) + 1;
    }
}
