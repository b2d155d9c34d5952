package dev.sluice.wire.record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One record header. On the wire: varint key length, UTF-8 key (never null), varint value length
 * (-1 for null), value bytes.
 *
 * <p>Headers read from a batch hold views of the batch's bytes, so iterating copies nothing; the
 * key is decoded to a {@code String} only when {@link #key()} is called.
 *
 * @param keyBytes the UTF-8 key, never null
 * @param value the value, or {@code null} (the wire distinguishes a null value from an empty one)
 */
public record RecordHeader(ByteBuffer keyBytes, ByteBuffer value) {
    public RecordHeader {
        Objects.requireNonNull(keyBytes, "record header keys cannot be null");
    }

    /** A header from a string key and a possibly null value (not copied). */
    public static RecordHeader of(String key, byte[] value) {
        return new RecordHeader(ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)),
            value == null ? null : ByteBuffer.wrap(value));
    }

    /** The key, decoded from UTF-8. */
    public String key() {
        return StandardCharsets.UTF_8.decode(keyBytes.duplicate()).toString();
    }

    /** The value as a new array, or {@code null}. */
    public byte[] valueArray() {
        return BatchRecord.toArray(value);
    }
}
