package dev.sluice.broker.handler;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.Controller.ConfigOutcome;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.IncrementalAlterConfigsRequest;
import dev.sluice.wire.message.IncrementalAlterConfigsResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * IncrementalAlterConfigs (key 44), v0-1.
 *
 * <p>Changes config overrides key by key: SET, DELETE, and for LIST keys APPEND (elements not yet
 * present) and SUBTRACT. Resources: a topic, this broker (its id) or every broker (the empty name);
 * only keys that Kafka can change at run time may be set on a broker. Overrides go through the
 * metadata journal, so they survive a restart. {@code validate_only} checks and changes nothing.
 * Errors per resource as {@link ConfigAlteration} describes them.
 *
 * <p>Not done: BROKER_LOGGER resources (logger levels) are refused with INVALID_REQUEST; Kafka
 * changes its log4j levels. A dynamic broker value is stored and reported, but parts of the broker
 * built before it changed may keep the value they started with.
 */
public final class IncrementalAlterConfigsHandler
        extends ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
    private final Controller controller;
    private final BrokerConfig broker;

    /** @param broker the static configuration, whose group settings bound GROUP resources' values */
    public IncrementalAlterConfigsHandler(Controller controller, BrokerConfig broker) {
        super(ApiKey.INCREMENTAL_ALTER_CONFIGS, 0, 1);
        this.controller = controller;
        this.broker = broker;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<IncrementalAlterConfigsResponse> handle(RequestContext context,
                                                                     IncrementalAlterConfigsRequest request) {
        List<ConfigAlteration> alterations = new ArrayList<>();
        for (IncrementalAlterConfigsRequest.AlterConfigsResource r : request.resources()) {
            List<ConfigAlteration.Change> changes = new ArrayList<>();
            for (IncrementalAlterConfigsRequest.AlterableConfig c : r.configs()) {
                changes.add(new ConfigAlteration.Change(c.name(), ConfigAlteration.Operation.of(c.configOperation()),
                    c.configOperation(), c.value()));
            }
            alterations.add(new ConfigAlteration(r.resourceType(), r.resourceName(), changes, false, controller.nodeId(),
                controller.clusterMode()).withGroups(broker));
        }
        return ConfigAlteration.submitAll(controller, alterations, request.validateOnly(), context).thenApply(outcomes -> {
            List<IncrementalAlterConfigsResponse.AlterConfigsResourceResponse> responses = new ArrayList<>();
            for (int i = 0; i < outcomes.size(); i++) {
                IncrementalAlterConfigsRequest.AlterConfigsResource r = request.resources().get(i);
                responses.add(response(r, outcomes.get(i)));
            }
            return new IncrementalAlterConfigsResponse().setResponses(responses);
        });
    }

    private static IncrementalAlterConfigsResponse.AlterConfigsResourceResponse response(
            IncrementalAlterConfigsRequest.AlterConfigsResource r, ConfigOutcome outcome) {
        return new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse().setResourceType(r.resourceType())
            .setResourceName(r.resourceName()).setErrorCode(outcome.error().code()).setErrorMessage(outcome.message());
    }

    @Override
    public IncrementalAlterConfigsResponse errorResponse(IncrementalAlterConfigsRequest request, ErrorCode error) {
        List<IncrementalAlterConfigsResponse.AlterConfigsResourceResponse> responses = new ArrayList<>();
        for (IncrementalAlterConfigsRequest.AlterConfigsResource r : request.resources()) {
            responses.add(response(r, new ConfigOutcome(error, null)));
        }
        return new IncrementalAlterConfigsResponse().setResponses(responses);
    }
}
