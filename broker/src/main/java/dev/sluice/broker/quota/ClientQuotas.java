package dev.sluice.broker.quota;

import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.security.KafkaPrincipal;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Kafka's client byte-rate quotas ({@code producer_byte_rate}, {@code consumer_byte_rate}) as the
 * metadata log sets them, and the throttling they cause.
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

    private final int samples;
    private final long sampleMs;
    private final LongSupplier clockMs;
    private volatile Map<QuotaEntity, Map<String, Double>> quotas = Map.of();
    private final Map<Tracked, Rate> rates = new ConcurrentHashMap<>();

    /** Whose bytes count together for one quota key. */
    private record Tracked(String key, String user, String clientId) {
    }

    public ClientQuotas(int samples, long sampleMs, LongSupplier clockMs) {
        this.samples = samples;
        this.sampleMs = sampleMs;
        this.clockMs = clockMs;
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        if (previous.clientQuotas() != next.clientQuotas()) {
            quotas = next.clientQuotas();
            rates.clear();
        }
    }

    public void load(MetadataImage image) {
        quotas = image.clientQuotas();
    }

    /**
     * Counts {@code bytes} of {@code key} traffic for the principal and client id and returns how
     * long the client must be throttled, 0 when it is within its quota (or has none).
     */
    public long recordAndThrottleMs(String key, KafkaPrincipal principal, String clientId, long bytes) {
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
        Rate rate = rates.computeIfAbsent(tracked, t -> new Rate(samples, sampleMs));
        long now = clockMs.getAsLong();
        double observed = rate.record(bytes, now);
        if (observed <= bound) {
            return 0;
        }
        double excess = bound == 0 ? samples * sampleMs : (observed - bound) / bound * rate.spanMs(now);
        return (long) Math.min(excess, samples * sampleMs);
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

    /** Bytes per second over a sliding window of samples; the span counts as at least all but one sample. */
    private static final class Rate {
        private final long sampleMs;
        private final long[] bytes;
        private final long[] startMs;
        private int current;

        Rate(int samples, long sampleMs) {
            this.sampleMs = sampleMs;
            this.bytes = new long[samples];
            this.startMs = new long[samples];
            Arrays.fill(startMs, Long.MIN_VALUE);
        }

        /** Adds {@code n} bytes at {@code now}; returns the rate in bytes per second. */
        synchronized double record(long n, long now) {
            if (startMs[current] == Long.MIN_VALUE) {
                startMs[current] = now;
            } else if (now - startMs[current] >= sampleMs) {
                current = (current + 1) % bytes.length;
                bytes[current] = 0;
                startMs[current] = now;
            }
            bytes[current] += n;
            long total = 0;
            long windowMs = bytes.length * sampleMs;
            for (int i = 0; i < bytes.length; i++) {
                if (startMs[i] != Long.MIN_VALUE && now - startMs[i] < windowMs) {
                    total += bytes[i];
                }
            }
            return total * 1000.0 / spanMs(now);
        }

        synchronized long spanMs(long now) {
            long oldest = now;
            long windowMs = bytes.length * sampleMs;
            for (long s : startMs) {
                if (s != Long.MIN_VALUE && now - s < windowMs) {
                    oldest = Math.min(oldest, s);
                }
            }
            return Math.max(now - oldest, (bytes.length - 1) * sampleMs) + 1;
        }
    }
}
