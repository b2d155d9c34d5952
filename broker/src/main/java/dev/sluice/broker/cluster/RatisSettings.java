package dev.sluice.broker.cluster;

import java.time.Duration;

/**
 * Timing and snapshot settings of the metadata quorum.
 *
 * @param electionTimeoutMin shortest time a follower waits without hearing from a leader before it
 *     seeks election; Ratis' 150 ms default makes a loaded two-core machine flap between leaders
 * @param electionTimeoutMax longest such wait; each wait is random in between, so peers rarely collide
 * @param requestTimeout how long one Ratis call between peers, or from {@link RatisMetadataLog#askLeader}
 *     to the leader, may take; longer than the election timeout, so a call outlives a leader change
 * @param snapshotEvery committed entries after which a snapshot is taken and the log before it
 *     purged, so a restart replays at most about this many batches
 */
public record RatisSettings(Duration electionTimeoutMin, Duration electionTimeoutMax, Duration requestTimeout,
    long snapshotEvery) {

    public RatisSettings {
        if (electionTimeoutMin.isNegative() || electionTimeoutMin.isZero()
            || electionTimeoutMax.compareTo(electionTimeoutMin) < 0) {
            throw new IllegalArgumentException("election timeouts must be positive with min <= max, not "
                + electionTimeoutMin + " and " + electionTimeoutMax);
        }
        if (snapshotEvery < 1) {
            throw new IllegalArgumentException("snapshotEvery must be positive, not " + snapshotEvery);
        }
    }

    /** Election after 1-2 s of silence, 5 s calls, a snapshot every 10,000 entries. */
    public static RatisSettings defaults() {
        return new RatisSettings(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), 10_000);
    }

    public RatisSettings withSnapshotEvery(long entries) {
        return new RatisSettings(electionTimeoutMin, electionTimeoutMax, requestTimeout, entries);
    }
}
