package dev.sluice.wire.record;

import java.nio.ByteBuffer;

/**
 * The value of a {@code records} field: a run of record batches, opaque to the message that
 * carries it. Implementations may hold the bytes in memory or point into a log file.
 */
public interface Records {
    /** Bytes these records take on the wire. */
    int sizeInBytes();

    /** Copies the bytes into {@code out} at its position, advancing it. */
    void writeTo(ByteBuffer out);
}
