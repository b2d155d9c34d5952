package dev.sluice.broker.group;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import java.util.List;

/**
 * The group coordinator's settings, read once at start-up; Kafka's keys and defaults.
 *
 * @param offsetsTopicPartitions {@code offsets.topic.num.partitions}
 * @param offsetsTopicSegmentBytes {@code offsets.topic.segment.bytes}
 * @param compressionCodec {@code offsets.topic.compression.codec} (0 none … 4 zstd)
 * @param offsetsRetentionMs {@code offsets.retention.minutes} in ms
 * @param offsetsRetentionCheckMs {@code offsets.retention.check.interval.ms}
 * @param offsetMetadataMaxBytes {@code offset.metadata.max.bytes}
 * @param minSessionTimeoutMs {@code group.min.session.timeout.ms}
 * @param maxSessionTimeoutMs {@code group.max.session.timeout.ms}
 * @param initialRebalanceDelayMs {@code group.initial.rebalance.delay.ms}
 * @param maxSize {@code group.max.size}
 * @param classicEnabled whether {@code group.coordinator.rebalance.protocols} holds classic
 * @param consumerEnabled whether it holds consumer (KIP-848)
 * @param consumerSessionTimeoutMs {@code group.consumer.session.timeout.ms}
 * @param consumerHeartbeatIntervalMs {@code group.consumer.heartbeat.interval.ms}
 * @param consumerMaxSize {@code group.consumer.max.size}
 * @param assignors {@code group.consumer.assignors}, the first being the default
 * @param threads {@code group.coordinator.threads}
 * @param migrationPolicy {@code group.consumer.migration.policy}: disabled, upgrade, downgrade or bidirectional
 */
public record GroupConfig(int offsetsTopicPartitions, int offsetsTopicSegmentBytes, int compressionCodec,
                          long offsetsRetentionMs, long offsetsRetentionCheckMs, int offsetMetadataMaxBytes,
                          int minSessionTimeoutMs, int maxSessionTimeoutMs, int initialRebalanceDelayMs, int maxSize,
                          boolean classicEnabled, boolean consumerEnabled, int consumerSessionTimeoutMs,
                          int consumerHeartbeatIntervalMs, int consumerMaxSize, List<String> assignors,
                          int threads, String migrationPolicy, Streams streams) {

    /**
     * The {@code group.streams.*} settings, and whether {@code group.coordinator.rebalance.protocols}
     * holds {@code streams}.
     */
    public record Streams(boolean enabled, int sessionTimeoutMs, int heartbeatIntervalMs, int maxSize,
                          int initialRebalanceDelayMs, int assignmentIntervalMs) {
        static Streams from(BrokerConfig c, List<String> protocols) {
            return new Streams(protocols.contains("streams"), c.getInt(BrokerConfigKeys.GROUP_STREAMS_SESSION_TIMEOUT_MS),
                c.getInt(BrokerConfigKeys.GROUP_STREAMS_HEARTBEAT_INTERVAL_MS),
                c.getInt(BrokerConfigKeys.GROUP_STREAMS_MAX_SIZE),
                c.getInt(BrokerConfigKeys.GROUP_STREAMS_INITIAL_REBALANCE_DELAY_MS),
                c.getInt(BrokerConfigKeys.GROUP_STREAMS_ASSIGNMENT_INTERVAL_MS));
        }
    }

    int streamsSessionTimeoutMs() {
        return streams.sessionTimeoutMs();
    }

    int streamsHeartbeatIntervalMs() {
        return streams.heartbeatIntervalMs();
    }

    int streamsMaxSize() {
        return streams.maxSize();
    }

    int streamsInitialRebalanceDelayMs() {
        return streams.initialRebalanceDelayMs();
    }

    int streamsAssignmentIntervalMs() {
        return streams.assignmentIntervalMs();
    }

    /** A member of a classic group that has not finished joining is dropped after this long (Kafka's value). */
    static final int NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

    /** Whether a classic group with members may become a consumer group (online upgrade, KIP-848). */
    boolean upgradeEnabled() {
        return migrationPolicy.equals("upgrade") || migrationPolicy.equals("bidirectional");
    }

    /** Whether a consumer group left with classic members only becomes a classic group again. */
    boolean downgradeEnabled() {
        return migrationPolicy.equals("downgrade") || migrationPolicy.equals("bidirectional");
    }

    public static GroupConfig from(BrokerConfig c) {
        List<String> protocols = c.getList(BrokerConfigKeys.GROUP_COORDINATOR_REBALANCE_PROTOCOLS);
        return new GroupConfig(c.getInt(BrokerConfigKeys.OFFSETS_TOPIC_NUM_PARTITIONS),
            c.getInt(BrokerConfigKeys.OFFSETS_TOPIC_SEGMENT_BYTES),
            c.getInt(BrokerConfigKeys.OFFSETS_TOPIC_COMPRESSION_CODEC),
            c.getInt(BrokerConfigKeys.OFFSETS_RETENTION_MINUTES) * 60_000L,
            c.getLong(BrokerConfigKeys.OFFSETS_RETENTION_CHECK_INTERVAL_MS),
            c.getInt(BrokerConfigKeys.OFFSET_METADATA_MAX_BYTES),
            c.getInt(BrokerConfigKeys.GROUP_MIN_SESSION_TIMEOUT_MS),
            c.getInt(BrokerConfigKeys.GROUP_MAX_SESSION_TIMEOUT_MS),
            c.getInt(BrokerConfigKeys.GROUP_INITIAL_REBALANCE_DELAY_MS),
            c.getInt(BrokerConfigKeys.GROUP_MAX_SIZE),
            protocols.contains("classic"), protocols.contains("consumer"),
            c.getInt(BrokerConfigKeys.GROUP_CONSUMER_SESSION_TIMEOUT_MS),
            c.getInt(BrokerConfigKeys.GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS),
            c.getInt(BrokerConfigKeys.GROUP_CONSUMER_MAX_SIZE),
            List.copyOf(c.getList(BrokerConfigKeys.GROUP_CONSUMER_ASSIGNORS)),
            c.getInt(BrokerConfigKeys.GROUP_COORDINATOR_THREADS),
            c.getString(BrokerConfigKeys.GROUP_CONSUMER_MIGRATION_POLICY).toLowerCase(java.util.Locale.ROOT),
            Streams.from(c, protocols));
    }
}
