package dev.sluice.wire.record;

import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.compress.DecompressionLimitException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.OptionalLong;
import java.util.zip.CRC32C;

/**
 * A view of one record batch in magic v2 format, the unit Kafka writes to the log and sends on the
 * wire. All integers are big-endian:
 *
 * <pre>
 * offset  field                 type
 *  0      baseOffset            int64
 *  8      batchLength           int32   bytes after this field (size - 12)
 * 12      partitionLeaderEpoch  int32
 * 16      magic                 int8    2
 * 17      crc                   uint32  CRC-32C of bytes 21 to the end
 * 21      attributes            int16   bits 0-2 compression, 3 LogAppendTime, 4 transactional,
 *                                       5 control, 6 delete horizon set (base timestamp holds it)
 * 23      lastOffsetDelta       int32
 * 27      baseTimestamp         int64
 * 35      maxTimestamp          int64
 * 43      producerId            int64   -1 if none
 * 51      producerEpoch         int16   -1 if none
 * 53      baseSequence          int32   -1 if none
 * 57      recordCount           int32
 * 61      records               each a {@link BatchRecord}; compressed as one unit when bits 0-2 say so
 * </pre>
 *
 * <p>Base offset and partition leader epoch sit before the CRC'd range so that a broker can
 * assign offsets and stamp the epoch without recomputing it; the setters for fields inside the
 * range do recompute it.
 *
 * <p>A view costs no copy. {@link #wrap} checks that the bytes are one whole v2 batch; the CRC is
 * checked only by {@link #ensureValid()}, and the records only as they are iterated. The setters
 * write into the underlying buffer, which must then be writable. Not thread-safe.
 */
public final class RecordBatch {
    public static final byte MAGIC = 2;
    /** Bytes of baseOffset and batchLength, the framing every magic shares. */
    public static final int LOG_OVERHEAD = 12;
    /** Bytes of a batch with no records. */
    public static final int HEADER_SIZE = 61;

    public static final long NO_PRODUCER_ID = -1L;
    public static final short NO_PRODUCER_EPOCH = -1;
    public static final int NO_SEQUENCE = -1;
    public static final int NO_PARTITION_LEADER_EPOCH = -1;
    public static final long NO_TIMESTAMP = -1L;

    static final int BASE_OFFSET_OFFSET = 0;
    static final int LENGTH_OFFSET = 8;
    static final int PARTITION_LEADER_EPOCH_OFFSET = 12;
    static final int MAGIC_OFFSET = 16;
    static final int CRC_OFFSET = 17;
    static final int ATTRIBUTES_OFFSET = 21;
    static final int LAST_OFFSET_DELTA_OFFSET = 23;
    static final int BASE_TIMESTAMP_OFFSET = 27;
    static final int MAX_TIMESTAMP_OFFSET = 35;
    static final int PRODUCER_ID_OFFSET = 43;
    static final int PRODUCER_EPOCH_OFFSET = 51;
    static final int BASE_SEQUENCE_OFFSET = 53;
    static final int RECORD_COUNT_OFFSET = 57;
    static final int RECORDS_OFFSET = HEADER_SIZE;

    static final int COMPRESSION_MASK = 0x07;
    static final int LOG_APPEND_TIME_FLAG = 0x08;
    static final int TRANSACTIONAL_FLAG = 0x10;
    static final int CONTROL_FLAG = 0x20;
    static final int DELETE_HORIZON_FLAG = 0x40;

    /** The smallest record: one byte each for length, attributes, deltas, key, value and header count. */
    static final int MIN_RECORD_SIZE = 7;

    private final ByteBuffer buffer;

    private RecordBatch(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /**
     * A view of the batch between {@code bytes}' position and limit, which must hold exactly one
     * v2 batch (magic and length are checked; the CRC is not, see {@link #ensureValid()}).
     *
     * @throws CorruptRecordException if the bytes are not one whole v2 batch
     */
    public static RecordBatch wrap(ByteBuffer bytes) {
        ByteBuffer slice = bytes.slice();
        if (slice.remaining() < HEADER_SIZE) {
            throw new CorruptRecordException("record batch of " + slice.remaining()
                + " bytes is smaller than the " + HEADER_SIZE + "-byte header");
        }
        byte magic = slice.get(MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new CorruptRecordException("record batch has magic " + magic + "; only magic " + MAGIC
                + " batches are supported");
        }
        int batchLength = slice.getInt(LENGTH_OFFSET);
        if ((long) batchLength + LOG_OVERHEAD != slice.remaining()) {
            throw new CorruptRecordException("record batch length field says " + batchLength + " but the batch has "
                + (slice.remaining() - LOG_OVERHEAD) + " bytes after it");
        }
        return new RecordBatch(slice);
    }

    public long baseOffset() {
        return buffer.getLong(BASE_OFFSET_OFFSET);
    }

    public int lastOffsetDelta() {
        return buffer.getInt(LAST_OFFSET_DELTA_OFFSET);
    }

    /** Offset of the last record, which compaction may have removed; base offset + last offset delta. */
    public long lastOffset() {
        return baseOffset() + lastOffsetDelta();
    }

    /** The offset after this batch. */
    public long nextOffset() {
        return lastOffset() + 1;
    }

    /** Bytes of the whole batch, framing included. */
    public int sizeInBytes() {
        return buffer.limit();
    }

    /** The batchLength field: bytes after it. */
    public int batchLength() {
        return buffer.getInt(LENGTH_OFFSET);
    }

    public int partitionLeaderEpoch() {
        return buffer.getInt(PARTITION_LEADER_EPOCH_OFFSET);
    }

    public byte magic() {
        return buffer.get(MAGIC_OFFSET);
    }

    /** The stored CRC-32C, unsigned. */
    public long checksum() {
        return buffer.getInt(CRC_OFFSET) & 0xFFFFFFFFL;
    }

    /** The CRC-32C of bytes 21 to the end, as it should be stored. */
    public long computeChecksum() {
        CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().position(ATTRIBUTES_OFFSET));
        return crc.getValue();
    }

