package dev.sluice.broker.group;

/**
 * A group a coordinator shard owns: a classic (JoinGroup/SyncGroup) group or a consumer (KIP-848)
 * group. Committed offsets are kept beside it by the shard, under the same group id.
 *
 * <p>Not thread-safe: owned by its shard's executor.
 */
sealed interface Group permits ClassicGroup, ConsumerGroup {
    String groupId();

    /** The state as ListGroups and DescribeGroups name it ("Empty", "Stable", ...). */
    String stateName();

    /** "classic" or "consumer", as ListGroups names the type. */
    String typeName();

    /** The protocol type ListGroups reports: "consumer" for consumers, "" for a group with offsets only. */
    String protocolType();

    boolean isEmpty();

    /** When the group entered its current state (for offset expiry of empty groups). */
    long stateTimestamp();
}
