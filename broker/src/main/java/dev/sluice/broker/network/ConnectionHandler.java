package dev.sluice.broker.network;

import dev.sluice.broker.LogSafe;
import dev.sluice.broker.handler.ConnectionLifetime;
import dev.sluice.broker.handler.RequestDispatcher.CloseConnectionException;
import dev.sluice.broker.handler.RequestDispatcher;
import dev.sluice.broker.security.AuthenticationMethod;
import dev.sluice.broker.security.KafkaPrincipal;
import dev.sluice.broker.security.SslPrincipalMapper;
import dev.sluice.storage.FileRecords;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.message.Frames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection. Requests are dispatched as they arrive (clients pipeline them), but
 * responses leave strictly in request order: each request takes a slot in a queue, and a finished
 * response is written only once every slot before it is done. Reading pauses while too many
 * requests are in flight, so one client cannot queue unbounded work, and while responses pile up
 * unsent (a client that does not read them). Each request holds its frame's reservation of
 * {@link RequestMemory} until its response is handed to the network, or the connection closes.
 * Work parked for the connection (waiting fetches) is let go when it closes.
 *
 * <p>Threading: every method runs on the channel's event loop; completions from other threads are
 * handed back to it.
 */
final class ConnectionHandler extends SimpleChannelInboundHandler<ByteBuffer> {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
    /** One client sending bad requests in a loop must not flood the log. */
    private static final RejectionLog rejections = new RejectionLog(log);
    private static final int MAX_IN_FLIGHT = 64;

    private final RequestDispatcher dispatcher;
    private final String listener;
    private final ConnectionTracker tracker;
    private final RequestMemory memory;
    private final ConnectionLifetime lifetime = new ConnectionLifetime();
    private final ArrayDeque<Slot> pending = new ArrayDeque<>();
    private final SslPrincipalMapper certificateNames;
    /** Whether the connection is encrypted: file slices cannot go to the socket directly then. */
    private final boolean tls;
    private final SaslAuthenticator sasl;
    private final long failedAuthenticationDelayMs;
    private boolean closing;
    /** Authentication failed: the connection only waits out its delay, then closes. */
    private boolean authenticationFailed;

    ConnectionHandler(RequestDispatcher dispatcher, String listener, ConnectionTracker tracker, RequestMemory memory) {
        this(dispatcher, listener, tracker, memory, null, null, 0);
    }

    /**
     * @param certificateNames on a TLS listener, how a client certificate's name becomes the
     *                         connection's principal; null on a plaintext one
     * @param sasl             on a SASL listener, the client's authentication; null elsewhere
     * @param failedAuthenticationDelayMs how long a connection whose authentication failed is held
     *                         before its error is sent and it closes
     *                         ({@code connection.failed.authentication.delay.ms}), so that guessing
     *                         passwords is slow
     */
    ConnectionHandler(RequestDispatcher dispatcher, String listener, ConnectionTracker tracker, RequestMemory memory,
                      SslPrincipalMapper certificateNames, SaslAuthenticator sasl, long failedAuthenticationDelayMs) {
        this.dispatcher = dispatcher;
        this.listener = listener;
        this.tracker = tracker;
        this.memory = memory;
        this.certificateNames = certificateNames;
        this.tls = certificateNames != null;
        this.sasl = sasl;
        this.failedAuthenticationDelayMs = failedAuthenticationDelayMs;
    }

    /** A request's place in the response order. */
    private static final class Slot {
        final int frameBytes;
        boolean done;
        Frames.SplicedFrame response;
        Throwable error;

