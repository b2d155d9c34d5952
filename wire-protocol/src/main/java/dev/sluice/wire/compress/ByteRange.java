package dev.sluice.wire.compress;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;

/**
 * The bytes between a buffer's position and limit as an array region, which is what the codec
 * libraries take. Heap buffers are used in place; direct and read-only buffers are copied once,
 * because their backing array is not reachable.
 */
record ByteRange(byte[] array, int offset, int length) {
    static ByteRange of(ByteBuffer buffer) {
        if (buffer.hasArray()) {
            return new ByteRange(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
        }
        byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        return new ByteRange(copy, 0, copy.length);
    }

    ByteArrayInputStream inputStream() {
        return new ByteArrayInputStream(array, offset, length);
    }

    int end() {
        return offset + length;
    }
}
