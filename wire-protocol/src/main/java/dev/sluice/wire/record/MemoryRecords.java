package dev.sluice.wire.record;

import java.nio.ByteBuffer;

/**
 * Record batches held in a buffer, exactly as they travel on the wire. Wrapping never copies:
 * a produce request's records are a view of the request's own bytes.
 */
public final class MemoryRecords implements Records {
    public static final MemoryRecords EMPTY = new MemoryRecords(ByteBuffer.allocate(0));

    private final ByteBuffer buffer;

    private MemoryRecords(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /** Wraps the bytes between the buffer's position and limit (not copied). */
    public static MemoryRecords readableRecords(ByteBuffer buffer) {
        return new MemoryRecords(buffer.slice());
    }

    /** A view of the bytes, position 0 to {@link #sizeInBytes()}; independent position and limit. */
    public ByteBuffer buffer() {
        return buffer.duplicate();
    }

    @Override
    public int sizeInBytes() {
        return buffer.limit();
    }

    @Override
    public void writeTo(ByteBuffer out) {
        out.put(buffer.duplicate());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MemoryRecords other && buffer.equals(other.buffer);
    }

    @Override
    public int hashCode() {
        return buffer.hashCode();
    }

    @Override
    public String toString() {
        return "MemoryRecords(" + sizeInBytes() + " bytes)";
    }
}
