package dev.sluice.storage.append;

import dev.sluice.wire.message.ErrorCode;
import java.util.List;

/**
 * Records a partition will not append, with the error code to answer and, when particular records
 * are at fault, their indexes within the batch and why (KIP-467 record errors).
 */
public final class AppendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A record at fault: its index in the batch and what is wrong with it. */
    public record RecordError(int batchIndex, String message) {
    }

    private final ErrorCode error;
    private final List<RecordError> recordErrors;

    public AppendException(ErrorCode error, String message) {
        this(error, message, List.of());
    }

    public AppendException(ErrorCode error, String message, List<RecordError> recordErrors) {
        super(message, null, false, false);
        this.error = error;
        this.recordErrors = List.copyOf(recordErrors);
    }

    public ErrorCode error() {
        return error;
    }

    public List<RecordError> recordErrors() {
        return recordErrors;
    }
}