    public short attributes() {
        return buffer.getShort(ATTRIBUTES_OFFSET);
    }

    /** @throws CorruptRecordException if the compression bits name no codec */
    public CompressionType compressionType() {
        try {
            return CompressionType.forId(attributes() & COMPRESSION_MASK);
        } catch (MalformedDataException e) {
            throw new CorruptRecordException("record batch at offset " + baseOffset() + ": " + e.getMessage(), e);
        }
    }

    public TimestampType timestampType() {
        return (attributes() & LOG_APPEND_TIME_FLAG) != 0 ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME;
    }

    public boolean isTransactional() {
        return (attributes() & TRANSACTIONAL_FLAG) != 0;
    }

    public boolean isControlBatch() {
        return (attributes() & CONTROL_FLAG) != 0;
    }

    /** Whether compaction set a delete horizon, which then replaces the base timestamp. */
    public boolean hasDeleteHorizon() {
        return (attributes() & DELETE_HORIZON_FLAG) != 0;
    }

    /** When compaction may drop this batch's tombstones and markers, if it set a horizon. */
    public OptionalLong deleteHorizonMs() {
        return hasDeleteHorizon() ? OptionalLong.of(baseTimestamp()) : OptionalLong.empty();
    }

    public long baseTimestamp() {
        return buffer.getLong(BASE_TIMESTAMP_OFFSET);
    }

    public long maxTimestamp() {
        return buffer.getLong(MAX_TIMESTAMP_OFFSET);
    }

    public long producerId() {
        return buffer.getLong(PRODUCER_ID_OFFSET);
    }

    public boolean hasProducerId() {
        return producerId() > NO_PRODUCER_ID;
    }

    public short producerEpoch() {
        return buffer.getShort(PRODUCER_EPOCH_OFFSET);
    }

    public int baseSequence() {
        return buffer.getInt(BASE_SEQUENCE_OFFSET);
    }

    /** Sequence of the last record; sequences wrap from {@code Integer.MAX_VALUE} to 0. */
    public int lastSequence() {
        return sequenceAt(baseSequence(), lastOffsetDelta());
    }

    public int recordCount() {
        return buffer.getInt(RECORD_COUNT_OFFSET);
    }

    /** The sequence {@code delta} records after {@code base}, wrapping as producers do; -1 stays -1. */
    static int sequenceAt(int base, int delta) {
        if (base == NO_SEQUENCE) {
            return NO_SEQUENCE;
        }
        if (base > Integer.MAX_VALUE - delta) {
            return delta - (Integer.MAX_VALUE - base) - 1;
        }
        return base + delta;
    }

    /** Whether {@link #ensureValid()} would pass. */
    public boolean isValid() {
        return invalidReason() == null;
    }

    /**
     * Checks the CRC and the header fields that would make the batch unreadable: the codec id, the
     * record count (not negative, and for an uncompressed batch no more than its bytes could hold).
     * Records themselves are checked as they are iterated.
     *
     * @throws CorruptRecordException naming what is wrong
     */
    public void ensureValid() {
        String reason = invalidReason();
        if (reason != null) {
            throw new CorruptRecordException("record batch at offset " + baseOffset() + " is corrupt: " + reason);
        }
    }

    private String invalidReason() {
        long stored = checksum();
        long computed = computeChecksum();
        if (stored != computed) {
            return String.format("stored CRC 0x%08x but computed 0x%08x", stored, computed);
        }
        int codecId = attributes() & COMPRESSION_MASK;
        if (codecId > CompressionType.ZSTD.id()) {
            return "unknown compression type id " + codecId;
        }
        int count = recordCount();
        if (count < 0) {
            return "negative record count " + count;
        }
        if (codecId == CompressionType.NONE.id() && (long) count * MIN_RECORD_SIZE > sizeInBytes() - HEADER_SIZE) {
            return "record count " + count + " cannot fit in " + (sizeInBytes() - HEADER_SIZE) + " bytes";
        }
        return null;
    }

