package dev.sluice.broker.network;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.Listener;
import dev.sluice.broker.config.SecurityConfigKeys;
import dev.sluice.broker.handler.RequestDispatcher;
import dev.sluice.broker.quota.ClientQuotas;
import dev.sluice.broker.quota.WindowedRate;
import dev.sluice.broker.security.SaslMechanisms;
import dev.sluice.broker.security.SecurityProtocol;
import dev.sluice.broker.security.SslPrincipalMapper;
import dev.sluice.broker.security.TlsContexts;
import dev.sluice.broker.security.sasl.DelegationTokens;
import dev.sluice.broker.security.sasl.ScramCredentials;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka protocol listeners: one server socket per configured listener, served by a shared
 * group of event loops (native epoll where the platform has it). Each connection's pipeline is
 * idle timer, TLS (on SSL and SASL_SSL listeners), {@link FrameDecoder}, {@link ConnectionHandler}
 * (with a {@link SaslAuthenticator} on SASL listeners). The event loops only decode requests
 * and encode responses: handlers run their disk and object-store work on pools of their own.
 * Request memory is bounded broker-wide by {@link RequestMemory}, connections by
 * {@link ConnectionTracker}.
 */
public final class NetworkServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NetworkServer.class);
    private static final RejectionLog acceptFailures = new RejectionLog(log);

    private final BrokerConfig config;
    private final RequestDispatcher dispatcher;
    private final ScramCredentials scram;
    private final DelegationTokens tokens;
    private final ConnectionTracker tracker;
    private final RequestMemory memory;
    private final List<Channel> serverChannels = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** New connections per second over every listener but the inter-broker one. */
    private final WindowedRate brokerRate;
    private final double brokerBound;
    private final java.util.concurrent.atomic.AtomicLong throttledAccepts = new java.util.concurrent.atomic.AtomicLong();
    private EventLoopGroup acceptors;
    private EventLoopGroup workers;

    public NetworkServer(BrokerConfig config, RequestDispatcher dispatcher) {
        this(config, dispatcher, (user, mechanism) -> java.util.Optional.empty(),
            (tokenId, mechanism) -> java.util.Optional.empty());
    }

    /**
     * @param scram where SCRAM exchanges on SASL listeners find users' credentials
     * @param tokens where they find delegation tokens
     */
    public NetworkServer(BrokerConfig config, RequestDispatcher dispatcher, ScramCredentials scram,
                         DelegationTokens tokens) {
        this.config = config;
        this.dispatcher = dispatcher;
        this.scram = scram;
        this.tokens = tokens;
        this.memory = new RequestMemory(config.queuedMaxRequestBytes());
        this.tracker = new ConnectionTracker(limits(config));
        this.brokerRate = newRate();
        this.brokerBound = config.getInt(BrokerConfigKeys.MAX_CONNECTION_CREATION_RATE);
    }

    private static ConnectionTracker.Limits limits(BrokerConfig config) {
        String overrides = config.getString(BrokerConfigKeys.MAX_CONNECTIONS_PER_IP_OVERRIDES);
        try {
            return new ConnectionTracker.Limits(config.getInt(BrokerConfigKeys.MAX_CONNECTIONS),
                config.getInt(BrokerConfigKeys.MAX_CONNECTIONS_PER_IP), ConnectionTracker.Limits.parseOverrides(overrides));
        } catch (IllegalArgumentException e) {
            throw new dev.sluice.broker.config.ConfigException(BrokerConfigKeys.MAX_CONNECTIONS_PER_IP_OVERRIDES, overrides,
                e.getMessage());
        }
    }

    /**
     * Counts connections as one listener accepts them, on the accepting thread: reaching
     * {@code max.connections} stops every listener before it accepts another (new connections wait
     * in the backlog, as in Kafka), and the first close below the limit resumes them. Past
     * {@code max.connection.creation.rate} (the listener's own, or the broker's, which the
     * inter-broker listener is exempt from) this listener waits until the rate is back within it
     * before it accepts the next (KIP-612).
     */
    private final class AcceptLimit extends ChannelInboundHandlerAdapter {
        private final WindowedRate listenerRate;
        private final double listenerBound;
        private final boolean countsForBroker;
        /** Until when (System.nanoTime) this listener waits for its creation rate; 0 when it does not. */
        private volatile long pausedUntil;

        AcceptLimit(double listenerBound, boolean countsForBroker) {
            this.listenerRate = newRate();
            this.listenerBound = listenerBound;
            this.countsForBroker = countsForBroker;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            if (!tracker.accepted()) {
                accepting(false);
            }
            child.closeFuture().addListener(f -> {
                if (tracker.acceptedClosed()) {
                    accepting(true);
                }
            });
            long now = System.currentTimeMillis();
            long wait = listenerRate.recordAndThrottleMs(1, now, listenerBound);
            if (countsForBroker) {
                wait = Math.max(wait, brokerRate.recordAndThrottleMs(1, now, brokerBound));
            }
            if (wait > 0) {
                Channel server = ctx.channel();
                pausedUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait);
                server.config().setAutoRead(false);
                server.eventLoop().schedule(() -> {
                    pausedUntil = 0;
                    server.config().setAutoRead(tracker.belowLimit());
                }, wait, TimeUnit.MILLISECONDS);
                throttledAccepts.incrementAndGet();
            }
            ctx.fireChannelRead(msg);
        }

        boolean paused() {
            return pausedUntil != 0;
        }

        /**
         * An accept failed, most likely for want of file descriptors: the listener pauses a
         * second (or it would spin on the same failure), and one line says so without a stack trace.
         */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            acceptFailures.warn("cannot accept connections on {} for a second: {}", ctx.channel().localAddress(),
                cause.toString());
            Channel server = ctx.channel();
            server.config().setAutoRead(false);
            server.eventLoop().schedule(() -> server.config().setAutoRead(tracker.belowLimit()), 1, TimeUnit.SECONDS);
        }
    }

    private void accepting(boolean accept) {
        for (Channel server : serverChannels) {
            AcceptLimit limit = server.pipeline().get(AcceptLimit.class);
            // Every listener shares the one accepting thread: from it the change is immediate.
            if (server.eventLoop().inEventLoop()) {
                server.config().setAutoRead(accept && tracker.belowLimit() && (limit == null || !limit.paused()));
            } else {
                server.eventLoop().execute(() -> server.config().setAutoRead(tracker.belowLimit()
                    && (limit == null || !limit.paused())));
            }
        }
    }

    private WindowedRate newRate() {
        return new WindowedRate(config.getInt(SecurityConfigKeys.QUOTA_WINDOW_NUM),
            config.getInt(SecurityConfigKeys.QUOTA_WINDOW_SIZE_SECONDS) * 1000L);
    }

    /**
     * Enforces the clients' {@code connection_creation_rate} quotas (per ip) from now on: a
     * connection over its address's rate is closed once it has waited the throttle time.
     */
    public void throttleConnectionsWith(ClientQuotas quotas) {
        tracker.throttleWith(quotas);
    }

    /** Times a listener paused accepting for {@code max.connection.creation.rate}, since start. */
    public long throttledAccepts() {
        return throttledAccepts.get();
    }

    /** Binds every listener; returns them with the ports actually bound. */
    public List<Listener> start() throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        int threads = config.getInt(BrokerConfigKeys.NUM_NETWORK_THREADS);
        acceptors = epoll ? new EpollEventLoopGroup(1, new DefaultThreadFactory("sluice-accept", true))
            : new NioEventLoopGroup(1, new DefaultThreadFactory("sluice-accept", true));
        workers = epoll ? new EpollEventLoopGroup(threads, new DefaultThreadFactory("sluice-network", true))
            : new NioEventLoopGroup(threads, new DefaultThreadFactory("sluice-network", true));
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        int maxFrame = config.getInt(BrokerConfigKeys.SOCKET_REQUEST_MAX_BYTES);
        long idleMs = config.getLong(BrokerConfigKeys.CONNECTIONS_MAX_IDLE_MS);
        long receiveTimeoutMs = config.getLong(BrokerConfigKeys.REQUEST_RECEIVE_TIMEOUT_MS);
        int sendBuffer = config.getInt(BrokerConfigKeys.SOCKET_SEND_BUFFER_BYTES);
        int receiveBuffer = config.getInt(BrokerConfigKeys.SOCKET_RECEIVE_BUFFER_BYTES);

        List<Listener> bound = new ArrayList<>();
        String interBroker = config.interBrokerListenerName();
        for (Listener listener : config.brokerListeners()) {
            AcceptLimit acceptLimit = new AcceptLimit(
                ((Number) config.forListener(listener.name(), BrokerConfigKeys.MAX_CONNECTION_CREATION_RATE)).doubleValue(),
                !listener.name().equals(interBroker));
            SecurityProtocol protocol = SecurityProtocol.forName(listener.securityProtocol()).orElseThrow();
            SslContext tls = protocol.tls() ? TlsContexts.server(config, listener.name()) : null;
            SslPrincipalMapper certificateNames = protocol.tls() ? SslPrincipalMapper.parse(
                config.listenerString(listener.name(), SecurityConfigKeys.SSL_PRINCIPAL_MAPPING_RULES)) : null;
            SaslMechanisms sasl = protocol.sasl() ? SaslMechanisms.forListener(config, listener.name(), scram, tokens) : null;
            int saslMaxReceive = protocol.sasl()
                ? ((Number) config.forListener(listener.name(), SecurityConfigKeys.SASL_SERVER_MAX_RECEIVE_SIZE)).intValue()
                : -1;
            long maxReauthMs = ((Number) config.forListener(listener.name(),
                SecurityConfigKeys.CONNECTIONS_MAX_REAUTH_MS)).longValue();
            long failedAuthenticationDelayMs = ((Number) config.forListener(listener.name(),
                SecurityConfigKeys.CONNECTION_FAILED_AUTHENTICATION_DELAY_MS)).longValue();
            ServerBootstrap bootstrap = new ServerBootstrap().group(acceptors, workers).channel(channelType)
                .handler(acceptLimit)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                // Responses beyond this wait unsent: the connection stops reading requests until they drain.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (idleMs > 0) {
                            ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleMs, TimeUnit.MILLISECONDS));
                        }
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast("gate", ReadGate.install(ch));
                        ch.pipeline().addLast("frames", new FrameDecoder(maxFrame, memory, receiveTimeoutMs, saslMaxReceive));
                        ch.pipeline().addLast("requests", new ConnectionHandler(dispatcher, listener.name(), tracker, memory,
                            certificateNames, sasl == null ? null
                                : new SaslAuthenticator(sasl, maxReauthMs, System::currentTimeMillis),
                            failedAuthenticationDelayMs));
                    }
                });
            if (sendBuffer > 0) {
                bootstrap.childOption(ChannelOption.SO_SNDBUF, sendBuffer);
            }
            if (receiveBuffer > 0) {
                bootstrap.childOption(ChannelOption.SO_RCVBUF, receiveBuffer);
            }
            InetSocketAddress address = listener.host().isEmpty() ? new InetSocketAddress(listener.port())
                : new InetSocketAddress(listener.host(), listener.port());
            Channel channel = bootstrap.bind(address).sync().channel();
            serverChannels.add(channel);
            bound.add(listener.withPort(((InetSocketAddress) channel.localAddress()).getPort()));
        }
        return bound;
    }

    public int connectionCount() {
        return tracker.count();
    }

    /** Bytes of requests being received or served ({@code queued.max.request.bytes} in use). */
    public long requestBytesInUse() {
        return memory.used();
    }

    /** Connections closed on accept for exceeding {@code max.connections.per.ip}, since start. */
    public int refusedConnections() {
        return tracker.refusedCount();
    }

    /**
     * Stops accepting, stops reading new requests, lets in-flight requests finish (up to
     * {@code graceMs}), then closes every connection and the event loops.
     */
    public void shutdown(long graceMs) {
        for (Channel c : serverChannels) {
            c.close().awaitUninterruptibly();
        }
        for (Channel c : tracker.open()) {
            c.eventLoop().execute(() -> ReadGate.of(c).pause(ReadGate.Reason.SHUTDOWN));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        while (tracker.anyBusy() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (tracker.anyBusy() && graceMs > 0) {
            log.warn("closing connections with requests still in flight after {} ms", graceMs);
        }
        for (Channel c : tracker.open()) {
            c.close().awaitUninterruptibly();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            acceptors.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    @Override
    public void close() {
        shutdown(5_000);
    }
}
