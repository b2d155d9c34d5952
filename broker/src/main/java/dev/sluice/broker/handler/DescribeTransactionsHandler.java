package dev.sluice.broker.handler;

import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.txn.TransactionCoordinator;
import dev.sluice.broker.txn.TransactionMetadata;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeTransactionsRequest;
import dev.sluice.wire.message.DescribeTransactionsResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeTransactions (key 65), v0: the state of each transactional id this broker coordinates:
 * state, timeout, start time (-1 with none open), producer id and epoch, and the partitions of the
 * open transaction. TRANSACTIONAL_ID_NOT_FOUND for an id it has no state for, NOT_COORDINATOR for
 * one another broker coordinates, COORDINATOR_LOAD_IN_PROGRESS while its partition loads.
 */
public final class DescribeTransactionsHandler
        extends ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse> {
    private final TransactionCoordinator coordinator;

    public DescribeTransactionsHandler(TransactionCoordinator coordinator) {
        super(ApiKey.DESCRIBE_TRANSACTIONS, 0, 0);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeTransactionsResponse> handle(RequestContext context,
                                                                 DescribeTransactionsRequest request) {
        List<CompletableFuture<DescribeTransactionsResponse.TransactionState>> states = new ArrayList<>();
        for (String id : request.transactionalIds()) {
            if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TRANSACTIONAL_ID, id)) {
                states.add(CompletableFuture.completedFuture(failed(id, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)));
                continue;
            }
            states.add(coordinator.describe(id).thenApply(found -> found.getValue().map(this::described)
                .orElseGet(() -> failed(id, found.getKey()))));
        }
        return CompletableFuture.allOf(states.toArray(new CompletableFuture<?>[0])).thenApply(v ->
            new DescribeTransactionsResponse().setTransactionStates(states.stream().map(CompletableFuture::join).toList()));
    }

    private DescribeTransactionsResponse.TransactionState described(TransactionMetadata m) {
        List<DescribeTransactionsResponse.TopicData> topics = new ArrayList<>();
        m.partitions().forEach((topic, ids) -> topics.add(new DescribeTransactionsResponse.TopicData().setTopic(topic)
            .setPartitions(List.copyOf(ids))));
        return new DescribeTransactionsResponse.TransactionState().setTransactionalId(m.transactionalId())
            .setTransactionState(m.state().displayName()).setTransactionTimeoutMs(m.timeoutMs())
            .setTransactionStartTimeMs(m.startTimestamp()).setProducerId(m.producerId())
            .setProducerEpoch(m.producerEpoch()).setTopics(topics);
    }

    private static DescribeTransactionsResponse.TransactionState failed(String id, ErrorCode error) {
        return new DescribeTransactionsResponse.TransactionState().setTransactionalId(id).setErrorCode(error.code())
            .setTransactionState("").setTransactionTimeoutMs(0).setTransactionStartTimeMs(-1).setProducerId(-1)
            .setProducerEpoch((short) -1).setTopics(List.of());
    }

    @Override
    public DescribeTransactionsResponse errorResponse(DescribeTransactionsRequest request, ErrorCode error) {
        return new DescribeTransactionsResponse().setTransactionStates(request.transactionalIds().stream()
            .map(id -> failed(id, error)).toList());
    }
}
