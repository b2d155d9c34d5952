package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.DelegationTokenImage;
import dev.sluice.broker.security.KafkaPrincipal;
import dev.sluice.broker.security.TokenAuthority;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.CreateDelegationTokenRequest;
import dev.sluice.wire.message.CreateDelegationTokenRequest.CreatableRenewers;
import dev.sluice.wire.message.CreateDelegationTokenResponse;
import dev.sluice.wire.message.ErrorCode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * CreateDelegationToken (key 38), v1-3: a token that authenticates as its owner (the requester, or
 * from v3 the principal named, which needs CREATE_TOKENS on that user). Only a client that proved
 * who it is with its own credential may ask (DELEGATION_TOKEN_REQUEST_NOT_ALLOWED otherwise),
 * renewers must be users (INVALID_PRINCIPAL_TYPE), and tokens exist only while
 * {@code delegation.token.secret.key} is set (DELEGATION_TOKEN_AUTH_DISABLED). The token
 * lives {@code delegation.token.expiry.time.ms} unless renewed, and never longer than the lesser of
 * the request's maximum and {@code delegation.token.max.lifetime.ms}. A controller decision: on a
 * cluster the request is forwarded to the active controller.
 */
public final class CreateDelegationTokenHandler
        extends ApiHandler<CreateDelegationTokenRequest, CreateDelegationTokenResponse> {
    private final Controller controller;
    private final TokenAuthority tokens;
    private final LongSupplier clockMs;
    private final long maxLifetimeMs;
    private final long expiryTimeMs;

    public CreateDelegationTokenHandler(Controller controller, TokenAuthority tokens, LongSupplier clockMs,
                                        long maxLifetimeMs, long expiryTimeMs) {
        super(ApiKey.CREATE_DELEGATION_TOKEN, 1, 3);
        this.controller = controller;
        this.tokens = tokens;
        this.clockMs = clockMs;
        this.maxLifetimeMs = maxLifetimeMs;
        this.expiryTimeMs = expiryTimeMs;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<CreateDelegationTokenResponse> handle(RequestContext context,
                                                                    CreateDelegationTokenRequest request) {
        KafkaPrincipal requester = context.principal();
        String ownerName = request.ownerPrincipalName();
        boolean ownerTyped = request.ownerPrincipalType() != null;
        KafkaPrincipal owner = ownerName == null || ownerName.isEmpty() ? requester
            : new KafkaPrincipal(ownerTyped ? request.ownerPrincipalType() : "", ownerName);
        ErrorCode refusal = null;
        if (!ownerTyped && owner != requester) {
            refusal = ErrorCode.INVALID_REQUEST;
        } else if (!context.connection().method().mayManageTokens()) {
            refusal = ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED;
        } else if (!owner.equals(requester)
                && !context.allowed(AclOperation.CREATE_TOKENS, AclResourceType.USER, owner.toString())) {
            refusal = ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED;
        }
        List<String> renewers = new ArrayList<>();
        for (CreatableRenewers r : request.renewers()) {
            if (refusal == null && !KafkaPrincipal.USER_TYPE.equals(r.principalType())) {
                refusal = ErrorCode.INVALID_PRINCIPAL_TYPE;
            }
            renewers.add(new KafkaPrincipal(r.principalType(), r.principalName()).toString());
        }
        if (refusal == null && !tokens.enabled()) {
            refusal = ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED;
        }
        // Who asked is reported from v3 only (KIP-373).
        KafkaPrincipal reportedRequester = context.version() >= 3 ? requester : null;
        if (refusal != null) {
            return CompletableFuture.completedFuture(refused(refusal, owner, reportedRequester));
        }
        DelegationTokenImage token = DelegationTokenImage.issued(newTokenId(), owner.toString(), requester.toString(),
            renewers, clockMs.getAsLong(), request.maxLifetimeMs(), maxLifetimeMs, expiryTimeMs);
        return controller.createDelegationToken(token).thenApply(change -> {
            if (change.error() != ErrorCode.NONE) {
                return refused(change.error(), owner, reportedRequester);
            }
            return principals(new CreateDelegationTokenResponse(), owner, reportedRequester)
                .setIssueTimestampMs(token.issueMs()).setExpiryTimestampMs(token.expiryMs())
                .setMaxTimestampMs(token.maxMs()).setTokenId(token.tokenId()).setHmac(tokens.hmac(token.tokenId()));
        });
    }

    /**
     * 22 characters of URL-safe Base64 of a random UUID's 128 bits, without '-', as Kafka's token
     * ids look (a command line could take a leading '-' for an option).
     */
    private static String newTokenId() {
        while (true) {
            UUID uuid = UUID.randomUUID();
            ByteBuffer bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits());
            String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
            if (id.indexOf('-') < 0) {
                return id;
            }
        }
    }

    /** The owner, and the requester unless null (before v3). */
    private static CreateDelegationTokenResponse principals(CreateDelegationTokenResponse response,
                                                            KafkaPrincipal owner, KafkaPrincipal requester) {
        response.setPrincipalType(owner.type()).setPrincipalName(owner.name());
        if (requester != null) {
            response.setTokenRequesterPrincipalType(requester.type()).setTokenRequesterPrincipalName(requester.name());
        }
        return response;
    }

    private static CreateDelegationTokenResponse refused(ErrorCode error, KafkaPrincipal owner, KafkaPrincipal requester) {
        return principals(new CreateDelegationTokenResponse().setErrorCode(error.code()), owner, requester)
            .setIssueTimestampMs(-1).setExpiryTimestampMs(-1).setMaxTimestampMs(-1).setTokenId("")
            .setHmac(new byte[0]);
    }

    @Override
    public CreateDelegationTokenResponse errorResponse(CreateDelegationTokenRequest request, ErrorCode error) {
        return new CreateDelegationTokenResponse().setErrorCode(error.code()).setPrincipalType("").setPrincipalName("")
            .setIssueTimestampMs(-1).setExpiryTimestampMs(-1).setMaxTimestampMs(-1).setTokenId("").setHmac(new byte[0]);
    }
}
