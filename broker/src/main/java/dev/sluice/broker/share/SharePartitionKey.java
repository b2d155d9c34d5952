package dev.sluice.broker.share;

import dev.sluice.wire.codec.Uuid;

/**
 * A share-partition: one topic partition as consumed by one share group. The share coordinator
 * keeps one state per key, on the {@code __share_group_state} partition its
 * {@link #coordinatorKey()} hashes to.
 */
public record SharePartitionKey(String groupId, Uuid topicId, int partition) {

    /** The string FindCoordinator (key type 2) names and placement hashes, as Kafka forms it. */
    public String coordinatorKey() {
        return groupId + ":" + topicId + ":" + partition;
    }
}
