package dev.sluice.wire.record;

import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.Varint;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Reads the records of one batch from its (uncompressed or decompressed) payload. Each record is
 * parsed inside the limit its length varint sets, so a lying length cannot make it read a
 * neighbour's bytes, and the parse must use exactly that length. Key, value and header fields are
 * slices of the payload. Not thread-safe.
 */
final class RecordIterator implements Iterator<BatchRecord> {
    private final ByteBuffer payload;
    private final long batchBaseOffset;
    private final long baseTimestamp;
    private final boolean logAppendTime;
    private final long maxTimestamp;
    private final int baseSequence;
    private final int count;
    private int index;

    RecordIterator(RecordBatch batch, ByteBuffer payload) {
        this.payload = payload;
        this.batchBaseOffset = batch.baseOffset();
        this.baseTimestamp = batch.baseTimestamp();
        this.logAppendTime = batch.timestampType() == TimestampType.LOG_APPEND_TIME;
        this.maxTimestamp = batch.maxTimestamp();
        this.baseSequence = batch.baseSequence();
        this.count = batch.recordCount();
        if (count < 0) {
            throw corrupt("negative record count " + count);
        }
        if (count == 0 && payload.hasRemaining()) {
            throw corrupt("the batch claims no records but has " + payload.remaining() + " bytes of them");
        }
    }

    @Override
    public boolean hasNext() {
        return index < count;
    }

    @Override
    public BatchRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        BatchRecord record;
        try {
            record = readRecord();
        } catch (CorruptRecordException e) {
            throw e;
        } catch (MalformedDataException e) {
            throw corrupt(e.getMessage(), e);
        }
        index++;
        if (index == count && payload.hasRemaining()) {
            throw corrupt(payload.remaining() + " bytes follow the last of " + count + " records");
        }
        return record;
    }

    private BatchRecord readRecord() {
        if (!payload.hasRemaining()) {
            throw corrupt("the batch claims " + count + " records but its payload ends after " + index);
        }
        int length = Varint.read(payload);
        if (length < 0 || length > payload.remaining()) {
            throw corrupt("record length " + length + " but " + payload.remaining() + " bytes remain");
        }
        int end = payload.position() + length;
        int outerLimit = payload.limit();
        payload.limit(end);
        try {
            if (!payload.hasRemaining()) {
                throw corrupt("record of length 0 has no attributes");
            }
            payload.get(); // record attributes: unused by every version so far
            long timestampDelta = Varint.readLong(payload);
            int offsetDelta = Varint.read(payload);
            ByteBuffer key = readNullableBytes("key");
            ByteBuffer value = readNullableBytes("value");
            List<RecordHeader> headers = readHeaders();
            if (payload.hasRemaining()) {
                throw corrupt("record length " + length + " leaves " + payload.remaining() + " bytes unread");
            }
            long timestamp = logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
            return new BatchRecord(batchBaseOffset + offsetDelta, timestamp,
                RecordBatch.sequenceAt(baseSequence, offsetDelta), key, value, headers);
        } finally {
            payload.limit(outerLimit);
            payload.position(end);
        }
    }

    private ByteBuffer readNullableBytes(String what) {
        int length = Varint.read(payload);
        if (length == -1) {
            return null;
        }
        return slice(length, what);
    }

    private ByteBuffer slice(int length, String what) {
        if (length < 0 || length > payload.remaining()) {
            throw corrupt(what + " length " + length + " but " + payload.remaining() + " bytes remain in the record");
        }
        ByteBuffer slice = payload.slice(payload.position(), length);
        payload.position(payload.position() + length);
        return slice;
    }

    private List<RecordHeader> readHeaders() {
        int headerCount = Varint.read(payload);
        if (headerCount == 0) {
            return List.of();
        }
        // Every header takes at least two bytes (two length varints), which bounds an honest count.
        if (headerCount < 0 || headerCount > payload.remaining() / 2) {
            throw corrupt("header count " + headerCount + " but " + payload.remaining() + " bytes remain in the record");
        }
        RecordHeader[] headers = new RecordHeader[headerCount];
        for (int i = 0; i < headerCount; i++) {
            int keyLength = Varint.read(payload);
            if (keyLength < 0) {
                throw corrupt("header key length " + keyLength + "; header keys cannot be null");
            }
            ByteBuffer key = slice(keyLength, "header key");
            ByteBuffer value = readNullableBytes("header value");
            headers[i] = new RecordHeader(key, value);
        }
        return List.of(headers);
    }

    private CorruptRecordException corrupt(String reason) {
        return corrupt(reason, null);
    }

    private CorruptRecordException corrupt(String reason, Throwable cause) {
        String message = "record " + index + " of the batch at offset " + batchBaseOffset + ": " + reason;
        return cause == null ? new CorruptRecordException(message) : new CorruptRecordException(message, cause);
    }
}
