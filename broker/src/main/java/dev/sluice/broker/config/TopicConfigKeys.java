package dev.sluice.broker.config;

import static dev.sluice.broker.config.ConfigDef.Check.NONE;
import static dev.sluice.broker.config.ConfigDef.Check.atLeast;
import static dev.sluice.broker.config.ConfigDef.Check.between;
import static dev.sluice.broker.config.ConfigDef.Check.eachOf;
import static dev.sluice.broker.config.ConfigDef.Check.oneOf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Topic-level configuration keys with Kafka's names. Each key that has a broker-wide default
 * names its broker synonyms in the order Kafka resolves them (e.g. {@code retention.ms} falls back
 * to {@code log.retention.ms}, then {@code log.retention.minutes}, then {@code log.retention.hours}),
 * which is what DescribeConfigs reports as synonyms.
 */
public final class TopicConfigKeys {
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String COMPRESSION_TYPE = "compression.type";
    public static final String COMPRESSION_GZIP_LEVEL = "compression.gzip.level";
    public static final String COMPRESSION_LZ4_LEVEL = "compression.lz4.level";
    public static final String COMPRESSION_ZSTD_LEVEL = "compression.zstd.level";
    public static final String DELETE_RETENTION_MS = "delete.retention.ms";
    public static final String FILE_DELETE_DELAY_MS = "file.delete.delay.ms";
    public static final String FLUSH_MESSAGES = "flush.messages";
    public static final String FLUSH_MS = "flush.ms";
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
    public static final String LOCAL_RETENTION_BYTES = "local.retention.bytes";
    public static final String LOCAL_RETENTION_MS = "local.retention.ms";
    public static final String MAX_COMPACTION_LAG_MS = "max.compaction.lag.ms";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String MESSAGE_TIMESTAMP_AFTER_MAX_MS = "message.timestamp.after.max.ms";
    public static final String MESSAGE_TIMESTAMP_BEFORE_MAX_MS = "message.timestamp.before.max.ms";
    public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
    public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
    public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    public static final String PREALLOCATE = "preallocate";
    public static final String REMOTE_LOG_COPY_DISABLE = "remote.log.copy.disable";
    public static final String REMOTE_LOG_DELETE_ON_DISABLE = "remote.log.delete.on.disable";
    public static final String REMOTE_STORAGE_ENABLE = "remote.storage.enable";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String RETENTION_MS = "retention.ms";
    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String SEGMENT_INDEX_BYTES = "segment.index.bytes";
    public static final String SEGMENT_JITTER_MS = "segment.jitter.ms";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable";
    public static final String LEADER_REPLICATION_THROTTLED_REPLICAS = "leader.replication.throttled.replicas";
    public static final String FOLLOWER_REPLICATION_THROTTLED_REPLICAS = "follower.replication.throttled.replicas";

    /** gzip levels: -1 for the codec's default, else 1 (fastest) to 9 (smallest). */
    static final ConfigDef.Check GZIP_LEVEL = v -> {
        int level = ((Number) v).intValue();
        return level == -1 || (level >= 1 && level <= 9) ? null : "must be -1 or between 1 and 9";
    };

    /**
     * Throttled replica lists, as Kafka reads them: {@code *} for every replica, else
     * {@code partition:broker} pairs (what {@code kafka-reassign-partitions --throttle} writes).
     */
    static final ConfigDef.Check THROTTLED_REPLICAS = v -> {
        List<?> entries = (List<?>) v;
        if (entries.size() == 1 && entries.get(0).toString().trim().equals("*")) {
            return null;
        }
        for (Object entry : entries) {
            if (!entry.toString().trim().matches("\\d+:\\d+")) {
                return "must be * or a list of partition:broker pairs, such as 0:101,0:102";
            }
        }
        return null;
    };

    /** A topic key: its definition and the broker keys that supply its default, first match wins. */
    public record TopicKey(ConfigDef def, List<String> brokerSynonyms) {
    }

