package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.txn.ProducerIds;
import dev.sluice.broker.txn.TransactionCoordinator;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.InitProducerIdRequest;
import dev.sluice.wire.message.InitProducerIdResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * InitProducerId (key 22), v0-5.
 *
 * <p>Without a transactional id (an idempotent producer): a fresh producer id with epoch 0, from
 * blocks the controller reserves in the metadata log so that no id is ever handed out twice. When
 * no block can be reserved the answer is COORDINATOR_LOAD_IN_PROGRESS, as a Kafka broker answers
 * while it waits for one: producers retry.
 *
 * <p>With a transactional id, the transaction coordinator answers (this broker must coordinate the
 * id: NOT_COORDINATOR otherwise): a new id gets a producer id at epoch 0; a known one keeps its
 * producer id with the epoch bumped, which fences every older producer of that id, after aborting
 * a transaction one of them left open (CONCURRENT_TRANSACTIONS meanwhile). From v3 a producer names
 * its current producer id and epoch to bump its own epoch after an abortable error (KIP-360);
 * another producer's is PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v4). A timeout above
 * {@code transaction.max.timeout.ms} is INVALID_TRANSACTION_TIMEOUT, an empty id INVALID_REQUEST.
 */
public final class InitProducerIdHandler extends ApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
    private final ProducerIds producerIds;
    private final TransactionCoordinator transactions;

    public InitProducerIdHandler(ProducerIds producerIds, TransactionCoordinator transactions) {
        super(ApiKey.INIT_PRODUCER_ID, 0, 5);
        this.producerIds = producerIds;
        this.transactions = transactions;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<InitProducerIdResponse> handle(RequestContext context, InitProducerIdRequest request) {
        if (!(request.transactionalId() == null || request.transactionalId().isEmpty() ? ProduceHandler.mayWriteIdempotently(context) : context.allowed(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, request.transactionalId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, request.transactionalId() == null
                ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
        }
        String id = request.transactionalId();
        if (id != null) {
            if (id.isEmpty()) {
                return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_REQUEST));
            }
            long expectedId = context.version() >= 3 ? request.producerId() : -1;
            short expectedEpoch = context.version() >= 3 ? request.producerEpoch() : -1;
            return transactions.initProducerId(id, request.transactionTimeoutMs(), expectedId, expectedEpoch)
                .thenApply(outcome -> new InitProducerIdResponse()
                    .setErrorCode(TransactionErrors.forVersion(outcome.error(), context.version(), 4).code())
                    .setProducerId(outcome.producerId()).setProducerEpoch(outcome.producerEpoch()));
        }
        return producerIds.next().thenApply(InitProducerIdHandler::granted).exceptionally(e -> {
            if (ProducerIds.unavailable(e)) {
                return errorResponse(request, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
            }
            throw e instanceof CompletionException c ? c : new CompletionException(e);
        });
    }

    private static InitProducerIdResponse granted(long producerId) {
        return new InitProducerIdResponse().setProducerId(producerId).setProducerEpoch((short) 0);
    }

    @Override
    public InitProducerIdResponse errorResponse(InitProducerIdRequest request, ErrorCode error) {
        return new InitProducerIdResponse().setErrorCode(error.code()).setProducerId(-1).setProducerEpoch((short) -1);
    }
}
