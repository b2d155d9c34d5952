package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.BrokerDirectory;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.wire.message.ErrorCode;
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
    /** Taken once: out of good standing, whether this broker is live depends on every partition it leads. */
    private final boolean selfLive;

    /** For one answer: what it reports of this broker's liveness is taken now, once. */
    ReportedPartitions(BrokerDirectory brokers, Partitions partitions) {
        this.brokers = brokers;
        this.partitions = partitions;
        this.selfLive = brokers.isLive(brokers.selfId());
    }

    /** The leader to report for {@code p} of {@code topic}: -1 when it is this broker and this broker may not lead it. */
    int leader(String topic, PartitionImage p) {
        if (p.leader() != brokers.selfId()) {
            return p.leader();
        }
        return partitions.get(topic, p.partition()).map(partitions::mayLead).orElse(true) ? p.leader() : -1;
    }

    /** LEADER_NOT_AVAILABLE when {@code reportedLeader} hides the image's leader (see {@link #leader}), else none. */
    static short error(PartitionImage p, int reportedLeader) {
        return reportedLeader < 0 && p.leader() >= 0 ? ErrorCode.LEADER_NOT_AVAILABLE.code() : ErrorCode.NONE.code();
    }

    /** Replicas on brokers that are not live. */
    List<Integer> offline(PartitionImage p) {
        List<Integer> offline = new ArrayList<>();
        for (int replica : p.replicas()) {
            if (replica == brokers.selfId() ? !selfLive : !brokers.isLive(replica)) {
                offline.add(replica);
            }
        }
        return offline;
    }
}
