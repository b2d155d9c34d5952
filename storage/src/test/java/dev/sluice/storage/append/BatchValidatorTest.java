package dev.sluice.storage.append;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.LogConfig;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.TimestampType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BatchValidatorTest {
    private static final long NOW = 1_700_000_000_000L;
    /** Kafka 4's topic defaults: CreateTime, no bound before now, one hour after, producer compression. */
    private static final BatchValidator.Rules DEFAULTS = new BatchValidator.Rules(LogConfig.DEFAULT_MAX_MESSAGE_BYTES,
        TimestampType.CREATE_TIME, Long.MAX_VALUE, 3_600_000L, false, null);

    /** A record with key "k", value "v", no headers, at this offset delta. */
    private static byte[] goodRecord(int offsetDelta) {
        return HostileBatches.record(0L, offsetDelta, 1, new byte[] {'k'}, 1, new byte[] {'v'}, 0);
    }

    private static MemoryRecords batch(CompressionType type, int recordCount, int lastOffsetDelta, byte[] compressed) {
        return HostileBatches.batch(type, recordCount, lastOffsetDelta, compressed, NOW);
    }

    private static MemoryRecords compressedBatch(CompressionType type, int recordCount, int lastOffsetDelta,
                                                 byte[]... records) {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (byte[] r : records) {
            payload.writeBytes(r);
        }
        ByteBuffer compressed = type.codec().compress(ByteBuffer.wrap(payload.toByteArray()));
        byte[] bytes = new byte[compressed.remaining()];
        compressed.get(bytes);
        return batch(type, recordCount, lastOffsetDelta, bytes);
    }

    private static AppendException refused(MemoryRecords records, BatchValidator.Rules rules) {
        return assertThrows(AppendException.class, () -> BatchValidator.validate(records, rules, NOW));
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void compressedBatchesFromTheBuilderAreAccepted(CompressionType type) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0).compression(type);
        for (int i = 0; i < 100; i++) {
            builder.append(NOW, ("key" + i).getBytes(StandardCharsets.UTF_8), new byte[100]);
        }
        BatchValidator.Validated validated = BatchValidator.validate(MemoryRecords.withBatches(builder.build()),
            DEFAULTS, NOW);
        assertEquals(100, validated.recordCount());
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void aCompressedBatchWhoseHeaderOverstatesItsRecordsIsCorrupt(CompressionType type) {
        // The header says three records (offsets 0-2) but the payload holds two.
        AppendException e = refused(compressedBatch(type, 3, 2, goodRecord(0), goodRecord(1)), DEFAULTS);
        assertEquals(ErrorCode.CORRUPT_MESSAGE, e.error());
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void aCompressedBatchWithBytesAfterItsLastRecordIsCorrupt(CompressionType type) {
        AppendException e = refused(compressedBatch(type, 1, 0, goodRecord(0), new byte[] {1, 2, 3}), DEFAULTS);
        assertEquals(ErrorCode.CORRUPT_MESSAGE, e.error());
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void aCompressedRecordWhoseValueOverrunsItsLengthIsCorrupt(CompressionType type) {
        byte[] overrun = HostileBatches.record(0L, 0, -1, 50, new byte[] {'v'}, 0);
        AppendException e = refused(compressedBatch(type, 1, 0, overrun), DEFAULTS);
        assertEquals(ErrorCode.CORRUPT_MESSAGE, e.error());
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void compressedRecordsWithWrongOffsetDeltasAreInvalidWithRecordErrors(CompressionType type) {
        AppendException e = refused(compressedBatch(type, 2, 1, goodRecord(0), goodRecord(5)), DEFAULTS);
        assertEquals(ErrorCode.INVALID_RECORD, e.error());
        assertEquals(1, e.recordErrors().size());
        assertEquals(1, e.recordErrors().get(0).batchIndex());
    }

    @Test
    void aCompressedRecordWithoutAKeyIsRefusedOnACompactedTopic() {
        BatchValidator.Rules compacted = new BatchValidator.Rules(DEFAULTS.maxMessageBytes(), TimestampType.CREATE_TIME,
            Long.MAX_VALUE, Long.MAX_VALUE, true, null);
        byte[] keyless = HostileBatches.record(0L, 1, -1, 1, new byte[] {'v'}, 0);
        AppendException e = refused(compressedBatch(CompressionType.LZ4, 2, 1, goodRecord(0), keyless), compacted);
        assertEquals(ErrorCode.INVALID_RECORD, e.error());
        assertEquals(1, e.recordErrors().get(0).batchIndex());
    }

    /**
     * A batch of a few hundred kilobytes whose one record expands to 256 MiB: refused with
     * MESSAGE_TOO_LARGE (which makes a Java producer split its batch) once it passes the limit,
     * having decoded it as a stream: the validator allocates nothing near the expanded size.
     */
    @Test
    void aDecompressionBombIsRefusedWithoutAllocatingItsExpandedSize() {
        MemoryRecords bomb = HostileBatches.gzipBomb(256 << 20, NOW);
        assertTrue(bomb.sizeInBytes() < DEFAULTS.maxMessageBytes(), "the bomb is " + bomb.sizeInBytes() + " bytes");

        long before = HostileBatches.allocatedBytes();
        AppendException e = refused(bomb, DEFAULTS);
        long allocated = HostileBatches.allocatedBytes() - before;
        assertEquals(ErrorCode.MESSAGE_TOO_LARGE, e.error());
        assertTrue(allocated < 8 * 1024 * 1024, "validation allocated " + allocated + " bytes");
    }

    /**
     * Kafka 3.6-3.9 defaulted {@code message.timestamp.after.max.ms} to Long.MAX_VALUE; now plus
     * that must mean "no bound", not wrap negative and refuse every record.
     */
    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void longMaxValueTimestampBoundsAcceptAnyTimestamp(CompressionType type) {
        BatchValidator.Rules unbounded = new BatchValidator.Rules(DEFAULTS.maxMessageBytes(), TimestampType.CREATE_TIME,
            Long.MAX_VALUE, Long.MAX_VALUE, false, null);
        RecordBatchBuilder builder = new RecordBatchBuilder(0).compression(type);
        builder.append(NOW + 365L * 24 * 3600 * 1000, null, new byte[] {1});
        builder.append(0L, null, new byte[] {2});
        assertEquals(2, BatchValidator.validate(MemoryRecords.withBatches(builder.build()), unbounded, NOW).recordCount());
    }

    @Test
    void largeButFiniteTimestampBoundsSaturateInsteadOfWrapping() {
        BatchValidator.Rules wide = new BatchValidator.Rules(DEFAULTS.maxMessageBytes(), TimestampType.CREATE_TIME,
            Long.MAX_VALUE - 1, Long.MAX_VALUE - 1, false, null);
        RecordBatch batch = new RecordBatchBuilder(0).compression(CompressionType.ZSTD)
            .append(NOW + 1000, null, new byte[] {1}).build();
        assertEquals(1, BatchValidator.validate(MemoryRecords.withBatches(batch), wide, NOW).recordCount());
        assertEquals(Long.MAX_VALUE, BatchValidator.saturatedAdd(NOW, Long.MAX_VALUE - 1));
        assertEquals(Long.MIN_VALUE, BatchValidator.saturatedAdd(-NOW, Long.MIN_VALUE + 1));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void aRecordPastTheAfterBoundIsInvalidTimestamp(CompressionType type) {
        RecordBatch batch = new RecordBatchBuilder(0).compression(type)
            .append(NOW, null, new byte[] {1}).append(NOW + 3_600_001L, null, new byte[] {2}).build();
        AppendException e = refused(MemoryRecords.withBatches(batch), DEFAULTS);
        assertEquals(ErrorCode.INVALID_TIMESTAMP, e.error());
        assertEquals(1, e.recordErrors().get(0).batchIndex());
    }
}
