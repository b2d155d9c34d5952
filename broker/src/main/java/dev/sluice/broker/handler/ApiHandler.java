package dev.sluice.broker.handler;

import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.ErrorCode;
import java.util.concurrent.CompletableFuture;

/**
 * Serves one Kafka API over a declared range of versions. The dispatch table and the ApiVersions
 * response are both built from these declarations, so what is advertised is what is implemented.
 *
 * <p>Handlers turn every failure they can name into a Kafka error code in the response. An
 * exception that escapes {@link #handle} is logged once by the dispatcher and answered with
 * {@link #errorResponse} carrying UNKNOWN_SERVER_ERROR.
 *
 * @param <Q> the request body type
 * @param <R> the response body type
 */
public abstract class ApiHandler<Q extends ApiMessage, R extends ApiMessage> {
    private final ApiKey apiKey;
    private final short minVersion;
    private final short maxVersion;

    protected ApiHandler(ApiKey apiKey, int minVersion, int maxVersion) {
        if (minVersion < apiKey.lowestVersion() || maxVersion > apiKey.highestVersion() || minVersion > maxVersion) {
            throw new IllegalArgumentException(apiKey + " versions " + minVersion + "-" + maxVersion
                + " are outside the schema's " + apiKey.lowestVersion() + "-" + apiKey.highestVersion());
        }
        this.apiKey = apiKey;
        this.minVersion = (short) minVersion;
        this.maxVersion = (short) maxVersion;
    }

    public final ApiKey apiKey() {
        return apiKey;
    }

    public final short minVersion() {
        return minVersion;
    }

    public final short maxVersion() {
        return maxVersion;
    }

    public final boolean servesVersion(short version) {
        return version >= minVersion && version <= maxVersion;
    }

    /**
     * Handles a request. The future completes with the response body, or with {@code null} when the
     * request gets no response at all (produce with acks=0).
     */
    public abstract CompletableFuture<R> handle(RequestContext context, Q request);

    /**
     * Whether this handler checks the operations Kafka's authorizer checks for its API, through
     * {@link RequestContext#allowed}. When an authorizer is configured, a request to a handler that
     * does not is allowed only to principals with ALTER on the cluster.
     */
    protected boolean authorizesItself() {
        return false;
    }

    /** A response that reports {@code error} for everything the request asked about. */
    public abstract R errorResponse(Q request, ErrorCode error);

    /**
     * Bytes of records in {@code response} that are not in memory and can be sent straight from
     * their files; 0 (the default) has the whole response encoded into one buffer.
     */
    protected int fileBackedBytes(R response) {
        return 0;
    }

    @SuppressWarnings("unchecked")
    final int fileBackedBytesOf(ApiMessage response) {
        return fileBackedBytes((R) response);
    }

    @SuppressWarnings("unchecked")
    final CompletableFuture<ApiMessage> dispatch(RequestContext context, ApiMessage request) {
        return (CompletableFuture<ApiMessage>) (CompletableFuture<?>) handle(context, (Q) request);
    }

    @SuppressWarnings("unchecked")
    final ApiMessage errorFor(ApiMessage request, ErrorCode error) {
        return errorResponse((Q) request, error);
    }
}
