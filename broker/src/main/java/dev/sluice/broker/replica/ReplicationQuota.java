package dev.sluice.broker.replica;

import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * One side's replication throttle, as Kafka's {@code leader.replication.throttled.rate} and
 * {@code follower.replication.throttled.rate} define it: a byte rate that the traffic of throttled
 * replicas may not exceed, and which replicas are throttled (the topic keys
 * {@code leader.replication.throttled.replicas} / {@code follower.replication.throttled.replicas},
 * already narrowed to the partitions that name this broker).
 *
 * <p>The rate is measured over a sliding window of {@code replication.quota.window.num} samples of
 * {@code replication.quota.window.size.seconds} each: the bytes recorded in the samples still in
 * the window, divided by the time they span. That span counts as at least all but one sample, so
 * the first bytes after a quiet spell do not look like a huge rate; the price is that a fresh
 * window lets through up to a window's worth of bytes at once. The quota is never a delay: callers
 * ask {@link #exceeded} and leave throttled partitions out of a fetch while it holds, so the
 * traffic averages the bound, overshooting it by at most one fetch per window (the bytes of the
 * fetch that the last check let through).
 *
 * <p>Thread-safe: fetch handlers on many threads record and ask at once; the metadata thread
 * changes the bound and the throttled partitions.
 */
public final class ReplicationQuota {
    /** The bound of an unthrottled side, Kafka's default for both rates. */
    public static final long UNBOUNDED = Long.MAX_VALUE;

    /** Marks a topic whose every partition is throttled ({@code *}). */
    private static final Set<Integer> ALL = Set.of(-1);

    private final long windowMs;
    private final LongSupplier clockMs;
    private final long[] sampleBytes;
    private final long[] sampleStartMs;
    private int current;
    private volatile long bound = UNBOUNDED;
    /** Throttled partitions by topic; {@link #ALL} for a topic listed as {@code *}. */
    private volatile Map<String, Set<Integer>> throttled = Map.of();

    /**
     * @param windows {@code replication.quota.window.num}
     * @param windowMs one sample's length ({@code replication.quota.window.size.seconds} in ms)
     * @param clockMs the time in milliseconds ({@code System::currentTimeMillis} outside tests)
     */
    public ReplicationQuota(int windows, long windowMs, LongSupplier clockMs) {
        if (windows < 1 || windowMs < 1) {
            throw new IllegalArgumentException("a quota window needs at least one sample of at least 1 ms");
        }
        this.windowMs = windowMs;
        this.clockMs = clockMs;
        this.sampleBytes = new long[windows];
        this.sampleStartMs = new long[windows];
        long now = clockMs.getAsLong();
        java.util.Arrays.fill(sampleStartMs, Long.MIN_VALUE);
        sampleStartMs[0] = now;
    }

    /** Bytes per second the throttled replicas may move; {@link #UNBOUNDED} lifts the throttle. */
    public void bound(long bytesPerSecond) {
        this.bound = bytesPerSecond;
    }

    public long bound() {
        return bound;
    }

    /**
     * Which partitions are throttled: for each topic, the partitions its throttled-replicas list
     * pairs with this broker's id, or every partition where the list is {@code *}.
     */
    public void throttled(Map<String, Set<Integer>> byTopic) {
        this.throttled = Map.copyOf(byTopic);
    }

    /** Marks every partition of {@code topic} throttled, the value of a {@code *} list. */
    public static Set<Integer> allPartitions() {
        return ALL;
    }

    /**
     * Whether traffic of {@code topic}'s {@code partition} counts against this quota. Always false
     * while the bound is {@link #UNBOUNDED}: an unthrottled side costs the fetch path nothing.
     */
    public boolean isThrottled(String topic, int partition) {
        if (bound == UNBOUNDED) {
            return false;
        }
        Set<Integer> partitions = throttled.get(topic);
        return partitions != null && (partitions == ALL || partitions.contains(partition));
    }

    /** Whether the throttled traffic of the window is above the bound: leave throttled partitions out. */
    public boolean exceeded() {
        long limit = bound;
        return limit != UNBOUNDED && rate() > limit;
    }

    /** Counts {@code bytes} of throttled traffic, now. */
    public synchronized void record(long bytes) {
        roll(clockMs.getAsLong());
        sampleBytes[current] += bytes;
    }

    /** The throttled traffic in bytes per second over the window. */
    public synchronized double rate() {
        long now = clockMs.getAsLong();
        roll(now);
        long total = 0;
        long oldest = now;
        for (int i = 0; i < sampleBytes.length; i++) {
            if (live(i, now)) {
                total += sampleBytes[i];
                oldest = Math.min(oldest, sampleStartMs[i]);
            }
        }
        long spanMs = Math.max(now - oldest, (sampleBytes.length - 1) * windowMs);
        return total * 1000.0 / Math.max(1, spanMs);
    }

    /** Whether sample {@code i} still lies in the window that ends {@code now}. */
    private boolean live(int i, long now) {
        return sampleStartMs[i] != Long.MIN_VALUE && now - sampleStartMs[i] < sampleBytes.length * windowMs;
    }

    /** Starts a new sample when the current one is full, reusing the oldest. */
    private void roll(long now) {
        if (now - sampleStartMs[current] < windowMs) {
            return;
        }
        current = (current + 1) % sampleBytes.length;
        sampleBytes[current] = 0;
        sampleStartMs[current] = now;
    }
}
