package dev.sluice.broker.coordinator;

import java.nio.ByteBuffer;

/**
 * A coordinator's state for one partition of its internal topic, hosted by a
 * {@link CoordinatorRuntime}.
 *
 * <p>Transactions: a state machine may write records on behalf of a transactional producer
 * ({@link CoordinatorResult#transactional}); such records only count once the producer's
 * transaction commits. The runtime replays them with {@link #replay(long, short, ByteBuffer, ByteBuffer)},
 * and reports the end of the producer's transaction, read from the log or written by
 * {@link CoordinatorRuntime#writeMarker}, with {@link #replayEndTransaction}. State machines that
 * never write transactionally need not implement either.
 *
 * <p>Threading: not thread-safe, and need not be: the runtime calls every method, and runs every
 * operation and timer on it, on the partition's serial executor only.
 */
public interface CoordinatorStateMachine {

    /**
     * Replays one record of the partition while loading, in log order. A record it cannot read
     * may throw {@link dev.sluice.wire.codec.MalformedDataException} or
     * {@link dev.sluice.wire.codec.UnsupportedVersionException}: the runtime skips it with a warning.
     *
     * @param value null for a tombstone
     */
    void replay(ByteBuffer key, ByteBuffer value);

    /**
     * As {@link #replay(ByteBuffer, ByteBuffer)}, told where the record is in the partition: for
     * state machines that delete the records they no longer need
     * ({@link CoordinatorContext#deleteRecordsBefore}). The default forgets the offset.
     */
    default void replay(long offset, ByteBuffer key, ByteBuffer value) {
        replay(key, value);
    }

    /**
     * Replays one record of a transactional batch of {@code producerId} while loading, in log order
     * with the other records: it is pending until {@link #replayEndTransaction} for that producer
     * commits or aborts it. Unreadable records may throw as in {@link #replay(ByteBuffer, ByteBuffer)}.
     * The default ignores it: a state machine that never writes transactionally never finds one.
     *
     * @param value null for a tombstone
     */
    default void replay(long producerId, short producerEpoch, ByteBuffer key, ByteBuffer value) {
    }

    /**
     * The transaction of {@code producerId} ended: its pending records now count ({@code commit})
     * or are dropped. Called in log order while loading, and once a marker written through
     * {@link CoordinatorRuntime#writeMarker} is committed.
     */
    default void replayEndTransaction(long producerId, boolean commit) {
    }

    /**
     * The whole partition has been replayed; operations come next. Timers may be started here. The
     * partition already serves: the runtime reports it loaded, and operations asked for from here
     * on run once this returns.
     */
    void loaded();

    /**
     * The partition is being unloaded: answer every parked request (with NOT_COORDINATOR). The
     * runtime has already cancelled the timers and drops this state machine afterwards.
     */
    void unloaded();
}
