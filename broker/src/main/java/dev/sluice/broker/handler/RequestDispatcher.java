package dev.sluice.broker.handler;

import dev.sluice.broker.LogSafe;
import dev.sluice.broker.metrics.RequestMetrics;
import dev.sluice.broker.quota.ClientQuotas;
import dev.sluice.broker.security.AuthenticationMethod;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.security.acl.StandardAuthorizer;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.ProduceResponse;
import dev.sluice.wire.message.RequestHeader;
import dev.sluice.wire.message.ThrottledResponse;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one request frame into its response frame. Decoding problems are decided here, as Kafka
 * decides them:
 * <ul>
 *   <li>an undecodable header or body, an unknown API key or an API this broker does not serve:
 *       the connection is closed ({@link CloseConnectionException});</li>
 *   <li>ApiVersions at a version newer than served: a v0 response with UNSUPPORTED_VERSION;</li>
 *   <li>another API at a schema version outside the handler's range: the handler's error response
 *       with UNSUPPORTED_VERSION;</li>
 *   <li>a handler failure: logged once with the client and API, answered with UNKNOWN_SERVER_ERROR;</li>
 *   <li>a handler that completes with {@link CloseConnectionException} (an acks=0 write that
 *       failed): no response, the connection is closed.</li>
 * </ul>
 * Thread-safe; holds no per-connection state.
 */
