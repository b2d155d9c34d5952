package dev.sluice.wire.message;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.codec.RawTaggedField;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A message or nested struct generated from a Kafka JSON schema. Every message can be read and
 * written at each version in {@code [lowestSupportedVersion, highestSupportedVersion]}; writing
 * first needs {@link #size(short)} to size the buffer. Instances are mutable and not thread-safe.
 */
public interface Message {
    short lowestSupportedVersion();

    short highestSupportedVersion();

    /** Bytes this message takes when written at {@code version}. */
    int size(short version);

    /** Writes at {@code version}; the writer must have at least {@link #size(short)} bytes of room. */
    void write(ByteWriter out, short version);

    /** Replaces this message's content with one read at {@code version}. */
    void read(ByteReader in, short version);

    /** Tagged fields read that this version of Sluice does not know; written back unchanged. */
    List<RawTaggedField> unknownTaggedFields();

    /**
     * Passes every error code the message holds (each {@code ErrorCode} field, nested structs
     * included) to {@code sink}; messages without one pass nothing. Used to count errors per code.
     */
    default void forEachErrorCode(java.util.function.IntConsumer sink) {
    }

    /** The message written at {@code version} into a new heap buffer, flipped for reading. */
    default ByteBuffer serialize(short version) {
        ByteBuffer buffer = ByteBuffer.allocate(size(version));
        write(new ByteWriter(buffer), version);
        return buffer.flip();
    }
}
