package dev.sluice.broker.handler;

import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiVersionsRequest;
import dev.sluice.wire.message.ApiVersionsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * ApiVersions (key 18), v0-5. Lists exactly the APIs and versions of the {@link HandlerTable}.
 *
 * <p>A client that opens with a version newer than this broker knows gets a v0 response with
 * UNSUPPORTED_VERSION and the supported ranges (KIP-511); the dispatcher builds that one through
 * {@link #unsupportedVersionResponse()}. From v3 the client's software name and version must be
 * well-formed, else INVALID_REQUEST. From v5 a client may name the cluster and node it means to
 * reach (KIP-1242): a broker of another cluster, or with another node id, answers
 * REBOOTSTRAP_REQUIRED, so a client whose address now reaches a different broker looks up the
 * cluster again instead of talking to the wrong one.
 *
 * <p>Feature flags (v3+) follow from the handlers too: {@code transaction.version} 2 (KIP-890's
 * transactions v2: an epoch bump per transaction, partitions added by the brokers) is supported
 * and finalized when EndTxn v5, AddPartitionsToTxn v5 and Produce v12 are served; Kafka's Java
 * client uses it then. Nothing else is advertised; the finalized features cannot be changed
 * (UpdateFeatures is not served).
 */
final class ApiVersionsHandler extends ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
    private static final Pattern SOFTWARE = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");

    private static final String TRANSACTION_VERSION = "transaction.version";
    /** The features never change on a running broker; clients only need an epoch of 0 or more. */
    private static final long FINALIZED_FEATURES_EPOCH = 0;

    private final HandlerTable table;

    ApiVersionsHandler(HandlerTable table) {
        super(ApiKey.API_VERSIONS, 0, 5);
        this.table = table;
    }

    /** Kafka authorizes nothing here. */
    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ApiVersionsResponse> handle(RequestContext context, ApiVersionsRequest request) {
        if (context.version() >= 3 && (!SOFTWARE.matcher(request.clientSoftwareName()).matches()
            || !SOFTWARE.matcher(request.clientSoftwareVersion()).matches())) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_REQUEST));
        }
        if (context.version() >= 5 && !meantForThisBroker(request)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.REBOOTSTRAP_REQUIRED));
        }
        ApiVersionsResponse response = new ApiVersionsResponse().setApiKeys(supported());
        if (context.version() >= 3) {
            addFeatures(response, context.version());
        }
        return CompletableFuture.completedFuture(response);
    }

    private boolean meantForThisBroker(ApiVersionsRequest request) {
        boolean otherCluster = request.clusterId() != null && table.clusterId() != null
            && !request.clusterId().equals(table.clusterId());
        boolean otherNode = request.nodeId() >= 0 && table.nodeId() >= 0 && request.nodeId() != table.nodeId();
        return !otherCluster && !otherNode;
    }

    @Override
    public ApiVersionsResponse errorResponse(ApiVersionsRequest request, ErrorCode error) {
        return new ApiVersionsResponse().setErrorCode(error.code()).setApiKeys(supported());
    }

    ApiVersionsResponse unsupportedVersionResponse() {
        return new ApiVersionsResponse().setErrorCode(ErrorCode.UNSUPPORTED_VERSION.code()).setApiKeys(supported());
    }

    private void addFeatures(ApiVersionsResponse response, short version) {
        short transactionVersion = transactionVersion();
        if (transactionVersion <= 0) {
            return;
        }
        // Clients before ApiVersions v4 (KIP-1022) refuse a supported range starting at 0 (a 3.x
        // client's I/O thread fails on it): they are told the range from 1.
        short min = (short) (version >= 4 ? 0 : 1);
        response.setSupportedFeatures(List.of(new ApiVersionsResponse.SupportedFeatureKey().setName(TRANSACTION_VERSION)
                .setMinVersion(min).setMaxVersion(transactionVersion)))
            .setFinalizedFeaturesEpoch(FINALIZED_FEATURES_EPOCH)
            .setFinalizedFeatures(List.of(new ApiVersionsResponse.FinalizedFeatureKey().setName(TRANSACTION_VERSION)
                .setMinVersionLevel(transactionVersion).setMaxVersionLevel(transactionVersion)));
    }

    /** 2 when the transaction APIs of transactions v2 are all served, 1 with those of v1, else 0. */
    private short transactionVersion() {
        if (maxVersion(ApiKey.END_TXN) < 0) {
            return 0;
        }
        boolean v2 = maxVersion(ApiKey.END_TXN) >= 5 && maxVersion(ApiKey.ADD_PARTITIONS_TO_TXN) >= 5
            && maxVersion(ApiKey.PRODUCE) >= 12;
        return (short) (v2 ? 2 : 1);
    }

    private int maxVersion(ApiKey key) {
        return table.handler(key).map(h -> (int) h.maxVersion()).orElse(-1);
    }

    private List<ApiVersionsResponse.ApiVersion> supported() {
        List<ApiVersionsResponse.ApiVersion> list = new ArrayList<>();
        for (ApiHandler<?, ?> h : table.handlers()) {
            list.add(new ApiVersionsResponse.ApiVersion().setApiKey(h.apiKey().id())
                .setMinVersion(h.minVersion()).setMaxVersion(h.maxVersion()));
        }
        return list;
    }
}
