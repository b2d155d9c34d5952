package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.Controller.ConfigOutcome;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.AlterConfigsRequest;
import dev.sluice.wire.message.AlterConfigsResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * AlterConfigs (key 33), v0-2: the legacy form, which replaces a resource's whole set of overrides
 * with the keys given; every key left out goes back to its default. Same resources, checks, errors
 * and persistence as {@link IncrementalAlterConfigsHandler}; {@code validate_only} changes nothing.
 * Logger resources are refused with INVALID_REQUEST, as Kafka refuses them here.
 *
 * <p>Kafka 4.1's own Admin client no longer sends this request; older clients and tools do.
 */
public final class AlterConfigsHandler extends ApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
    private final Controller controller;

    public AlterConfigsHandler(Controller controller) {
        super(ApiKey.ALTER_CONFIGS, 0, 2);
        this.controller = controller;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<AlterConfigsResponse> handle(RequestContext context, AlterConfigsRequest request) {
        List<ConfigAlteration> alterations = new ArrayList<>();
        for (AlterConfigsRequest.AlterConfigsResource r : request.resources()) {
            List<ConfigAlteration.Change> changes = new ArrayList<>();
            for (AlterConfigsRequest.AlterableConfig c : r.configs()) {
                changes.add(new ConfigAlteration.Change(c.name(), Optional.of(ConfigAlteration.Operation.SET),
                    (byte) ConfigAlteration.Operation.SET.ordinal(), c.value()));
            }
            alterations.add(new ConfigAlteration(r.resourceType(), r.resourceName(), changes, true, controller.nodeId(),
                controller.clusterMode()));
        }
        return ConfigAlteration.submitAll(controller, alterations, request.validateOnly(), context).thenApply(outcomes -> {
            List<AlterConfigsResponse.AlterConfigsResourceResponse> responses = new ArrayList<>();
            for (int i = 0; i < outcomes.size(); i++) {
                AlterConfigsRequest.AlterConfigsResource r = request.resources().get(i);
                responses.add(response(r, outcomes.get(i)));
            }
            return new AlterConfigsResponse().setResponses(responses);
        });
    }

    private static AlterConfigsResponse.AlterConfigsResourceResponse response(
            AlterConfigsRequest.AlterConfigsResource r, ConfigOutcome outcome) {
        return new AlterConfigsResponse.AlterConfigsResourceResponse().setResourceType(r.resourceType())
            .setResourceName(r.resourceName()).setErrorCode(outcome.error().code()).setErrorMessage(outcome.message());
    }

    @Override
    public AlterConfigsResponse errorResponse(AlterConfigsRequest request, ErrorCode error) {
        List<AlterConfigsResponse.AlterConfigsResourceResponse> responses = new ArrayList<>();
        for (AlterConfigsRequest.AlterConfigsResource r : request.resources()) {
            responses.add(response(r, new ConfigOutcome(error, null)));
        }
        return new AlterConfigsResponse().setResponses(responses);
    }
}
