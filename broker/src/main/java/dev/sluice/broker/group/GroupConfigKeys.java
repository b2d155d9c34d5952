package dev.sluice.broker.group;

import static dev.sluice.broker.config.ConfigDef.Check.atLeast;
import static dev.sluice.broker.config.ConfigDef.Check.oneOf;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.ConfigDef;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.config.ConfigType;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The dynamic configs of one group (Kafka's GROUP config resource, type 32): Kafka 4.4's keys,
 * types, defaults and rules, set with {@code kafka-configs --entity-type groups} and kept in the
 * metadata log. A key a group does not set takes the broker's value of its synonym
 * ({@code group.consumer.session.timeout.ms} for {@code consumer.session.timeout.ms}...).
 *
 * <p>Applied: {@code consumer.session.timeout.ms} and {@code consumer.heartbeat.interval.ms} for
 * KIP-848 groups; the {@code share.*} keys for share groups, bounded by the broker's
 * {@code group.share.min|max.*}. The streams keys are checked and kept, ready for streams groups,
 * which are not served yet; their bounds are Kafka's defaults until the {@code group.streams.*}
 * broker keys come with them.
 */
public final class GroupConfigKeys {
    /** The GROUP resource type of DescribeConfigs and IncrementalAlterConfigs. */
    public static final byte RESOURCE = 32;

    public static final String CONSUMER_SESSION_TIMEOUT_MS = "consumer.session.timeout.ms";
    public static final String CONSUMER_HEARTBEAT_INTERVAL_MS = "consumer.heartbeat.interval.ms";

    /** A key with its broker synonym (null when it has none) and Kafka's broker bounds, if any. */
    private record Key(ConfigDef def, String synonym, long min, long max) {
    }

    private static final Map<String, Key> KEYS = new LinkedHashMap<>();

    static {
        intKey(CONSUMER_SESSION_TIMEOUT_MS, 45_000, 1, BrokerConfigKeys.GROUP_CONSUMER_SESSION_TIMEOUT_MS, -1, -1,
            "How long a KIP-848 consumer group member may go without a heartbeat before it is removed.");
        intKey(CONSUMER_HEARTBEAT_INTERVAL_MS, 5_000, 1, BrokerConfigKeys.GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, -1, -1,
            "The heartbeat interval given to the members of a KIP-848 consumer group.");
        intKey("consumer.assignment.interval.ms", 1_000, 0, null, 0, 15_000,
            "The least time between two assignments of a consumer group.");
        boolKey("consumer.assignor.offload.enable", true, "Whether assignments run off the coordinator's thread.");
        intKey("share.session.timeout.ms", 45_000, 1, BrokerConfigKeys.GROUP_SHARE_SESSION_TIMEOUT_MS, 45_000, 60_000,
            "How long a share group member may go without a heartbeat before it is removed.");
        intKey("share.heartbeat.interval.ms", 5_000, 1, BrokerConfigKeys.GROUP_SHARE_HEARTBEAT_INTERVAL_MS, 5_000, 15_000,
            "The heartbeat interval given to the members of a share group.");
        intKey("share.record.lock.duration.ms", 30_000, 1_000, BrokerConfigKeys.GROUP_SHARE_RECORD_LOCK_DURATION_MS,
            15_000, 60_000,
            "How long a share group member holds the records it acquired.");
        intKey("share.delivery.count.limit", 5, 2, BrokerConfigKeys.GROUP_SHARE_DELIVERY_COUNT_LIMIT, 2, 10,
            "Deliveries of a record to a share group before it is archived.");
        intKey("share.partition.max.record.locks", 2_000, 100, BrokerConfigKeys.GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS,
            100, 4_000,
            "Records of one share-partition that may be acquired at a time.");
        stringKey("share.auto.offset.reset", "latest", null,
            "Where a share group starts in a partition: latest, earliest, or by_duration:<ISO-8601 duration>.");
        stringKey("share.isolation.level", "read_uncommitted", oneOf("read_committed", "read_uncommitted"),
            "Whether a share group receives records of transactions not committed.");
        boolKey("share.renew.acknowledge.enable", true, "Whether share group members may renew their record locks.");
        intKey("share.assignment.interval.ms", 1_000, 0, BrokerConfigKeys.GROUP_SHARE_ASSIGNMENT_INTERVAL_MS, 0, 15_000,
            "The least time between two assignments of a share group.");
        boolKey("share.assignor.offload.enable", true, "Whether share group assignments run off the coordinator's thread.");
        intKey("streams.session.timeout.ms", 45_000, 1, null, 45_000, 60_000,
            "How long a streams group member may go without a heartbeat before it is removed.");
        intKey("streams.heartbeat.interval.ms", 5_000, 1, null, 5_000, 15_000,
            "The heartbeat interval given to the members of a streams group.");
        intKey("streams.num.standby.replicas", 0, 0, null, 0, 2, "Standby replicas of each streams task.");
        intKey("streams.initial.rebalance.delay.ms", 3_000, 0, null, -1, -1,
            "How long a new streams group waits for more members before its first assignment.");
        intKey("streams.assignment.interval.ms", 1_000, 0, null, 0, 15_000,
            "The least time between two assignments of a streams group.");
        boolKey("streams.assignor.offload.enable", true, "Whether streams group assignments run off the coordinator's thread.");
        intKey("streams.task.offset.interval.ms", 60_000, 1, null, 15_000, Integer.MAX_VALUE,
            "How often streams members report the changelog offsets of their warm-up tasks.");
        intKey("streams.num.warmup.replicas", 2, 0, null, 0, 20, "Warm-up replicas of streams tasks at most.");
        put(new ConfigDef("streams.rack.aware.assignment.tags", ConfigType.LIST, "", ConfigDef.Check.NONE, true,
            "Client tags over which standby tasks are spread."), null, -1, -1);
        put(new ConfigDef("streams.acceptable.recovery.lag", ConfigType.LONG, "10000", atLeast(0), true,
            "How far behind a streams member may be and still take an active task."), null, -1, -1);
        stringKey("streams.assignor.name", null, oneOf("sticky"), "The task assignor of a streams group.");
        stringKey("errors.deadletterqueue.topic.name", "", null, "The dead-letter topic of a share group; empty for none.");
        boolKey("errors.deadletterqueue.copy.record.enable", false,
            "Whether a share group's dead letters copy the record, or only describe it.");
    }

    /** The broker keys bounding each share key, {@code group.share.min|max.*}. */
    private static final Map<String, String[]> SHARE_BOUNDS = Map.of(
        "share.session.timeout.ms", new String[] {BrokerConfigKeys.GROUP_SHARE_MIN_SESSION_TIMEOUT_MS,
            BrokerConfigKeys.GROUP_SHARE_MAX_SESSION_TIMEOUT_MS},
        "share.heartbeat.interval.ms", new String[] {BrokerConfigKeys.GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS,
            BrokerConfigKeys.GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS},
        "share.record.lock.duration.ms", new String[] {BrokerConfigKeys.GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS,
            BrokerConfigKeys.GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS},
        "share.delivery.count.limit", new String[] {BrokerConfigKeys.GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT,
            BrokerConfigKeys.GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT},
        "share.partition.max.record.locks", new String[] {BrokerConfigKeys.GROUP_SHARE_MIN_PARTITION_MAX_RECORD_LOCKS,
            BrokerConfigKeys.GROUP_SHARE_MAX_PARTITION_MAX_RECORD_LOCKS},
        "share.assignment.interval.ms", new String[] {BrokerConfigKeys.GROUP_SHARE_MIN_ASSIGNMENT_INTERVAL_MS,
            BrokerConfigKeys.GROUP_SHARE_MAX_ASSIGNMENT_INTERVAL_MS});

    private GroupConfigKeys() {
    }

    private static void intKey(String name, int defaultValue, long least, String synonym, long min, long max, String doc) {
        put(new ConfigDef(name, ConfigType.INT, Integer.toString(defaultValue), atLeast(least), true, doc), synonym,
            min, max);
    }

    private static void boolKey(String name, boolean defaultValue, String doc) {
        put(new ConfigDef(name, ConfigType.BOOLEAN, Boolean.toString(defaultValue), ConfigDef.Check.NONE, true, doc),
            null, -1, -1);
    }

    private static void stringKey(String name, String defaultValue, ConfigDef.Check check, String doc) {
        put(new ConfigDef(name, ConfigType.STRING, defaultValue, check == null ? ConfigDef.Check.NONE : check, true,
            doc), null, -1, -1);
    }

    private static void put(ConfigDef def, String synonym, long min, long max) {
        KEYS.put(def.name(), new Key(def, synonym, min, max));
    }

    /**
     * A group's integer config {@code key} if it sets one (and it parses), else {@code fallback}:
     * the broker's value, which group keys fall back to.
     */
    public static int intValue(Map<String, String> groupConfigs, String key, int fallback) {
        String value = groupConfigs.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Every group key, in Kafka's order. */
    public static Collection<ConfigDef> all() {
        return KEYS.values().stream().map(Key::def).toList();
    }

    public static Optional<ConfigDef> find(String name) {
        return Optional.ofNullable(KEYS.get(name)).map(Key::def);
    }

    /** The broker key a group key falls back to, when Sluice defines one. */
    public static Optional<String> synonym(String name) {
        return Optional.ofNullable(KEYS.get(name)).map(Key::synonym);
    }

    /**
     * The value of {@code name} for a group with {@code overrides}: the override, else the
     * broker's value of its synonym, else Kafka's default.
     */
    public static String value(String name, Map<String, String> overrides, BrokerConfig broker) {
        String set = overrides.get(name);
        if (set != null) {
            return set;
        }
        Key key = KEYS.get(name);
        if (key != null && key.synonym() != null) {
            return broker.getString(key.synonym());
        }
        return key == null ? null : key.def().defaultValue();
    }

    /**
     * Checks a group's overrides as Kafka does: known keys, values of the right type and range,
     * within the broker's bounds, and a session timeout longer than the heartbeat interval.
     *
     * @throws ConfigException naming the first key at fault
     */
    public static void validate(Map<String, String> overrides, BrokerConfig broker) {
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            Key key = KEYS.get(e.getKey());
            if (key == null) {
                throw new ConfigException(e.getKey(), e.getValue(), "unknown group config name");
            }
            Object value = key.def().parse(e.getValue());
            long min = key.min();
            long max = key.max();
            if (e.getKey().equals(CONSUMER_SESSION_TIMEOUT_MS)) {
                min = broker.getInt(BrokerConfigKeys.GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS);
                max = broker.getInt(BrokerConfigKeys.GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS);
            } else if (e.getKey().equals(CONSUMER_HEARTBEAT_INTERVAL_MS)) {
                min = broker.getInt(BrokerConfigKeys.GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS);
                max = broker.getInt(BrokerConfigKeys.GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS);
            } else if (SHARE_BOUNDS.containsKey(e.getKey())) {
                String[] bounds = SHARE_BOUNDS.get(e.getKey());
                min = broker.getInt(bounds[0]);
                max = broker.getInt(bounds[1]);
            }
            if (min >= 0 && value instanceof Number n && (n.longValue() < min || n.longValue() > max)) {
                throw new ConfigException(e.getKey(), e.getValue(), "must be in the range " + min + " to " + max
                    + " inclusive");
            }
        }
        checkOffsetReset(overrides.get("share.auto.offset.reset"));
        String dlq = overrides.get("errors.deadletterqueue.topic.name");
        if (dlq != null && dlq.startsWith("__")) {
            throw new ConfigException("errors.deadletterqueue.topic.name", dlq, "a dead-letter topic must not start with '__'");
        }
        String tags = overrides.get("streams.rack.aware.assignment.tags");
        if (tags != null) {
            Set<String> seen = new HashSet<>();
            for (String tag : List.of(tags.split(","))) {
                if (!tag.isBlank() && !seen.add(tag.trim())) {
                    throw new ConfigException("streams.rack.aware.assignment.tags", tags, "tag " + tag.trim() + " appears twice");
                }
            }
        }
        for (String prefix : List.of("consumer", "share", "streams")) {
            String session = prefix + ".session.timeout.ms";
            String heartbeat = prefix + ".heartbeat.interval.ms";
            if (overrides.containsKey(session) || overrides.containsKey(heartbeat)) {
                long s = Long.parseLong(value(session, overrides, broker).trim());
                long h = Long.parseLong(value(heartbeat, overrides, broker).trim());
                if (s <= h) {
                    throw new ConfigException(session, Long.toString(s), "must be greater than " + heartbeat + " (" + h + ")");
                }
            }
        }
    }

    private static void checkOffsetReset(String value) {
        if (value == null || value.equals("latest") || value.equals("earliest")) {
            return;
        }
        String problem = "must be latest, earliest or by_duration:<ISO-8601 duration, not negative>";
        if (!value.startsWith("by_duration:")) {
            throw new ConfigException("share.auto.offset.reset", value, problem);
        }
        try {
            if (Duration.parse(value.substring("by_duration:".length())).isNegative()) {
                throw new ConfigException("share.auto.offset.reset", value, problem);
            }
        } catch (DateTimeParseException e) {
            throw new ConfigException("share.auto.offset.reset", value, problem);
        }
    }
}
