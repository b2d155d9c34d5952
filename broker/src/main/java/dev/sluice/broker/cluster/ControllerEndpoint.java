package dev.sluice.broker.cluster;

import dev.sluice.broker.handler.ConnectionLifetime;
import dev.sluice.broker.handler.RequestDispatcher;
import dev.sluice.broker.security.AuthenticationMethod;
import dev.sluice.broker.security.KafkaPrincipal;
import dev.sluice.wire.message.Frames;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * The active controller's end of the {@link ControllerChannel}: serves what brokers send to the
 * leader of the metadata quorum. Controller requests go to the controller's own dispatcher (its
 * table of controller APIs), forwarded client frames to this node's broker dispatcher, served here
 * rather than forwarded again, reports of unreachable brokers to the controller, and observers'
 * fetches of the metadata log to the quorum's {@link MetadataFeed}.
 *
 * <p>Called on Ratis threads: everything here hands the work on and returns a future.
 */
public final class ControllerEndpoint {
    private final RequestDispatcher controllerApis;
    private final RequestDispatcher brokerApis;
    private final IntConsumer unreachable;
    private final Function<ByteBuffer, CompletableFuture<byte[]>> metadataFeed;

    public ControllerEndpoint(RequestDispatcher controllerApis, RequestDispatcher brokerApis, IntConsumer unreachable,
                              Function<ByteBuffer, CompletableFuture<byte[]>> metadataFeed) {
        this.controllerApis = controllerApis;
        this.brokerApis = brokerApis;
        this.unreachable = unreachable;
        this.metadataFeed = metadataFeed;
    }

    private static String string(ByteBuffer in) {
        byte[] bytes = new byte[in.getShort()];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The forwarding client's address, for ACL host checks (port unknown, 0). */
    private static java.net.SocketAddress forwardedFrom(String host) {
        if (host.isEmpty()) {
            return null;
        }
        try {
            return new java.net.InetSocketAddress(java.net.InetAddress.getByName(host), 0);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    public CompletableFuture<byte[]> handle(byte[] payload) {
        if (payload.length == 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("empty controller message"));
        }
        ByteBuffer in = ByteBuffer.wrap(payload);
        byte kind = in.get();
        switch (kind) {
            case ControllerChannel.REQUEST:
                return bytes(controllerApis.dispatchHere(in.slice(), null, "CONTROLLER", new ConnectionLifetime()));
            case ControllerChannel.CLIENT_FRAME: {
                String listener = string(in);
                String principal = string(in);
                String host = string(in);
                byte method = in.get();
                if (method < 0 || method >= AuthenticationMethod.values().length) {
                    return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "unknown authentication method " + method + " of a forwarded request"));
                }
                ConnectionLifetime client = new ConnectionLifetime();
                client.authenticated(KafkaPrincipal.parse(principal), AuthenticationMethod.values()[method]);
                return bytes(brokerApis.dispatchHere(in.slice(), forwardedFrom(host), listener, client));
            }
            case ControllerChannel.UNREACHABLE:
                unreachable.accept(in.getInt());
                return CompletableFuture.completedFuture(new byte[0]);
            case ControllerChannel.FETCH_METADATA:
                return metadataFeed.apply(in.slice());
            default:
                return CompletableFuture.failedFuture(new IllegalArgumentException("unknown controller message kind " + kind));
        }
    }

    private static CompletableFuture<byte[]> bytes(CompletableFuture<Frames.SplicedFrame> response) {
        return response.thenApply(frame -> {
            if (frame == null) {
                return new byte[0];
            }
            if (!frame.splices().isEmpty()) {
                throw new IllegalStateException("a forwarded request answered with file-backed records");
            }
            ByteBuffer buffer = frame.buffer().duplicate();
            byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        });
    }
}
