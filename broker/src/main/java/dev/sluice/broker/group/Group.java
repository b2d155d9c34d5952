package dev.sluice.broker.group;

/**
 * A group a coordinator shard owns: a classic (JoinGroup/SyncGroup) group, a consumer (KIP-848)
 * group or a share group (KIP-932). Committed offsets are kept beside the first two by the shard,
 * under the same group id; a share group's progress lives with the share coordinator instead.
 *
 * <p>Not thread-safe: owned by its shard's executor.
 */
sealed interface Group permits ClassicGroup, ConsumerGroup, ShareGroup, StreamsGroup {
    String groupId();

    /** The state as ListGroups and DescribeGroups name it ("Empty", "Stable", ...). */
    String stateName();

    /** "classic", "consumer", "share" or "streams", as ListGroups names the type. */
    String typeName();

    /** The protocol type ListGroups reports: "consumer" for consumers, "" for a group with offsets only. */
    String protocolType();

    boolean isEmpty();

    /** When the group entered its current state (for offset expiry of empty groups). */
    long stateTimestamp();
}
