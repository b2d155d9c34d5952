package dev.sluice.wire.codec;

import java.nio.ByteBuffer;

/**
 * Variable-length integers as the Kafka protocol writes them: unsigned LEB128 (7 bits a byte, low
 * bits first, high bit = more follows) and its zig-zag signed form for varint and varlong. Reads
 * are bounded: a 32-bit value takes at most 5 bytes, a 64-bit one at most 10, anything longer is
 * malformed rather than silently wrapped.
 */
public final class Varint {
    private Varint() {
    }

    public static int sizeOfUnsigned(int value) {
        // Number of 7-bit groups needed for the value's significant bits (at least one).
        int bits = 32 - Integer.numberOfLeadingZeros(value | 1);
        return (bits + 6) / 7;
    }

    public static int sizeOf(int value) {
        return sizeOfUnsigned((value << 1) ^ (value >> 31));
    }

    public static int sizeOf(long value) {
        long zigzag = (value << 1) ^ (value >> 63);
        int bits = 64 - Long.numberOfLeadingZeros(zigzag | 1);
        return (bits + 6) / 7;
    }

    public static void writeUnsigned(int value, ByteBuffer out) {
        while ((value & 0xFFFFFF80) != 0) {
            out.put((byte) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.put((byte) value);
    }

    public static void write(int value, ByteBuffer out) {
        writeUnsigned((value << 1) ^ (value >> 31), out);
    }

    public static void write(long value, ByteBuffer out) {
        long v = (value << 1) ^ (value >> 63);
        while ((v & 0xFFFFFFFFFFFFFF80L) != 0) {
            out.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.put((byte) v);
    }

    public static int readUnsigned(ByteBuffer in) {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (!in.hasRemaining()) {
                throw new MalformedDataException("varint runs past the end of the buffer");
            }
            byte b = in.get();
            value |= (b & 0x7F) << shift;
            if (b >= 0) {
                if (shift == 28 && (b & 0xF0) != 0) {
                    throw new MalformedDataException("varint does not fit in 32 bits");
                }
                return value;
            }
        }
        throw new MalformedDataException("varint is longer than 5 bytes");
    }

    public static int read(ByteBuffer in) {
        int raw = readUnsigned(in);
        return (raw >>> 1) ^ -(raw & 1);
    }

    public static long readLong(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (!in.hasRemaining()) {
                throw new MalformedDataException("varlong runs past the end of the buffer");
            }
            byte b = in.get();
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                if (shift == 63 && (b & 0x7E) != 0) {
                    throw new MalformedDataException("varlong does not fit in 64 bits");
                }
                return (value >>> 1) ^ -(value & 1);
            }
        }
        throw new MalformedDataException("varlong is longer than 10 bytes");
    }
}
