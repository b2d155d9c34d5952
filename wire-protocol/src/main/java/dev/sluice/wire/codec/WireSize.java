package dev.sluice.wire.codec;

import dev.sluice.wire.record.Records;
import java.nio.ByteBuffer;
import java.util.List;

/** Sizes on the wire of the length-prefixed forms that {@link ByteWriter} writes. */
public final class WireSize {
    private WireSize() {
    }

    /** UTF-8 length of a string field's value; rejects strings a 16-bit length cannot describe. */
    public static int utf8Length(String value) {
        int length = Utf8.length(value);
        if (length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("string of " + length + " UTF-8 bytes is too long to be serialized");
        }
        return length;
    }

    private static int length(int length, boolean compact) {
        return compact ? Varint.sizeOfUnsigned(length + 1) : 4;
    }

    public static int string(String value, boolean compact) {
        if (value == null) {
            return compact ? 1 : 2;
        }
        int length = utf8Length(value);
        return (compact ? Varint.sizeOfUnsigned(length + 1) : 2) + length;
    }

    public static int bytes(byte[] value, boolean compact) {
        return value == null ? length(-1, compact) : length(value.length, compact) + value.length;
    }

    public static int bytes(ByteBuffer value, boolean compact) {
        return value == null ? length(-1, compact) : length(value.remaining(), compact) + value.remaining();
    }

    public static int records(Records value, boolean compact) {
        return value == null ? length(-1, compact) : length(value.sizeInBytes(), compact) + value.sizeInBytes();
    }

    public static int arrayLength(int length, boolean compact) {
        return length(length, compact);
    }

    public static int rawTaggedFields(List<RawTaggedField> fields) {
        if (fields == null) {
            return 0;
        }
        int size = 0;
        for (RawTaggedField field : fields) {
            size += field.wireSize();
        }
        return size;
    }
}
