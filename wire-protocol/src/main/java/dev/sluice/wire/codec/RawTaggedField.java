package dev.sluice.wire.codec;

import java.util.Arrays;

/**
 * A tagged field this version of Sluice does not know. Decoders keep it and encoders write it
 * back in tag order, so a message passes through without losing what a newer peer added.
 */
public final class RawTaggedField {
    private final int tag;
    private final byte[] data;

    public RawTaggedField(int tag, byte[] data) {
        this.tag = tag;
        this.data = data;
    }

    public int tag() {
        return tag;
    }

    /** The field's bytes, without the tag and size prefixes. Not copied: do not modify. */
    public byte[] data() {
        return data;
    }

    /** Bytes this field takes on the wire: tag, size and data. */
    public int wireSize() {
        return Varint.sizeOfUnsigned(tag) + Varint.sizeOfUnsigned(data.length) + data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawTaggedField other && tag == other.tag && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return 31 * tag + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "RawTaggedField(tag=" + tag + ", " + data.length + " bytes)";
    }
}
