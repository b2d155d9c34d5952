package dev.sluice.wire.record;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One record read from a v2 batch, with the batch-relative fields already resolved. On the wire:
 *
 * <pre>
 * length          varint  bytes of everything after this field
 * attributes      int8    unused, 0
 * timestampDelta  varlong from the batch's base timestamp
 * offsetDelta     varint  from the batch's base offset
 * keyLength       varint  -1 for a null key
 * key             bytes
 * valueLength     varint  -1 for a null value
 * value           bytes
 * headerCount     varint
 * headers         see {@link RecordHeader}
 * </pre>
 *
 * <p>Key, value and header fields are read-only views of the batch's bytes (or of its decompressed
 * payload), not copies; read them with absolute gets or through {@code duplicate()} so their
 * positions stay put. Key and value are {@code null} when the wire says null: a tombstone (null
 * value) is not the same as an empty value, and this is a per-record hot path where wrapping each
 * field in an {@code Optional} would allocate for nothing.
 *
 * @param offset base offset + offset delta
 * @param timestamp base timestamp + timestamp delta, or the batch's max timestamp for LogAppendTime
 * @param sequence the producer sequence of this record (base sequence + offset delta, wrapping at
 *     {@code Integer.MAX_VALUE}), or -1 when the batch has no producer sequence
 * @param key the key, or {@code null}
 * @param value the value, or {@code null}
 * @param headers the headers, in wire order
 */
public record BatchRecord(long offset, long timestamp, int sequence, ByteBuffer key, ByteBuffer value,
                          List<RecordHeader> headers) {

    public boolean hasKey() {
        return key != null;
    }

    public boolean hasValue() {
        return value != null;
    }

    /** The key as a new array, or {@code null}. */
    public byte[] keyArray() {
        return toArray(key);
    }

    /** The value as a new array, or {@code null}. */
    public byte[] valueArray() {
        return toArray(value);
    }

    static byte[] toArray(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
