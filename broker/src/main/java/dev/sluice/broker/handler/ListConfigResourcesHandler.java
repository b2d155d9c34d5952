package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ListConfigResourcesRequest;
import dev.sluice.wire.message.ListConfigResourcesResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * ListConfigResources (key 74), v0-1 (KIP-1142; v0 was ListClientMetricsResources): the resources
 * configs can be described for, of the types asked for (all when none is named): topics, brokers
 * and their loggers, groups with configs of their own, and client-metrics subscriptions, of which
 * Sluice has none (v0 lists only those, so always nothing). Needs DESCRIBE_CONFIGS on the cluster;
 * an unknown resource type is INVALID_REQUEST.
 */
public final class ListConfigResourcesHandler
        extends ApiHandler<ListConfigResourcesRequest, ListConfigResourcesResponse> {
    private static final byte TOPIC = 2;
    private static final byte BROKER = 4;
    private static final byte BROKER_LOGGER = 8;
    private static final byte CLIENT_METRICS = 16;
    private static final byte GROUP = 32;
    private static final Set<Byte> KNOWN = Set.of(TOPIC, BROKER, BROKER_LOGGER, CLIENT_METRICS, GROUP);

    private final MetadataView view;
    private final int nodeId;

    public ListConfigResourcesHandler(MetadataView view, int nodeId) {
        super(ApiKey.LIST_CONFIG_RESOURCES, 0, 1);
        this.view = view;
        this.nodeId = nodeId;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ListConfigResourcesResponse> handle(RequestContext context, ListConfigResourcesRequest request) {
        if (!context.allowedOnCluster(AclOperation.DESCRIBE_CONFIGS)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        Set<Byte> types = context.version() == 0 ? Set.of(CLIENT_METRICS)
            : request.resourceTypes().isEmpty() ? KNOWN : Set.copyOf(request.resourceTypes());
        if (!KNOWN.containsAll(types)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_REQUEST));
        }
        MetadataImage image = view.image();
        List<ListConfigResourcesResponse.ConfigResource> out = new ArrayList<>();
        if (types.contains(TOPIC)) {
            for (TopicImage t : image.topics()) {
                out.add(resource(t.name(), TOPIC));
            }
        }
        Set<Integer> brokers = new TreeSet<>(image.brokers().keySet());
        if (brokers.isEmpty()) {
            brokers.add(nodeId);
        }
        if (types.contains(BROKER)) {
            brokers.forEach(id -> out.add(resource(Integer.toString(id), BROKER)));
        }
        if (types.contains(BROKER_LOGGER)) {
            brokers.forEach(id -> out.add(resource(Integer.toString(id), BROKER_LOGGER)));
        }
        if (types.contains(GROUP)) {
            new TreeSet<>(image.groupConfigs().keySet()).forEach(g -> out.add(resource(g, GROUP)));
        }
        return CompletableFuture.completedFuture(new ListConfigResourcesResponse().setConfigResources(out));
    }

    private static ListConfigResourcesResponse.ConfigResource resource(String name, byte type) {
        return new ListConfigResourcesResponse.ConfigResource().setResourceName(name).setResourceType(type);
    }

    @Override
    public ListConfigResourcesResponse errorResponse(ListConfigResourcesRequest request, ErrorCode error) {
        return new ListConfigResourcesResponse().setErrorCode(error.code()).setConfigResources(new ArrayList<>());
    }
}
