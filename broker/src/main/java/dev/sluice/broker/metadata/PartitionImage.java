package dev.sluice.broker.metadata;

import java.util.ArrayList;
import java.util.List;

/**
 * One partition as the cluster metadata describes it. Immutable.
 *
 * <p>While a reassignment moves it (Kafka's KIP-455), {@code replicas} holds both the target
 * replicas and the ones leaving, {@code addingReplicas} the target replicas it did not have and
 * {@code removingReplicas} the ones the target drops; both are empty otherwise.
 */
public record PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                             int partitionEpoch, List<Integer> addingReplicas, List<Integer> removingReplicas) {
    public PartitionImage {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        addingReplicas = List.copyOf(addingReplicas);
        removingReplicas = List.copyOf(removingReplicas);
    }

    /** A partition no reassignment moves. */
    public PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                          int partitionEpoch) {
        this(partition, replicas, isr, leader, leaderEpoch, partitionEpoch, List.of(), List.of());
    }

    /** Whether a reassignment is moving this partition. */
    public boolean reassigning() {
        return !addingReplicas.isEmpty() || !removingReplicas.isEmpty();
    }

    /** The replicas a reassignment in progress moves it to (all of them when none is). */
    public List<Integer> targetReplicas() {
        List<Integer> target = new ArrayList<>(replicas);
        target.removeAll(removingReplicas);
        return target;
    }

    /** The replicas it had before a reassignment in progress began (all of them when none is). */
    public List<Integer> originalReplicas() {
        List<Integer> original = new ArrayList<>(replicas);
        original.removeAll(addingReplicas);
        return original;
    }

    /** This partition with another leader and ISR, keeping its replicas and any reassignment in progress. */
    public PartitionImage withLeaderAndIsr(int leader, List<Integer> isr, int leaderEpoch, int partitionEpoch) {
        return new PartitionImage(partition, replicas, isr, leader, leaderEpoch, partitionEpoch, addingReplicas,
            removingReplicas);
    }
}