    /** Sets the base offset; it lies outside the CRC'd range, so the CRC stays as it is. */
    public void setBaseOffset(long baseOffset) {
        buffer.putLong(BASE_OFFSET_OFFSET, baseOffset);
    }

    /** Moves the batch so its last offset is {@code lastOffset} (the deltas are kept). */
    public void setLastOffset(long lastOffset) {
        setBaseOffset(lastOffset - lastOffsetDelta());
    }

    /** Sets the partition leader epoch; outside the CRC'd range. */
    public void setPartitionLeaderEpoch(int epoch) {
        buffer.putInt(PARTITION_LEADER_EPOCH_OFFSET, epoch);
    }

    /**
     * Sets the timestamp type and max timestamp, as a broker does to stamp LogAppendTime, and
     * recomputes the CRC (both fields are inside its range). A no-op when nothing changes, so an
     * already valid batch is not rewritten.
     */
    public void setMaxTimestamp(TimestampType type, long maxTimestamp) {
        if (timestampType() == type && maxTimestamp() == maxTimestamp) {
            return;
        }
        int attributes = attributes();
        attributes = type == TimestampType.LOG_APPEND_TIME
            ? attributes | LOG_APPEND_TIME_FLAG
            : attributes & ~LOG_APPEND_TIME_FLAG;
        buffer.putShort(ATTRIBUTES_OFFSET, (short) attributes);
        buffer.putLong(MAX_TIMESTAMP_OFFSET, maxTimestamp);
        writeChecksum();
    }

    void writeChecksum() {
        buffer.putInt(CRC_OFFSET, (int) computeChecksum());
    }

    /**
     * The batch's records, read lazily. An uncompressed batch yields views of its own bytes; a
     * compressed one is decompressed first, all at once, into at most {@code maxDecompressedBytes}.
     * Each record is checked as it is read (lengths within bounds, length equal to what was parsed,
     * exactly {@link #recordCount()} records and nothing after them); the iterator throws
     * {@link CorruptRecordException} at the first that fails.
     *
     * @param maxDecompressedBytes the most a compressed payload may expand to; unused for an
     *     uncompressed batch, whose bytes are already in memory
     * @throws CorruptRecordException if the payload does not decompress
     * @throws DecompressionLimitException if it expands past the limit
     */
    public Iterator<BatchRecord> records(int maxDecompressedBytes) {
        CompressionType compression = compressionType();
        ByteBuffer payload = buffer.slice(RECORDS_OFFSET, buffer.limit() - RECORDS_OFFSET).asReadOnlyBuffer();
        if (compression != CompressionType.NONE) {
            try {
                payload = compression.codec().decompress(payload, maxDecompressedBytes).asReadOnlyBuffer();
            } catch (DecompressionLimitException e) {
                throw e;
            } catch (MalformedDataException e) {
                throw new CorruptRecordException("record batch at offset " + baseOffset() + " has a corrupt "
                    + compression.configName() + " payload: " + e.getMessage(), e);
            }
        }
        return new RecordIterator(this, payload);
    }

    /**
     * A cursor over the batch's records that checks each one and keeps only offset, timestamp and
     * key/value presence: what a broker validates and searches by, without copying a payload or
     * holding a decompressed one. See {@link RecordCursor}.
     *
     * @param maxDecompressedBytes the most a compressed payload may expand to, enforced while it
     *     is read; unused for an uncompressed batch
     * @throws CorruptRecordException if the compression type is unknown or the payload cannot start decoding
     */
    public RecordCursor recordCursor(int maxDecompressedBytes) {
        ByteBuffer payload = buffer.slice(RECORDS_OFFSET, buffer.limit() - RECORDS_OFFSET).asReadOnlyBuffer();
        return RecordCursor.open(this, payload, maxDecompressedBytes);
    }

    /** A view of the batch's bytes, position 0 to {@link #sizeInBytes()}; independent position and limit. */
    public ByteBuffer buffer() {
        return buffer.duplicate();
    }

    /** Copies the batch into {@code out} at its position, advancing it. */
    public void writeTo(ByteBuffer out) {
        out.put(buffer.duplicate());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordBatch other && buffer.equals(other.buffer);
    }

    @Override
    public int hashCode() {
        return buffer.hashCode();
    }

    @Override
    public String toString() {
        int codecId = attributes() & COMPRESSION_MASK;
        return "RecordBatch(offsets " + baseOffset() + "-" + lastOffset() + ", " + recordCount() + " records, "
            + sizeInBytes() + " bytes, compression " + codecId + ", " + timestampType()
            + (isTransactional() ? ", transactional" : "") + (isControlBatch() ? ", control" : "")
            + ", producer " + producerId() + "/" + producerEpoch() + "/" + baseSequence() + ")";
    }
}
