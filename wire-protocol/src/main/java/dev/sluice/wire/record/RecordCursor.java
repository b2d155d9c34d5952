package dev.sluice.wire.record;

import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.compress.DecompressionLimitException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Walks the records of one batch in order, checking each one's framing, while keeping only the
 * fields a broker needs to validate or search them: offset, timestamp and whether key and value
 * are present. Keys, values and headers are skipped, never copied, and a compressed batch is
 * decompressed as the walk goes (see {@link dev.sluice.wire.compress.CompressionCodec#decompressingStream}),
 * so the memory a walk costs does not depend on what the batch expands to.
 *
 * <p>Each record must be whole and exact, as Kafka's broker requires: its length varint covers
 * exactly the fields parsed, key, value and header lengths stay inside it, header keys are not
 * null, the header count is not negative; the batch holds exactly {@link RecordBatch#recordCount()}
 * records and nothing after them. A failure throws {@link CorruptRecordException}; a compressed
 * payload that expands past the cursor's limit throws {@link DecompressionLimitException}.
 *
 * <p>Usage: {@code while (cursor.next()) { cursor.offset() ... }}; {@link #next()} returning false
 * means the whole batch has been checked. Close it (a zstd stream holds native memory). Not
 * thread-safe; no allocation per record.
 */
public final class RecordCursor implements AutoCloseable {
    /** Attributes, timestamp delta, offset delta, key length, value length, header count: a byte each at least. */
    private static final int MIN_RECORD_BODY = 6;

    private final Source source;
    private final long batchBaseOffset;
    private final long baseTimestamp;
    private final boolean logAppendTime;
    private final long maxTimestamp;
    private final int count;
    private int index = -1;
    private int offsetDelta;
    private long timestamp;
    private boolean hasKey;
    private boolean hasValue;
    private boolean done;

    private RecordCursor(RecordBatch batch, Source source) {
        this.source = source;
        this.batchBaseOffset = batch.baseOffset();
        this.baseTimestamp = batch.baseTimestamp();
        this.logAppendTime = batch.timestampType() == TimestampType.LOG_APPEND_TIME;
        this.maxTimestamp = batch.maxTimestamp();
        this.count = batch.recordCount();
    }

    /** See {@link RecordBatch#recordCursor(int)}. */
    static RecordCursor open(RecordBatch batch, ByteBuffer payload, int maxDecompressedBytes) {
        CompressionType compression = batch.compressionType();
        if (batch.recordCount() < 0) {
            throw new CorruptRecordException("record batch at offset " + batch.baseOffset()
                + " has a negative record count " + batch.recordCount());
        }
        if (compression == CompressionType.NONE) {
            return new RecordCursor(batch, new BufferSource(payload));
        }
        InputStream in;
        try {
            in = compression.codec().decompressingStream(payload, maxDecompressedBytes);
        } catch (DecompressionLimitException e) {
            throw e;
        } catch (MalformedDataException e) {
            throw new CorruptRecordException("record batch at offset " + batch.baseOffset() + " has a corrupt "
                + compression.configName() + " payload: " + e.getMessage(), e);
        }
        return new RecordCursor(batch, new StreamSource(in, compression.configName()));
    }

    /**
     * Moves to the next record and checks it.
     *
     * @return false once every record has been read and the payload is known to end there
     * @throws CorruptRecordException at the first record (or trailing bytes) that fails a check
     * @throws DecompressionLimitException if the payload expands past the limit
     */
    public boolean next() {
        if (done) {
            return false;
        }
        try {
            if (index + 1 == count) {
                done = true;
                if (!source.atEnd()) {
                    throw corrupt("bytes follow the last of " + count + " records");
                }
                return false;
            }
            index++;
            readRecord();
            return true;
        } catch (CorruptRecordException | DecompressionLimitException e) {
            done = true;
            throw e;
        } catch (MalformedDataException e) {
            done = true;
            throw corrupt(e.getMessage());
        }
    }

    private void readRecord() {
        if (source.atEnd()) {
            throw corrupt("the batch claims " + count + " records but its payload ends after " + index);
        }
        int length = readVarint();
        if (length < MIN_RECORD_BODY) {
            throw corrupt("record length " + length + " is shorter than any record");
        }
        long end = source.consumed() + length;
        source.readByte(); // record attributes: unused by every version so far
        long timestampDelta = readVarlong();
        offsetDelta = readVarint();
        hasKey = skipNullableBytes("key", end);
        hasValue = skipNullableBytes("value", end);
        int headers = readVarint();
        if (headers < 0 || headers > (end - source.consumed()) / 2) {
            throw corrupt("header count " + headers + " does not fit in the record");
        }
        for (int i = 0; i < headers; i++) {
            int keyLength = readVarint();
            if (keyLength < 0) {
                throw corrupt("header key length " + keyLength + "; header keys cannot be null");
            }
            skipWithin(keyLength, "header key", end);
            skipNullableBytes("header value", end);
        }
        if (source.consumed() != end) {
            throw corrupt("record length " + length + " but its fields take " + (length + source.consumed() - end)
                + " bytes");
        }
        timestamp = logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
    }

    private boolean skipNullableBytes(String what, long end) {
        int length = readVarint();
        if (length == -1) {
            return false;
        }
        skipWithin(length, what, end);
        return true;
    }

    private void skipWithin(int length, String what, long end) {
        if (length < 0 || length > end - source.consumed()) {
            throw corrupt(what + " length " + length + " but " + Math.max(0, end - source.consumed())
                + " bytes remain in the record");
        }
        source.skip(length);
    }

    private int readVarint() {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = source.readByte();
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (shift == 28 && (b & 0xF0) != 0) {
                    throw corrupt("varint does not fit in 32 bits");
                }
                return (value >>> 1) ^ -(value & 1);
            }
        }
        throw corrupt("varint is longer than 5 bytes");
    }

    private long readVarlong() {
        long value = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            int b = source.readByte();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (shift == 63 && (b & 0x7E) != 0) {
                    throw corrupt("varlong does not fit in 64 bits");
                }
                return (value >>> 1) ^ -(value & 1);
            }
        }
        throw corrupt("varlong is longer than 10 bytes");
    }

    /** Index of the current record in the batch, from 0. */
    public int index() {
        return index;
    }

    /** The current record's offset delta as written; Kafka requires it to equal {@link #index()}. */
    public int offsetDelta() {
        return offsetDelta;
    }

    /** Base offset + offset delta. */
    public long offset() {
        return batchBaseOffset + offsetDelta;
    }

    /** Base timestamp + timestamp delta, or the batch's max timestamp for LogAppendTime. */
    public long timestamp() {
        return timestamp;
    }

    public boolean hasKey() {
        return hasKey;
    }

    public boolean hasValue() {
        return hasValue;
    }

    @Override
    public void close() {
        source.close();
    }

    private CorruptRecordException corrupt(String reason) {
        return new CorruptRecordException("record " + Math.max(index, 0) + " of the batch at offset " + batchBaseOffset
            + ": " + reason);
    }

    /** Where the record bytes come from: the batch itself, or a decompressing stream. */
    private abstract static class Source {
        /** The next byte, unsigned. @throws MalformedDataException at the end of the payload */
        abstract int readByte();

        abstract void skip(int n);

        /** Whether the payload has no more bytes. */
        abstract boolean atEnd();

        /** Bytes read or skipped so far. */
        abstract long consumed();

        void close() {
        }
    }

    private static final class BufferSource extends Source {
        private final ByteBuffer payload;
        private final int start;

        BufferSource(ByteBuffer payload) {
            this.payload = payload;
            this.start = payload.position();
        }

        @Override
        int readByte() {
            if (!payload.hasRemaining()) {
                throw new MalformedDataException("the record runs past the end of the batch");
            }
            return payload.get() & 0xFF;
        }

        @Override
        void skip(int n) {
            if (n > payload.remaining()) {
                throw new MalformedDataException("the record runs past the end of the batch");
            }
            payload.position(payload.position() + n);
        }

        @Override
        boolean atEnd() {
            return !payload.hasRemaining();
        }

        @Override
        long consumed() {
            return payload.position() - start;
        }
    }

    private static final class StreamSource extends Source {
        private static final int WINDOW = 8 * 1024;
        // A decompressor that keeps returning zero bytes without reaching the end would spin forever.
        private static final int MAX_EMPTY_READS = 64;

        private final InputStream in;
        private final String codec;
        private final byte[] window = new byte[WINDOW];
        private int position;
        private int limit;
        private long consumedBefore;
        private boolean ended;

        StreamSource(InputStream in, String codec) {
            this.in = in;
            this.codec = codec;
        }

        @Override
        int readByte() {
            if (position == limit && !refill()) {
                throw new MalformedDataException("the record runs past the end of the decompressed payload");
            }
            return window[position++] & 0xFF;
        }

        @Override
        void skip(int n) {
            int left = n;
            while (left > 0) {
                if (position == limit && !refill()) {
                    throw new MalformedDataException("the record runs past the end of the decompressed payload");
                }
                int step = Math.min(left, limit - position);
                position += step;
                left -= step;
            }
        }

        @Override
        boolean atEnd() {
            return position == limit && !refill();
        }

        @Override
        long consumed() {
            return consumedBefore + position;
        }

        private boolean refill() {
            if (ended) {
                return false;
            }
            consumedBefore += limit;
            position = 0;
            limit = 0;
            try {
                for (int empty = 0; empty <= MAX_EMPTY_READS; empty++) {
                    int n = in.read(window, 0, window.length);
                    if (n < 0) {
                        ended = true;
                        return false;
                    }
                    if (n > 0) {
                        limit = n;
                        return true;
                    }
                }
            } catch (IOException e) {
                throw new MalformedDataException("corrupt " + codec + " payload: " + e.getMessage(), e);
            }
            throw new MalformedDataException(codec + " decompressor stopped making progress");
        }

        @Override
        void close() {
            try {
                in.close();
            } catch (IOException e) {
                // In-memory input: closing frees native buffers and cannot lose data.
            }
        }
    }
}
