package dev.sluice.wire.codec;

import dev.sluice.wire.record.MemoryRecords;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads protocol primitives from a {@link ByteBuffer}, advancing its position. Every read checks
 * the bytes left first and throws {@link MalformedDataException} on a short buffer or an
 * impossible length, so hostile input fails fast instead of allocating what it claims.
 *
 * <p>The "compact" forms are those of flexible versions (unsigned varint of length + 1, zero for
 * null); the others use a fixed-width length with -1 for null. Not thread-safe.
 */
public final class ByteReader {
    private static final int MAX_STRING_LENGTH = Short.MAX_VALUE;

    private final ByteBuffer buffer;

    public ByteReader(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /** The underlying buffer; its position is the next byte to read. */
    public ByteBuffer buffer() {
        return buffer;
    }

    public int remaining() {
        return buffer.remaining();
    }

    public int position() {
        return buffer.position();
    }

    private void require(int n, String what) {
        if (n < 0 || buffer.remaining() < n) {
            throw new MalformedDataException("needed " + n + " bytes for " + what + " but only "
                + buffer.remaining() + " remain");
        }
    }

    public byte readByte() {
        require(1, "an int8");
        return buffer.get();
    }

    public boolean readBoolean() {
        return readByte() != 0;
    }

    public short readShort() {
        require(2, "an int16");
        return buffer.getShort();
    }

    public int readUnsignedShort() {
        return readShort() & 0xFFFF;
    }

    public int readInt() {
        require(4, "an int32");
        return buffer.getInt();
    }

    public long readUnsignedInt() {
        return readInt() & 0xFFFFFFFFL;
    }

    public long readLong() {
        require(8, "an int64");
        return buffer.getLong();
    }

    public double readDouble() {
        require(8, "a float64");
        return buffer.getDouble();
    }

    public int readUnsignedVarint() {
        return Varint.readUnsigned(buffer);
    }

    public int readVarint() {
        return Varint.read(buffer);
    }

    public long readVarlong() {
        return Varint.readLong(buffer);
    }

    public Uuid readUuid() {
        require(16, "a uuid");
        return new Uuid(buffer.getLong(), buffer.getLong());
    }

    /** Skips {@code n} bytes. */
    public void skip(int n) {
        require(n, "skipped bytes");
        buffer.position(buffer.position() + n);
    }

    /**
     * The next {@code length} bytes as a view, without copying. The view shares the input's bytes
     * (and its writability): a broker that owns the frame may, for example, assign offsets to a
     * produced batch in place.
     */
    public ByteBuffer readSlice(int length) {
        require(length, "a slice");
        ByteBuffer slice = buffer.slice(buffer.position(), length);
        buffer.position(buffer.position() + length);
        return slice;
    }

    public byte[] readByteArray(int length) {
        require(length, "a byte array");
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return bytes;
    }

    private int readLength(boolean compact, boolean nullable, String field) {
        int length = compact ? readUnsignedVarint() - 1 : readInt();
        if (length < -1 || (length == -1 && compact && !nullable) || (length < 0 && !nullable)) {
            if (length < -1) {
                throw new MalformedDataException("field " + field + " has invalid length " + length);
            }
            throw new MalformedDataException("non-nullable field " + field + " was serialized as null");
        }
        return length;
    }

    /** A string field; {@code null} only if {@code nullable}. */
    public String readString(boolean compact, boolean nullable, String field) {
        int length = compact ? readUnsignedVarint() - 1 : readShort();
        if (length < 0) {
            if (length < -1) {
                throw new MalformedDataException("string field " + field + " has invalid length " + length);
            }
            if (!nullable) {
                throw new MalformedDataException("non-nullable field " + field + " was serialized as null");
            }
            return null;
        }
        if (length > MAX_STRING_LENGTH) {
            throw new MalformedDataException("string field " + field + " has invalid length " + length);
        }
        require(length, "string field " + field);
        String value;
        if (buffer.hasArray()) {
            value = new String(buffer.array(), buffer.arrayOffset() + buffer.position(), length, StandardCharsets.UTF_8);
            buffer.position(buffer.position() + length);
        } else {
            byte[] bytes = new byte[length];
            buffer.get(bytes);
            value = new String(bytes, StandardCharsets.UTF_8);
        }
        return value;
    }

    /** A bytes field copied into an array; {@code null} only if {@code nullable}. */
    public byte[] readBytes(boolean compact, boolean nullable, String field) {
        int length = readLength(compact, nullable, field);
        return length < 0 ? null : readByteArray(length);
    }

    /** A bytes field as a view of the input (zero-copy); {@code null} only if {@code nullable}. */
    public ByteBuffer readBytesSlice(boolean compact, boolean nullable, String field) {
        int length = readLength(compact, nullable, field);
        return length < 0 ? null : readSlice(length);
    }

    /** A records field as a view of the input (zero-copy); {@code null} only if {@code nullable}. */
    public MemoryRecords readRecords(boolean compact, boolean nullable, String field) {
        int length = readLength(compact, nullable, field);
        return length < 0 ? null : MemoryRecords.readableRecords(readSlice(length));
    }

    /**
     * An array's element count, or -1 for a null array. A count larger than the bytes left cannot
     * be honest (every element takes at least one byte) and is rejected before anything is allocated.
     */
    public int readArrayLength(boolean compact, boolean nullable, String field) {
        int length = readLength(compact, nullable, field);
        if (length > buffer.remaining()) {
            throw new MalformedDataException("array field " + field + " claims " + length
                + " elements but only " + buffer.remaining() + " bytes remain");
        }
        return length;
    }
}