    private static final Map<String, TopicKey> KEYS;

    /**
     * Keys Kafka defines that Sluice describes at their defaults but cannot honour otherwise, with
     * why. Any other value is refused (INVALID_CONFIG) rather than stored and ignored.
     */
    private static final Map<String, String> DEFAULT_ONLY = Map.of(
        REMOTE_LOG_COPY_DISABLE, "a tiered topic cannot stop copying to the object store yet",
        REMOTE_LOG_DELETE_ON_DISABLE, "remote.storage.enable cannot be turned off yet");

    static {
        Map<String, TopicKey> m = new LinkedHashMap<>();
        key(m, CLEANUP_POLICY, ConfigType.LIST, "delete", eachOf("delete", "compact"),
            "delete removes old segments by retention; compact keeps the latest record per key; empty does neither.",
            BrokerConfigKeys.LOG_CLEANUP_POLICY);
        key(m, COMPRESSION_TYPE, ConfigType.STRING, "producer",
            oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
            "Compression of stored batches; producer keeps what the producer sent.", BrokerConfigKeys.COMPRESSION_TYPE);
        key(m, COMPRESSION_GZIP_LEVEL, ConfigType.INT, "-1", GZIP_LEVEL, "gzip level when the broker recompresses.",
            BrokerConfigKeys.COMPRESSION_GZIP_LEVEL);
        key(m, COMPRESSION_LZ4_LEVEL, ConfigType.INT, "9", between(1, 17), "lz4 level when the broker recompresses.",
            BrokerConfigKeys.COMPRESSION_LZ4_LEVEL);
        key(m, COMPRESSION_ZSTD_LEVEL, ConfigType.INT, "3", between(-131072, 22), "zstd level when the broker recompresses.",
            BrokerConfigKeys.COMPRESSION_ZSTD_LEVEL);
        key(m, DELETE_RETENTION_MS, ConfigType.LONG, "86400000", atLeast(0),
            "How long tombstones stay readable in a compacted topic.", BrokerConfigKeys.LOG_CLEANER_DELETE_RETENTION_MS);
        key(m, FILE_DELETE_DELAY_MS, ConfigType.LONG, "60000", atLeast(0),
            "Delay between retiring a segment and deleting its files.", BrokerConfigKeys.LOG_SEGMENT_DELETE_DELAY_MS);
        key(m, FLUSH_MESSAGES, ConfigType.LONG, Long.toString(Long.MAX_VALUE), atLeast(1),
            "Records appended before the partition is forced to disk.", BrokerConfigKeys.LOG_FLUSH_INTERVAL_MESSAGES);
        key(m, FLUSH_MS, ConfigType.LONG, Long.toString(Long.MAX_VALUE), atLeast(0),
            "Time before appended data is forced to disk.", BrokerConfigKeys.LOG_FLUSH_INTERVAL_MS);
        key(m, FOLLOWER_REPLICATION_THROTTLED_REPLICAS, ConfigType.LIST, "", THROTTLED_REPLICAS,
            "Replicas whose follower-side replication is throttled, as kafka-reassign-partitions --throttle sets it:"
                + " while out of sync, they fetch at most follower.replication.throttled.rate.");
        key(m, INDEX_INTERVAL_BYTES, ConfigType.INT, "4096", atLeast(0),
            "Bytes of log between two offset index entries.", BrokerConfigKeys.LOG_INDEX_INTERVAL_BYTES);
        key(m, LEADER_REPLICATION_THROTTLED_REPLICAS, ConfigType.LIST, "", THROTTLED_REPLICAS,
            "Replicas whose leader-side replication is throttled, as kafka-reassign-partitions --throttle sets it:"
                + " their leader sends out-of-sync followers at most leader.replication.throttled.rate.");
        key(m, LOCAL_RETENTION_BYTES, ConfigType.LONG, "-2", atLeast(-2),
            "Bytes of a tiered partition kept on local disk; -2 uses retention.bytes.", BrokerConfigKeys.LOG_LOCAL_RETENTION_BYTES);
        key(m, LOCAL_RETENTION_MS, ConfigType.LONG, "-2", atLeast(-2),
            "Time a tiered partition's data stays on local disk; -2 uses retention.ms.", BrokerConfigKeys.LOG_LOCAL_RETENTION_MS);
        key(m, MAX_COMPACTION_LAG_MS, ConfigType.LONG, Long.toString(Long.MAX_VALUE), atLeast(1),
            "Longest a record may stay uncompacted.", BrokerConfigKeys.LOG_CLEANER_MAX_COMPACTION_LAG_MS);
        key(m, MAX_MESSAGE_BYTES, ConfigType.INT, "1048588", atLeast(0),
            "Largest record batch the topic accepts.", BrokerConfigKeys.MESSAGE_MAX_BYTES);
        key(m, MESSAGE_TIMESTAMP_AFTER_MAX_MS, ConfigType.LONG, "3600000", atLeast(0),
            "How far in the future a CreateTime timestamp may be.", BrokerConfigKeys.LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS);
        key(m, MESSAGE_TIMESTAMP_BEFORE_MAX_MS, ConfigType.LONG, Long.toString(Long.MAX_VALUE), atLeast(0),
            "How far in the past a CreateTime timestamp may be.", BrokerConfigKeys.LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS);
        key(m, MESSAGE_TIMESTAMP_TYPE, ConfigType.STRING, "CreateTime", oneOf("createtime", "logappendtime"),
            "CreateTime keeps producer timestamps; LogAppendTime stamps records with the broker's clock.",
            BrokerConfigKeys.LOG_MESSAGE_TIMESTAMP_TYPE);
        key(m, MIN_CLEANABLE_DIRTY_RATIO, ConfigType.DOUBLE, "0.5", between(0, 1),
            "Share of the log that must be uncompacted before the cleaner runs.", BrokerConfigKeys.LOG_CLEANER_MIN_CLEANABLE_RATIO);
        key(m, MIN_COMPACTION_LAG_MS, ConfigType.LONG, "0", atLeast(0),
            "Youngest a record may be to be compacted.", BrokerConfigKeys.LOG_CLEANER_MIN_COMPACTION_LAG_MS);
        key(m, MIN_INSYNC_REPLICAS, ConfigType.INT, "1", atLeast(1),
            "In-sync replicas an acks=all write needs.", BrokerConfigKeys.MIN_INSYNC_REPLICAS);
        key(m, PREALLOCATE, ConfigType.BOOLEAN, "false", NONE, "Preallocate segment files.", BrokerConfigKeys.LOG_PREALLOCATE);
        key(m, REMOTE_LOG_COPY_DISABLE, ConfigType.BOOLEAN, "false", NONE,
            "Stop copying new segments of a tiered topic to the object store; what is there stays readable.");
        key(m, REMOTE_LOG_DELETE_ON_DISABLE, ConfigType.BOOLEAN, "false", NONE,
            "Must be true to turn remote.storage.enable off; the topic's tiered data is then deleted.");
        key(m, REMOTE_STORAGE_ENABLE, ConfigType.BOOLEAN, "false", NONE, "Tier this topic's segments to the object store.");
        key(m, RETENTION_BYTES, ConfigType.LONG, "-1", NONE, "Bytes to keep per partition; -1 for no limit.",
            BrokerConfigKeys.LOG_RETENTION_BYTES);
        key(m, RETENTION_MS, ConfigType.LONG, "604800000", atLeast(-1), "Time to keep data; -1 keeps it forever.",
            BrokerConfigKeys.LOG_RETENTION_MS, BrokerConfigKeys.LOG_RETENTION_MINUTES, BrokerConfigKeys.LOG_RETENTION_HOURS);
        key(m, SEGMENT_BYTES, ConfigType.INT, "1073741824", atLeast(1048576), "Size at which a segment rolls.",
            BrokerConfigKeys.LOG_SEGMENT_BYTES);
        key(m, SEGMENT_INDEX_BYTES, ConfigType.INT, "10485760", atLeast(4), "Largest size of a segment's index.",
            BrokerConfigKeys.LOG_INDEX_SIZE_MAX_BYTES);
        key(m, SEGMENT_JITTER_MS, ConfigType.LONG, "0", atLeast(0), "Random jitter subtracted from segment.ms.",
            BrokerConfigKeys.LOG_ROLL_JITTER_MS, BrokerConfigKeys.LOG_ROLL_JITTER_HOURS);
        key(m, SEGMENT_MS, ConfigType.LONG, "604800000", atLeast(1), "Age at which a segment rolls.",
            BrokerConfigKeys.LOG_ROLL_MS, BrokerConfigKeys.LOG_ROLL_HOURS);
        key(m, UNCLEAN_LEADER_ELECTION_ENABLE, ConfigType.BOOLEAN, "false", NONE,
            "Allow an out-of-sync replica to become leader, at the risk of losing data.",
            BrokerConfigKeys.UNCLEAN_LEADER_ELECTION_ENABLE);
        KEYS = Collections.unmodifiableMap(m);
    }

