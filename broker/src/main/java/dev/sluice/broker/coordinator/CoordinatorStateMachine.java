package dev.sluice.broker.coordinator;

import java.nio.ByteBuffer;

/**
 * A coordinator's state for one partition of its internal topic, hosted by a
 * {@link CoordinatorRuntime}.
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

    /** The whole partition has been replayed; operations come next. Timers may be started here. */
    void loaded();

    /**
     * The partition is being unloaded: answer every parked request (with NOT_COORDINATOR). The
     * runtime has already cancelled the timers and drops this state machine afterwards.
     */
    void unloaded();
}
