package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataLog.AppendFailure;
import dev.sluice.broker.security.acl.AclBinding;
import dev.sluice.broker.security.acl.AclFilter;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DeleteAclsRequest;
import dev.sluice.wire.message.DeleteAclsResponse;
import dev.sluice.wire.message.DeleteAclsResponse.DeleteAclsFilterResult;
import dev.sluice.wire.message.DeleteAclsResponse.DeleteAclsMatchingAcl;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DeleteAcls (key 31), v1-3: removes every ACL each filter matches and lists them, a controller
 * decision. Without an authorizer, SECURITY_DISABLED; a
 * filter with codes Sluice does not know is INVALID_REQUEST.
 */
public final class DeleteAclsHandler extends ApiHandler<DeleteAclsRequest, DeleteAclsResponse> {
    private final Controller controller;
    private final boolean authorizerConfigured;

    public DeleteAclsHandler(Controller controller, boolean authorizerConfigured) {
        super(ApiKey.DELETE_ACLS, 1, 3);
        this.controller = controller;
        this.authorizerConfigured = authorizerConfigured;
    }

    @Override
    public CompletableFuture<DeleteAclsResponse> handle(RequestContext context, DeleteAclsRequest request) {
        if (!authorizerConfigured) {
            DeleteAclsResponse refused = errorResponse(request, ErrorCode.SECURITY_DISABLED);
            refused.filterResults().forEach(r -> r.setErrorMessage(AclCodes.NO_AUTHORIZER));
            return CompletableFuture.completedFuture(refused);
        }
        List<AclFilter> filters = new ArrayList<>();
        for (DeleteAclsRequest.DeleteAclsFilter f : request.filters()) {
            filters.add(AclCodes.filter(f.resourceTypeFilter(), f.resourceNameFilter(),
                f.patternTypeFilter(), f.principalFilter(), f.hostFilter(),
                f.operation(), f.permissionType()));
        }
        return controller.deleteAcls(filters).handle((deleted, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
                ErrorCode error = cause instanceof AppendFailure append ? append.error() : ErrorCode.UNKNOWN_SERVER_ERROR;
                DeleteAclsResponse refused = errorResponse(request, error);
                refused.filterResults().forEach(r -> r.setErrorMessage(cause.getMessage()));
                return refused;
            }
            List<DeleteAclsFilterResult> results = new ArrayList<>();
            for (int i = 0; i < filters.size(); i++) {
                if (filters.get(i).problem() != null) {
                    results.add(new DeleteAclsFilterResult().setErrorCode(ErrorCode.INVALID_REQUEST.code())
                        .setErrorMessage(filters.get(i).problem()));
                    continue;
                }
                List<DeleteAclsMatchingAcl> matching = new ArrayList<>();
                for (AclBinding b : deleted.get(i)) {
                    matching.add(new DeleteAclsMatchingAcl().setResourceType(b.resourceType().code())
                        .setResourceName(b.resourceName()).setPatternType(b.patternType().code())
                        .setPrincipal(b.principal()).setHost(b.host()).setOperation(b.operation().code())
                        .setPermissionType(b.permission().code()));
                }
                results.add(new DeleteAclsFilterResult().setMatchingAcls(matching));
            }
            return new DeleteAclsResponse().setFilterResults(results);
        });
    }

    @Override
    public DeleteAclsResponse errorResponse(DeleteAclsRequest request, ErrorCode error) {
        List<DeleteAclsFilterResult> results = new ArrayList<>();
        request.filters().forEach(f -> results.add(new DeleteAclsFilterResult().setErrorCode(error.code())));
        return new DeleteAclsResponse().setFilterResults(results);
    }
}
