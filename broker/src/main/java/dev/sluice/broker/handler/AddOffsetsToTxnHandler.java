package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupCoordinator;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.txn.TransactionCoordinator;
import dev.sluice.wire.message.AddOffsetsToTxnRequest;
import dev.sluice.wire.message.AddOffsetsToTxnResponse;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * AddOffsetsToTxn (key 25), v0-4: adds the group's {@code __consumer_offsets} partition to the
 * producer's transaction, so that its TxnOffsetCommit becomes part of it and the markers reach the
 * group coordinator. Errors as AddPartitionsToTxn; an empty group id is INVALID_GROUP_ID.
 */
public final class AddOffsetsToTxnHandler extends ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> {
    private final TransactionCoordinator coordinator;
    private final GroupCoordinator groups;

    public AddOffsetsToTxnHandler(TransactionCoordinator coordinator, GroupCoordinator groups) {
        super(ApiKey.ADD_OFFSETS_TO_TXN, 0, 4);
        this.coordinator = coordinator;
        this.groups = groups;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<AddOffsetsToTxnResponse> handle(RequestContext context, AddOffsetsToTxnRequest request) {
        if (!(context.allowed(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, request.transactionalId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
        }
        if (!(context.allowed(AclOperation.READ, AclResourceType.GROUP, request.groupId()))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        }
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_GROUP_ID));
        }
        Map<String, Set<Integer>> partition = Map.of(GroupCoordinator.TOPIC, Set.of(groups.partitionFor(request.groupId())));
        return coordinator.addPartitions(request.transactionalId(), request.producerId(), request.producerEpoch(),
            partition, (short) 0).thenApply(error -> new AddOffsetsToTxnResponse()
                .setErrorCode(TransactionErrors.forVersion(error, context.version(), 2).code()));
    }

    @Override
    public AddOffsetsToTxnResponse errorResponse(AddOffsetsToTxnRequest request, ErrorCode error) {
        return new AddOffsetsToTxnResponse().setErrorCode(error.code());
    }
}
