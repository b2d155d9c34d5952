package dev.sluice.broker.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
    private static final int MAX_FRAME = 1 << 20;

    private static ByteBuf frame(int size) {
        ByteBuf buf = Unpooled.buffer(4 + size);
        buf.writeInt(size);
        for (int i = 0; i < size; i++) {
            buf.writeByte(i);
        }
        return buf;
    }

    /** A channel with the decoder behind its read gate, as the broker's pipeline has it. */
    private static EmbeddedChannel gated(FrameDecoder decoder) {
        EmbeddedChannel channel = new EmbeddedChannel();
        // Only advanceTimeBy moves the channel's clock: a slow machine must not fire timers early.
        channel.freezeTime();
        channel.pipeline().addLast(ReadGate.install(channel), decoder);
        return channel;
    }

    @Test
    void emitsWholeFramesAndNeverReadsIntoTheNext() {
        RequestMemory memory = new RequestMemory(-1);
        EmbeddedChannel channel = gated(new FrameDecoder(MAX_FRAME, memory, 30_000));
        ByteBuf bytes = Unpooled.wrappedBuffer(frame(5), frame(3), Unpooled.wrappedBuffer(new byte[] {0, 0}));
        channel.writeInbound(bytes);
        assertEquals(5, ((ByteBuffer) channel.readInbound()).remaining());
        assertEquals(3, ((ByteBuffer) channel.readInbound()).remaining());
        assertNull(channel.readInbound());
        assertEquals(8, memory.used(), "each emitted frame keeps its reservation until its request is answered");
        channel.finishAndReleaseAll();
    }

    @Test
    void oversizedFrameIsRefusedBeforeAnyOfItIsBuffered() {
        EmbeddedChannel channel = gated(new FrameDecoder(100, new RequestMemory(-1), 30_000));
        DecoderException e = assertThrows(DecoderException.class, () -> channel.writeInbound(frame(101)));
        assertTrue(e.getCause() instanceof FrameDecoder.OversizedFrameException);
    }

    @Test
    void waitsForRequestMemoryWithoutReadingThenResumes() {
        RequestMemory memory = new RequestMemory(1000);
        assertTrue(memory.tryReserve(1000), "another connection's requests use the whole budget");
        EmbeddedChannel channel = gated(new FrameDecoder(MAX_FRAME, memory, 30_000));
        channel.writeInbound(frame(10));
        assertNull(channel.readInbound(), "no frame while the budget is used up");
        assertFalse(channel.config().isAutoRead(), "the connection stops reading");

        memory.release(1000);
        channel.runPendingTasks();
        ByteBuffer frame = channel.readInbound();
        assertEquals(10, frame.remaining(), "the buffered frame is decoded once memory is free");
        assertTrue(channel.config().isAutoRead());
        assertEquals(10, memory.used());
        channel.finishAndReleaseAll();
    }

    @Test
    void aFrameLargerThanWhatIsLeftStillPassesWhileAnyBudgetRemains() {
        RequestMemory memory = new RequestMemory(1000);
        assertTrue(memory.tryReserve(999));
        EmbeddedChannel channel = gated(new FrameDecoder(MAX_FRAME, memory, 30_000));
        channel.writeInbound(frame(500));
        assertEquals(500, ((ByteBuffer) channel.readInbound()).remaining());
        assertEquals(1499, memory.used());
        channel.finishAndReleaseAll();
    }

    @Test
    void aTrickledFrameIsClosedAfterTheReceiveTimeoutAndItsMemoryReturned() {
        RequestMemory memory = new RequestMemory(10_000);
        EmbeddedChannel channel = gated(new FrameDecoder(MAX_FRAME, memory, 1_000));
        ByteBuf partial = frame(5000).writerIndex(4 + 10);
        channel.writeInbound(partial);
        assertEquals(5000, memory.used(), "the declared size is reserved before the body is buffered");

        channel.advanceTimeBy(999, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.checkException();
        channel.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThrows(FrameDecoder.SlowFrameException.class, channel::checkException);

        channel.close();
        assertEquals(0, memory.used(), "closing gives back the partial frame's reservation");
    }

    @Test
    void aFrameThatArrivesInTimeIsNotTimedOut() {
        RequestMemory memory = new RequestMemory(10_000);
        EmbeddedChannel channel = gated(new FrameDecoder(MAX_FRAME, memory, 1_000));
        ByteBuf whole = frame(100);
        channel.writeInbound(whole.retainedSlice(0, 50));
        channel.advanceTimeBy(500, TimeUnit.MILLISECONDS);
        channel.writeInbound(whole.slice(50, whole.readableBytes() - 50));
        assertEquals(100, ((ByteBuffer) channel.readInbound()).remaining());
        channel.advanceTimeBy(5_000, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.checkException();
        assertTrue(channel.isActive());
        channel.finishAndReleaseAll();
    }
}
