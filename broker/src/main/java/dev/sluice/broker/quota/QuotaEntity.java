package dev.sluice.broker.quota;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a client quota applies to, as Kafka names it: parts of type {@code user}, {@code client-id}
 * (alone or together) or {@code ip}, each with a name, or null for that type's default entity.
 */
public record QuotaEntity(Map<String, String> parts) {
    public static final String USER = "user";
    public static final String CLIENT_ID = "client-id";
    public static final String IP = "ip";

    /** The byte rates and percentages users and clients take; {@code connection_creation_rate} is for ips. */
    public static final Set<String> CLIENT_KEYS = Set.of("producer_byte_rate", "consumer_byte_rate",
        "request_percentage", "controller_mutation_rate");
    public static final Set<String> IP_KEYS = Set.of("connection_creation_rate");

    public QuotaEntity {
        parts = Collections.unmodifiableMap(new TreeMap<>(parts));
    }

    /** Why this entity cannot carry quotas (unknown or repeated types, an ip with others), or null. */
    public String problem() {
        if (parts.isEmpty()) {
            return "an entity needs at least one of user, client-id or ip";
        }
        for (String type : parts.keySet()) {
            if (!type.equals(USER) && !type.equals(CLIENT_ID) && !type.equals(IP)) {
                return "unknown entity type " + type;
            }
        }
        if (parts.containsKey(IP) && parts.size() > 1) {
            return "an ip entity cannot be combined with user or client-id";
        }
        return null;
    }

    /** Why {@code key} cannot be set on this entity, or null. */
    public String keyProblem(String key) {
        Set<String> allowed = parts.containsKey(IP) ? IP_KEYS : CLIENT_KEYS;
        return allowed.contains(key) ? null : "quota " + key + " cannot be set on " + this;
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        parts.forEach((type, name) -> out.append(out.length() == 0 ? "" : ", ").append(type).append('=')
            .append(name == null ? "<default>" : name));
        return out.toString();
    }
}
