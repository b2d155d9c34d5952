package dev.sluice.broker.metadata;

import dev.sluice.wire.message.ErrorCode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster-wide feature flags (KIP-584): the features this broker knows, the levels it
 * supports, and the level each has in a cluster ({@link #finalizedLevel}). A level is finalized by
 * UpdateFeatures ({@code kafka-features upgrade|downgrade|disable}) as a record in the metadata log,
 * so every broker of a cluster reports and applies the same one; a feature that was never
 * finalized has its default, the level a new cluster starts with.
 *
 * <p>Supported ranges say what Sluice serves: {@code transaction.version} 2 (transactions v2,
 * KIP-890), {@code group.version} 1 (the KIP-848 consumer protocol) and {@code share.version} 1
 * (share groups, KIP-932; level 2 adds dead-letter topics, KIP-1191, which Sluice does not have) and
 * {@code streams.version} 1 (streams groups, KIP-1071); eligible leader replicas and a dynamic KRaft
 * quorum are not served, so their features support level 0 only. {@code metadata.version} levels are Kafka's numbering, from 3.3-IV3 (7) to 4.4-IV2
 * (33): Sluice's metadata log has one format, so the level only answers clients and tools that ask.
 *
 * <p>Levels that gate behaviour here: {@code group.version} 0 turns the consumer protocol off
 * (ConsumerGroupHeartbeat answers UNSUPPORTED_VERSION); {@code share.version} 0 turns share groups
 * off (their APIs answer UNSUPPORTED_VERSION in the response), and so does {@code streams.version} 0
 * for streams groups; {@code transaction.version} is what
 * clients read from ApiVersions to choose transactions v1 or v2.
 */
public final class Features {
    public static final String METADATA_VERSION = "metadata.version";
    public static final String KRAFT_VERSION = "kraft.version";
    public static final String TRANSACTION_VERSION = "transaction.version";
    public static final String GROUP_VERSION = "group.version";
    public static final String ELIGIBLE_LEADER_REPLICAS_VERSION = "eligible.leader.replicas.version";
    public static final String SHARE_VERSION = "share.version";
    public static final String STREAMS_VERSION = "streams.version";

    /** UpdateFeatures' upgrade types (KIP-778). */
    public static final byte UPGRADE = 1;
    public static final byte SAFE_DOWNGRADE = 2;
    public static final byte UNSAFE_DOWNGRADE = 3;

    /** A feature this broker knows: the levels it supports and the level of a cluster that never finalized one. */
    public record Feature(String name, short minLevel, short maxLevel, short defaultLevel) {
        Feature(String name, int minLevel, int maxLevel, int defaultLevel) {
            this(name, (short) minLevel, (short) maxLevel, (short) defaultLevel);
        }
    }

    private static final List<Feature> SUPPORTED = List.of(
        new Feature(METADATA_VERSION, 7, 33, 33),
        new Feature(KRAFT_VERSION, 0, 0, 0),
        new Feature(TRANSACTION_VERSION, 0, 2, 2),
        new Feature(GROUP_VERSION, 0, 1, 1),
        new Feature(ELIGIBLE_LEADER_REPLICAS_VERSION, 0, 0, 0),
        new Feature(SHARE_VERSION, 0, 1, 1),
        new Feature(STREAMS_VERSION, 0, 1, 1));

    private Features() {
    }

    /** Every feature this broker knows, in a fixed order. */
    public static List<Feature> supported() {
        return SUPPORTED;
    }

    public static Optional<Feature> feature(String name) {
        return SUPPORTED.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** The level of {@code name} in the cluster {@code image} describes; 0 for a feature this broker does not know. */
    public static short finalizedLevel(MetadataImage image, String name) {
        Short level = image.features().get(name);
        if (level != null) {
            return level;
        }
        return feature(name).map(Feature::defaultLevel).orElse((short) 0);
    }

    /** The features finalized at level 1 or more, with their levels, as ApiVersions lists them. */
    public static Map<String, Short> finalized(MetadataImage image) {
        Map<String, Short> out = new LinkedHashMap<>();
        for (Feature f : SUPPORTED) {
            short level = finalizedLevel(image, f.name());
            if (level > 0) {
                out.put(f.name(), level);
            }
        }
        image.features().forEach((name, level) -> {
            if (level > 0) {
                out.putIfAbsent(name, level);
            }
        });
        return out;
    }

    /** Why one UpdateFeatures change cannot be made, with Kafka's error for it. */
    public record Refusal(ErrorCode error, String message) {
    }

    /**
     * Checks setting {@code name} to {@code level} in the cluster {@code image} describes, as
     * Kafka's controller does: the feature must be known and the level supported; a lower level
     * needs a downgrade type and a higher one an upgrade; {@code metadata.version} never goes
     * down (its downgrades are not supported) and cannot be turned off.
     *
     * @return the refusal, or empty when the change may be made
     */
    public static Optional<Refusal> check(MetadataImage image, String name, short level, byte upgradeType) {
        if (upgradeType < UPGRADE || upgradeType > UNSAFE_DOWNGRADE) {
            return refuse(ErrorCode.INVALID_UPDATE_VERSION, "unknown upgrade type " + upgradeType + " for " + name);
        }
        Feature feature = feature(name).orElse(null);
        if (feature == null) {
            return refuse(ErrorCode.INVALID_UPDATE_VERSION, "feature " + name + " is not supported by this cluster");
        }
        if (level < 0) {
            return refuse(ErrorCode.INVALID_UPDATE_VERSION, "a feature level cannot be negative: " + name + " " + level);
        }
        short current = finalizedLevel(image, name);
        if (level == current) {
            return Optional.empty();
        }
        if (level > current && upgradeType != UPGRADE) {
            return refuse(ErrorCode.INVALID_UPDATE_VERSION, name + " " + level + " is higher than its level "
                + current + ": an upgrade, not a downgrade");
        }
        if (level < current && upgradeType == UPGRADE) {
            return refuse(ErrorCode.INVALID_UPDATE_VERSION, name + " " + level + " is lower than its level "
                + current + ": a downgrade needs the safe or unsafe downgrade type");
        }
        if (name.equals(METADATA_VERSION) && level < current) {
            return refuse(ErrorCode.INVALID_UPDATE_VERSION, "downgrading metadata.version is not supported");
        }
        boolean off = level == 0 && feature.minLevel() == 0;
        if (!off && (level < feature.minLevel() || level > feature.maxLevel())) {
            return refuse(ErrorCode.INVALID_UPDATE_VERSION, name + " " + level + " is not supported: this cluster's"
                + " brokers support levels " + feature.minLevel() + " to " + feature.maxLevel());
        }
        return Optional.empty();
    }

    private static Optional<Refusal> refuse(ErrorCode error, String message) {
        return Optional.of(new Refusal(error, message));
    }
}
