package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.DelegationTokenImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.KafkaPrincipal;
import dev.sluice.broker.security.TokenAuthority;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeDelegationTokenRequest;
import dev.sluice.wire.message.DescribeDelegationTokenResponse;
import dev.sluice.wire.message.DescribeDelegationTokenResponse.DescribedDelegationToken;
import dev.sluice.wire.message.DescribeDelegationTokenResponse.DescribedDelegationTokenRenewer;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * DescribeDelegationToken (key 41), v1-3: the tokens in this node's metadata image, HMACs
 * included, that one of the principals asked for owns, requested or may renew (no owners given:
 * every token; an empty list: none), and that the requester may see: those it owns, requested or
 * may renew, those it has DESCRIBE on (the DELEGATION_TOKEN resource named by the token id), and
 * those of owners it has DESCRIBE_TOKENS on (the USER resource). Expired tokens are listed until
 * the controller removes them. Served by any node from its image, as in Kafka.
 */
public final class DescribeDelegationTokenHandler
        extends ApiHandler<DescribeDelegationTokenRequest, DescribeDelegationTokenResponse> {
    private final MetadataView view;
    private final TokenAuthority tokens;

    public DescribeDelegationTokenHandler(MetadataView view, TokenAuthority tokens) {
        super(ApiKey.DESCRIBE_DELEGATION_TOKEN, 1, 3);
        this.view = view;
        this.tokens = tokens;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeDelegationTokenResponse> handle(RequestContext context,
                                                                      DescribeDelegationTokenRequest request) {
        if (!context.connection().method().mayManageTokens()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED));
        }
        if (!tokens.enabled()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED));
        }
        Set<String> owners = request.owners() == null ? null : request.owners().stream()
            .map(o -> new KafkaPrincipal(o.principalType(), o.principalName()).toString()).collect(Collectors.toSet());
        String requester = context.principal().toString();
        List<DescribedDelegationToken> described = new ArrayList<>();
        List<DelegationTokenImage> all = new ArrayList<>(view.image().delegationTokens().values());
        all.sort(Comparator.comparingLong(DelegationTokenImage::issueMs).thenComparing(DelegationTokenImage::tokenId));
        for (DelegationTokenImage token : all) {
            boolean asked = owners == null || owners.stream().anyMatch(token::ownerRequesterOrRenewer);
            if (asked && (token.ownerRequesterOrRenewer(requester)
                    || context.allowed(AclOperation.DESCRIBE, AclResourceType.DELEGATION_TOKEN, token.tokenId())
                    || context.allowed(AclOperation.DESCRIBE_TOKENS, AclResourceType.USER, token.owner()))) {
                described.add(described(token, context.version() >= 3));
            }
        }
        return CompletableFuture.completedFuture(new DescribeDelegationTokenResponse().setTokens(described));
    }

    /** A token as described; who requested it from v3 only (KIP-373). */
    private DescribedDelegationToken described(DelegationTokenImage token, boolean withRequester) {
        KafkaPrincipal owner = KafkaPrincipal.parse(token.owner());
        KafkaPrincipal requester = KafkaPrincipal.parse(token.requester());
        List<DescribedDelegationTokenRenewer> renewers = new ArrayList<>();
        for (String r : token.renewers()) {
            KafkaPrincipal renewer = KafkaPrincipal.parse(r);
            renewers.add(new DescribedDelegationTokenRenewer().setPrincipalType(renewer.type())
                .setPrincipalName(renewer.name()));
        }
        DescribedDelegationToken described = new DescribedDelegationToken();
        if (withRequester) {
            described.setTokenRequesterPrincipalType(requester.type()).setTokenRequesterPrincipalName(requester.name());
        }
        return described.setPrincipalType(owner.type()).setPrincipalName(owner.name())
            .setIssueTimestamp(token.issueMs()).setExpiryTimestamp(token.expiryMs()).setMaxTimestamp(token.maxMs())
            .setTokenId(token.tokenId()).setHmac(tokens.hmac(token.tokenId())).setRenewers(renewers);
    }

    @Override
    public DescribeDelegationTokenResponse errorResponse(DescribeDelegationTokenRequest request, ErrorCode error) {
        return new DescribeDelegationTokenResponse().setErrorCode(error.code()).setTokens(new ArrayList<>());
    }
}
