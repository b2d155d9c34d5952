package dev.sluice.broker.metadata;

import java.util.List;

/** One partition as the cluster metadata describes it. Immutable. */
public record PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                             int partitionEpoch) {
    public PartitionImage {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
    }
}
