package dev.sluice.broker.cluster;

import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Sends Kafka requests from this broker to other brokers: replica fetches, and whatever else one
 * broker asks another. One connection per peer, opened on first use, kept open and pipelined;
 * each learns the peer's API versions with ApiVersions once, and every request goes out at the
 * highest version both sides speak unless the caller names one. Requests carry the client id
 * {@code sluice-broker-<node id>}.
 *
 * <p>Peers are known by node id; {@link #updateNode} tells the client where a node listens (as
 * brokers register or move) and {@link #removeNode} forgets it. A request to a node whose
 * connection is down waits for the reconnect (with back-off) within its timeout. Failures arrive
 * on the returned future: {@link PeerDisconnectedException} when the connection closed before the
 * answer, {@link java.util.concurrent.TimeoutException} when the answer did not come in time (the
 * connection is then closed, as Kafka does), {@link dev.sluice.wire.codec.UnsupportedVersionException}
 * when the two brokers share no version of the API, and the node's {@link PeerListener} hears of
 * every connection that closes or cannot open.
 *
 * <p>Threading: every method may be called from any thread. Each peer's state lives on one event
 * loop of a small group shared by all peers (epoll where available, as the broker's server), and
 * futures complete on that loop: callers must not block in dependent actions, and should hop to
 * their own executor for real work. A request message is handed over by {@code send}: the caller
 * must not change it afterwards.
 */
public final class InterBrokerClient implements AutoCloseable {
    private final InterBrokerSettings settings;
    private final PeerListener listener;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final Map<Integer, PeerConnection> peers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public InterBrokerClient(InterBrokerSettings settings, PeerListener listener) {
        this.settings = settings;
        this.listener = listener;
        boolean epoll = Epoll.isAvailable();
        DefaultThreadFactory threads = new DefaultThreadFactory("sluice-interbroker", true);
        this.group = epoll ? new EpollEventLoopGroup(settings.threads(), threads)
            : new NioEventLoopGroup(settings.threads(), threads);
        this.bootstrap = new Bootstrap()
            .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()));
    }

    /** A client whose connections nobody listens to. */
    public InterBrokerClient(InterBrokerSettings settings) {
        this(settings, (nodeId, cause) -> { });
    }

    public InterBrokerSettings settings() {
        return settings;
    }

    /**
     * Where {@code nodeId} listens for inter-broker traffic. A new node is added; a node that
     * moved has its open connection closed (requests on it fail), and the next request connects
     * to the new address.
     */
    public void updateNode(int nodeId, String host, int port) {
        if (closed) {
            throw new IllegalStateException("the inter-broker client is closed");
        }
        PeerConnection existing = peers.get(nodeId);
        if (existing != null) {
            existing.loop().execute(() -> existing.moveTo(host, port));
            return;
        }
        PeerConnection created = new PeerConnection(nodeId, host, port, settings, group.next(), bootstrap, listener);
        PeerConnection raced = peers.putIfAbsent(nodeId, created);
        if (raced != null) {
            raced.loop().execute(() -> raced.moveTo(host, port));
        }
    }

    /** Forgets {@code nodeId}: its connection closes and its waiting and in-flight requests fail. */
    public void removeNode(int nodeId) {
        PeerConnection peer = peers.remove(nodeId);
        if (peer != null) {
            peer.loop().execute(() -> peer.close("node " + nodeId + " was removed"));
        }
    }

    /** Sends {@code request} at the highest version both sides speak, with the default timeout. */
    public <R extends ApiMessage> CompletableFuture<R> send(int nodeId, ApiMessage request) {
        return send(nodeId, request, (short) -1, settings.requestTimeout());
    }

    /**
     * Sends {@code request} to {@code nodeId}.
     *
     * @param version the version to send, which both sides must speak; -1 for the highest they share
     * @param timeout how long the answer may take from now, connecting and negotiating included;
     *                a fetch that long-polls needs its wait on top of the usual timeout
     * @return the response, of the class {@code request.apiKey().newResponse()} creates; the caller
     *         names it as {@code R}
     */
    @SuppressWarnings("unchecked")
    public <R extends ApiMessage> CompletableFuture<R> send(int nodeId, ApiMessage request, short version, Duration timeout) {
        CompletableFuture<ApiMessage> future = new CompletableFuture<>();
        PeerConnection peer = peers.get(nodeId);
        if (closed) {
            future.completeExceptionally(new PeerDisconnectedException(nodeId, "the inter-broker client is closed", null));
        } else if (peer == null) {
            future.completeExceptionally(new PeerDisconnectedException(nodeId, "node " + nodeId + " has no known address", null));
        } else if (LinkFaults.isCut(settings.nodeId(), nodeId)) {
            future.completeExceptionally(new PeerDisconnectedException(nodeId, "the link to node " + nodeId + " is cut", null));
        } else {
            long timeoutMs = Math.max(1, timeout.toMillis());
            try {
                peer.loop().execute(() -> peer.submit(request, version, timeoutMs, future));
            } catch (RejectedExecutionException e) {
                // close() raced this call and the loops are gone.
                future.completeExceptionally(new PeerDisconnectedException(nodeId, "the inter-broker client is closed", e));
            }
        }
        return (CompletableFuture<R>) future;
    }

    /**
     * The highest version of {@code key} this broker and {@code nodeId} both speak, once a
     * connection to it has negotiated; empty before that, after it dropped, or when there is none.
     * A caller that shapes its request by version (a fetch's replica state, say) asks here first.
     */
    public CompletableFuture<Optional<Short>> usableVersion(int nodeId, ApiKey key) {
        PeerConnection peer = peers.get(nodeId);
        if (peer == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<Optional<Short>> answer = new CompletableFuture<>();
        peer.loop().execute(() -> answer.complete(peer.usableVersion(key)));
        return answer;
    }

    /** Closes every connection (their requests fail) and stops the event loops; waits up to a few seconds. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Map.Entry<Integer, PeerConnection> e : peers.entrySet()) {
            PeerConnection peer = e.getValue();
            peer.loop().execute(() -> peer.close("the inter-broker client closed"));
        }
        peers.clear();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
