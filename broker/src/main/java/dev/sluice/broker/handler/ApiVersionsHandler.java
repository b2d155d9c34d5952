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
 * ApiVersions (key 18), v0-4. Lists exactly the APIs and versions of the {@link HandlerTable}.
 *
 * <p>A client that opens with a version newer than this broker knows gets a v0 response with
 * UNSUPPORTED_VERSION and the supported ranges (KIP-511); the dispatcher builds that one through
 * {@link #unsupportedVersionResponse()}. From v3 the client's software name and version must be
 * well-formed, else INVALID_REQUEST. No feature flags are advertised yet.
 */
final class ApiVersionsHandler extends ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
    private static final Pattern SOFTWARE = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");

    private final HandlerTable table;

    ApiVersionsHandler(HandlerTable table) {
        super(ApiKey.API_VERSIONS, 0, 4);
        this.table = table;
    }

    @Override
    public CompletableFuture<ApiVersionsResponse> handle(RequestContext context, ApiVersionsRequest request) {
        if (context.version() >= 3 && (!SOFTWARE.matcher(request.clientSoftwareName()).matches()
            || !SOFTWARE.matcher(request.clientSoftwareVersion()).matches())) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_REQUEST));
        }
        return CompletableFuture.completedFuture(new ApiVersionsResponse().setApiKeys(supported()));
    }

    @Override
    public ApiVersionsResponse errorResponse(ApiVersionsRequest request, ErrorCode error) {
        return new ApiVersionsResponse().setErrorCode(error.code()).setApiKeys(supported());
    }

    ApiVersionsResponse unsupportedVersionResponse() {
        return new ApiVersionsResponse().setErrorCode(ErrorCode.UNSUPPORTED_VERSION.code()).setApiKeys(supported());
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
