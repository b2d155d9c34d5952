package dev.sluice.broker.config;

/** A config value that cannot be used; the message names the key and says why. */
public class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String key, String value, String reason) {
        super((value == null ? "invalid configuration " : "invalid value '" + value + "' for configuration ") + key + ": "
            + reason);
    }

    public ConfigException(String message) {
        super(message);
    }
}
