package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;
import java.util.Locale;

/**
 * The compression codec of a record batch, as stored in bits 0-2 of the batch attributes
 * (ids 0-4; 5-7 are unassigned and mark a corrupt batch). The names are those of the
 * {@code compression.type} topic and producer configs.
 */
public enum CompressionType {
    NONE(0, "none"),
    GZIP(1, "gzip"),
    SNAPPY(2, "snappy"),
    LZ4(3, "lz4"),
    ZSTD(4, "zstd");

    private static final CompressionType[] BY_ID = values();

    private final int id;
    private final String configName;

    CompressionType(int id, String configName) {
        this.id = id;
        this.configName = configName;
    }

    /** The id written in the batch attributes. */
    public int id() {
        return id;
    }

    /** The name used by the {@code compression.type} configs. */
    public String configName() {
        return configName;
    }

    /** The codec with this type's default level; codecs are stateless and thread-safe. */
    public CompressionCodec codec() {
        return switch (this) {
            case NONE -> PassThroughCodec.INSTANCE;
            case GZIP -> GzipCodec.DEFAULT;
            case SNAPPY -> SnappyCodec.INSTANCE;
            case LZ4 -> Lz4FrameCodec.DEFAULT;
            case ZSTD -> ZstdCodec.DEFAULT;
        };
    }

    /**
     * The type with this attributes id.
     *
     * @throws MalformedDataException for an id no codec has (the batch that carries it is corrupt)
     */
    public static CompressionType forId(int id) {
        if (id < 0 || id >= BY_ID.length) {
            throw new MalformedDataException("unknown compression type id " + id);
        }
        return BY_ID[id];
    }

    /**
     * The type with this config name, case-insensitively.
     *
     * @throws IllegalArgumentException for a name that is not a codec (a config error, not bad bytes)
     */
    public static CompressionType forConfigName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (CompressionType type : BY_ID) {
            if (type.configName.equals(lower)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown compression type " + name);
    }
}
