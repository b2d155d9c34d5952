package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.security.acl.AclBinding;
import dev.sluice.broker.security.acl.AclFilter;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.CreateAclsRequest;
import dev.sluice.wire.message.CreateAclsResponse;
import dev.sluice.wire.message.CreateAclsResponse.AclCreationResult;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * CreateAcls (key 30), v1-3: stores ACLs in the metadata log, a controller decision (forwarded to
 * the active controller in a cluster). Without an authorizer
 * (authorizer.class.name unset) every creation is SECURITY_DISABLED, as in Kafka; an invalid ACL
 * is INVALID_REQUEST without refusing the others.
 */
public final class CreateAclsHandler extends ApiHandler<CreateAclsRequest, CreateAclsResponse> {
    private final Controller controller;
    private final boolean authorizerConfigured;

    public CreateAclsHandler(Controller controller, boolean authorizerConfigured) {
        super(ApiKey.CREATE_ACLS, 1, 3);
        this.controller = controller;
        this.authorizerConfigured = authorizerConfigured;
    }

    @Override
    public CompletableFuture<CreateAclsResponse> handle(RequestContext context, CreateAclsRequest request) {
        if (!authorizerConfigured) {
            CreateAclsResponse refused = errorResponse(request, ErrorCode.SECURITY_DISABLED);
            refused.results().forEach(r -> r.setErrorMessage(AclCodes.NO_AUTHORIZER));
            return CompletableFuture.completedFuture(refused);
        }
        List<AclBinding> creations = new ArrayList<>();
        for (CreateAclsRequest.AclCreation c : request.creations()) {
            AclFilter f = AclCodes.filter(c.resourceType(), c.resourceName(), c.resourcePatternType(), c.principal(), c.host(),
                c.operation(), c.permissionType());
            creations.add(new AclBinding(f.resourceType(), f.resourceName(), f.patternType(), f.principal(), f.host(),
                f.operation(), f.permission()));
        }
        return controller.createAcls(creations).thenApply(outcomes -> {
            List<AclCreationResult> results = new ArrayList<>();
            for (Controller.AclOutcome o : outcomes) {
                results.add(new AclCreationResult().setErrorCode(o.error().code()).setErrorMessage(o.message()));
            }
            return new CreateAclsResponse().setResults(results);
        });
    }

    @Override
    public CreateAclsResponse errorResponse(CreateAclsRequest request, ErrorCode error) {
        List<AclCreationResult> results = new ArrayList<>();
        request.creations().forEach(c -> results.add(new AclCreationResult().setErrorCode(error.code())));
        return new CreateAclsResponse().setResults(results);
    }
}
