package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.wire.message.ErrorCode;

/** Finds the partition a request names and applies Kafka's leader-epoch fencing (KIP-320). */
final class PartitionLookup {
    private final MetadataView view;
    private final Partitions partitions;

    PartitionLookup(MetadataView view, Partitions partitions) {
        this.view = view;
        this.partitions = partitions;
    }

    /** The partition, or the error to answer with instead. */
    record Found(Partition partition, ErrorCode error) {
    }

    /**
     * Looks up {@code topic}/{@code index}; {@code currentLeaderEpoch} -1 skips fencing, a newer
     * epoch than the leader's is UNKNOWN_LEADER_EPOCH, an older one FENCED_LEADER_EPOCH.
     */
    Found find(String topic, int index, int currentLeaderEpoch) {
        if (view.image().topic(topic).isEmpty()) {
            return new Found(null, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        Partition partition = partitions.get(topic, index).orElse(null);
        if (partition == null) {
            return new Found(null, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (currentLeaderEpoch >= 0) {
            if (currentLeaderEpoch > partition.leaderEpoch()) {
                return new Found(null, ErrorCode.UNKNOWN_LEADER_EPOCH);
            }
            if (currentLeaderEpoch < partition.leaderEpoch()) {
                return new Found(null, ErrorCode.FENCED_LEADER_EPOCH);
            }
        }
        return new Found(partition, ErrorCode.NONE);
    }
}
