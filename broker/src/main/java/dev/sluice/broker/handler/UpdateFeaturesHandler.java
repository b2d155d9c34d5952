package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.UpdateFeaturesRequest;
import dev.sluice.wire.message.UpdateFeaturesResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * UpdateFeatures (key 57), v0-2: finalizes feature levels in the cluster, a controller decision;
 * what {@code kafka-features upgrade|downgrade|disable} and {@code Admin.updateFeatures} send. Needs
 * ALTER on the cluster. All the changes are made or none (see {@link Features#check} for what is
 * refused, INVALID_UPDATE_VERSION); a feature named twice is INVALID_REQUEST. v0's
 * {@code AllowDowngrade} reads as a safe downgrade; from v1 the upgrade type says it, and
 * {@code ValidateOnly} checks without writing. Up to v1 every feature's result carries the
 * request's outcome; v2 answers at the top level only.
 */
public final class UpdateFeaturesHandler extends ApiHandler<UpdateFeaturesRequest, UpdateFeaturesResponse> {
    private final Controller controller;

    public UpdateFeaturesHandler(Controller controller) {
        super(ApiKey.UPDATE_FEATURES, 0, 2);
        this.controller = controller;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<UpdateFeaturesResponse> handle(RequestContext context, UpdateFeaturesRequest request) {
        if (!context.allowedOnCluster(AclOperation.ALTER)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        Map<String, Controller.FeatureChange> changes = new LinkedHashMap<>();
        for (UpdateFeaturesRequest.FeatureUpdateKey u : request.featureUpdates()) {
            byte type = context.version() == 0
                ? (u.allowDowngrade() ? Features.SAFE_DOWNGRADE : Features.UPGRADE) : u.upgradeType();
            if (changes.put(u.feature(), new Controller.FeatureChange(u.maxVersionLevel(), type)) != null) {
                return CompletableFuture.completedFuture(response(request, ErrorCode.INVALID_REQUEST,
                    "feature " + u.feature() + " appears twice"));
            }
        }
        boolean validateOnly = context.version() >= 1 && request.validateOnly();
        return controller.updateFeatures(changes, validateOnly)
            .thenApply(outcome -> response(request, outcome.error(), outcome.message()));
    }

    private static UpdateFeaturesResponse response(UpdateFeaturesRequest request, ErrorCode error, String message) {
        List<UpdateFeaturesResponse.UpdatableFeatureResult> results = new ArrayList<>();
        for (UpdateFeaturesRequest.FeatureUpdateKey u : request.featureUpdates()) {
            results.add(new UpdateFeaturesResponse.UpdatableFeatureResult().setFeature(u.feature())
                .setErrorCode(error.code()).setErrorMessage(message));
        }
        return new UpdateFeaturesResponse().setErrorCode(error.code()).setErrorMessage(message).setResults(results);
    }

    @Override
    public UpdateFeaturesResponse errorResponse(UpdateFeaturesRequest request, ErrorCode error) {
        return response(request, error, null);
    }
}