    private static void key(Map<String, TopicKey> m, String name, ConfigType type, String defaultValue,
                            ConfigDef.Check check, String doc, String... synonyms) {
        m.put(name, new TopicKey(new ConfigDef(name, type, defaultValue, check, true, doc), List.of(synonyms)));
    }

    private TopicConfigKeys() {
    }

    public static Optional<TopicKey> find(String name) {
        return Optional.ofNullable(KEYS.get(name));
    }

    /** Every topic key, sorted by name. */
    public static Map<String, TopicKey> all() {
        return KEYS;
    }

    /**
     * Checks a set of topic overrides: every key must be a topic key, every value valid and
     * supported, and the keys must fit together ({@link #validateCombination}).
     *
     * @throws ConfigException naming the first bad key
     */
    public static void validate(Map<String, String> overrides) {
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            validateValue(e.getKey(), e.getValue());
        }
        validateCombination(overrides);
    }

    /**
     * Checks one key and its value: a topic key, a valid value, and one Sluice honours.
     *
     * @throws ConfigException when it is not
     */
    public static void validateValue(String name, String value) {
        TopicKey key = KEYS.get(name);
        if (key == null) {
            throw new ConfigException("unknown topic config name: " + name);
        }
        if (value == null) {
            throw new ConfigException(name, "null", "a topic config value may not be null");
        }
        Object parsed = key.def().parse(value);
        String unsupported = DEFAULT_ONLY.get(name);
        if (unsupported != null && !parsed.equals(key.def().parse(key.def().defaultValue()))) {
            throw new ConfigException(name, value, "only the default, " + key.def().defaultValue()
                + ", is supported: " + unsupported);
        }
    }

    /**
     * Checks the rules between keys on a topic's complete set of overrides, the same for
     * CreateTopics and for every config change, so no change can reach a combination that
     * creation refuses.
     *
     * @throws ConfigException when the keys do not fit together
     */
    public static void validateCombination(Map<String, String> overrides) {
        if (tiered(overrides) && overrides.getOrDefault(CLEANUP_POLICY, "").contains("compact")) {
            // As Kafka: a compacted log rewrites old segments, which the object store holds as they were.
            throw new ConfigException(REMOTE_STORAGE_ENABLE, "true", "tiered storage is not supported for compacted topics");
        }
    }

    /** Whether overrides turn {@code remote.storage.enable} on (it has no broker default). */
    public static boolean tiered(Map<String, String> overrides) {
        String value = overrides.get(REMOTE_STORAGE_ENABLE);
        return value != null && "true".equalsIgnoreCase(value.trim());
    }
}
