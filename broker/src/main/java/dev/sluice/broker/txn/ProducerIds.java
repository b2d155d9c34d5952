package dev.sluice.broker.txn;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataLog;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Hands out producer ids from blocks the controller reserves in the metadata log, so that no id is
 * ever handed out twice, across restarts and brokers. Used by InitProducerId for idempotent
 * producers and by the transaction coordinator for transactional ids.
 *
 * <p>Threading: any thread.
 */
public final class ProducerIds {
    /** Ids reserved per trip to the controller, as Kafka reserves them. */
    static final int BLOCK_SIZE = 1000;

    /** The controller could not reserve a block now (its log cannot be written): callers answer a retriable error. */
    public static final class Unavailable extends RuntimeException {
        Unavailable(Throwable cause) {
            super("no producer id block could be reserved: " + cause.getMessage(), cause);
        }
    }

    private final Controller controller;
    private long next;
    private long blockEnd;

    public ProducerIds(Controller controller) {
        this.controller = controller;
    }

    /** The next unused producer id; fails with {@link Unavailable} when no block can be reserved. */
    public CompletableFuture<Long> next() {
        synchronized (this) {
            if (next < blockEnd) {
                return CompletableFuture.completedFuture(next++);
            }
        }
        return controller.allocateProducerIds(BLOCK_SIZE).handle((first, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
                if (cause instanceof MetadataLog.AppendFailure) {
                    throw new Unavailable(cause);
                }
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            }
            synchronized (this) {
                if (next >= blockEnd) {
                    next = first;
                    blockEnd = first + BLOCK_SIZE;
                }
                return next++;
            }
        });
    }

    /** Whether {@code failure} (as a future fails) means no block could be reserved. */
    public static boolean unavailable(Throwable failure) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof Unavailable;
    }
}
