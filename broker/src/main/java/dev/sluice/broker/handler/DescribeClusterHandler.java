package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.BrokerDirectory;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeClusterRequest;
import dev.sluice.wire.message.DescribeClusterResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeCluster (key 60), v0-2. Describes this broker at the address of the listener asked on.
 * Asking a broker listener for controller endpoints (v1+) is MISMATCHED_ENDPOINT_TYPE; an endpoint
 * type Kafka does not define is UNSUPPORTED_ENDPOINT_TYPE. No broker of a single-node cluster is
 * ever fenced.
 */
public final class DescribeClusterHandler extends ApiHandler<DescribeClusterRequest, DescribeClusterResponse> {
    private static final byte BROKER_ENDPOINTS = 1;
    private static final byte CONTROLLER_ENDPOINTS = 2;

    private final MetadataView view;
    private final BrokerDirectory directory;

    public DescribeClusterHandler(MetadataView view, BrokerDirectory directory) {
        super(ApiKey.DESCRIBE_CLUSTER, 0, 2);
        this.view = view;
        this.directory = directory;
    }

    /** Kafka authorizes nothing here. */
    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeClusterResponse> handle(RequestContext context, DescribeClusterRequest request) {
        if (request.endpointType() == CONTROLLER_ENDPOINTS) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.MISMATCHED_ENDPOINT_TYPE)
                .setErrorMessage("this listener serves brokers; ask a controller listener for controllers"));
        }
        if (request.endpointType() != BROKER_ENDPOINTS) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE)
                .setErrorMessage("unknown endpoint type " + request.endpointType()));
        }
        List<DescribeClusterResponse.DescribeClusterBroker> brokers = new ArrayList<>();
        List<BrokerDirectory.Node> nodes = context.version() >= 2 && request.includeFencedBrokers()
            ? directory.all(context.listenerName()) : directory.live(context.listenerName());
        for (BrokerDirectory.Node n : nodes) {
            brokers.add(new DescribeClusterResponse.DescribeClusterBroker().setBrokerId(n.id()).setHost(n.host())
                .setPort(n.port()).setRack(n.rack()).setIsFenced(n.fenced()));
        }
        return CompletableFuture.completedFuture(new DescribeClusterResponse()
            .setEndpointType(BROKER_ENDPOINTS)
            .setClusterId(view.image().clusterId())
            .setControllerId(directory.controllerId())
            .setBrokers(brokers)
            .setClusterAuthorizedOperations(AuthorizedOperations.cluster(context, request.includeClusterAuthorizedOperations())));
    }

    @Override
    public DescribeClusterResponse errorResponse(DescribeClusterRequest request, ErrorCode error) {
        return new DescribeClusterResponse().setErrorCode(error.code())
            .setEndpointType(request.endpointType() == CONTROLLER_ENDPOINTS ? CONTROLLER_ENDPOINTS : BROKER_ENDPOINTS)
            .setClusterId(view.image().clusterId());
    }
}
