package dev.sluice.broker.log;

import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.config.TopicConfigKeys;
import dev.sluice.storage.LogConfig;
import dev.sluice.storage.append.BatchValidator;
import dev.sluice.wire.compress.CompressionCodec;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.compress.GzipCodec;
import dev.sluice.wire.compress.Lz4FrameCodec;
import dev.sluice.wire.compress.ZstdCodec;
import dev.sluice.wire.record.TimestampType;
import java.util.List;
import java.util.Map;

/**
 * A topic's settings in force (overrides, dynamic and static broker values, defaults), turned into
 * what storage and the produce path act on.
 */
record TopicSettings(LogConfig logConfig, BatchValidator.Rules rules, int minInsyncReplicas, Tiering tiering) {

    /**
     * A topic's cold-tier settings: whether it tiers ({@code remote.storage.enable}) and how much
     * stays on local disk ({@code local.retention.*}, -2 meaning the total retention).
     */
    record Tiering(boolean enabled, long localRetentionMs, long localRetentionBytes) {
        static final Tiering OFF = new Tiering(false, -1, -1);
    }

    static TopicSettings resolve(ConfigResolver resolver, Map<String, String> overrides, Map<String, String> dynamicBroker,
                                 Map<String, String> dynamicDefault) {
        Map<String, ConfigResolver.Resolution> all = new java.util.HashMap<>();
        for (ConfigResolver.Resolution r : resolver.allTopic(overrides, dynamicBroker, dynamicDefault)) {
            all.put(r.name(), r);
        }
        Values v = new Values(all);
        @SuppressWarnings("unchecked")
        List<String> policy = (List<String>) v.get(TopicConfigKeys.CLEANUP_POLICY);
        boolean compact = policy.contains("compact");
        LogConfig log = new LogConfig(
            v.integer(TopicConfigKeys.SEGMENT_BYTES),
            v.longValue(TopicConfigKeys.SEGMENT_MS),
            v.longValue(TopicConfigKeys.SEGMENT_JITTER_MS),
            v.integer(TopicConfigKeys.INDEX_INTERVAL_BYTES),
            v.integer(TopicConfigKeys.SEGMENT_INDEX_BYTES),
            v.longValue(TopicConfigKeys.FLUSH_MESSAGES),
            v.longValue(TopicConfigKeys.FLUSH_MS),
            (Boolean) v.get(TopicConfigKeys.PREALLOCATE),
            v.longValue(TopicConfigKeys.FILE_DELETE_DELAY_MS),
            v.longValue(TopicConfigKeys.RETENTION_MS),
            v.longValue(TopicConfigKeys.RETENTION_BYTES),
            compact,
            policy.contains("delete"),
            v.integer(TopicConfigKeys.MAX_MESSAGE_BYTES),
            ((Number) v.get(TopicConfigKeys.MIN_CLEANABLE_DIRTY_RATIO)).doubleValue(),
            v.longValue(TopicConfigKeys.MIN_COMPACTION_LAG_MS),
            v.longValue(TopicConfigKeys.MAX_COMPACTION_LAG_MS),
            v.longValue(TopicConfigKeys.DELETE_RETENTION_MS));
        String timestampType = (String) v.get(TopicConfigKeys.MESSAGE_TIMESTAMP_TYPE);
        BatchValidator.Rules rules = new BatchValidator.Rules(
            v.integer(TopicConfigKeys.MAX_MESSAGE_BYTES),
            timestampType.equalsIgnoreCase("LogAppendTime") ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
            v.longValue(TopicConfigKeys.MESSAGE_TIMESTAMP_BEFORE_MAX_MS),
            v.longValue(TopicConfigKeys.MESSAGE_TIMESTAMP_AFTER_MAX_MS),
            compact,
            codec((String) v.get(TopicConfigKeys.COMPRESSION_TYPE), v));
        long localMs = v.longValue(TopicConfigKeys.LOCAL_RETENTION_MS);
        long localBytes = v.longValue(TopicConfigKeys.LOCAL_RETENTION_BYTES);
        Tiering tiering = (Boolean) v.get(TopicConfigKeys.REMOTE_STORAGE_ENABLE)
            ? new Tiering(true, localMs == -2 ? log.retentionMs() : localMs, localBytes == -2 ? log.retentionBytes() : localBytes)
            : Tiering.OFF;
        return new TopicSettings(log, rules, v.integer(TopicConfigKeys.MIN_INSYNC_REPLICAS), tiering);
    }

    /** The codec a topic's compression.type asks for; null for "producer" (keep what was sent). */
    private static CompressionCodec codec(String compressionType, Values v) {
        switch (compressionType.toLowerCase(java.util.Locale.ROOT)) {
            case "producer":
                return null;
            case "uncompressed":
                return CompressionType.NONE.codec();
            case "gzip":
                return new GzipCodec(v.integer(TopicConfigKeys.COMPRESSION_GZIP_LEVEL));
            case "lz4":
                return new Lz4FrameCodec(v.integer(TopicConfigKeys.COMPRESSION_LZ4_LEVEL));
            case "zstd":
                return new ZstdCodec(v.integer(TopicConfigKeys.COMPRESSION_ZSTD_LEVEL));
            case "snappy":
                return CompressionType.SNAPPY.codec();
            default:
                throw new IllegalArgumentException("unknown compression.type " + compressionType);
        }
    }

    /** Typed access to resolved values; a value that no longer parses falls back to the key's default. */
    private record Values(Map<String, ConfigResolver.Resolution> all) {
        Object get(String key) {
            ConfigResolver.Resolution r = all.get(key);
            try {
                return r.def().parse(r.value());
            } catch (RuntimeException e) {
                return r.def().parse(null);
            }
        }

        int integer(String key) {
            return ((Number) get(key)).intValue();
        }

        long longValue(String key) {
            return ((Number) get(key)).longValue();
        }
    }
}
