package dev.sluice.broker.handler;

import dev.sluice.broker.metadata.MetadataLog;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/** How the controller APIs answer a change the controller could not make. */
final class ControllerErrors {
    private ControllerErrors() {
    }

    /**
     * {@code decided}, or, when the change was not written, the error response for the metadata
     * log's error (NOT_CONTROLLER while leadership moves: the broker retries).
     */
    static <R> CompletableFuture<R> answer(CompletableFuture<R> decided,
                                           Function<dev.sluice.wire.message.ErrorCode, R> error) {
        return decided.exceptionally(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof MetadataLog.AppendFailure failure) {
                return error.apply(failure.error());
            }
            throw e instanceof RuntimeException re ? re : new CompletionException(e);
        });
    }
}
