package dev.sluice.storage.append;

import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.compress.CompressionCodec;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.BatchRecord;
import dev.sluice.wire.record.CorruptRecordException;
import dev.sluice.wire.record.MemoryRecords;
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
 * <p>Records are never decoded beyond what validation needs: an uncompressed batch is walked in
 * place (cheap, no copies); a compressed one is decompressed only when a check needs its records
 * (compacted topic, a finite {@code message.timestamp.before.max.ms}) or the topic's
 * {@code compression.type} asks for another codec, in which case it is rebuilt with that codec.
 * Otherwise its header is trusted for the offset range and maximum timestamp. Stateless and
 * thread-safe.
 */
public final class BatchValidator {
    /** Upper bound on a batch's decompressed size during validation, against decompression bombs. */
    private static final int MAX_DECOMPRESSED_FACTOR = 64;

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
        boolean checkCreateTime = rules.timestampType() == TimestampType.CREATE_TIME;
        boolean walk = sent == CompressionType.NONE || recompress || rules.compacted()
            || (checkCreateTime && rules.timestampBeforeMaxMs() != Long.MAX_VALUE);

        if (walk) {
            walkRecords(batch, rules, now, checkCreateTime);
        } else if (checkCreateTime && batch.maxTimestamp() > now + rules.timestampAfterMaxMs()) {
            throw new AppendException(ErrorCode.INVALID_TIMESTAMP, "a record timestamp is after the allowed window: max "
                + batch.maxTimestamp() + " > " + (now + rules.timestampAfterMaxMs()));
        }
        if (recompress) {
            batch = rebuild(batch, rules.targetCompression(), rules.maxMessageBytes());
        }
        if (rules.timestampType() == TimestampType.LOG_APPEND_TIME) {
            batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, now);
        }
        return new Validated(batch, count);
    }

    private static int decompressionLimit(RecordBatch batch, Rules rules) {
        long limit = (long) Math.max(rules.maxMessageBytes(), batch.sizeInBytes()) * MAX_DECOMPRESSED_FACTOR;
        return (int) Math.min(Integer.MAX_VALUE - 16, limit);
    }

    private static void walkRecords(RecordBatch batch, Rules rules, long now, boolean checkCreateTime) {
        List<AppendException.RecordError> errors = new ArrayList<>();
        ErrorCode error = null;
        String message = null;
        long earliest = rules.timestampBeforeMaxMs() == Long.MAX_VALUE ? Long.MIN_VALUE : now - rules.timestampBeforeMaxMs();
        long latest = now + rules.timestampAfterMaxMs() < now ? Long.MAX_VALUE : now + rules.timestampAfterMaxMs();
        int index = 0;
        try {
            Iterator<BatchRecord> it = batch.records(decompressionLimit(batch, rules));
            while (it.hasNext()) {
                BatchRecord record = it.next();
                if (record.offset() != batch.baseOffset() + index) {
                    error = ErrorCode.INVALID_RECORD;
                    message = "record " + index + " has offset delta " + (record.offset() - batch.baseOffset())
                        + " where " + index + " was expected";
                    errors.add(new AppendException.RecordError(index, message));
                } else if (rules.compacted() && !record.hasKey()) {
                    error = ErrorCode.INVALID_RECORD;
                    message = "a compacted topic only accepts records with a key";
                    errors.add(new AppendException.RecordError(index, message));
                } else if (checkCreateTime && (record.timestamp() < earliest || record.timestamp() > latest)) {
                    if (error == null) {
                        error = ErrorCode.INVALID_TIMESTAMP;
                    }
                    String m = "timestamp " + record.timestamp() + " of record " + index + " is out of range; it should be within ["
                        + (earliest == Long.MIN_VALUE ? "-inf" : Long.toString(earliest)) + ", " + latest + "]";
                    message = message == null ? m : message;
                    errors.add(new AppendException.RecordError(index, m));
                }
                index++;
            }
        } catch (MalformedDataException e) {
            throw new AppendException(ErrorCode.CORRUPT_MESSAGE, "record " + index + " does not decode: " + e.getMessage());
        }
        if (index != batch.recordCount()) {
            throw new AppendException(ErrorCode.CORRUPT_MESSAGE, "the batch claims " + batch.recordCount()
                + " records but holds " + index);
        }
        if (error != null) {
            throw new AppendException(error, message, errors);
        }
    }

    private static RecordBatch rebuild(RecordBatch batch, CompressionCodec codec, int maxMessageBytes) {
        RecordBatchBuilder builder = new RecordBatchBuilder(batch.baseOffset()).compression(codec)
            .partitionLeaderEpoch(batch.partitionLeaderEpoch()).transactional(batch.isTransactional());
        if (batch.hasProducerId()) {
            builder.producer(batch.producerId(), batch.producerEpoch(), batch.baseSequence());
        }
        Iterator<BatchRecord> it = batch.records(Integer.MAX_VALUE - 16);
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
