package dev.sluice.broker.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A listener as server.properties writes it, {@code NAME://host:port}. An empty host binds every
 * interface; port 0 binds a free port.
 */
public record Listener(String name, String host, int port, String securityProtocol) {

    /** Parses a {@code listeners}-style list, giving each name its protocol from the protocol map. */
    public static List<Listener> parseAll(String key, List<String> entries, List<String> protocolMap) {
        Map<String, String> protocols = new HashMap<>();
        for (String entry : protocolMap) {
            int colon = entry.indexOf(':');
            if (colon <= 0) {
                throw new ConfigException(BrokerConfigKeys.LISTENER_SECURITY_PROTOCOL_MAP, entry, "expected NAME:PROTOCOL");
            }
            protocols.put(entry.substring(0, colon).trim().toUpperCase(Locale.ROOT),
                entry.substring(colon + 1).trim().toUpperCase(Locale.ROOT));
        }
        List<Listener> listeners = new ArrayList<>();
        for (String entry : entries) {
            int sep = entry.indexOf("://");
            if (sep <= 0) {
                throw new ConfigException(key, entry, "expected NAME://host:port");
            }
            String name = entry.substring(0, sep).toUpperCase(Locale.ROOT);
            String rest = entry.substring(sep + 3);
            int colon = rest.lastIndexOf(':');
            if (colon < 0) {
                throw new ConfigException(key, entry, "missing port");
            }
            String host = HostPort.unbracket(rest.substring(0, colon));
            int port = HostPort.port(key, entry, rest.substring(colon + 1), 0);
            String protocol = protocols.get(name);
            if (protocol == null) {
                throw new ConfigException(key, entry, "listener name " + name + " has no entry in "
                    + BrokerConfigKeys.LISTENER_SECURITY_PROTOCOL_MAP);
            }
            for (Listener other : listeners) {
                if (other.name.equals(name)) {
                    throw new ConfigException(key, entry, "listener name " + name + " appears twice");
                }
            }
            listeners.add(new Listener(name, host, port, protocol));
        }
        return List.copyOf(listeners);
    }

    public Listener withPort(int boundPort) {
        return new Listener(name, host, boundPort, securityProtocol);
    }

    @Override
    public String toString() {
        return name + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
