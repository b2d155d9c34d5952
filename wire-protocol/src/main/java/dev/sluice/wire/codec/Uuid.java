package dev.sluice.wire.codec;

import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * A 128-bit id as Kafka uses it for topic ids, directory ids and incarnations: written as two
 * big-endian longs, shown as 22 characters of unpadded URL-safe base64.
 */
public record Uuid(long mostSignificantBits, long leastSignificantBits) {
    /** The all-zero id: Kafka's "no id". */
    public static final Uuid ZERO = new Uuid(0L, 0L);

    /** Parses the 22-character base64 form. */
    public static Uuid fromString(String text) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a base64 uuid: " + text, e);
        }
        if (raw.length != 16) {
            throw new IllegalArgumentException("a uuid has 16 bytes, '" + text + "' has " + raw.length);
        }
        ByteBuffer buffer = ByteBuffer.wrap(raw);
        return new Uuid(buffer.getLong(), buffer.getLong());
    }

    @Override
    public String toString() {
        ByteBuffer buffer = ByteBuffer.allocate(16).putLong(mostSignificantBits).putLong(leastSignificantBits);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(buffer.array());
    }
}
