package dev.sluice.storage;

/**
 * A follower's append ({@link PartitionLog#appendAsFollower}) carried a batch that does not come
 * after what the log already holds: the first batch starts (and may end) below the log end offset,
 * or a later batch does not start after the one before it. Nothing of the append was written.
 *
 * <p>The caller decides what it means. One case is expected: a follower whose log is empty
 * (log start = log end) fetched from a log start offset that a DeleteRecords put in the middle of
 * a leader's batch, and got that whole batch back; it then starts its log again at the batch's
 * base offset ({@link PartitionLog#truncateFullyAndStartAt}) and appends. Anything else means the
 * follower and the leader disagree about the log, and it truncates before fetching again.
 */
public class UnexpectedAppendOffsetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long firstOffset;
    private final long lastOffset;
    private final long expectedOffset;

    /**
     * @param firstOffset the base offset of the offending batch
     * @param lastOffset its last offset
     * @param expectedOffset the lowest offset it could have started at
     */
    public UnexpectedAppendOffsetException(String message, long firstOffset, long lastOffset, long expectedOffset) {
        super(message);
        this.firstOffset = firstOffset;
        this.lastOffset = lastOffset;
        this.expectedOffset = expectedOffset;
    }

    public long firstOffset() {
        return firstOffset;
    }

    public long lastOffset() {
        return lastOffset;
    }

    public long expectedOffset() {
        return expectedOffset;
    }
}
