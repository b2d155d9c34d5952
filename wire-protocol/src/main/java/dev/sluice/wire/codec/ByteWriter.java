package dev.sluice.wire.codec;

import dev.sluice.wire.record.Records;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Writes protocol primitives into a {@link ByteBuffer} sized beforehand from the message's
 * {@code size(version)}; the writer itself never grows the buffer. The length-prefixed forms
 * mirror {@link ByteReader}. Not thread-safe.
 *
 * <p>A writer made with a splice list leaves out the bytes of {@code records} fields that are not
 * in memory (for instance a slice of a log segment): it writes their length prefix, notes where
 * their bytes belong in the {@link Splice} list and moves on, so the transport can send the file
 * bytes straight from the file (zero copy) between the buffer's pieces.
 */
public final class ByteWriter {
    /** Records left out of the buffer: their bytes belong at {@code position} of the written buffer. */
    public record Splice(int position, Records records) {
    }

    private final ByteBuffer buffer;
    private final List<Splice> splices;

    public ByteWriter(ByteBuffer buffer) {
        this(buffer, null);
    }

    /** A writer that leaves non-memory records out of the buffer and lists them in {@code splices}. */
    public ByteWriter(ByteBuffer buffer, List<Splice> splices) {
        this.buffer = buffer;
        this.splices = splices;
    }

    public ByteBuffer buffer() {
        return buffer;
    }

    public void writeByte(int value) {
        buffer.put((byte) value);
    }

    public void writeBoolean(boolean value) {
        buffer.put(value ? (byte) 1 : (byte) 0);
    }

    public void writeShort(int value) {
        buffer.putShort((short) value);
    }

    public void writeUnsignedShort(int value) {
        buffer.putShort((short) value);
    }

    public void writeInt(int value) {
        buffer.putInt(value);
    }

    public void writeUnsignedInt(long value) {
        buffer.putInt((int) value);
    }

    public void writeLong(long value) {
        buffer.putLong(value);
    }

    public void writeDouble(double value) {
        buffer.putDouble(value);
    }

    public void writeUnsignedVarint(int value) {
        Varint.writeUnsigned(value, buffer);
    }

    public void writeVarint(int value) {
        Varint.write(value, buffer);
    }

    public void writeVarlong(long value) {
        Varint.write(value, buffer);
    }

    public void writeUuid(Uuid value) {
        buffer.putLong(value.mostSignificantBits());
        buffer.putLong(value.leastSignificantBits());
    }

    public void writeByteArray(byte[] bytes) {
        buffer.put(bytes);
    }

    private void writeLength(int length, boolean compact) {
        if (compact) {
            writeUnsignedVarint(length + 1);
        } else {
            writeInt(length);
        }
    }

    /** A string with its length prefix; {@code null} writes the null marker. */
    public void writeString(String value, boolean compact) {
        if (value == null) {
            if (compact) {
                writeUnsignedVarint(0);
            } else {
                writeShort(-1);
            }
            return;
        }
        int length = WireSize.utf8Length(value);
        if (compact) {
            writeUnsignedVarint(length + 1);
        } else {
            writeShort(length);
        }
        Utf8.write(value, buffer);
    }

    public void writeBytes(byte[] value, boolean compact) {
        if (value == null) {
            writeLength(-1, compact);
        } else {
            writeLength(value.length, compact);
            buffer.put(value);
        }
    }

    public void writeBytes(ByteBuffer value, boolean compact) {
        if (value == null) {
            writeLength(-1, compact);
        } else {
            writeLength(value.remaining(), compact);
            buffer.put(value.duplicate());
        }
    }

    public void writeRecords(Records value, boolean compact) {
        if (value == null) {
            writeLength(-1, compact);
        } else {
            writeLength(value.sizeInBytes(), compact);
            if (splices != null && !(value instanceof dev.sluice.wire.record.MemoryRecords) && value.sizeInBytes() > 0) {
                splices.add(new Splice(buffer.position(), value));
            } else {
                value.writeTo(buffer);
            }
        }
    }

    /** An array's element count, -1 for a null array. */
    public void writeArrayLength(int length, boolean compact) {
        writeLength(length, compact);
    }

    /**
     * Writes the unknown tagged fields whose tag lies in {@code [fromTag, toTag)}; generated code
     * calls this between known tags so that all tags leave in ascending order.
     */
    public void writeRawTaggedFields(List<RawTaggedField> fields, int fromTag, int toTag) {
        if (fields == null) {
            return;
        }
        for (RawTaggedField field : fields) {
            int tag = field.tag();
            if (tag >= fromTag && tag < toTag) {
                writeUnsignedVarint(tag);
                writeUnsignedVarint(field.data().length);
                buffer.put(field.data());
            }
        }
    }
}
