package dev.sluice.storage.append;

import dev.sluice.storage.LogConfig;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.compress.CompressionCodec;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.compress.DecompressionLimitException;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.BatchRecord;
import dev.sluice.wire.record.CorruptRecordException;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordCursor;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.TimestampType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Checks the records a producer sent for one partition before they are appended, as Kafka does:
 * exactly one magic v2 batch (Produce v3+), a valid CRC, no larger than {@code max.message.bytes},
 * no control batch from a client, inner offsets 0..n-1, timestamps within
 * {@code message.timestamp.before/after.max.ms} of now (CreateTime), and a key on every record of a
 * compacted topic. Failures are {@link AppendException}s carrying the error code and, where records
 * are at fault, their indexes (KIP-467).
 *
 * <p>Every record is walked and checked ({@link RecordCursor}: lengths, counts, no trailing
 * bytes), compressed or not, because a header alone can lie about what a consumer will later fail
 * to read. The walk copies nothing: an uncompressed batch is read in place, a compressed one is
 * decompressed as a stream and refused with MESSAGE_TOO_LARGE once it expands past
 * {@link LogConfig#maxDecompressedBatchBytes(int)}, so a decompression bomb costs bounded work
 * and no memory of its expanded size. Only when the topic's {@code compression.type} asks for
 * another codec are the records materialised, to rebuild the batch. Window bounds that overflow
 * (Kafka 3.6-3.9 defaulted {@code message.timestamp.after.max.ms} to Long.MAX_VALUE) saturate
 * instead of wrapping. Stateless and thread-safe.
 */
public final class BatchValidator {
    /** The topic settings validation depends on. */
    public record Rules(int maxMessageBytes, TimestampType timestampType, long timestampBeforeMaxMs,
                        long timestampAfterMaxMs, boolean compacted, CompressionCodec targetCompression) {
        /** {@code targetCompression} null means "producer": keep what was sent. */
    }

    /** A batch ready to append (possibly rebuilt with another codec), with its record count. */
    public record Validated(RecordBatch batch, int recordCount) {
    }

    private BatchValidator() {
    }

    /**
     * Validates the records of one partition of a Produce request and, for LogAppendTime topics,
     * stamps {@code now} into the batch.
     *
     * @throws AppendException for records that must be rejected
     */
    public static Validated validate(MemoryRecords records, Rules rules, long now) {
        ByteBuffer bytes = records.buffer();
        if (bytes.remaining() < RecordBatch.HEADER_SIZE) {
            throw new AppendException(ErrorCode.CORRUPT_MESSAGE, "record data of " + bytes.remaining()
                + " bytes is shorter than one batch header");
        }
        byte magic = bytes.get(bytes.position() + 16);
        if (magic != RecordBatch.MAGIC) {
            throw new AppendException(ErrorCode.INVALID_RECORD,
                "produce requests of version 3 and later may only carry record batches of magic 2, not " + magic);
        }
        RecordBatch batch;
        try {
            Iterator<RecordBatch> batches = records.batches().iterator();
            batch = batches.next();
            if (batches.hasNext()) {
                throw new AppendException(ErrorCode.INVALID_RECORD,
                    "produce requests of version 3 and later must carry exactly one record batch per partition");
            }
        } catch (CorruptRecordException e) {
            throw new AppendException(ErrorCode.CORRUPT_MESSAGE, e.getMessage());
        }
        if (batch.sizeInBytes() > rules.maxMessageBytes()) {
            throw new AppendException(ErrorCode.MESSAGE_TOO_LARGE, "the record batch is " + batch.sizeInBytes()
                + " bytes, larger than max.message.bytes (" + rules.maxMessageBytes() + ")");
        }
        try {
            batch.ensureValid();
        } catch (MalformedDataException e) {
            throw new AppendException(ErrorCode.CORRUPT_MESSAGE, e.getMessage());
        }
        if (batch.isControlBatch()) {
            throw new AppendException(ErrorCode.INVALID_RECORD, "clients may not write control records");
        }
        int count = batch.recordCount();
        if (count == 0 || batch.lastOffsetDelta() != count - 1) {
            throw new AppendException(ErrorCode.INVALID_RECORD, "the batch holds " + count
                + " records but its last offset delta is " + batch.lastOffsetDelta());
        }
        CompressionType sent = batch.compressionType();
        boolean recompress = rules.targetCompression() != null && rules.targetCompression().type() != sent;
        int decompressionLimit = LogConfig.maxDecompressedBatchBytes(rules.maxMessageBytes());
        checkRecords(batch, rules, now, decompressionLimit);
        if (recompress) {
            batch = rebuild(batch, rules.targetCompression(), rules.maxMessageBytes(), decompressionLimit);
        }
        if (rules.timestampType() == TimestampType.LOG_APPEND_TIME) {
            batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, now);
        }
        return new Validated(batch, count);
    }

    /**
     * Walks every record, as Kafka's broker does for compressed batches too: a batch whose header
     * is fine but whose records are not (a count that lies, offsets out of order, a record longer
     * than its length says, bytes after the last record) would otherwise be stored and fail every
     * consumer that reads it. Compressed payloads are decompressed as the walk goes and stop at
     * {@code decompressionLimit}; nothing is copied.
     */
    private static void checkRecords(RecordBatch batch, Rules rules, long now, int decompressionLimit) {
        boolean checkCreateTime = rules.timestampType() == TimestampType.CREATE_TIME;
        long earliest = saturatedAdd(now, -Math.max(0, rules.timestampBeforeMaxMs()));
        long latest = saturatedAdd(now, Math.max(0, rules.timestampAfterMaxMs()));
        List<AppendException.RecordError> errors = null;
        ErrorCode error = null;
        String message = null;
        try (RecordCursor cursor = batch.recordCursor(decompressionLimit)) {
            while (cursor.next()) {
                int index = cursor.index();
                String fault = null;
                boolean timestampFault = false;
                if (cursor.offsetDelta() != index) {
                    error = ErrorCode.INVALID_RECORD;
                    fault = "record " + index + " has offset delta " + cursor.offsetDelta() + " where " + index
                        + " was expected";
                } else if (rules.compacted() && !cursor.hasKey()) {
                    error = ErrorCode.INVALID_RECORD;
                    fault = "a compacted topic only accepts records with a key";
                } else if (checkCreateTime && (cursor.timestamp() < earliest || cursor.timestamp() > latest)) {
                    error = error == null ? ErrorCode.INVALID_TIMESTAMP : error;
                    timestampFault = true;
                    fault = "timestamp " + cursor.timestamp() + " of record " + index
                        + " is out of range; it should be within [" + earliest + ", " + latest + "]";
                }
                if (fault != null) {
                    errors = errors == null ? new ArrayList<>() : errors;
                    errors.add(new AppendException.RecordError(index, fault));
                    // The message names the fault behind the error code: an invalid record over a timestamp.
                    message = message == null || !timestampFault ? fault : message;
                }
            }
        } catch (DecompressionLimitException e) {
            // The Java producer answers MESSAGE_TOO_LARGE by splitting the batch and retrying.
            throw new AppendException(ErrorCode.MESSAGE_TOO_LARGE, "the " + batch.compressionType().configName()
                + " batch expands to more than " + e.limit() + " bytes, " + LogConfig.MAX_DECOMPRESSION_RATIO
                + " times max.message.bytes");
        } catch (MalformedDataException e) {
            throw new AppendException(ErrorCode.CORRUPT_MESSAGE, e.getMessage());
        }
        if (error != null) {
            throw new AppendException(error, message, errors);
        }
    }

    /** {@code a + b}, held at the long range instead of wrapping (a config of Long.MAX_VALUE means "no bound"). */
    static long saturatedAdd(long a, long b) {
        long sum = a + b;
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }

    private static RecordBatch rebuild(RecordBatch batch, CompressionCodec codec, int maxMessageBytes,
                                       int decompressionLimit) {
        RecordBatchBuilder builder = new RecordBatchBuilder(batch.baseOffset()).compression(codec)
            .partitionLeaderEpoch(batch.partitionLeaderEpoch()).transactional(batch.isTransactional());
        if (batch.hasProducerId()) {
            builder.producer(batch.producerId(), batch.producerEpoch(), batch.baseSequence());
        }
        Iterator<BatchRecord> it = batch.records(decompressionLimit);
        while (it.hasNext()) {
            BatchRecord r = it.next();
            builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), r.headers());
        }
        RecordBatch rebuilt = builder.build();
        if (rebuilt.sizeInBytes() > maxMessageBytes) {
            throw new AppendException(ErrorCode.MESSAGE_TOO_LARGE, "recompressed with " + codec.type().configName()
                + " the batch is " + rebuilt.sizeInBytes() + " bytes, larger than max.message.bytes (" + maxMessageBytes + ")");
        }
        return rebuilt;
    }
}
