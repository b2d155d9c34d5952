package dev.sluice.broker.cluster;

import dev.sluice.broker.security.AuthenticationMethod;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.RequestHeader;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker's way to the active controller of a cluster: Kafka's controller request messages
 * (BrokerRegistration, BrokerHeartbeat, AlterPartition, CreateTopics, AllocateProducerIds…) and
 * whole client request frames a broker forwards (as Kafka forwards CreateTopics and its kin), carried
 * to whichever node leads the metadata quorum as Ratis messages. Ratis knows the leader and retries
 * on a new one, so there is no second leader-discovery mechanism to keep in step with the quorum.
 *
 * <p>Payloads (the leader's {@link ControllerEndpoint} reads them):
 * <pre>
 *   kind REQUEST      (0): a request frame without its size prefix, for the controller's own APIs
 *                          → the response frame with its size prefix
 *   kind CLIENT_FRAME (1): int16 listener name length, listener name (UTF-8), int16 principal
 *                          length, the client's principal (Type:name, UTF-8), int16 host length, the
 *                          client's address (UTF-8), int8 how the client authenticated (the
 *                          ordinal of {@link AuthenticationMethod}), the client's request frame
 *                          without its size prefix → the response frame with its size prefix; the
 *                          controller authorizes the request as that principal from that address
 *   kind UNREACHABLE  (2): int32 broker id → empty
 *   kind FETCH_METADATA (3): an observer's request for the committed metadata log
 *                          → the log after its position ({@link MetadataFeed} gives both layouts)
 * </pre>
 * Both sides run the same Sluice version, so a controller request is written at the highest
 * version of its schema; a controller request's answer is that of the controller's own handler for
 * the API, so its errors are Kafka's (NOT_CONTROLLER while leadership moves, and the caller retries).
 *
 * <p>Thread-safe. Futures complete on the quorum's event thread: callers must not block in them.
 */
public final class ControllerChannel {
    private static final Logger log = LoggerFactory.getLogger(ControllerChannel.class);

    static final byte REQUEST = 0;
    static final byte CLIENT_FRAME = 1;
    static final byte UNREACHABLE = 2;
    static final byte FETCH_METADATA = 3;

    private final MetadataQuorum quorum;
    private final String clientId;

    public ControllerChannel(MetadataQuorum quorum, int nodeId) {
        this.quorum = quorum;
        this.clientId = "sluice-broker-" + nodeId;
    }

    /** The payload of an observer's {@link MetadataFeed} request. */
    static byte[] fetchMetadata(byte[] request) {
        byte[] payload = new byte[1 + request.length];
        payload[0] = FETCH_METADATA;
        System.arraycopy(request, 0, payload, 1, request.length);
        return payload;
    }

    /** Sends a controller request; completes with the active controller's response. */
    @SuppressWarnings("unchecked")
    public <R extends ApiMessage> CompletableFuture<R> call(ApiMessage request) {
        ApiKey key = request.apiKey();
        short version = key.highestVersion();
        RequestHeader header = new RequestHeader().setRequestApiKey(key.id()).setRequestApiVersion(version)
            .setCorrelationId(0).setClientId(clientId);
        ByteBuffer frame = Frames.writeRequest(header, request);
        frame.position(Frames.SIZE_PREFIX);
        byte[] payload = new byte[1 + frame.remaining()];
        ByteBuffer.wrap(payload).put(REQUEST).put(frame);
        return quorum.askLeader(payload).thenApply(bytes -> {
            ByteBuffer response = ByteBuffer.wrap(bytes);
            response.position(Frames.SIZE_PREFIX);
            try {
                Frames.readResponseHeader(response, key, version);
                ApiMessage body = key.newResponse();
                body.read(new ByteReader(response), version);
                return (R) body;
            } catch (MalformedDataException e) {
                throw new IllegalStateException("the controller's " + key.displayName() + " response is unreadable", e);
            }
        });
    }

    /**
     * Has the active controller's node serve a client's request frame (size prefix removed) as if
     * it had come in on {@code listener}; completes with the response frame, size prefix included.
     */
    public CompletableFuture<ByteBuffer> forward(ByteBuffer frame, String listener, String principal, String host,
                                                 AuthenticationMethod method) {
        byte[] name = listener.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] who = principal.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] from = host.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] payload = new byte[8 + name.length + who.length + from.length + frame.remaining()];
        ByteBuffer.wrap(payload).put(CLIENT_FRAME).putShort((short) name.length).put(name).putShort((short) who.length)
            .put(who).putShort((short) from.length).put(from).put((byte) method.ordinal()).put(frame.duplicate());
        return quorum.askLeader(payload).thenApply(ByteBuffer::wrap);
    }

    /**
     * Tells the active controller that connections to {@code brokerId} fail, so that it checks at
     * once whether that broker is gone rather than waiting out its session. Fire and forget.
     */
    public void reportUnreachable(int brokerId) {
        byte[] payload = new byte[5];
        ByteBuffer.wrap(payload).put(UNREACHABLE).putInt(brokerId);
        quorum.askLeader(payload).whenComplete((ignored, failure) -> {
            if (failure != null) {
                log.debug("could not report broker {} unreachable to the controller: {}", brokerId, failure.toString());
            }
        });
    }
}
