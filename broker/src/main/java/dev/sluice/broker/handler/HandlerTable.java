package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.MetadataView;
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
    private final MetadataView view;
    private final int nodeId;

    /**
     * A table whose ApiVersions lists no feature flags and does not check the cluster and node a
     * client means to reach.
     */
    public HandlerTable(List<? extends ApiHandler<?, ?>> handlers) {
        this(handlers, null, -1);
    }

    /**
     * A broker's table: ApiVersions lists the cluster's feature flags from {@code view}, and from
     * v5 answers REBOOTSTRAP_REQUIRED to a client that names another cluster or node (KIP-1242).
     */
    public HandlerTable(List<? extends ApiHandler<?, ?>> handlers, MetadataView view, int nodeId) {
        this.view = view;
        this.nodeId = nodeId;
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

    /** The cluster's metadata, null when ApiVersions lists no features and checks no cluster id. */
    MetadataView view() {
        return view;
    }

    /** The cluster this broker belongs to, null when ApiVersions does not check it. */
    String clusterId() {
        return view == null ? null : view.image().clusterId();
    }

    /** This broker's node id, -1 when ApiVersions does not check it. */
    int nodeId() {
        return nodeId;
    }

    /** Every handler, in API key order. */
    public List<ApiHandler<?, ?>> handlers() {
        return handlers;
    }
}