public final class RequestDispatcher {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);
    /**
     * The APIs whose partition mutations count against {@code controller_mutation_rate}, with the
     * first version at which a client over its quota is refused (THROTTLING_QUOTA_EXCEEDED) rather
     * than throttled after the fact (KIP-599).
     */
    private static final Map<ApiKey, Short> STRICT_MUTATION_VERSIONS = Map.of(ApiKey.CREATE_TOPICS, (short) 6,
        ApiKey.CREATE_PARTITIONS, (short) 3, ApiKey.DELETE_TOPICS, (short) 5);
    /** Brokers' own requests, which client quotas never throttle. */
    private static final Set<ApiKey> EXEMPT = Set.of(ApiKey.WRITE_TXN_MARKERS, ApiKey.ALLOCATE_PRODUCER_IDS,
        ApiKey.BROKER_REGISTRATION, ApiKey.BROKER_HEARTBEAT, ApiKey.ALTER_PARTITION);

    private final HandlerTable table;
    private final RequestMetrics metrics;
    private volatile Forwarding forwarding;
    private volatile StandardAuthorizer authorizer;
    private volatile ClientQuotas quotas;

    /**
     * Where a cluster node sends requests that only the active controller may serve (CreateTopics
     * and its kin), as a Kafka broker forwards them: the whole request frame goes to the
     * controller's node, which serves it as if it had come in there and sends back the response
     * frame. A client never learns that its request travelled.
     */
    public interface Forwarding {
        /** Whether requests of {@code api} go to the active controller's node now. */
        boolean forwards(ApiKey api);

        /**
         * The response frame (size prefix included) to {@code frame} (size prefix removed), sent
         * by {@code principal} from {@code host} (which the controller authorizes it as), who
         * authenticated by {@code method}.
         */
        CompletableFuture<ByteBuffer> forward(ByteBuffer frame, String listener, String principal, String host,
                                              AuthenticationMethod method);
    }

    public RequestDispatcher(HandlerTable table, RequestMetrics metrics) {
        this.table = table;
        this.metrics = metrics;
    }

    public HandlerTable table() {
        return table;
    }

    /**
     * Enforces {@code authorizer}'s decisions on every request from now on: handlers that check
     * Kafka's operations themselves ({@link ApiHandler#authorizesItself}) do so through their
     * {@link RequestContext}; every other API needs ALTER on the cluster. Null turns checking off.
     */
    public void authorizeWith(StandardAuthorizer authorizer) {
        this.authorizer = authorizer;
    }

    /** Throttles clients over their quotas from now on (see {@link ClientQuotas}). */
    public void throttleWith(ClientQuotas quotas) {
        this.quotas = quotas;
    }

    /**
     * Counts a request against the client's quotas: a produce request's bytes, a consumer fetch's
     * response bytes, the time its handling took on this thread ({@code request_percentage}) and
     * the partitions it created or deleted ({@code controller_mutation_rate}). Over any of them,
     * the response carries the longest throttle time and the connection reads nothing more for
     * that long, as Kafka does (KIP-219). Brokers' own requests (followers' fetches, transaction
     * markers) are not client traffic and are not counted.
     */
    private static void throttle(ClientQuotas quotas, RequestContext context, ApiMessage request, ApiMessage response,
                                 int frameBytes, long handledMicros) {
        if (EXEMPT.contains(context.apiKey()) || request instanceof FetchRequest f
                && (f.replicaId() >= 0 || context.version() >= 15 && f.replicaState().replicaId() >= 0)) {
            return;
        }
        long throttleMs = 0;
        if (response instanceof ProduceResponse) {
            throttleMs = quotas.recordAndThrottleMs(ClientQuotas.PRODUCE, context.principal(), context.clientId(),
                frameBytes);
        } else if (response instanceof FetchResponse fetched) {
            throttleMs = quotas.recordAndThrottleMs(ClientQuotas.FETCH, context.principal(), context.clientId(),
                fetched.size(context.version()));
        }
        if (context.mutations() != null) {
            throttleMs = Math.max(throttleMs, quotas.recordAndThrottleMs(ClientQuotas.MUTATION, context.principal(),
                context.clientId(), context.mutations().get()));
        }
        if (quotas.hasAny(ClientQuotas.REQUEST)) {
            throttleMs = Math.max(throttleMs, quotas.recordAndThrottleMs(ClientQuotas.REQUEST, context.principal(),
                context.clientId(), handledMicros));
        }
        throttled(context, response, throttleMs);
    }

    /** Sets the response's throttle time (keeping a longer one it has) and mutes the connection that long. */
    private static void throttled(RequestContext context, ApiMessage response, long throttleMs) {
        if (throttleMs <= 0) {
            return;
        }
        if (response instanceof ThrottledResponse r) {
            r.setThrottleTimeMs((int) Math.max(r.throttleTimeMs(), Math.min(Integer.MAX_VALUE, throttleMs)));
        }
        context.connection().throttleFor(throttleMs);
    }

    /** Starts forwarding what {@code forwarding} names; a single node never forwards. */
    public void forwardWith(Forwarding forwarding) {
        this.forwarding = forwarding;
    }

    /**
     * Handles a frame (the bytes after its size prefix). Completes with the response frame, size
     * prefix included (file-backed records spliced in rather than copied), with {@code null} when
     * the request gets no response, or exceptionally with {@link CloseConnectionException}.
     */
    public CompletableFuture<Frames.SplicedFrame> dispatch(ByteBuffer frame, SocketAddress client, String listener,
                                                           ConnectionLifetime connection) {
        return dispatch(frame, client, listener, connection, forwarding);
    }

    /** As {@link #dispatch}, served on this node even if it would forward it: a request forwarded to it. */
    public CompletableFuture<Frames.SplicedFrame> dispatchHere(ByteBuffer frame, SocketAddress client, String listener,
                                                               ConnectionLifetime connection) {
        return dispatch(frame, client, listener, connection, null);
    }

    private CompletableFuture<Frames.SplicedFrame> dispatch(ByteBuffer frame, SocketAddress client, String listener,
                                                            ConnectionLifetime connection, Forwarding forwarding) {
        long start = System.nanoTime();
        ByteBuffer whole = frame.duplicate();
        int frameBytes = frame.remaining();
        RequestHeader header;
        try {
            header = Frames.readRequestHeader(frame);
        } catch (MalformedDataException e) {
            return close("malformed request header: " + e.getMessage());
        }
        Optional<ApiKey> key = Frames.apiKey(header);
        if (key.isEmpty()) {
            return close("unknown API key " + header.requestApiKey());
        }
        ApiKey api = key.get();
        short version = header.requestApiVersion();
        Optional<ApiHandler<?, ?>> found = table.handler(api);
        if (found.isEmpty()) {
            return close(api.displayName() + " (key " + api.id() + ") is not served by this broker");
        }
        ApiHandler<?, ?> handler = found.get();
        if (!handler.servesVersion(version)) {
            if (api == ApiKey.API_VERSIONS) {
                ApiMessage response = ((ApiVersionsHandler) handler).unsupportedVersionResponse();
                return respond(api, (short) 0, header, start, frameBytes, response);
            }
            if (!api.hasVersion(version)) {
                return close(api.displayName() + " v" + version + " is not a version of the protocol");
            }
        }
        ApiMessage request;
        try {
            request = Frames.readRequestBody(header, frame);
        } catch (MalformedDataException | UnsupportedVersionException e) {
            return close("malformed " + api.displayName() + " v" + version + " request: " + e.getMessage());
        }
        if (!handler.servesVersion(version)) {
            return respond(api, version, header, start, frameBytes, handler.errorFor(request, ErrorCode.UNSUPPORTED_VERSION));
        }
        ClientQuotas q = quotas;
        boolean mutates = q != null && STRICT_MUTATION_VERSIONS.containsKey(api) && q.hasAny(ClientQuotas.MUTATION);
        RequestContext context = new RequestContext(header, api, version, client, listener, start, connection,
            authorizer, mutates ? new AtomicLong() : null);
        if (forwarding != null && forwarding.forwards(api)) {
            return forward(forwarding, whole, context, api, version, header, start, frameBytes, handler, request);
        }
        if (authorizer != null && !handler.authorizesItself()
                && !context.allowed(AclOperation.ALTER, AclResourceType.CLUSTER, AclResourceType.CLUSTER_NAME)) {
            // Fail closed: an API whose handler does not check Kafka's own operations yet needs
            // ALTER on the cluster (super users and cluster administrators).
            return respond(api, version, header, start, frameBytes,
                handler.errorFor(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        if (mutates && version >= STRICT_MUTATION_VERSIONS.get(api)) {
            long wait = q.throttleMs(ClientQuotas.MUTATION, context.principal(), context.clientId());
            if (wait > 0) {
                // KIP-599's strict mode: while the client's mutation rate is over its quota, nothing is created or deleted.
                ApiMessage refused = handler.errorFor(request, ErrorCode.THROTTLING_QUOTA_EXCEEDED);
                throttled(context, refused, wait);
                return respond(api, version, header, start, frameBytes, refused);
            }
        }
        CompletableFuture<ApiMessage> result;
        long handling = System.nanoTime();
        try {
            result = handler.dispatch(context, request);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        long handledMicros = (System.nanoTime() - handling) / 1_000;
        return result.handle((response, error) -> {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
            if (cause instanceof CloseConnectionException close) {
                // A handler's decision (an acks=0 write failed): no response, the connection closes.
                metrics.record(api, version, start, frameBytes, 0, null);
                throw close;
            }
            if (error != null) {
                log.error("{} v{} from {} (client id '{}', correlation id {}) failed", api.displayName(), version, client,
                    LogSafe.of(context.clientId()), header.correlationId(), error);
                response = handler.errorFor(request, ErrorCode.UNKNOWN_SERVER_ERROR);
            }
            if (response == null) {
                metrics.record(api, version, start, frameBytes, 0, null);
                return null;
            }
            if (q != null) {
                throttle(q, context, request, response, frameBytes, handledMicros);
            }
            return encode(api, version, header, start, frameBytes, response, handler, request);
        });
    }

    private CompletableFuture<Frames.SplicedFrame> forward(Forwarding forwarding, ByteBuffer frame,
                                                           RequestContext context, ApiKey api, short version,
                                                           RequestHeader header, long start, int frameBytes,
                                                           ApiHandler<?, ?> handler, ApiMessage request) {
        return forwarding.forward(frame, context.listenerName(), context.principal().toString(), context.host(),
                context.connection().method())
            .handle((response, error) -> {
            if (error != null) {
                // No controller reachable now: Kafka's answer while the quorum elects one; clients retry.
                log.debug("could not forward {} v{} to the controller: {}", api.displayName(), version, error.toString());
                ApiMessage refused = handler.errorFor(request, ErrorCode.NOT_CONTROLLER);
                ByteBuffer out = Frames.writeResponse(header.correlationId(), refused, version);
                metrics.record(api, version, start, frameBytes, out.remaining(), refused);
                return unspliced(out);
            }
            metrics.record(api, version, start, frameBytes, response.remaining(), null);
            return unspliced(response);
        });
    }

    private Frames.SplicedFrame encode(ApiKey api, short version, RequestHeader header, long start, int frameBytes,
                                       ApiMessage response, ApiHandler<?, ?> handler, ApiMessage request) {
        try {
            int fileBacked = handler.fileBackedBytesOf(response);
            Frames.SplicedFrame out = fileBacked > 0
                ? Frames.writeSplicedResponse(header.correlationId(), response, version, fileBacked)
                : unspliced(Frames.writeResponse(header.correlationId(), response, version));
            metrics.record(api, version, start, frameBytes, out.sizeInBytes(), response);
            return out;
        } catch (RuntimeException e) {
            log.error("could not encode the {} v{} response to correlation id {}", api.displayName(), version,
                header.correlationId(), e);
            ApiMessage fallback = handler.errorFor(request, ErrorCode.UNKNOWN_SERVER_ERROR);
            ByteBuffer out = Frames.writeResponse(header.correlationId(), fallback, version);
            metrics.record(api, version, start, frameBytes, out.remaining(), fallback);
            return unspliced(out);
        }
    }

    private static Frames.SplicedFrame unspliced(ByteBuffer buffer) {
        return new Frames.SplicedFrame(buffer, List.of());
    }

    private CompletableFuture<Frames.SplicedFrame> respond(ApiKey api, short version, RequestHeader header, long start,
                                                           int frameBytes, ApiMessage response) {
        ByteBuffer out = Frames.writeResponse(header.correlationId(), response, version);
        metrics.record(api, version, start, frameBytes, out.remaining(), response);
        return CompletableFuture.completedFuture(unspliced(out));
    }

    private static CompletableFuture<Frames.SplicedFrame> close(String reason) {
        return CompletableFuture.failedFuture(new CloseConnectionException(reason));
    }

    /** The request cannot be answered; the connection it came on must be closed. */
    public static final class CloseConnectionException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public CloseConnectionException(String reason) {
            super(reason, null, false, false);
        }
    }
}
