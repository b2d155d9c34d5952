package dev.sluice.broker.replica;

import dev.sluice.broker.log.Partition;

/**
 * Told when this broker starts or stops leading a partition, so that state kept in a partition's
 * log (the coordinators' internal topics) is loaded where the partition leads and unloaded where it
 * no longer does.
 */
public interface LeadershipListener {
    /** This broker now leads {@code partition} at {@code leaderEpoch}; the partition takes writes. */
    void becameLeader(Partition partition, int leaderEpoch);

    /** This broker no longer leads the partition; {@code leaderEpoch} is the epoch it moved to. */
    void resigned(String topic, int partition, int leaderEpoch);
}
