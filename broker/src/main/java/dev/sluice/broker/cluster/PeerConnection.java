package dev.sluice.broker.cluster;

import dev.sluice.broker.security.sasl.SaslAuthenticationException;
import dev.sluice.broker.security.sasl.SaslClientExchange;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.ApiVersionsRequest;
import dev.sluice.wire.message.ApiVersionsResponse;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.RequestHeader;
import dev.sluice.wire.message.SaslAuthenticateRequest;
import dev.sluice.wire.message.SaslAuthenticateResponse;
import dev.sluice.wire.message.SaslHandshakeRequest;
import dev.sluice.wire.message.SaslHandshakeResponse;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one connection to one other broker: a state machine that opens it on demand (with a TLS
 * handshake when the inter-broker listener uses TLS), learns the peer's API versions with
 * ApiVersions, authenticates with SaslHandshake and SaslAuthenticate when the listener uses SASL,
 * then sends requests pipelined and matches responses by correlation id.
 *
 * <pre>
 *   IDLE ──send──▶ CONNECTING ──tcp (+tls) up──▶ NEGOTIATING ──ApiVersions (+SASL)──▶ READY
 *     ▲                 │                             │                               │
 *     └──back-off── BACKOFF ◀─────────── closed, refused, timed out ──────────────────┘
 * </pre>
 *
 * <p>A SASL session the peer limits (KIP-368's session lifetime) is renewed before it ends: at
 * 85% of it, new requests wait, and once those on the wire are answered the connection is
 * replaced by a freshly authenticated one, with no back-off and nothing failed.
 *
 * <p>Requests that arrive before READY wait in order and go out once the versions are known. When
 * the connection closes, every request sent on it and every waiting one fails with a
 * {@link PeerDisconnectedException}; the next request reconnects once the back-off has passed
 * (50 ms doubling to 1 s with ±20% jitter, reset by a connection that reaches READY). A request
 * that gets no answer within its timeout fails with a {@link TimeoutException} and, as in Kafka,
 * takes the connection down with it: a peer that does not answer one request is not trusted with
 * the others.
 *
 * <p>Not thread-safe: every method runs on {@link #loop}, the one event loop this peer's channels
 * are registered on. Futures complete there too.
 */
final class PeerConnection {
    private static final Logger log = LoggerFactory.getLogger(PeerConnection.class);

    private enum State { IDLE, CONNECTING, NEGOTIATING, READY, BACKOFF, CLOSED }

    private static final short API_VERSIONS_VERSION =
        (short) Math.min(ApiVersionsRequest.HIGHEST_SUPPORTED_VERSION, ApiKey.API_VERSIONS.highestVersion());
    /** SaslHandshake v1: the tokens then travel in SaslAuthenticate requests (v0 would send them bare). */
    private static final short SASL_HANDSHAKE_VERSION = 1;
    /** When a SASL session the peer limits is renewed, as a share of its lifetime. */
    private static final double RENEW_AT = 0.85;

    /** The versions of one API both sides speak. */
    private record VersionRange(short min, short max) {
    }

    /** One request, from {@code send} until its future completes. Confined to the loop. */
    private static final class Call {
        final ApiMessage request;
        final ApiKey key;
        /** The version asked for, or -1 for the highest both sides speak. */
        final short requestedVersion;
        final long timeoutMs;
        final CompletableFuture<ApiMessage> future;
        /** Part of setting the connection up (ApiVersions, SASL), answered to the connection itself. */
        final boolean negotiation;
        ScheduledFuture<?> timer;
        short version;
        int correlationId = -1;

        Call(ApiMessage request, short requestedVersion, long timeoutMs, CompletableFuture<ApiMessage> future,
             boolean negotiation) {
            this.request = request;
            this.key = request.apiKey();
            this.requestedVersion = requestedVersion;
            this.timeoutMs = timeoutMs;
            this.future = future;
            this.negotiation = negotiation;
        }
    }

    private final int nodeId;
    private final InterBrokerSettings settings;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final PeerListener listener;

    private String host;
    private int port;
    private State state = State.IDLE;
    private Channel channel;
    /** Why this side is closing the current channel; null while it is not. */
    private Throwable closeCause;
    private final ArrayDeque<Call> waiting = new ArrayDeque<>();
    private final Map<Integer, Call> inFlight = new LinkedHashMap<>();
    private Map<ApiKey, VersionRange> versions = Map.of();
    private int nextCorrelationId;
    private int failures;
    private ScheduledFuture<?> reconnectTimer;
    /** This connection's SASL exchange while it authenticates; null otherwise. */
    private SaslClientExchange sasl;
    /** Set once the SASL session is near its end: new requests wait for the next connection. */
    private boolean renewing;
    private ScheduledFuture<?> renewTimer;

    PeerConnection(int nodeId, String host, int port, InterBrokerSettings settings, EventLoop loop, Bootstrap bootstrap,
                   PeerListener listener) {
        this.nodeId = nodeId;
        this.host = host;
        this.port = port;
        this.settings = settings;
        this.loop = loop;
        this.bootstrap = bootstrap;
        this.listener = listener;
    }

    EventLoop loop() {
        return loop;
    }

    String address() {
        return host + ":" + port;
    }

    /** Queues or sends {@code request}; completes {@code future} with the response or the failure. */
    void submit(ApiMessage request, short version, long timeoutMs, CompletableFuture<ApiMessage> future) {
        if (state == State.CLOSED) {
            future.completeExceptionally(new PeerDisconnectedException(nodeId,
                "no connection to node " + nodeId + ": it was removed or the client closed", null));
            return;
        }
        Call call = new Call(request, version, timeoutMs, future, false);
        call.timer = loop.schedule(() -> timedOut(call), timeoutMs, TimeUnit.MILLISECONDS);
        switch (state) {
            case READY -> {
                if (renewing) {
                    waiting.add(call);
                } else {
                    dispatch(call);
                }
            }
            case IDLE -> {
                waiting.add(call);
                connect();
            }
            default -> waiting.add(call);
        }
    }

    /** The versions of {@code key} both sides speak, highest first; empty until connected and for APIs one side lacks. */
    Optional<Short> usableVersion(ApiKey key) {
        VersionRange range = versions.get(key);
        return range == null ? Optional.empty() : Optional.of(range.max());
    }

    boolean isReady() {
        return state == State.READY;
    }

    /**
     * Points the peer at a new address. A connection to the old one is dropped at once (requests
     * on it fail), so that requests from now on wait for, and go to, the new one. Not a failure:
     * the listener is not told.
     */
    void moveTo(String newHost, int newPort) {
        if (newHost.equals(host) && newPort == port) {
            return;
        }
        String old = address();
        host = newHost;
        port = newPort;
        replaceConnection(new PeerDisconnectedException(nodeId, "node " + nodeId + " moved from " + old + " to "
            + address() + " before the response arrived", null));
    }

    /**
     * Drops the current connection without counting a failure (its in-flight requests fail with
     * {@code inFlightFailure}) and opens the next at once if requests wait.
     */
    private void replaceConnection(Throwable inFlightFailure) {
        if (channel == null) {
            return;
        }
        Channel previous = channel;
        channel = null;
        versions = Map.of();
        endSession();
        state = State.IDLE;
        failInFlight(inFlightFailure);
        previous.close();
        if (!waiting.isEmpty()) {
            connect();
        }
    }

    /** Forgets the SASL state of the connection that is going away. */
    private void endSession() {
        sasl = null;
        renewing = false;
        if (renewTimer != null) {
            renewTimer.cancel(false);
            renewTimer = null;
        }
    }

    /** Closes for good: waiting and in-flight requests fail, and nothing reconnects. */
    void close(String why) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        endSession();
        if (reconnectTimer != null) {
            reconnectTimer.cancel(false);
        }
        PeerDisconnectedException failure = new PeerDisconnectedException(nodeId, why, null);
        failAll(failure);
        if (channel != null) {
            closeOnFailure(new IOException(why));
        }
    }

    // ------------------------------------------------------------------ connection life cycle

    private void connect() {
        state = State.CONNECTING;
        PeerSecurity security = settings.security();
        SslHandler[] tls = new SslHandler[1];
        ChannelFuture connecting = bootstrap.clone(loop).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (security.tls() != null) {
                    tls[0] = security.tls().newHandler(ch.alloc(), host, port);
                    if (security.verifyHostname()) {
                        SSLEngine engine = tls[0].engine();
                        SSLParameters parameters = engine.getSSLParameters();
                        parameters.setEndpointIdentificationAlgorithm("HTTPS");
                        engine.setSSLParameters(parameters);
                    }
                    ch.pipeline().addLast(tls[0]);
                }
                ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(settings.maxResponseBytes(), 0, Frames.SIZE_PREFIX,
                    0, Frames.SIZE_PREFIX));
                ch.pipeline().addLast(new ResponseReader());
            }
        }).connect(host, port);
        Channel ch = connecting.channel();
        channel = ch;
        closeCause = null;
        connecting.addListener(f -> {
            if (!f.isSuccess() || ch != channel || state != State.CONNECTING) {
                return;
            }
            if (tls[0] == null) {
                negotiate(API_VERSIONS_VERSION);
                return;
            }
            tls[0].handshakeFuture().addListener(handshake -> {
                if (ch != channel || state != State.CONNECTING) {
                    return;
                }
                if (handshake.isSuccess()) {
                    negotiate(API_VERSIONS_VERSION);
                } else {
                    closeOnFailure(new IOException("TLS handshake failed: " + handshake.cause().getMessage(),
                        handshake.cause()));
                }
            });
        });
        ch.closeFuture().addListener(f -> closed(ch, connecting));
    }

    /** Sends ApiVersions ahead of anything else; the connection is READY once it is answered (and SASL done). */
    private void negotiate(short version) {
        state = State.NEGOTIATING;
        setUp(new ApiVersionsRequest().setClientSoftwareName("sluice-broker").setClientSoftwareVersion(softwareVersion()),
            version);
    }

    /** Sends one request of the connection's set-up; its answer comes back to {@link #setUpAnswered}. */
    private void setUp(ApiMessage request, short version) {
        Call call = new Call(request, version, settings.requestTimeout().toMillis(), new CompletableFuture<>(), true);
        call.timer = loop.schedule(() -> timedOut(call), call.timeoutMs, TimeUnit.MILLISECONDS);
        write(call, version);
    }

    private void setUpAnswered(Call call, ApiMessage response) {
        switch (call.key) {
            case API_VERSIONS -> negotiated(call, (ApiVersionsResponse) response);
            case SASL_HANDSHAKE -> handshaken((SaslHandshakeResponse) response);
            case SASL_AUTHENTICATE -> authenticated((SaslAuthenticateResponse) response);
            default -> closeOnFailure(new IllegalStateException("no set-up step answers " + call.key.displayName()));
        }
    }

    private void negotiated(Call call, ApiVersionsResponse response) {
        ErrorCode error = ErrorCode.forCode(response.errorCode());
        if (error == ErrorCode.UNSUPPORTED_VERSION) {
            // KIP-511: the peer answers in v0 with the range it does speak; ask again within it.
            for (ApiVersionsResponse.ApiVersion v : response.apiKeys()) {
                if (v.apiKey() == ApiKey.API_VERSIONS.id() && v.maxVersion() < call.version && v.maxVersion() >= 0) {
                    negotiate(v.maxVersion());
                    return;
                }
            }
        }
        if (error != ErrorCode.NONE) {
            closeOnFailure(new PeerDisconnectedException(nodeId, "node " + nodeId + " (" + address()
                + ") answered ApiVersions with " + error, null));
            return;
        }
        Map<ApiKey, VersionRange> ranges = new EnumMap<>(ApiKey.class);
        for (ApiVersionsResponse.ApiVersion v : response.apiKeys()) {
            ApiKey.forId(v.apiKey()).ifPresent(key -> {
                ApiMessage ours = key.newRequest();
                short ourMax = ours.highestSupportedVersion();
                if (key.latestVersionUnstable() && ourMax == key.highestVersion()) {
                    ourMax--;
                }
                short min = (short) Math.max(ours.lowestSupportedVersion(), v.minVersion());
                short max = (short) Math.min(ourMax, v.maxVersion());
                if (min <= max) {
                    ranges.put(key, new VersionRange(min, max));
                }
            });
        }
        versions = ranges;
        if (settings.security().sasl() != null) {
            startSasl();
            return;
        }
        ready(0);
    }

    // ------------------------------------------------------------------ SASL

    private void startSasl() {
        sasl = settings.security().sasl().get();
        if (!versions.containsKey(ApiKey.SASL_HANDSHAKE) || !versions.containsKey(ApiKey.SASL_AUTHENTICATE)
                || versions.get(ApiKey.SASL_HANDSHAKE).max() < SASL_HANDSHAKE_VERSION) {
            closeOnFailure(new PeerDisconnectedException(nodeId, "node " + nodeId + " (" + address()
                + ") does not speak SaslHandshake v1 and SaslAuthenticate", null));
            return;
        }
        setUp(new SaslHandshakeRequest().setMechanism(sasl.mechanism()), SASL_HANDSHAKE_VERSION);
    }

    private void handshaken(SaslHandshakeResponse response) {
        ErrorCode error = ErrorCode.forCode(response.errorCode());
        if (error != ErrorCode.NONE) {
            closeOnFailure(new PeerDisconnectedException(nodeId, "node " + nodeId + " (" + address() + ") refused SASL "
                + "mechanism " + sasl.mechanism() + " with " + error + "; it offers " + response.mechanisms(), null));
            return;
        }
        authenticate(sasl.first());
    }

    private void authenticate(byte[] token) {
        setUp(new SaslAuthenticateRequest().setAuthBytes(token), versions.get(ApiKey.SASL_AUTHENTICATE).max());
    }

    private void authenticated(SaslAuthenticateResponse response) {
        ErrorCode error = ErrorCode.forCode(response.errorCode());
        if (error != ErrorCode.NONE) {
            closeOnFailure(new PeerDisconnectedException(nodeId, "node " + nodeId + " (" + address() + ") refused this "
                + "broker's " + sasl.mechanism() + " authentication: " + error
                + (response.errorMessage() == null ? "" : " (" + response.errorMessage() + ")"), null));
            return;
        }
        byte[] next;
        try {
            next = sasl.respond(response.authBytes());
        } catch (SaslAuthenticationException e) {
            closeOnFailure(new PeerDisconnectedException(nodeId, "node " + nodeId + " (" + address() + "): "
                + e.getMessage(), null));
            return;
        }
        if (next != null) {
            authenticate(next);
        } else if (sasl.isComplete()) {
            sasl = null;
            ready(response.sessionLifetimeMs());
        } else {
            closeOnFailure(new PeerDisconnectedException(nodeId, "node " + nodeId + " (" + address()
                + ") ended the SASL exchange before it was complete", null));
        }
    }

    /** At {@link #RENEW_AT} of the session: hold new requests, and replace the connection once the wire is quiet. */
    private void renew(Channel ch) {
        renewTimer = null;
        if (ch != channel || state != State.READY) {
            return;
        }
        renewing = true;
        renewIfQuiet();
    }

    private void renewIfQuiet() {
        if (renewing && inFlight.isEmpty()) {
            log.debug("Renewing the SASL session with node {} at {}", nodeId, address());
            replaceConnection(new IllegalStateException("no request is in flight"));
        }
    }

    // ------------------------------------------------------------------ ready

    /** The connection is set up: waiting requests go out; a session lifetime above 0 is renewed before it ends. */
    private void ready(long sessionLifetimeMs) {
        state = State.READY;
        failures = 0;
        if (sessionLifetimeMs > 0) {
            Channel ch = channel;
            renewTimer = loop.schedule(() -> renew(ch), (long) (sessionLifetimeMs * RENEW_AT), TimeUnit.MILLISECONDS);
        }
        log.debug("Connected to node {} at {}", nodeId, address());
        listener.connected(nodeId);
        List<Call> ready = new ArrayList<>(waiting);
        waiting.clear();
        for (Call c : ready) {
            if (state != State.READY) {
                waiting.add(c);
            } else {
                dispatch(c);
            }
        }
    }

    private void closed(Channel ch, ChannelFuture connecting) {
        if (ch != channel) {
            return;
        }
        channel = null;
        versions = Map.of();
        endSession();
        Throwable cause = closeCause != null ? closeCause
            : connecting.cause() != null ? connecting.cause()
            : new IOException("connection closed by the peer");
        String message = (state == State.CONNECTING ? "could not connect to node " : "connection to node ") + nodeId
            + " (" + address() + ")" + (state == State.CONNECTING ? "" : " closed") + ": " + cause.getMessage();
        PeerDisconnectedException failure = new PeerDisconnectedException(nodeId, message, cause);
        failAll(failure);
        if (state == State.CLOSED) {
            return;
        }
        failures++;
        long backoff = backoffMs(failures);
        log.info("{}; next attempt in {} ms at the earliest", message, backoff);
        state = State.BACKOFF;
        reconnectTimer = loop.schedule(() -> {
            reconnectTimer = null;
            if (state == State.BACKOFF) {
                state = State.IDLE;
                if (!waiting.isEmpty()) {
                    connect();
                }
            }
        }, backoff, TimeUnit.MILLISECONDS);
        listener.disconnected(nodeId, cause);
    }

    /** Kafka's exponential back-off: base × 2^(failures-1), capped, with ±20% jitter so peers do not reconnect in step. */
    private long backoffMs(int failureCount) {
        long base = settings.reconnectBackoff().toMillis();
        long max = settings.reconnectBackoffMax().toMillis();
        double exp = base * Math.pow(2, Math.min(failureCount - 1, 30));
        double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
        return (long) Math.min(max, exp * jitter);
    }

    private void closeOnFailure(Throwable cause) {
        if (channel == null) {
            return;
        }
        if (closeCause == null) {
            closeCause = cause;
        }
        channel.close();
    }

    private void failAll(Throwable failure) {
        failInFlight(failure);
        List<Call> failed = new ArrayList<>(waiting);
        waiting.clear();
        for (Call call : failed) {
            fail(call, failure);
        }
    }

    private void failInFlight(Throwable failure) {
        List<Call> failed = new ArrayList<>(inFlight.values());
        inFlight.clear();
        for (Call call : failed) {
            fail(call, failure);
        }
    }

    // ------------------------------------------------------------------ requests and responses

    private void dispatch(Call call) {
        short version = call.requestedVersion;
        VersionRange range = versions.get(call.key);
        if (range == null) {
            fail(call, new UnsupportedVersionException("node " + nodeId + " (" + address() + ") and this broker share no version of "
                + call.key.displayName()));
            return;
        }
        if (version < 0) {
            version = range.max();
        } else if (version < range.min() || version > range.max()) {
            fail(call, new UnsupportedVersionException(call.key.displayName() + " v" + version + " is not spoken by both node "
                + nodeId + " and this broker (" + range.min() + "-" + range.max() + ")"));
            return;
        }
        write(call, version);
    }

    private void write(Call call, short version) {
        call.version = version;
        call.correlationId = nextCorrelationId++;
        if (nextCorrelationId < 0) {
            nextCorrelationId = 0;
        }
        RequestHeader header = new RequestHeader()
            .setRequestApiKey(call.key.id())
            .setRequestApiVersion(version)
            .setCorrelationId(call.correlationId)
            .setClientId(settings.clientId());
        ByteBuffer frame;
        try {
            frame = Frames.writeRequest(header, call.request);
        } catch (RuntimeException e) {
            // A request the chosen version cannot carry fails alone; the connection is fine.
            fail(call, e);
            if (call.negotiation) {
                closeOnFailure(e);
            }
            return;
        }
        inFlight.put(call.correlationId, call);
        Channel ch = channel;
        ch.writeAndFlush(Unpooled.wrappedBuffer(frame)).addListener(f -> {
            if (!f.isSuccess() && ch == channel) {
                closeOnFailure(f.cause());
            }
        });
    }

    private void received(Channel ch, ByteBuffer frame) {
        if (ch != channel) {
            return;
        }
        int correlationId = frame.getInt(frame.position());
        Call call = inFlight.remove(correlationId);
        if (call == null) {
            closeOnFailure(new IllegalStateException("node " + nodeId + " (" + address()
                + ") answered correlation id " + correlationId + ", which no request here carries"));
            return;
        }
        ApiMessage response;
        try {
            response = decode(call, frame);
        } catch (RuntimeException e) {
            // The stream can no longer be trusted to be in step: fail this and drop the connection.
            fail(call, e);
            closeOnFailure(new IllegalStateException("undecodable " + call.key.displayName() + " v" + call.version
                + " response from node " + nodeId + ": " + e.getMessage(), e));
            return;
        }
        call.timer.cancel(false);
        if (call.negotiation) {
            setUpAnswered(call, response);
            return;
        }
        call.future.complete(response);
        renewIfQuiet();
    }

    private ApiMessage decode(Call call, ByteBuffer frame) {
        int start = frame.position();
        Frames.readResponseHeader(frame, call.key, call.version);
        int bodyStart = frame.position();
        ApiMessage body = call.key.newResponse();
        try {
            body.read(new ByteReader(frame), call.version);
        } catch (RuntimeException e) {
            if (call.key != ApiKey.API_VERSIONS || call.version == 0) {
                throw e;
            }
            // A peer that does not speak the version asked answers ApiVersions in v0 (KIP-511).
            frame.position(bodyStart);
            body = call.key.newResponse();
            body.read(new ByteReader(frame), (short) 0);
        }
        return body;
    }

    private void timedOut(Call call) {
        if (call.future.isDone()) {
            return;
        }
        if (call.correlationId >= 0 && inFlight.get(call.correlationId) == call) {
            inFlight.remove(call.correlationId);
            TimeoutException timeout = new TimeoutException(call.key.displayName() + " v" + call.version + " request "
                + call.correlationId + " to node " + nodeId + " (" + address() + ") got no response within "
                + call.timeoutMs + " ms");
            fail(call, timeout);
            closeOnFailure(timeout);
        } else {
            waiting.remove(call);
            fail(call, new TimeoutException(call.key.displayName() + " request to node " + nodeId + " (" + address()
                + ") was not sent within " + call.timeoutMs + " ms: the connection is " + describeState()));
        }
    }

    private String describeState() {
        return switch (state) {
            case IDLE, BACKOFF -> "down, waiting to reconnect";
            case CONNECTING -> "still opening";
            case NEGOTIATING -> "being set up (ApiVersions" + (settings.security().sasl() != null ? ", SASL)" : ")");
            case READY -> renewing ? "renewing its SASL session" : "up";
            case CLOSED -> "closed";
        };
    }

    private static void fail(Call call, Throwable failure) {
        if (call.timer != null) {
            call.timer.cancel(false);
        }
        call.future.completeExceptionally(failure);
    }

    private static String softwareVersion() {
        String v = PeerConnection.class.getPackage().getImplementationVersion();
        // The schema allows letters, digits, '.', '-' only; a development build has no manifest version.
        return v == null ? "dev" : v.replaceAll("[^A-Za-z0-9.-]", "-");
    }

    /** Hands each response frame to the peer, and turns pipeline failures into a close with a cause. */
    private final class ResponseReader extends SimpleChannelInboundHandler<ByteBuf> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            ByteBuffer frame = ByteBuffer.allocate(msg.readableBytes());
            msg.readBytes(frame);
            received(ctx.channel(), frame.flip());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (ctx.channel() == channel) {
                closeOnFailure(cause);
            } else {
                ctx.close();
            }
        }
    }
}
