package dev.sluice.broker.network;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Splits a connection's bytes into request frames: an int32 size, then that many bytes. Emits each
 * frame as a heap {@link ByteBuffer} of exactly its size and never consumes bytes of the next
 * frame. A size that is negative or above {@code socket.request.max.bytes} cannot be a request; the
 * connection is closed before any of it is buffered, and other connections are unaffected.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameBytes;

    public FrameDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 4) {
            int size = in.getInt(in.readerIndex());
            if (size < 0 || size > maxFrameBytes) {
                in.skipBytes(in.readableBytes());
                throw new OversizedFrameException(size, maxFrameBytes);
            }
            if (in.readableBytes() < 4 + size) {
                return;
            }
            in.skipBytes(4);
            byte[] frame = new byte[size];
            in.readBytes(frame);
            out.add(ByteBuffer.wrap(frame));
        }
    }

    /** A size prefix that no acceptable request has. */
    public static final class OversizedFrameException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OversizedFrameException(int size, int max) {
            super(size < 0 ? "negative frame size " + size
                : "frame of " + size + " bytes exceeds socket.request.max.bytes (" + max + ")");
        }
    }
}
