package dev.sluice.wire.record;

import java.nio.ByteBuffer;

/**
 * The type in a control record's key. Control records live only in control batches (attributes
 * bit 5); the key is:
 *
 * <pre>
 * version  int16  0; a negative version is corrupt, a newer one is read as version 0
 * type     int16  the id below
 * </pre>
 *
 * Ids not listed here decode as {@link #UNKNOWN} rather than failing, so a batch written by a
 * newer broker can still be read and skipped.
 */
public enum ControlRecordType {
    /** Ends a transaction, discarding its records; the value is an {@link EndTransactionMarker}. */
    ABORT(0),
    /** Ends a transaction, exposing its records; the value is an {@link EndTransactionMarker}. */
    COMMIT(1),
    /** KRaft: a new leader of the metadata quorum. */
    LEADER_CHANGE(2),
    /** KRaft: first record of a snapshot. */
    SNAPSHOT_HEADER(3),
    /** KRaft: last record of a snapshot. */
    SNAPSHOT_FOOTER(4),
    /** KRaft: the kraft.version feature level. */
    KRAFT_VERSION(5),
    /** KRaft: the set of voters. */
    KRAFT_VOTERS(6),
    /** An id this version of Sluice does not know; {@link #id()} is -1. */
    UNKNOWN(-1);

    /** Bytes of a control record key. */
    public static final int KEY_SIZE = 4;
    /** The key version Sluice writes. */
    public static final short CURRENT_KEY_VERSION = 0;

    private final short id;

    ControlRecordType(int id) {
        this.id = (short) id;
    }

    public short id() {
        return id;
    }

    /** The type of a control record with this key (read with absolute gets; the key is not moved). */
    public static ControlRecordType parseKey(ByteBuffer key) {
        if (key == null || key.remaining() < KEY_SIZE) {
            throw new CorruptRecordException("control record key must be at least " + KEY_SIZE + " bytes, got "
                + (key == null ? "null" : key.remaining()));
        }
        short version = key.getShort(key.position());
        if (version < 0) {
            throw new CorruptRecordException("control record key has negative version " + version);
        }
        short typeId = key.getShort(key.position() + 2);
        for (ControlRecordType type : values()) {
            if (type.id == typeId && type != UNKNOWN) {
                return type;
            }
        }
        return UNKNOWN;
    }

    /** The key of a control record of this type, at the current key version. */
    public ByteBuffer encodeKey() {
        if (this == UNKNOWN) {
            throw new IllegalStateException("cannot write a control record of unknown type");
        }
        ByteBuffer key = ByteBuffer.allocate(KEY_SIZE);
        key.putShort(CURRENT_KEY_VERSION).putShort(id).flip();
        return key;
    }
}