        Slot(int frameBytes) {
            this.frameBytes = frameBytes;
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (!tracker.opened(ctx.channel())) {
            closing = true;
            ctx.close();
            return;
        }
        long throttled = tracker.creationThrottleMs(ctx.channel());
        if (throttled > 0) {
            closing = true;
            ctx.executor().schedule(() -> ctx.close(), throttled, TimeUnit.MILLISECONDS);
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuffer frame) {
        Slot slot = new Slot(frame.remaining());
        if (closing || authenticationFailed) {
            memory.release(slot.frameBytes);
            return;
        }
        pending.add(slot);
        tracker.received(ctx.channel());
        if (pending.size() >= MAX_IN_FLIGHT) {
            ReadGate.of(ctx.channel()).pause(ReadGate.Reason.IN_FLIGHT);
        }
        if (sasl != null && !authenticate(ctx, slot, frame)) {
            return;
        }
        CompletableFuture<Frames.SplicedFrame> result = dispatcher.dispatch(frame, ctx.channel().remoteAddress(), listener,
            lifetime);
        result.whenComplete((response, error) -> {
            if (ctx.executor().inEventLoop()) {
                complete(ctx, slot, response, error);
            } else {
                ctx.executor().execute(() -> complete(ctx, slot, response, error));
            }
        });
    }

    /**
     * Lets the SASL authenticator see {@code frame} first. Returns whether the frame is a request
     * to dispatch; otherwise its slot is answered (or the connection closed) here.
     */
    private boolean authenticate(ChannelHandlerContext ctx, Slot slot, ByteBuffer frame) {
        boolean before = sasl.authenticated();
        SaslAuthenticator.Outcome outcome = sasl.onFrame(frame.duplicate());
        if (outcome instanceof SaslAuthenticator.Outcome.Pass) {
            return true;
        }
        if (outcome instanceof SaslAuthenticator.Outcome.Respond respond) {
            if (!before && sasl.authenticated()) {
                lifetime.authenticated(sasl.principal(), sasl.method());
                FrameDecoder frames = ctx.pipeline().get(FrameDecoder.class);
                if (frames != null) {
                    frames.authenticated();
                }
            }
            complete(ctx, slot, new Frames.SplicedFrame(respond.frame(), java.util.List.of()), null);
        } else if (outcome instanceof SaslAuthenticator.Outcome.Fail fail) {
            // Logged without the exchange's bytes; the reason names the mechanism and Kafka's message.
            rejections.warn("authentication of {} on {} failed: {}", ctx.channel().remoteAddress(), listener,
                LogSafe.of(fail.reason()));
            authenticationFailed = true;
            ctx.executor().schedule(() -> {
                if (fail.frame() != null) {
                    complete(ctx, slot, new Frames.SplicedFrame(fail.frame(), java.util.List.of()), null);
                }
                closing = true;
                dropPending();
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            }, failedAuthenticationDelayMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        } else if (outcome instanceof SaslAuthenticator.Outcome.Close close) {
            closeWith(ctx, new CloseConnectionException(close.reason()));
        }
        return false;
    }

    private void complete(ChannelHandlerContext ctx, Slot slot, Frames.SplicedFrame response, Throwable error) {
        if (closing) {
            return;
        }
        slot.done = true;
        slot.response = response;
        slot.error = error;
        boolean wrote = false;
        while (!pending.isEmpty() && pending.peek().done) {
            Slot head = pending.poll();
            memory.release(head.frameBytes);
            if (head.error != null) {
                Throwable cause = head.error instanceof java.util.concurrent.CompletionException && head.error.getCause() != null
                    ? head.error.getCause() : head.error;
                closeWith(ctx, cause);
                break;
            }
            if (head.response != null) {
                write(ctx, head.response);
                wrote = true;
            }
        }
        if (wrote) {
            ctx.flush();
            holdWhileThrottled(ctx);
        }
        if (!closing && pending.size() < MAX_IN_FLIGHT / 2) {
            ReadGate.of(ctx.channel()).resume(ReadGate.Reason.IN_FLIGHT);
        }
        tracker.drained(ctx.channel(), pending.isEmpty());
    }

    /** Stops reading while a quota throttles this client (KIP-219: after its response is sent). */
    private void holdWhileThrottled(ChannelHandlerContext ctx) {
        long waitNanos = lifetime.throttledUntilNanos() - System.nanoTime();
        if (waitNanos > 0 && !closing) {
            ReadGate gate = ReadGate.of(ctx.channel());
            gate.pause(ReadGate.Reason.THROTTLED);
            ctx.executor().schedule(() -> {
                if (lifetime.throttledUntilNanos() - System.nanoTime() <= 0) {
                    gate.resume(ReadGate.Reason.THROTTLED);
                } else {
                    holdWhileThrottled(ctx);
                }
            }, waitNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Writes a response: the buffer's bytes, with each spliced segment slice sent from its file
     * at its place: by sendfile on plaintext connections, read into a pooled buffer for TLS to
     * encrypt on TLS ones.
     */
    private void write(ChannelHandlerContext ctx, Frames.SplicedFrame frame) {
        ByteBuffer buffer = frame.buffer();
        if (frame.splices().isEmpty()) {
            ctx.write(Unpooled.wrappedBuffer(buffer), ctx.voidPromise());
            return;
        }
        int from = buffer.position();
        for (ByteWriter.Splice splice : frame.splices()) {
            if (splice.position() > from) {
                ctx.write(Unpooled.wrappedBuffer(buffer.slice(from, splice.position() - from)), ctx.voidPromise());
            }
            if (splice.records() instanceof FileRecords file && !tls) {
                ctx.write(new SegmentRegion(file), ctx.voidPromise());
            } else if (tls) {
                int size = splice.records().sizeInBytes();
                ByteBuf copy = ctx.alloc().directBuffer(size);
                try {
                    splice.records().writeTo(copy.nioBuffer(0, size));
                    copy.writerIndex(size);
                } catch (RuntimeException e) {
                    copy.release();
                    throw e;
                }
                ctx.write(copy, ctx.voidPromise());
            } else {
                ByteBuffer copy = ByteBuffer.allocate(splice.records().sizeInBytes());
                splice.records().writeTo(copy);
                ctx.write(Unpooled.wrappedBuffer(copy.flip()), ctx.voidPromise());
            }
            from = splice.position();
        }
        if (buffer.limit() > from) {
            ctx.write(Unpooled.wrappedBuffer(buffer.slice(from, buffer.limit() - from)), ctx.voidPromise());
        }
    }

    private void closeWith(ChannelHandlerContext ctx, Throwable cause) {
        if (closing) {
            return;
        }
        closing = true;
        dropPending();
        if (cause instanceof CloseConnectionException) {
            // The reason may quote what the client sent (a header's strings): escaped like any client input.
            rejections.warn("closing connection from {} on {}: {}", ctx.channel().remoteAddress(), listener,
                LogSafe.of(cause.getMessage()));
        } else {
            log.error("closing connection from {} on {} after an unexpected failure", ctx.channel().remoteAddress(),
                listener, cause);
        }
        ctx.flush();
        ctx.close();
    }

    /** Gives back the memory of requests that will not be answered, and lets go of work parked for them. */
    private void dropPending() {
        for (Slot slot : pending) {
            memory.release(slot.frameBytes);
        }
        pending.clear();
        lifetime.close();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        ReadGate gate = ReadGate.of(ctx.channel());
        if (ctx.channel().isWritable()) {
            gate.resume(ReadGate.Reason.UNWRITABLE);
        } else {
            gate.pause(ReadGate.Reason.UNWRITABLE);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                authenticateByCertificate(ctx);
            } else {
                // Wrong protocol, no common cipher, an untrusted or missing client certificate.
                rejections.warn("TLS handshake with {} on {} failed: {}", ctx.channel().remoteAddress(), listener,
                    LogSafe.of(String.valueOf(handshake.cause().getMessage())));
                closing = true;
                ctx.close();
            }
            return;
        }
        if (event instanceof IdleStateEvent) {
            log.debug("closing idle connection from {}", ctx.channel().remoteAddress());
            closing = true;
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    /**
     * A client that presented a certificate is the user its distinguished name maps to; one that
     * did not (client authentication not required) stays anonymous, as in Kafka. A name no
     * mapping rule matches closes the connection.
     */
    private void authenticateByCertificate(ChannelHandlerContext ctx) {
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        try {
            java.security.cert.Certificate[] peer = tls.engine().getSession().getPeerCertificates();
            if (peer.length > 0 && peer[0] instanceof java.security.cert.X509Certificate x509) {
                String dn = x509.getSubjectX500Principal().getName();
                java.util.Optional<String> name = certificateNames.map(dn);
                if (name.isEmpty()) {
                    closeWith(ctx, new CloseConnectionException("no ssl.principal.mapping.rules rule matches the client"
                        + " certificate's name " + dn));
                    return;
                }
                lifetime.authenticated(KafkaPrincipal.user(name.get()), AuthenticationMethod.CERTIFICATE);
            }
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            // No client certificate: anonymous.
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closing) {
            return;
        }
        if (cause instanceof DecoderException && cause.getCause() instanceof FrameDecoder.OversizedFrameException) {
            closeWith(ctx, new CloseConnectionException(cause.getCause().getMessage()));
        } else if (cause instanceof FrameDecoder.SlowFrameException) {
            closeWith(ctx, new CloseConnectionException(cause.getMessage()));
        } else if (cause instanceof DecoderException && cause.getCause() instanceof javax.net.ssl.SSLException) {
            // Not TLS, or TLS gone wrong: the handshake event (or this) closes it.
            log.debug("TLS failure on the connection from {}: {}", ctx.channel().remoteAddress(), cause.getCause().toString());
            closing = true;
            ctx.close();
        } else if (cause instanceof IOException) {
            // The peer reset or vanished: normal for clients, not worth more than a debug line.
            log.debug("connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            closing = true;
            ctx.close();
        } else {
            closeWith(ctx, cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closing = true;
        dropPending();
        tracker.closed(ctx.channel());
        super.channelInactive(ctx);
    }
}
