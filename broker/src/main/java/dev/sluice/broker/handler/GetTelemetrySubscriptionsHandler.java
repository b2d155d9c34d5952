package dev.sluice.broker.handler;

import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.GetTelemetrySubscriptionsRequest;
import dev.sluice.wire.message.GetTelemetrySubscriptionsResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * GetTelemetrySubscriptions (key 71), v0 (KIP-714): a client asks which of its metrics the broker
 * wants pushed. Sluice keeps no client-metrics subscriptions (CLIENT_METRICS config resources are
 * not served), so every client is given an instance id (its own, or a new one when it has none)
 * and asked for no metrics: it then pushes none, as with a Kafka broker without subscriptions.
 */
public final class GetTelemetrySubscriptionsHandler
        extends ApiHandler<GetTelemetrySubscriptionsRequest, GetTelemetrySubscriptionsResponse> {
    /** The subscription a client is on: the empty one, the same on every broker. */
    static final int SUBSCRIPTION_ID = 0;
    /** Kafka's {@code telemetry.max.bytes} default: the largest push a broker takes. */
    static final int TELEMETRY_MAX_BYTES = 1024 * 1024;
    /** How often a client would push, had it metrics to push (Kafka's default interval). */
    private static final int PUSH_INTERVAL_MS = 300_000;
    /** Compression a push may use: zstd, lz4, snappy, gzip (Kafka's order of preference). */
    private static final List<Byte> ACCEPTED_COMPRESSION = List.of((byte) 4, (byte) 3, (byte) 2, (byte) 1);

    public GetTelemetrySubscriptionsHandler() {
        super(ApiKey.GET_TELEMETRY_SUBSCRIPTIONS, 0, 0);
    }

    /** Any client may ask (Kafka checks no ACL for client telemetry). */
    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<GetTelemetrySubscriptionsResponse> handle(RequestContext context,
                                                                      GetTelemetrySubscriptionsRequest request) {
        Uuid instance = request.clientInstanceId();
        if (instance == null || instance.equals(Uuid.ZERO)) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            instance = new Uuid(random.nextLong(), random.nextLong());
        }
        return CompletableFuture.completedFuture(new GetTelemetrySubscriptionsResponse().setClientInstanceId(instance)
            .setSubscriptionId(SUBSCRIPTION_ID).setAcceptedCompressionTypes(new ArrayList<>(ACCEPTED_COMPRESSION))
            .setPushIntervalMs(PUSH_INTERVAL_MS).setTelemetryMaxBytes(TELEMETRY_MAX_BYTES).setDeltaTemporality(true)
            .setRequestedMetrics(new ArrayList<>()));
    }

    @Override
    public GetTelemetrySubscriptionsResponse errorResponse(GetTelemetrySubscriptionsRequest request, ErrorCode error) {
        return new GetTelemetrySubscriptionsResponse().setErrorCode(error.code()).setClientInstanceId(Uuid.ZERO)
            .setAcceptedCompressionTypes(new ArrayList<>()).setRequestedMetrics(new ArrayList<>());
    }
}
