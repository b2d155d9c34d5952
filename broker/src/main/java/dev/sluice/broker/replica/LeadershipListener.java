package dev.sluice.broker.replica;

import dev.sluice.broker.log.Partition;

/**
 * Told when this node starts or stops leading a partition of an internal topic
 * ({@code __consumer_offsets}, later {@code __transaction_state}), so that the coordinator whose
 * state lives there loads it or lets it go.
 */
public interface LeadershipListener {

    /** This node now leads {@code partition} at {@code leaderEpoch}. */
    void becameLeader(Partition partition, int leaderEpoch);

    /** This node no longer leads {@code topic}-{@code partition}, as of {@code leaderEpoch}. */
    void resigned(String topic, int partition, int leaderEpoch);
}
