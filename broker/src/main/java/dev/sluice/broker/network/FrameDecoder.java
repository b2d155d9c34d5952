package dev.sluice.broker.network;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Splits a connection's bytes into request frames: an int32 size, then that many bytes. Emits each
 * frame as a heap {@link ByteBuffer} of exactly its size and never consumes bytes of the next
 * frame. A size that is negative or above {@code socket.request.max.bytes} cannot be a request; the
 * connection is closed before any of it is buffered, and other connections are unaffected.
 *
 * <p>Before buffering a frame's body the decoder reserves its size in the broker's
 * {@link RequestMemory}; while none is left it pauses the connection and tries again once memory
 * is given back. The reservation passes to the {@link ConnectionHandler} with the frame. A frame
 * must then arrive whole within {@code sluice.request.receive.timeout.ms} (time the broker itself
 * keeps the connection from reading does not count), so a client trickling bytes cannot hold
 * memory for long.
 *
 * <p>Not thread-safe: confined to the channel's event loop.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameBytes;
    private int unauthenticatedMaxBytes;
    private final RequestMemory memory;
    private final long receiveTimeoutMs;
    /** Size reserved for the frame being received, or -1 before its size prefix was read. */
    private int reserved = -1;
    /** The body of the frame being received, once its size is reserved; null between frames. */
    private byte[] body;
    private int filled;
    /** Counts frames, so a receive deadline knows whether its frame is still the one in progress. */
    private long frames;
    private boolean waitingForMemory;
    private ScheduledFuture<?> deadline;

    FrameDecoder(int maxFrameBytes, RequestMemory memory, long receiveTimeoutMs) {
        this(maxFrameBytes, memory, receiveTimeoutMs, -1);
    }

    /**
     * @param unauthenticatedMaxBytes on a SASL listener, the largest frame accepted until the
     *                                client has authenticated ({@code sasl.server.max.receive.size}),
     *                                so that an anonymous peer cannot make the broker buffer much;
     *                                -1 elsewhere
     */
    FrameDecoder(int maxFrameBytes, RequestMemory memory, long receiveTimeoutMs, int unauthenticatedMaxBytes) {
        this.maxFrameBytes = maxFrameBytes;
        this.memory = memory;
        this.receiveTimeoutMs = receiveTimeoutMs;
        this.unauthenticatedMaxBytes = unauthenticatedMaxBytes;
    }

    /** The client has authenticated: frames up to {@code socket.request.max.bytes} are accepted from now on. */
    void authenticated() {
        unauthenticatedMaxBytes = -1;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (true) {
            if (body == null) {
                if (in.readableBytes() < 4) {
                    return;
                }
                int size = in.getInt(in.readerIndex());
                if (size < 0 || size > maxFrameBytes) {
                    in.skipBytes(in.readableBytes());
                    throw new OversizedFrameException(size, maxFrameBytes, "socket.request.max.bytes");
                }
                if (unauthenticatedMaxBytes >= 0 && size > unauthenticatedMaxBytes) {
                    in.skipBytes(in.readableBytes());
                    throw new OversizedFrameException(size, unauthenticatedMaxBytes,
                        "sasl.server.max.receive.size, the limit before authentication");
                }
                if (!memory.tryReserve(size)) {
                    waitForMemory(ctx, size);
                    return;
                }
                in.skipBytes(4);
                reserved = size;
                // The body goes straight into its own array as it arrives: no buffer grows and is
                // copied again while a large frame trickles in, and what is held is what is reserved.
                body = new byte[size];
                filled = 0;
                armDeadline(ctx, frames);
            }
            int n = Math.min(in.readableBytes(), body.length - filled);
            in.readBytes(body, filled, n);
            filled += n;
            if (filled < body.length) {
                return;
            }
            ByteBuffer frame = ByteBuffer.wrap(body);
            body = null;
            reserved = -1;
            frames++;
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
            out.add(frame);
        }
    }

    private void waitForMemory(ChannelHandlerContext ctx, int size) {
        if (waitingForMemory) {
            return;
        }
        waitingForMemory = true;
        ReadGate.of(ctx.channel()).pause(ReadGate.Reason.MEMORY);
        memory.whenAvailable(size, () -> ctx.executor().execute(() -> retry(ctx)));
    }

    /** Memory was given back: resume reading, and decode what is already buffered. */
    private void retry(ChannelHandlerContext ctx) {
        waitingForMemory = false;
        if (!ctx.channel().isActive() || ctx.isRemoved()) {
            return;
        }
        ReadGate.of(ctx.channel()).resume(ReadGate.Reason.MEMORY);
        try {
            channelRead(ctx, Unpooled.EMPTY_BUFFER);
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
        }
    }

    private void armDeadline(ChannelHandlerContext ctx, long frame) {
        deadline = ctx.executor().schedule(() -> {
            if (frames != frame || reserved < 0) {
                return;
            }
            if (ReadGate.of(ctx.channel()).pausedByBrokerExcept(ReadGate.Reason.MEMORY)) {
                // The broker is not reading: the client is not the one holding the frame up.
                armDeadline(ctx, frame);
                return;
            }
            ctx.fireExceptionCaught(new SlowFrameException(reserved, receiveTimeoutMs));
        }, receiveTimeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (reserved >= 0) {
            memory.release(reserved);
            reserved = -1;
        }
        body = null;
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        super.channelInactive(ctx);
        handlerRemoved0(ctx);
    }

    /** A size prefix that no acceptable request has. */
    public static final class OversizedFrameException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OversizedFrameException(int size, int max, String limit) {
            super(size < 0 ? "negative frame size " + size
                : "frame of " + size + " bytes exceeds " + limit + " (" + max + ")", null, false, false);
        }
    }

    /** A frame that did not arrive whole in time. */
    static final class SlowFrameException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SlowFrameException(int size, long timeoutMs) {
            super("frame of " + size + " bytes did not arrive within sluice.request.receive.timeout.ms (" + timeoutMs
                + " ms)", null, false, false);
        }
    }
}
