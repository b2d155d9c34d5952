package dev.sluice.storage;

/**
 * A read asked for an offset outside [log start offset, log end offset]: Kafka's
 * OFFSET_OUT_OF_RANGE, on which a consumer applies its {@code auto.offset.reset}.
 */
public class OffsetOutOfRangeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long requestedOffset;
    private final long logStartOffset;
    private final long logEndOffset;

    public OffsetOutOfRangeException(long requestedOffset, long logStartOffset, long logEndOffset) {
        super("offset " + requestedOffset + " is outside the log's range [" + logStartOffset + ", " + logEndOffset + "]");
        this.requestedOffset = requestedOffset;
        this.logStartOffset = logStartOffset;
        this.logEndOffset = logEndOffset;
    }

    public long requestedOffset() {
        return requestedOffset;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long logEndOffset() {
        return logEndOffset;
    }
}
