package dev.sluice.wire.record;

import dev.sluice.wire.codec.Varint;
import dev.sluice.wire.compress.CompressionCodec;
import dev.sluice.wire.compress.CompressionType;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Writes one v2 {@link RecordBatch} (layout there). Records are encoded as they are appended into
 * a growing buffer; {@link #build()} compresses that as one unit when a codec is set, then writes
 * the header and the CRC.
 *
 * <p>Offsets run from the base offset, one per record, unless {@link #appendWithOffset} gives
 * them (they must increase; gaps are allowed, as in a compacted log). The base timestamp is the
 * first record's (or the delete horizon, if one is set), the max timestamp the largest, or the
 * log append time for {@link TimestampType#LOG_APPEND_TIME}. Not thread-safe; one builder builds
 * one batch.
 */
public final class RecordBatchBuilder {
    private static final int INITIAL_CAPACITY = 1024;

    private final long baseOffset;
    private CompressionCodec codec = CompressionType.NONE.codec();
    private TimestampType timestampType = TimestampType.CREATE_TIME;
    private long logAppendTime = RecordBatch.NO_TIMESTAMP;
    private long producerId = RecordBatch.NO_PRODUCER_ID;
    private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
    private int baseSequence = RecordBatch.NO_SEQUENCE;
    private boolean transactional;
    private boolean control;
    private int partitionLeaderEpoch = RecordBatch.NO_PARTITION_LEADER_EPOCH;
    private long deleteHorizonMs = RecordBatch.NO_TIMESTAMP;
    private long rangeEnd = -1;
    private long emptyBatchTimestamp = RecordBatch.NO_TIMESTAMP;

    private ByteBuffer records = ByteBuffer.allocate(INITIAL_CAPACITY);
    private int recordCount;
    private long lastOffset = -1;
    private long firstTimestamp = RecordBatch.NO_TIMESTAMP;
    private long maxTimestamp = RecordBatch.NO_TIMESTAMP;
    private boolean built;
    private int builtRecordsSize;

    public RecordBatchBuilder(long baseOffset) {
        if (baseOffset < 0) {
            throw new IllegalArgumentException("negative base offset " + baseOffset);
        }
        this.baseOffset = baseOffset;
    }

    /**
     * A control batch holding one commit or abort marker, as a transaction coordinator writes to
     * each partition a transaction touched: transactional, no sequence, CreateTime.
     */
    public static RecordBatch endTransactionMarker(long baseOffset, long timestamp, int partitionLeaderEpoch,
                                                   long producerId, short producerEpoch, EndTransactionMarker marker) {
        return new RecordBatchBuilder(baseOffset)
            .partitionLeaderEpoch(partitionLeaderEpoch)
            .producer(producerId, producerEpoch, RecordBatch.NO_SEQUENCE)
            .transactional(true)
            .control(true)
            .appendWithOffset(baseOffset, timestamp, marker.encodeKey(), marker.encodeValue(), List.of())
            .build();
    }

    public RecordBatchBuilder compression(CompressionType type) {
        return compression(type.codec());
    }

    /** A codec instance, to write with a level other than the type's default. */
    public RecordBatchBuilder compression(CompressionCodec codec) {
        this.codec = codec;
        return this;
    }

    /** LogAppendTime, stamped with {@code time}: the batch's max timestamp and every record's read timestamp. */
    public RecordBatchBuilder logAppendTime(long time) {
        this.timestampType = TimestampType.LOG_APPEND_TIME;
        this.logAppendTime = time;
        return this;
    }

    /** Producer id, epoch and the sequence of the first record (idempotent and transactional producers). */
    public RecordBatchBuilder producer(long producerId, short producerEpoch, int baseSequence) {
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.baseSequence = baseSequence;
        return this;
    }

    public RecordBatchBuilder transactional(boolean transactional) {
        this.transactional = transactional;
        return this;
    }

    /** A control batch; its records' keys must be control record keys ({@link ControlRecordType}). */
    public RecordBatchBuilder control(boolean control) {
        this.control = control;
        return this;
    }

    public RecordBatchBuilder partitionLeaderEpoch(int epoch) {
        this.partitionLeaderEpoch = epoch;
        return this;
    }

    /** Marks the batch as cleaned by compaction with this delete horizon (stored as the base timestamp). */
    public RecordBatchBuilder deleteHorizonMs(long deleteHorizonMs) {
        if (recordCount > 0) {
            throw new IllegalStateException("set the delete horizon before appending records");
        }
        this.deleteHorizonMs = deleteHorizonMs;
        return this;
    }

    /**
     * Makes the batch's offset range (its last offset delta) reach {@code lastOffset} even if no
     * record has that offset: compaction keeps a batch's original range when it removes its last
     * records, so the producer sequence range the batch covers, and so idempotent producer state
     * rebuilt from the log, stays the same.
     */
    public RecordBatchBuilder retainOffsetRangeTo(long lastOffset) {
        if (lastOffset < baseOffset || lastOffset - baseOffset > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + lastOffset + " cannot end a batch from " + baseOffset);
        }
        this.rangeEnd = lastOffset;
        return this;
    }

    /**
     * Lets the batch be built with no records when {@link #retainOffsetRangeTo} gives its range,
     * with this as its base and max timestamp: compaction keeps such an empty batch where a
     * producer's last batch lost every record, so the producer's sequence and last write time can
     * still be rebuilt from the log. An empty batch is written uncompressed.
     */
    public RecordBatchBuilder emptyBatchTimestamp(long timestamp) {
        this.emptyBatchTimestamp = timestamp;
        return this;
    }

    /** Appends a record at the next offset; key and value may be null (not copied until then). */
    public RecordBatchBuilder append(long timestamp, byte[] key, byte[] value) {
        return append(timestamp, key, value, List.of());
    }

    public RecordBatchBuilder append(long timestamp, byte[] key, byte[] value, List<RecordHeader> headers) {
        return appendWithOffset(lastOffset < 0 ? baseOffset : lastOffset + 1, timestamp,
            key == null ? null : ByteBuffer.wrap(key), value == null ? null : ByteBuffer.wrap(value), headers);
    }

    /**
     * Appends a record at {@code offset}, which must be at least the base offset and above the
     * previous record's. Key, value and header bytes are read between position and limit, and
     * copied; the buffers are not moved.
     */
    public RecordBatchBuilder appendWithOffset(long offset, long timestamp, ByteBuffer key, ByteBuffer value,
                                               List<RecordHeader> headers) {
        if (built) {
            throw new IllegalStateException("the batch has been built");
        }
        if (offset < baseOffset || offset <= lastOffset) {
            throw new IllegalArgumentException("offset " + offset + " must be at least the base offset " + baseOffset
                + " and above the last appended offset " + lastOffset);
        }
        long offsetDelta = offset - baseOffset;
        if (offsetDelta > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " is too far from the base offset " + baseOffset);
        }
        if (recordCount == 0) {
            firstTimestamp = timestamp;
        }
        long timestampBase = deleteHorizonMs != RecordBatch.NO_TIMESTAMP ? deleteHorizonMs : firstTimestamp;
        long timestampDelta = timestamp - timestampBase;

        int bodySize = 1 + Varint.sizeOf(timestampDelta) + Varint.sizeOf((int) offsetDelta)
            + sizeOfNullable(key) + sizeOfNullable(value) + Varint.sizeOf(headers.size());
        for (RecordHeader header : headers) {
            bodySize += sizeOfNullable(header.keyBytes()) + sizeOfNullable(header.value());
        }
        ensureCapacity(Varint.sizeOf(bodySize) + bodySize);

        Varint.write(bodySize, records);
        records.put((byte) 0);
        Varint.write(timestampDelta, records);
        Varint.write((int) offsetDelta, records);
        writeNullable(key);
        writeNullable(value);
        Varint.write(headers.size(), records);
        for (RecordHeader header : headers) {
            writeNullable(header.keyBytes());
            writeNullable(header.value());
        }

        recordCount++;
        lastOffset = offset;
        maxTimestamp = Math.max(maxTimestamp, timestamp);
        return this;
    }

    private static int sizeOfNullable(ByteBuffer bytes) {
        return bytes == null ? Varint.sizeOf(-1) : Varint.sizeOf(bytes.remaining()) + bytes.remaining();
    }

    private void writeNullable(ByteBuffer bytes) {
        if (bytes == null) {
            Varint.write(-1, records);
        } else {
            Varint.write(bytes.remaining(), records);
            records.put(bytes.duplicate());
        }
    }

    private void ensureCapacity(int needed) {
        if (records.remaining() < needed) {
            long grown = Math.max((long) records.capacity() * 2, (long) records.position() + needed);
            if (grown > Integer.MAX_VALUE - RecordBatch.HEADER_SIZE) {
                throw new IllegalStateException("record batch would exceed 2 GiB");
            }
            ByteBuffer bigger = ByteBuffer.allocate((int) grown);
            bigger.put(records.flip());
            records = bigger;
        }
    }

    /** Number of records appended so far. */
    public int recordCount() {
        return recordCount;
    }

    /** Bytes of the encoded records so far, before compression. */
    public int uncompressedRecordsSize() {
        return built ? builtRecordsSize : records.position();
    }

    /**
     * Writes the batch into a new heap buffer.
     *
     * @throws IllegalStateException if no record was appended (and no offset range was retained),
     *     or the batch was already built
     */
    public RecordBatch build() {
        if (built) {
            throw new IllegalStateException("the batch has been built");
        }
        if (recordCount == 0 && rangeEnd < 0) {
            throw new IllegalStateException("a record batch needs at least one record");
        }
        if (recordCount == 0) {
            codec = CompressionType.NONE.codec();
            firstTimestamp = emptyBatchTimestamp;
            maxTimestamp = emptyBatchTimestamp;
        }
        built = true;
        builtRecordsSize = records.position();
        ByteBuffer payload = records.flip();
        if (codec.type() != CompressionType.NONE) {
            payload = codec.compress(payload);
        }
        ByteBuffer out = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + payload.remaining());

        int attributes = codec.type().id();
        if (timestampType == TimestampType.LOG_APPEND_TIME) {
            attributes |= RecordBatch.LOG_APPEND_TIME_FLAG;
        }
        if (transactional) {
            attributes |= RecordBatch.TRANSACTIONAL_FLAG;
        }
        if (control) {
            attributes |= RecordBatch.CONTROL_FLAG;
        }
        long baseTimestamp = firstTimestamp;
        if (deleteHorizonMs != RecordBatch.NO_TIMESTAMP) {
            attributes |= RecordBatch.DELETE_HORIZON_FLAG;
            baseTimestamp = deleteHorizonMs;
        }
        long batchMaxTimestamp = timestampType == TimestampType.LOG_APPEND_TIME ? logAppendTime : maxTimestamp;

        out.putLong(baseOffset)
            .putInt(out.capacity() - RecordBatch.LOG_OVERHEAD)
            .putInt(partitionLeaderEpoch)
            .put(RecordBatch.MAGIC)
            .putInt(0) // CRC, written once the rest is in place
            .putShort((short) attributes)
            .putInt((int) (Math.max(lastOffset, rangeEnd) - baseOffset))
            .putLong(baseTimestamp)
            .putLong(batchMaxTimestamp)
            .putLong(producerId)
            .putShort(producerEpoch)
            .putInt(baseSequence)
            .putInt(recordCount)
            .put(payload);
        RecordBatch batch = RecordBatch.wrap(out.flip());
        batch.writeChecksum();
        records = null;
        return batch;
    }
}
