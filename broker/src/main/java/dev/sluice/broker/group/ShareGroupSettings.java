package dev.sluice.broker.group;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;

/**
 * The broker's {@code group.share.*} settings (Kafka's keys and defaults): the group
 * coordinator's side (sessions, heartbeats, size, assignment pace) and the share-partition
 * leader's (record locks, delivery limit, share sessions). A group's own config (GROUP resource,
 * {@code share.*} keys) wins over the broker's value, see {@link GroupConfigKeys#intValue}.
 */
public record ShareGroupSettings(int sessionTimeoutMs, int heartbeatIntervalMs, int maxSize, int assignmentIntervalMs,
                                 int deliveryCountLimit, int recordLockDurationMs, int partitionMaxRecordLocks,
                                 int maxShareSessions) {
    /** Kafka's {@code group.share.initialize.retry.interval.ms} (internal there, so fixed here). */
    static final long INITIALIZE_RETRY_INTERVAL_MS = 30_000;

    public static final ShareGroupSettings DEFAULTS = new ShareGroupSettings(45_000, 5_000, 200, 1_000, 5, 30_000,
        2_000, 2_000);

    public static ShareGroupSettings from(BrokerConfig c) {
        return new ShareGroupSettings(c.getInt(BrokerConfigKeys.GROUP_SHARE_SESSION_TIMEOUT_MS),
            c.getInt(BrokerConfigKeys.GROUP_SHARE_HEARTBEAT_INTERVAL_MS),
            c.getInt(BrokerConfigKeys.GROUP_SHARE_MAX_SIZE),
            c.getInt(BrokerConfigKeys.GROUP_SHARE_ASSIGNMENT_INTERVAL_MS),
            c.getInt(BrokerConfigKeys.GROUP_SHARE_DELIVERY_COUNT_LIMIT),
            c.getInt(BrokerConfigKeys.GROUP_SHARE_RECORD_LOCK_DURATION_MS),
            c.getInt(BrokerConfigKeys.GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS),
            c.getInt(BrokerConfigKeys.GROUP_SHARE_MAX_SHARE_SESSIONS));
    }
}
