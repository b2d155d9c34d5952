package dev.sluice.broker.metrics;

import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Per-API request meters: {@code sluice.requests} (by api and version), {@code sluice.request.errors}
 * (by api and error name, counting every error code in a response), {@code sluice.request.latency}
 * (by api, from frame received to response ready) and {@code sluice.request.bytes} /
 * {@code sluice.response.bytes} (by api). Meters are created on first use and cached, so a request
 * costs a few array and map lookups, no tag allocation.
 */
public final class RequestMetrics {
    private final MeterRegistry registry;
    private final ApiMeters[] byApi;

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
        int max = 0;
        for (ApiKey k : ApiKey.values()) {
            max = Math.max(max, k.id());
        }
        this.byApi = new ApiMeters[max + 1];
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Records one answered request. */
    public void record(ApiKey api, short version, long startNanos, int requestBytes, int responseBytes,
                       ApiMessage response) {
        ApiMeters m = meters(api);
        m.requests(version).increment();
        m.latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        m.requestBytes.increment(requestBytes);
        m.responseBytes.increment(responseBytes);
        if (response != null) {
            response.forEachErrorCode(code -> {
                if (code != 0) {
                    m.error((short) code).increment();
                }
            });
        }
    }

    private ApiMeters meters(ApiKey api) {
        ApiMeters m = byApi[api.id()];
        if (m == null) {
            synchronized (this) {
                m = byApi[api.id()];
                if (m == null) {
                    m = new ApiMeters(api);
                    byApi[api.id()] = m;
                }
            }
        }
        return m;
    }

    private final class ApiMeters {
        private final ApiKey api;
        private final Counter[] requestsByVersion;
        private final ConcurrentMap<Short, Counter> errors = new ConcurrentHashMap<>();
        private final Timer latency;
        private final Counter requestBytes;
        private final Counter responseBytes;

        ApiMeters(ApiKey api) {
            this.api = api;
            this.requestsByVersion = new Counter[Math.max(0, api.highestVersion()) + 1];
            String name = api.displayName();
            this.latency = Timer.builder("sluice.request.latency").tag("api", name)
                .description("Time from a request's arrival to its response being ready")
                .publishPercentiles(0.5, 0.99).register(registry);
            this.requestBytes = Counter.builder("sluice.request.bytes").tag("api", name).baseUnit("bytes")
                .description("Bytes of request frames received").register(registry);
            this.responseBytes = Counter.builder("sluice.response.bytes").tag("api", name).baseUnit("bytes")
                .description("Bytes of response frames sent").register(registry);
        }

        Counter requests(short version) {
            Counter c = requestsByVersion[version];
            if (c == null) {
                c = Counter.builder("sluice.requests").tag("api", api.displayName()).tag("version", Short.toString(version))
                    .description("Requests answered").register(registry);
                requestsByVersion[version] = c;
            }
            return c;
        }

        Counter error(short code) {
            return errors.computeIfAbsent(code, c -> Counter.builder("sluice.request.errors")
                .tag("api", api.displayName()).tag("error", ErrorCode.forCode(c).name())
                .description("Error codes returned in responses").register(registry));
        }
    }
}
