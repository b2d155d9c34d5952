package dev.sluice.broker.config;

/** A config value's type, numbered as DescribeConfigs reports it ({@code config_type}). */
public enum ConfigType {
    BOOLEAN(1),
    STRING(2),
    INT(3),
    SHORT(4),
    LONG(5),
    DOUBLE(6),
    LIST(7),
    CLASS(8),
    PASSWORD(9);

    private final byte wireId;

    ConfigType(int wireId) {
        this.wireId = (byte) wireId;
    }

    public byte wireId() {
        return wireId;
    }
}
