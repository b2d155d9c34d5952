package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.quota.QuotaEntity;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.wire.message.AlterClientQuotasRequest;
import dev.sluice.wire.message.AlterClientQuotasResponse;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * AlterClientQuotas (key 49), v0-1: sets and removes quotas of users, client ids and ips in the
 * metadata log, a controller decision; what {@code kafka-configs --alter --entity-type users|clients|ips}
 * sends. Needs ALTER_CONFIGS on the cluster. An entity listing a type twice, or a key twice, is
 * INVALID_REQUEST.
 */
public final class AlterClientQuotasHandler extends ApiHandler<AlterClientQuotasRequest, AlterClientQuotasResponse> {
    private final Controller controller;

    public AlterClientQuotasHandler(Controller controller) {
        super(ApiKey.ALTER_CLIENT_QUOTAS, 0, 1);
        this.controller = controller;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<AlterClientQuotasResponse> handle(RequestContext context, AlterClientQuotasRequest request) {
        if (!context.allowedOnCluster(AclOperation.ALTER_CONFIGS)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        List<Controller.QuotaChange> changes = new ArrayList<>();
        List<String> duplicates = new ArrayList<>();
        for (AlterClientQuotasRequest.EntryData entry : request.entries()) {
            Map<String, String> parts = new HashMap<>();
            String duplicate = null;
            for (AlterClientQuotasRequest.EntityData e : entry.entity()) {
                if (parts.containsKey(e.entityType())) {
                    duplicate = "entity type " + e.entityType() + " appears twice";
                }
                parts.put(e.entityType(), e.entityName());
            }
            Map<String, Double> values = new LinkedHashMap<>();
            for (AlterClientQuotasRequest.OpData op : entry.ops()) {
                if (values.containsKey(op.key())) {
                    duplicate = "quota " + op.key() + " appears twice";
                }
                values.put(op.key(), op.remove() ? null : op.value());
            }
            duplicates.add(duplicate);
            changes.add(new Controller.QuotaChange(new QuotaEntity(parts), values));
        }
        return controller.alterClientQuotas(changes, request.validateOnly()).thenApply(outcomes -> {
            List<AlterClientQuotasResponse.EntryData> entries = new ArrayList<>();
            for (int i = 0; i < outcomes.size(); i++) {
                Controller.AclOutcome o = outcomes.get(i);
                String duplicate = duplicates.get(i);
                entries.add(entry(request.entries().get(i), duplicate != null ? ErrorCode.INVALID_REQUEST : o.error(),
                    duplicate != null ? duplicate : o.message()));
            }
            return new AlterClientQuotasResponse().setEntries(entries);
        });
    }

    private static AlterClientQuotasResponse.EntryData entry(AlterClientQuotasRequest.EntryData asked, ErrorCode error,
                                                             String message) {
        List<AlterClientQuotasResponse.EntityData> entity = new ArrayList<>();
        asked.entity().forEach(e -> entity.add(new AlterClientQuotasResponse.EntityData().setEntityType(e.entityType())
            .setEntityName(e.entityName())));
        return new AlterClientQuotasResponse.EntryData().setErrorCode(error.code()).setErrorMessage(message)
            .setEntity(entity);
    }

    @Override
    public AlterClientQuotasResponse errorResponse(AlterClientQuotasRequest request, ErrorCode error) {
        List<AlterClientQuotasResponse.EntryData> entries = new ArrayList<>();
        request.entries().forEach(e -> entries.add(entry(e, error, null)));
        return new AlterClientQuotasResponse().setEntries(entries);
    }
}
