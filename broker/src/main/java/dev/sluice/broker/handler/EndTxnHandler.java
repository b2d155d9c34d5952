package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.txn.TransactionCoordinator;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.EndTxnRequest;
import dev.sluice.wire.message.EndTxnResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.concurrent.CompletableFuture;

/**
 * EndTxn (key 26), v0-5: a producer commits or aborts its open transaction. The answer comes once
 * PrepareCommit or PrepareAbort is written; the markers follow. v5 (transactions v2, KIP-890)
 * bumps the producer's epoch with every EndTxn and answers the producer id and epoch to go on
 * with. Errors as Kafka's: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS
 * (markers still being written), INVALID_TXN_STATE, INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED
 * (INVALID_PRODUCER_EPOCH before v2, KIP-588).
 */
public final class EndTxnHandler extends ApiHandler<EndTxnRequest, EndTxnResponse> {
    private final TransactionCoordinator coordinator;

    public EndTxnHandler(TransactionCoordinator coordinator) {
        super(ApiKey.END_TXN, 0, 5);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<EndTxnResponse> handle(RequestContext context, EndTxnRequest request) {
        if (!(context.allowed(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, request.transactionalId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
        }
        boolean bump = context.version() >= 5;
        return coordinator.endTransaction(request.transactionalId(), request.producerId(), request.producerEpoch(),
            request.committed(), bump).thenApply(outcome -> new EndTxnResponse()
                .setErrorCode(TransactionErrors.forVersion(outcome.error(), context.version(), 2).code())
                .setProducerId(outcome.producerId()).setProducerEpoch(outcome.producerEpoch()));
    }

    @Override
    public EndTxnResponse errorResponse(EndTxnRequest request, ErrorCode error) {
        return new EndTxnResponse().setErrorCode(error.code()).setProducerId(-1).setProducerEpoch((short) -1);
    }
}
