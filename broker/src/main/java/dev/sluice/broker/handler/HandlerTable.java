package dev.sluice.broker.handler;

import dev.sluice.wire.message.ApiKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The broker's dispatch table: at most one handler per API key. Also the single source of the
 * ApiVersions answer, which it serves itself through {@link ApiVersionsHandler}.
 */
public final class HandlerTable {
    private final ApiHandler<?, ?>[] byKey;
    private final List<ApiHandler<?, ?>> handlers;

    public HandlerTable(List<? extends ApiHandler<?, ?>> handlers) {
        List<ApiHandler<?, ?>> all = new ArrayList<>(handlers);
        all.add(new ApiVersionsHandler(this));
        all.sort(Comparator.comparingInt(h -> h.apiKey().id()));
        int max = all.stream().mapToInt(h -> h.apiKey().id()).max().orElse(0);
        byKey = new ApiHandler<?, ?>[max + 1];
        for (ApiHandler<?, ?> h : all) {
            if (byKey[h.apiKey().id()] != null) {
                throw new IllegalArgumentException("two handlers for " + h.apiKey());
            }
            byKey[h.apiKey().id()] = h;
        }
        this.handlers = Collections.unmodifiableList(all);
    }

    public Optional<ApiHandler<?, ?>> handler(ApiKey key) {
        int id = key.id();
        return id < byKey.length ? Optional.ofNullable(byKey[id]) : Optional.empty();
    }

    /** Every handler, in API key order. */
    public List<ApiHandler<?, ?>> handlers() {
        return handlers;
    }
}
