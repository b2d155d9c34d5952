package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
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
 * <p>Feature flags (v3+, KIP-584): every feature this broker knows with the levels it supports,
 * and the levels finalized in the cluster ({@link Features}), with the metadata log offset they
 * were read at as their epoch; clients choose transactions v2 from {@code transaction.version}.
 * A handler table without a metadata view (a controller's own listener) lists none.
 */
final class ApiVersionsHandler extends ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
    private static final Pattern SOFTWARE = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");

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
        MetadataView view = table.view();
        if (view == null) {
            return;
        }
        List<ApiVersionsResponse.SupportedFeatureKey> supported = new ArrayList<>();
        for (Features.Feature f : Features.supported()) {
            short min = f.minLevel();
            if (min == 0 && version < 4) {
                // Clients before ApiVersions v4 (KIP-1022) refuse a supported range starting at 0
                // (a 3.x client's I/O thread fails on it): they are told the range from 1, and
                // nothing of a feature supported at level 0 only.
                if (f.maxLevel() == 0) {
                    continue;
                }
                min = 1;
            }
            supported.add(new ApiVersionsResponse.SupportedFeatureKey().setName(f.name()).setMinVersion(min)
                .setMaxVersion(f.maxLevel()));
        }
        long offset = view.appliedOffset();
        MetadataImage image = view.image();
        List<ApiVersionsResponse.FinalizedFeatureKey> finalized = new ArrayList<>();
        Features.finalized(image).forEach((name, level) -> finalized.add(new ApiVersionsResponse.FinalizedFeatureKey()
            .setName(name).setMinVersionLevel(level).setMaxVersionLevel(level)));
        response.setSupportedFeatures(supported).setFinalizedFeaturesEpoch(Math.max(0, offset))
            .setFinalizedFeatures(finalized);
    }

    private List<ApiVersionsResponse.ApiVersion> supported() {
        List<ApiVersionsResponse.ApiVersion> list = new ArrayList<>();
        for (ApiHandler<?, ?> h : table.handlers()) {
            // Produce is listed from version 0, as Kafka 4 lists it (KAFKA-18659): librdkafka turns
            // features off (throttle times, and in newer releases compression) when a broker's Produce
            // range does not start at 0. Versions 0-2 are still not served: such a request closes
            // the connection, as on Kafka 4.
            short min = h.apiKey() == ApiKey.PRODUCE ? 0 : h.minVersion();
            list.add(new ApiVersionsResponse.ApiVersion().setApiKey(h.apiKey().id())
                .setMinVersion(min).setMaxVersion(h.maxVersion()));
        }
        return list;
    }
}
