package dev.sluice.broker.handler;

import dev.sluice.broker.handler.QuorumMembership.Outcome;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.UnregisterControllerRequest;
import dev.sluice.wire.message.UnregisterControllerResponse;
import java.util.concurrent.CompletableFuture;

/**
 * UnregisterController (key 94), v0 (KIP-1312, {@code kafka-cluster unregister --controller}):
 * decided on the active controller as Kafka decides it: the active controller may not unregister
 * itself (INVALID_REQUEST), a metadata.version before 4.4-IV2 cannot (UNSUPPORTED_VERSION), an id
 * that is no controller is CONTROLLER_ID_NOT_REGISTERED. A voter of the fixed quorum answers NONE
 * and stays registered, as a running Kafka controller registers again at once; see
 * {@link QuorumMembership}. Needs ALTER on the cluster; forwarded to the active controller.
 */
public final class UnregisterControllerHandler
        extends ApiHandler<UnregisterControllerRequest, UnregisterControllerResponse> {
    private final QuorumMembership quorum;

    UnregisterControllerHandler(QuorumMembership quorum) {
        super(ApiKey.UNREGISTER_CONTROLLER, 0, 0);
        this.quorum = quorum;
    }

    @Override
    public CompletableFuture<UnregisterControllerResponse> handle(RequestContext context,
                                                                   UnregisterControllerRequest request) {
        Outcome outcome = quorum.unregister(request.controllerId());
        return CompletableFuture.completedFuture(new UnregisterControllerResponse()
            .setErrorCode(outcome.error().code()).setErrorMessage(outcome.message() == null ? "" : outcome.message()));
    }

    @Override
    public UnregisterControllerResponse errorResponse(UnregisterControllerRequest request, ErrorCode error) {
        return new UnregisterControllerResponse().setErrorCode(error.code()).setErrorMessage(null);
    }
}
