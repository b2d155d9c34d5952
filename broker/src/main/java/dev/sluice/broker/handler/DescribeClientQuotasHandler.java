package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.quota.QuotaEntity;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeClientQuotasRequest;
import dev.sluice.wire.message.DescribeClientQuotasResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeClientQuotas (key 48), v0-1: the quotas of the entities a filter matches, from the
 * metadata image. Each component names an entity type and matches one name (match type 0), the
 * type's default (1) or any entity with that type (2); with {@code strict}, entities with other
 * types too are left out. Needs DESCRIBE_CONFIGS on the cluster; an unknown match type or a type
 * named twice is INVALID_REQUEST.
 */
public final class DescribeClientQuotasHandler
        extends ApiHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> {
    private static final byte EXACT = 0;
    private static final byte DEFAULT = 1;
    private static final byte ANY = 2;

    private final MetadataView view;

    public DescribeClientQuotasHandler(MetadataView view) {
        super(ApiKey.DESCRIBE_CLIENT_QUOTAS, 0, 1);
        this.view = view;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeClientQuotasResponse> handle(RequestContext context,
                                                                   DescribeClientQuotasRequest request) {
        if (!context.allowedOnCluster(AclOperation.DESCRIBE_CONFIGS)) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        java.util.Set<String> types = new java.util.HashSet<>();
        for (DescribeClientQuotasRequest.ComponentData c : request.components()) {
            if (!types.add(c.entityType()) || c.matchType() < EXACT || c.matchType() > ANY) {
                return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_REQUEST)
                    .setErrorMessage("a filter component names a type twice or has an unknown match type"));
            }
        }
        List<DescribeClientQuotasResponse.EntryData> entries = new ArrayList<>();
        for (Map.Entry<QuotaEntity, Map<String, Double>> e : view.image().clientQuotas().entrySet()) {
            if (!matches(e.getKey(), request)) {
                continue;
            }
            List<DescribeClientQuotasResponse.EntityData> entity = new ArrayList<>();
            e.getKey().parts().forEach((type, name) -> entity.add(new DescribeClientQuotasResponse.EntityData()
                .setEntityType(type).setEntityName(name)));
            List<DescribeClientQuotasResponse.ValueData> values = new ArrayList<>();
            e.getValue().forEach((key, value) -> values.add(new DescribeClientQuotasResponse.ValueData().setKey(key)
                .setValue(value)));
            entries.add(new DescribeClientQuotasResponse.EntryData().setEntity(entity).setValues(values));
        }
        return CompletableFuture.completedFuture(new DescribeClientQuotasResponse().setEntries(entries));
    }

    private static boolean matches(QuotaEntity entity, DescribeClientQuotasRequest request) {
        Map<String, String> parts = entity.parts();
        for (DescribeClientQuotasRequest.ComponentData c : request.components()) {
            if (!parts.containsKey(c.entityType())) {
                return false;
            }
            String name = parts.get(c.entityType());
            boolean ok = switch (c.matchType()) {
                case EXACT -> name != null && name.equals(c.match());
                case DEFAULT -> name == null;
                default -> true;
            };
            if (!ok) {
                return false;
            }
        }
        return !request.strict() || parts.size() == request.components().size();
    }

    @Override
    public DescribeClientQuotasResponse errorResponse(DescribeClientQuotasRequest request, ErrorCode error) {
        return new DescribeClientQuotasResponse().setErrorCode(error.code()).setEntries(List.of());
    }
}
