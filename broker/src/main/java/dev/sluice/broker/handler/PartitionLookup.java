package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.message.ErrorCode;

/**
 * The one place a request's partition is resolved: it exists in the metadata, this broker leads
 * it and may act on that ({@link Partitions#mayLead}: a broker cut off from the controller stops
 * leading partitions that other brokers may lead by now, though its image still names it), and
 * the request's leader epoch matches (KIP-320). Authorization of the session's principal
 * for the partition's topic will be checked here too, between finding the topic and its leader,
 * so that handlers never repeat it.
 */
final class PartitionLookup {
    private final MetadataView view;
    private final Partitions partitions;

    PartitionLookup(MetadataView view, Partitions partitions) {
        this.view = view;
        this.partitions = partitions;
    }

    /**
     * The partition, or the error to answer with instead. With NOT_LEADER_OR_FOLLOWER,
     * {@code leaderId} and {@code leaderEpoch} name the current leader as the metadata knows it
     * (-1 when none), for KIP-951's {@code current_leader}; otherwise both are -1.
     */
    record Found(Partition partition, ErrorCode error, int leaderId, int leaderEpoch) {
        Found(Partition partition, ErrorCode error) {
            this(partition, error, -1, -1);
        }
    }

    /**
     * Looks up {@code topic}/{@code index}; {@code currentLeaderEpoch} -1 skips fencing, a newer
     * epoch than the leader's is UNKNOWN_LEADER_EPOCH, an older one FENCED_LEADER_EPOCH.
     */
    Found find(String topic, int index, int currentLeaderEpoch) {
        return find(topic, index, currentLeaderEpoch, false);
    }

    /** As {@link #find(String, int, int)}; {@code fromReplica} as for {@link #find(TopicImage, int, int, boolean, boolean)}. */
    Found find(String topic, int index, int currentLeaderEpoch, boolean fromReplica) {
        TopicImage image = view.image().topic(topic).orElse(null);
        if (image == null) {
            return new Found(null, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        return find(image, index, currentLeaderEpoch, false, fromReplica);
    }

    /** As {@link #find(String, int, int)}, for a topic the handler has found already (by name or id). */
    Found find(TopicImage topic, int index, int currentLeaderEpoch) {
        return find(topic, index, currentLeaderEpoch, false);
    }

    /**
     * As {@link #find(TopicImage, int, int)}; with {@code followerMayServe} a follower of the
     * partition is found too (a consumer reading from a replica in its rack, KIP-392: it reads up to
     * the follower's high watermark).
     */
    Found find(TopicImage topic, int index, int currentLeaderEpoch, boolean followerMayServe) {
        return find(topic, index, currentLeaderEpoch, followerMayServe, false);
    }

    /**
     * As {@link #find(TopicImage, int, int, boolean)}; {@code fromReplica} for a follower's own
     * requests (replica fetches, OffsetForLeaderEpoch), which a leader out of good standing still
     * serves: a follower that fetches from it shows it has not moved to another leader.
     */
    Found find(TopicImage topic, int index, int currentLeaderEpoch, boolean followerMayServe, boolean fromReplica) {
        PartitionImage meta = index >= 0 && index < topic.partitions().size() ? topic.partitions().get(index) : null;
        Partition partition = partitions.get(topic.name(), index).orElse(null);
        if (partition == null) {
            if (meta != null && meta.leader() != partitions.nodeId()) {
                // The partition exists, elsewhere: the client's metadata is stale.
                return new Found(null, ErrorCode.NOT_LEADER_OR_FOLLOWER, meta.leader(), meta.leaderEpoch());
            }
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
        if (!partition.isLeader() && !(followerMayServe && partition.role().leaderId() >= 0)) {
            Partition.Role role = partition.role();
            return meta != null ? new Found(null, ErrorCode.NOT_LEADER_OR_FOLLOWER, meta.leader(), meta.leaderEpoch())
                : new Found(null, ErrorCode.NOT_LEADER_OR_FOLLOWER, role.leaderId(), role.leaderEpoch());
        }
        if (!fromReplica && partition.isLeader() && !partitions.mayLead(partition)) {
            // Cut off from the controller, and its followers have left: who leads now is unknown here.
            return new Found(null, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, -1);
        }
        return new Found(partition, ErrorCode.NONE);
    }
}
