package dev.sluice.wire.record;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.message.EndTxnMarker;
import java.nio.ByteBuffer;

/**
 * The commit or abort marker that ends a transaction: the single record of a control batch, with
 * a {@link ControlRecordType} key and this value:
 *
 * <pre>
 * version           int16  0; a newer version is read as 0 (later versions only append fields)
 * coordinatorEpoch  int32  the epoch of the transaction coordinator that wrote the marker
 * </pre>
 *
 * @param type {@link ControlRecordType#ABORT} or {@link ControlRecordType#COMMIT}
 * @param coordinatorEpoch the transaction coordinator's epoch
 */
public record EndTransactionMarker(ControlRecordType type, int coordinatorEpoch) {
    private static final short VALUE_VERSION = 0;

    public EndTransactionMarker {
        if (type != ControlRecordType.ABORT && type != ControlRecordType.COMMIT) {
            throw new IllegalArgumentException("an end transaction marker is ABORT or COMMIT, not " + type);
        }
    }

    /** Reads the marker from a control record; the record must be an ABORT or COMMIT. */
    public static EndTransactionMarker fromRecord(BatchRecord record) {
        ControlRecordType type = ControlRecordType.parseKey(record.key());
        if (type != ControlRecordType.ABORT && type != ControlRecordType.COMMIT) {
            throw new CorruptRecordException("control record of type " + type + " is not a transaction marker");
        }
        ByteBuffer value = record.value();
        if (value == null) {
            throw new CorruptRecordException("transaction marker has a null value");
        }
        try {
            ByteReader in = new ByteReader(value.duplicate());
            short version = in.readShort();
            if (version < 0) {
                throw new CorruptRecordException("transaction marker value has negative version " + version);
            }
            EndTxnMarker data = new EndTxnMarker(in, VALUE_VERSION);
            return new EndTransactionMarker(type, data.coordinatorEpoch());
        } catch (CorruptRecordException e) {
            throw e;
        } catch (MalformedDataException e) {
            throw new CorruptRecordException("transaction marker value is malformed: " + e.getMessage(), e);
        }
    }

    /** The control record key. */
    public ByteBuffer encodeKey() {
        return type.encodeKey();
    }

    /** The control record value, at version 0. */
    public ByteBuffer encodeValue() {
        EndTxnMarker data = new EndTxnMarker().setCoordinatorEpoch(coordinatorEpoch);
        ByteBuffer value = ByteBuffer.allocate(2 + data.size(VALUE_VERSION));
        ByteWriter out = new ByteWriter(value);
        out.writeShort(VALUE_VERSION);
        data.write(out, VALUE_VERSION);
        return value.flip();
    }
}
