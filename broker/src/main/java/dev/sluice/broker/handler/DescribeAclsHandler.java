package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclBinding;
import dev.sluice.broker.security.acl.AclFilter;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeAclsRequest;
import dev.sluice.wire.message.DescribeAclsResponse.AclDescription;
import dev.sluice.wire.message.DescribeAclsResponse.DescribeAclsResource;
import dev.sluice.wire.message.DescribeAclsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeAcls (key 29), v1-3: the ACLs the filter matches, from this broker's metadata image,
 * grouped by resource pattern. Without an authorizer,
 * SECURITY_DISABLED; a filter with codes Sluice does not know, INVALID_REQUEST.
 */
public final class DescribeAclsHandler extends ApiHandler<DescribeAclsRequest, DescribeAclsResponse> {
    private final MetadataView view;
    private final boolean authorizerConfigured;

    public DescribeAclsHandler(MetadataView view, boolean authorizerConfigured) {
        super(ApiKey.DESCRIBE_ACLS, 1, 3);
        this.view = view;
        this.authorizerConfigured = authorizerConfigured;
    }

    private record Pattern(byte type, String name, byte patternType) {
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeAclsResponse> handle(RequestContext context, DescribeAclsRequest request) {
        if (!(context.allowedOnCluster(AclOperation.DESCRIBE))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        if (!authorizerConfigured) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.SECURITY_DISABLED)
                .setErrorMessage(AclCodes.NO_AUTHORIZER));
        }
        AclFilter filter = AclCodes.filter(request.resourceTypeFilter(), request.resourceNameFilter(),
            request.patternTypeFilter(), request.principalFilter(),
            request.hostFilter(), request.operation(), request.permissionType());
        if (filter.problem() != null) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_REQUEST)
                .setErrorMessage(filter.problem()));
        }
        Map<Pattern, List<AclDescription>> byResource = new LinkedHashMap<>();
        for (AclBinding b : view.image().acls().values()) {
            if (filter.matches(b)) {
                byResource.computeIfAbsent(new Pattern(b.resourceType().code(), b.resourceName(), b.patternType().code()),
                    p -> new ArrayList<>()).add(new AclDescription().setPrincipal(b.principal()).setHost(b.host())
                        .setOperation(b.operation().code()).setPermissionType(b.permission().code()));
            }
        }
        List<DescribeAclsResource> resources = new ArrayList<>();
        byResource.forEach((p, acls) -> resources.add(new DescribeAclsResource().setResourceType(p.type())
            .setResourceName(p.name()).setPatternType(p.patternType()).setAcls(acls)));
        return CompletableFuture.completedFuture(new DescribeAclsResponse().setResources(resources));
    }

    @Override
    public DescribeAclsResponse errorResponse(DescribeAclsRequest request, ErrorCode error) {
        return new DescribeAclsResponse().setErrorCode(error.code());
    }
}
