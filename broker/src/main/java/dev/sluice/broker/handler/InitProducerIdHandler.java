package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataLog;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.InitProducerIdRequest;
import dev.sluice.wire.message.InitProducerIdResponse;
import java.util.concurrent.CompletableFuture;

/**
 * InitProducerId (key 22), v0-5, for idempotent producers: every call gets a fresh producer id
 * with epoch 0, from blocks the controller reserves in the metadata journal so that no id is ever
 * handed out twice, across restarts too. A transactional id is answered with UNSUPPORTED_VERSION:
 * transactions are not served yet (nor is the FindCoordinator a transactional producer asks first).
 * When a new block cannot be written to the journal the answer is COORDINATOR_LOAD_IN_PROGRESS,
 * as a Kafka broker answers while it waits for a block from its controller: producers retry.
 */
public final class InitProducerIdHandler extends ApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
    private static final int BLOCK_SIZE = 1000;

    private final Controller controller;
    private long next;
    private long blockEnd;

    public InitProducerIdHandler(Controller controller) {
        super(ApiKey.INIT_PRODUCER_ID, 0, 5);
        this.controller = controller;
    }

    @Override
    public CompletableFuture<InitProducerIdResponse> handle(RequestContext context, InitProducerIdRequest request) {
        if (request.transactionalId() != null) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.UNSUPPORTED_VERSION));
        }
        synchronized (this) {
            if (next < blockEnd) {
                return CompletableFuture.completedFuture(granted(next++));
            }
        }
        return controller.allocateProducerIds(BLOCK_SIZE).thenApply(first -> {
            synchronized (this) {
                if (next >= blockEnd) {
                    next = first;
                    blockEnd = first + BLOCK_SIZE;
                }
                return granted(next++);
            }
        }).exceptionally(e -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof MetadataLog.AppendFailure) {
                return errorResponse(request, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
            }
            throw e instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(e);
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
