package dev.sluice.broker.coordinator;

import dev.sluice.wire.message.ErrorCode;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * Why the runtime did not run an operation or did not write its records: NOT_COORDINATOR (the
 * partition is not loaded here, or was unloaded before the write completed),
 * COORDINATOR_LOAD_IN_PROGRESS, or the error the partition's append answered (a coordinator maps
 * that to what its clients are told).
 */
public final class CoordinatorException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode error;

    public CoordinatorException(ErrorCode error, String message) {
        super(message, null, false, false);
        this.error = error;
    }

    public ErrorCode error() {
        return error;
    }

    /** The coordinator exception behind {@code failure} (unwrapping a future's completion wrapper), if it is one. */
    public static Optional<CoordinatorException> of(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        return cause instanceof CoordinatorException e ? Optional.of(e) : Optional.empty();
    }

    /**
     * The error a client is answered with when a coordinator's operation failed with
     * {@code failure}: the write's partition-level errors become the coordinator errors clients
     * know how to retry (NOT_COORDINATOR when the partition left, COORDINATOR_NOT_AVAILABLE when
     * it could not be written), as Kafka maps them.
     */
    public static ErrorCode clientError(Throwable failure) {
        return of(failure).map(e -> switch (e.error()) {
            case NOT_COORDINATOR, KAFKA_STORAGE_ERROR, NOT_LEADER_OR_FOLLOWER -> ErrorCode.NOT_COORDINATOR;
            case COORDINATOR_LOAD_IN_PROGRESS -> ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
            case MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_FETCH_SIZE -> ErrorCode.UNKNOWN_SERVER_ERROR;
            default -> ErrorCode.COORDINATOR_NOT_AVAILABLE;
        }).orElse(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
}
