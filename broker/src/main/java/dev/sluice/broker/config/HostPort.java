package dev.sluice.broker.config;

/**
 * An address as {@code host:port}; an IPv6 host may be written in brackets. Used by the quorum
 * keys, whose addresses have no listener name in front.
 */
public record HostPort(String host, int port) {

    /** Parses {@code host:port}, blaming {@code key} and {@code entry} for anything wrong. */
    static HostPort parse(String key, String entry, String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new ConfigException(key, entry, "expected host:port");
        }
        String host = unbracket(text.substring(0, colon));
        if (host.isBlank()) {
            throw new ConfigException(key, entry, "the host is empty");
        }
        int port = port(key, entry, text.substring(colon + 1), 1);
        return new HostPort(host, port);
    }

    /** An IPv6 host without the brackets it is written in. */
    static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** A port number from {@code min} (0 lets a listener pick a free port) to 65535. */
    static int port(String key, String entry, String digits, int min) {
        int port;
        try {
            port = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new ConfigException(key, entry, "port is not a number");
        }
        if (port < min || port > 65535) {
            throw new ConfigException(key, entry, "port out of range");
        }
        return port;
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
