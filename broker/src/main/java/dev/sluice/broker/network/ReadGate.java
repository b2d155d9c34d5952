package dev.sluice.broker.network;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.EnumSet;
import java.util.Set;

/**
 * Whether a connection reads: it does while no reason to pause holds. Several parts of the pipeline
 * pause reading for reasons of their own (too many requests in flight, request memory exhausted, a
 * client that does not read its responses, shutdown); each lifts only its own, so one cannot
 * resume what another paused.
 *
 * <p>The gate also sits in the pipeline, below the frame decoder, and drops read requests while
 * paused: turning auto-read off is not enough, because a decoder that got bytes but no whole frame
 * asks for another read by itself, and would go on buffering a connection that is meant to wait.
 *
 * <p>Not thread-safe: confined to the channel's event loop.
 */
final class ReadGate extends ChannelOutboundHandlerAdapter {
    static final AttributeKey<ReadGate> KEY = AttributeKey.valueOf("sluice.readGate");

    enum Reason {
        /** The connection has as many requests in flight as it may. */
        IN_FLIGHT,
        /** {@code queued.max.request.bytes} is used up; the next frame waits for memory. */
        MEMORY,
        /** Responses pile up unsent: the client does not read them. */
        UNWRITABLE,
        /** The client is over a quota and waits out its throttle time. */
        THROTTLED,
        /** The broker is stopping. */
        SHUTDOWN
    }

    private final Channel channel;
    private final Set<Reason> held = EnumSet.noneOf(Reason.class);

    private ReadGate(Channel channel) {
        this.channel = channel;
    }

    /** Creates the channel's gate and attaches it, for every handler of the pipeline to share. */
    static ReadGate install(Channel channel) {
        ReadGate gate = new ReadGate(channel);
        channel.attr(KEY).set(gate);
        return gate;
    }

    /** The channel's gate. */
    static ReadGate of(Channel channel) {
        return channel.attr(KEY).get();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.read();
        }
    }

    void pause(Reason reason) {
        held.add(reason);
        channel.config().setAutoRead(false);
    }

    void resume(Reason reason) {
        if (held.remove(reason) && held.isEmpty()) {
            channel.config().setAutoRead(true);
        }
    }

    /** Whether the broker itself keeps this connection from reading, for a reason other than {@code except}. */
    boolean pausedByBrokerExcept(Reason except) {
        for (Reason r : held) {
            if (r != except) {
                return true;
            }
        }
        return false;
    }
}
