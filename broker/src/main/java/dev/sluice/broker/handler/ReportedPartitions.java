package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.BrokerDirectory;
import dev.sluice.broker.metadata.PartitionImage;
import java.util.ArrayList;
import java.util.List;

/**
 * What this broker tells clients of a partition's leader and offline replicas, for Metadata and
 * DescribeTopicPartitions alike: the image's, except that a leader this broker's image names as
 * itself is reported as none when this broker may not act on it ({@link Partitions#mayLead}), and a
 * replica is offline when its broker is not live ({@link BrokerDirectory#isLive}: fenced, unknown,
 * or this broker out of good standing).
 */
final class ReportedPartitions {
    private final BrokerDirectory brokers;
    private final Partitions partitions;

    ReportedPartitions(BrokerDirectory brokers, Partitions partitions) {
        this.brokers = brokers;
        this.partitions = partitions;
    }

    /** The leader to report for {@code p} of {@code topic}: -1 when it is this broker and this broker may not lead it. */
    int leader(String topic, PartitionImage p) {
        if (p.leader() != brokers.selfId()) {
            return p.leader();
        }
        return partitions.get(topic, p.partition()).map(partitions::mayLead).orElse(true) ? p.leader() : -1;
    }

    /** Replicas on brokers that are not live. */
    List<Integer> offline(PartitionImage p) {
        List<Integer> offline = new ArrayList<>();
        for (int replica : p.replicas()) {
            if (!brokers.isLive(replica)) {
                offline.add(replica);
            }
        }
        return offline;
    }
}
