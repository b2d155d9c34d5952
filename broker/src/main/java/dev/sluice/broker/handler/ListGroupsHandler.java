package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ListGroupsRequest;
import dev.sluice.wire.message.ListGroupsResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * ListGroups (key 16), v0-5: every group this broker coordinates, classic and consumer, including
 * groups that only hold committed offsets; filtered by state (v4+) and type (v5+), both
 * case-insensitive. COORDINATOR_LOAD_IN_PROGRESS while a coordinator partition is still loading
 * (the groups already loaded are listed).
 */
public final class ListGroupsHandler extends ApiHandler<ListGroupsRequest, ListGroupsResponse> {
    private final GroupCoordinator coordinator;

    public ListGroupsHandler(GroupCoordinator coordinator) {
        super(ApiKey.LIST_GROUPS, 0, 5);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ListGroupsResponse> handle(RequestContext context, ListGroupsRequest request) {
        Set<String> states = lower(request.statesFilter());
        Set<String> types = lower(request.typesFilter());
        // DESCRIBE on the cluster lists every group; otherwise only those the principal may describe.
        boolean all = context.allowedOnCluster(AclOperation.DESCRIBE);
        return coordinator.listGroups(states, types).thenApply(result -> new ListGroupsResponse()
            .setErrorCode(result.getKey().code()).setGroups(all ? result.getValue() : result.getValue().stream()
                .filter(g -> context.allowed(AclOperation.DESCRIBE, AclResourceType.GROUP, g.groupId())).toList()));
    }

    private static Set<String> lower(List<String> values) {
        Set<String> out = new HashSet<>();
        if (values != null) {
            values.forEach(v -> out.add(v.toLowerCase(Locale.ROOT)));
        }
        return out;
    }

    @Override
    public ListGroupsResponse errorResponse(ListGroupsRequest request, ErrorCode error) {
        return new ListGroupsResponse().setErrorCode(error.code()).setGroups(List.of());
    }
}
