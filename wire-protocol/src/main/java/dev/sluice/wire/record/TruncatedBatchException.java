package dev.sluice.wire.record;

/**
 * The last batch in a buffer is incomplete: its header, or the bytes its length promises, run past
 * the end. In a produce request that is corruption; at the end of a fetch response it is normal
 * (a broker may cut a response mid-batch), which is why this is a distinct subclass and why
 * {@link MemoryRecords#completeBatches()} stops quietly instead.
 */
public class TruncatedBatchException extends CorruptRecordException {
    private static final long serialVersionUID = 1L;

    private final int position;
    private final long bytesNeeded;
    private final int bytesAvailable;

    public TruncatedBatchException(int position, long bytesNeeded, int bytesAvailable) {
        super("record batch at byte " + position + " is truncated: it needs " + bytesNeeded + " bytes but only "
            + bytesAvailable + " remain");
        this.position = position;
        this.bytesNeeded = bytesNeeded;
        this.bytesAvailable = bytesAvailable;
    }

    /** Where the partial batch starts, relative to the start of the records. */
    public int position() {
        return position;
    }

    /** Bytes the batch needs (its header, or its full size once the length is readable). */
    public long bytesNeeded() {
        return bytesNeeded;
    }

    public int bytesAvailable() {
        return bytesAvailable;
    }
}
