package dev.sluice.broker.network;

import dev.sluice.broker.handler.RequestDispatcher;
import dev.sluice.broker.handler.RequestDispatcher.CloseConnectionException;
import dev.sluice.storage.FileRecords;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.message.Frames;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection. Requests are dispatched as they arrive (clients pipeline them), but
 * responses leave strictly in request order: each request takes a slot in a queue, and a finished
 * response is written only once every slot before it is done. Reading pauses while too many
 * requests are in flight, so one client cannot queue unbounded work.
 *
 * <p>Threading: every method runs on the channel's event loop; completions from other threads are
 * handed back to it.
 */
final class ConnectionHandler extends SimpleChannelInboundHandler<ByteBuffer> {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
    private static final int MAX_IN_FLIGHT = 64;

    private final RequestDispatcher dispatcher;
    private final String listener;
    private final ConnectionTracker tracker;
    private final ArrayDeque<Slot> pending = new ArrayDeque<>();
    private boolean closing;

    ConnectionHandler(RequestDispatcher dispatcher, String listener, ConnectionTracker tracker) {
        this.dispatcher = dispatcher;
        this.listener = listener;
        this.tracker = tracker;
    }

    /** A request's place in the response order. */
    private static final class Slot {
        boolean done;
        Frames.SplicedFrame response;
        Throwable error;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        tracker.opened(ctx.channel());
        super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuffer frame) {
        if (closing) {
            return;
        }
        Slot slot = new Slot();
        pending.add(slot);
        tracker.received(ctx.channel());
        if (pending.size() >= MAX_IN_FLIGHT) {
            ctx.channel().config().setAutoRead(false);
        }
        CompletableFuture<Frames.SplicedFrame> result = dispatcher.dispatch(frame, ctx.channel().remoteAddress(), listener);
        result.whenComplete((response, error) -> {
            if (ctx.executor().inEventLoop()) {
                complete(ctx, slot, response, error);
            } else {
                ctx.executor().execute(() -> complete(ctx, slot, response, error));
            }
        });
    }

    private void complete(ChannelHandlerContext ctx, Slot slot, Frames.SplicedFrame response, Throwable error) {
        slot.done = true;
        slot.response = response;
        slot.error = error;
        boolean wrote = false;
        while (!pending.isEmpty() && pending.peek().done) {
            Slot head = pending.poll();
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
        }
        if (!closing && !ctx.channel().config().isAutoRead() && pending.size() < MAX_IN_FLIGHT / 2) {
            ctx.channel().config().setAutoRead(true);
        }
        tracker.drained(ctx.channel(), pending.isEmpty());
    }

    /**
     * Writes a response: the buffer's bytes, with each spliced segment slice sent from its file
     * (sendfile on plaintext connections) at its place.
     */
    private static void write(ChannelHandlerContext ctx, Frames.SplicedFrame frame) {
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
            if (splice.records() instanceof FileRecords file) {
                ctx.write(new SegmentRegion(file), ctx.voidPromise());
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
        pending.clear();
        if (cause instanceof CloseConnectionException) {
            log.warn("closing connection from {} on {}: {}", ctx.channel().remoteAddress(), listener, cause.getMessage());
        } else {
            log.error("closing connection from {} on {} after an unexpected failure", ctx.channel().remoteAddress(),
                listener, cause);
        }
        ctx.flush();
        ctx.close();
    }

    /** Whether every request received so far has been answered. */
    boolean idle() {
        return pending.isEmpty();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            log.debug("closing idle connection from {}", ctx.channel().remoteAddress());
            closing = true;
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closing) {
            return;
        }
        if (cause instanceof DecoderException && cause.getCause() instanceof FrameDecoder.OversizedFrameException) {
            closeWith(ctx, new CloseConnectionException(cause.getCause().getMessage()));
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
        pending.clear();
        tracker.closed(ctx.channel());
        super.channelInactive(ctx);
    }
}
