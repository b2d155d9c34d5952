package dev.sluice.broker.quota;

import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.security.KafkaPrincipal;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Kafka's client quotas as the metadata log sets them, and the throttling they cause: the byte
 * rates ({@code producer_byte_rate}, {@code consumer_byte_rate}), the share of request-handling
 * time ({@code request_percentage}: percent of one thread, so 200 is two threads' worth) and the
 * rate of partition mutations ({@code controller_mutation_rate}: partitions created or deleted
 * per second, KIP-599).
 *
 * <p>A request's quota is found in Kafka's order of precedence: user and client id, user and
 * default client id, user alone, default user and client id, default user and default client id,
 * default user alone, client id alone, default client id. The entity found decides whose bytes
 * count together: a quota set on a user (or the default user) is shared by all that user's
 * clients, one set on user and client id by that pair. Rates are measured over
 * {@code quota.window.num} samples of {@code quota.window.size.seconds}; a request that takes the
 * rate above the quota is answered with the time the client must wait for the rate to come back
 * down to it (Kafka's formula: the excess over the quota, as a share of the quota, times the
 * measured span), at most the whole window, and its connection reads nothing more for that long.
 *
 * <p>Thread-safe: handlers on many threads record at once; the metadata thread swaps the quotas.
 */
public final class ClientQuotas implements MetadataListener {
    public static final String PRODUCE = "producer_byte_rate";
    public static final String FETCH = "consumer_byte_rate";
    /** Recorded in microseconds of request-handling time. */
    public static final String REQUEST = "request_percentage";
    /** Per ip address: connections accepted per second. */
    public static final String CONNECTION_CREATION = "connection_creation_rate";
    /** Recorded in partitions created, added or deleted. */
    public static final String MUTATION = "controller_mutation_rate";
    /** Microseconds per second that make one percent of a thread's time. */
    private static final double MICROS_PER_PERCENT = 10_000.0;

    private final int samples;
    private final long sampleMs;
    private final LongSupplier clockMs;
    private volatile Map<QuotaEntity, Map<String, Double>> quotas = Map.of();
    /** The keys some entity has a quota of. */
    private volatile java.util.Set<String> keys = java.util.Set.of();
    private final Map<Tracked, WindowedRate> rates = new ConcurrentHashMap<>();

    /** Whose amounts count together for one quota key. */
    private record Tracked(String key, String user, String clientId) {
    }

    public ClientQuotas(int samples, long sampleMs, LongSupplier clockMs) {
        this.samples = samples;
        this.sampleMs = sampleMs;
        this.clockMs = clockMs;
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        // Compared by value: an image rebuilt for another change (a topic created) keeps the rates.
        if (!previous.clientQuotas().equals(next.clientQuotas())) {
            set(next.clientQuotas());
            rates.clear();
        }
    }

    public void load(MetadataImage image) {
        set(image.clientQuotas());
    }

    private void set(Map<QuotaEntity, Map<String, Double>> all) {
        java.util.Set<String> present = new java.util.HashSet<>();
        all.values().forEach(values -> present.addAll(values.keySet()));
        quotas = all;
        keys = java.util.Set.copyOf(present);
    }

    /** Whether some quota of {@code key} is set at all, so that measuring for it is worth the work. */
    public boolean hasAny(String key) {
        return keys.contains(key);
    }

    /**
     * How long the client must wait before its {@code key} rate is back within its quota, without
     * counting anything: 0 when it is within it (or has none). Kafka's strict check of partition
     * mutations (KIP-599) refuses a request while this is above 0.
     */
    public long throttleMs(String key, KafkaPrincipal principal, String clientId) {
        return recordAndThrottleMs(key, principal, clientId, 0);
    }

    /**
     * Counts {@code amount} of {@code key} (bytes, microseconds of handling or mutations) for the
     * principal and client id and returns how long the client must be throttled, 0 when it is
     * within its quota (or has none).
     */
    public long recordAndThrottleMs(String key, KafkaPrincipal principal, String clientId, long amount) {
        Map<QuotaEntity, Map<String, Double>> all = quotas;
        if (all.isEmpty()) {
            return 0;
        }
        String user = principal.name();
        String client = clientId == null ? "" : clientId;
        QuotaEntity found = null;
        Double bound = null;
        for (QuotaEntity candidate : candidates(user, client)) {
            Map<String, Double> values = all.get(candidate);
            if (values != null && values.get(key) != null) {
                found = candidate;
                bound = values.get(key);
                break;
            }
        }
        if (found == null || bound < 0) {
            return 0;
        }
        Tracked tracked = new Tracked(key, found.parts().containsKey(QuotaEntity.USER) ? user : "",
            found.parts().containsKey(QuotaEntity.CLIENT_ID) ? client : "");
        WindowedRate rate = rates.computeIfAbsent(tracked, t -> new WindowedRate(samples, sampleMs));
        long now = clockMs.getAsLong();
        double observed = rate.record(amount, now) / (REQUEST.equals(key) ? MICROS_PER_PERCENT : 1.0);
        return rate.throttleMs(observed, bound, now);
    }

    /**
     * Counts a new connection from {@code address} against its {@code connection_creation_rate}
     * (the address's own quota, else the default ip quota) and returns how long it is over it: 0
     * when it is within (or has none). Kafka closes such a connection after that long (KIP-612).
     */
    public long connectionThrottleMs(java.net.InetAddress address) {
        if (!hasAny(CONNECTION_CREATION)) {
            return 0;
        }
        Map<QuotaEntity, Map<String, Double>> all = quotas;
        String ip = address.getHostAddress();
        QuotaEntity own = entity(QuotaEntity.IP, ip);
        Map<String, Double> values = all.get(own);
        if (values == null || values.get(CONNECTION_CREATION) == null) {
            values = all.get(entity(QuotaEntity.IP, null));
        }
        Double bound = values == null ? null : values.get(CONNECTION_CREATION);
        if (bound == null || bound < 0) {
            return 0;
        }
        // Each address has its own count, under its own quota or the default one alike.
        WindowedRate rate = rates.computeIfAbsent(new Tracked(CONNECTION_CREATION, ip, ""),
            t -> new WindowedRate(samples, sampleMs));
        return rate.recordAndThrottleMs(1, clockMs.getAsLong(), bound);
    }

    /** The entities a request of {@code user} and {@code client} may be governed by, first match wins. */
    private static QuotaEntity[] candidates(String user, String client) {
        return new QuotaEntity[] {
            entity(QuotaEntity.USER, user, QuotaEntity.CLIENT_ID, client),
            entity(QuotaEntity.USER, user, QuotaEntity.CLIENT_ID, null),
            entity(QuotaEntity.USER, user),
            entity(QuotaEntity.USER, null, QuotaEntity.CLIENT_ID, client),
            entity(QuotaEntity.USER, null, QuotaEntity.CLIENT_ID, null),
            entity(QuotaEntity.USER, null),
            entity(QuotaEntity.CLIENT_ID, client),
            entity(QuotaEntity.CLIENT_ID, null)};
    }

    private static QuotaEntity entity(String... typeThenName) {
        Map<String, String> parts = new HashMap<>();
        for (int i = 0; i < typeThenName.length; i += 2) {
            parts.put(typeThenName[i], typeThenName[i + 1]);
        }
        return new QuotaEntity(parts);
    }
}
