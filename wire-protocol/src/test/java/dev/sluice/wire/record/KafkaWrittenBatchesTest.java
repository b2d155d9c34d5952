package dev.sluice.wire.record;

import static dev.sluice.wire.record.KafkaBatches.assertSameBatches;
import static dev.sluice.wire.record.KafkaBatches.kafkaCompression;
import static dev.sluice.wire.record.KafkaBatches.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.compress.CompressionType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.message.LeaderChangeMessage;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Batches written by kafka-clients' own builders must read the same through Sluice. */
class KafkaWrittenBatchesTest {
    private static final byte MAGIC = 2;

    private static MemoryRecords sluiceView(org.apache.kafka.common.record.internal.MemoryRecords kafka) {
        return MemoryRecords.readableRecords(kafka.buffer());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static SimpleRecord[] mixedRecords(long baseTimestamp) {
        Header[] headers = {
            new RecordHeader("trace-id", utf8("abc123")),
            new RecordHeader("empty", new byte[0]),
            new RecordHeader("null-valued", null),
            new RecordHeader("ünïcode", utf8("✓")),
        };
        byte[] big = new byte[5000];
        new Random(1).nextBytes(big);
        return new SimpleRecord[] {
            new SimpleRecord(baseTimestamp, utf8("k0"), utf8("v0")),
            new SimpleRecord(baseTimestamp + 5, null, utf8("no key")),
            new SimpleRecord(baseTimestamp - 3, utf8("tombstone"), null),
            new SimpleRecord(baseTimestamp + 1000, (byte[]) null, (byte[]) null),
            new SimpleRecord(baseTimestamp + 2, utf8("with headers"), utf8("v4"), headers),
            new SimpleRecord(baseTimestamp + 7, new byte[0], new byte[0]),
            new SimpleRecord(baseTimestamp + 9, utf8("big"), big),
        };
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void plainRecordsWithHeadersAndNulls(CompressionType type) {
        var kafka = org.apache.kafka.common.record.internal.MemoryRecords.withRecords(MAGIC, 1234L, kafkaCompression(type),
            TimestampType.CREATE_TIME, mixedRecords(1_700_000_000_000L));
        assertSameBatches(kafka, sluiceView(kafka));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void idempotentBatchesCarryProducerIdEpochAndSequences(CompressionType type) {
        var kafka = org.apache.kafka.common.record.internal.MemoryRecords.withIdempotentRecords(MAGIC, 50L,
            kafkaCompression(type), 9_001L, (short) 7, 42, 3, mixedRecords(1_000L));
        RecordBatch batch = sluiceView(kafka).batches().iterator().next();
        assertEquals(9_001L, batch.producerId());
        assertEquals(42, records(batch).get(2).sequence() - 2);
        assertSameBatches(kafka, sluiceView(kafka));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void sequencesWrapPastIntMax(CompressionType type) {
        var kafka = org.apache.kafka.common.record.internal.MemoryRecords.withIdempotentRecords(MAGIC, 0L,
            kafkaCompression(type), 1L, (short) 0, Integer.MAX_VALUE - 2, 0, mixedRecords(1_000L));
        RecordBatch batch = sluiceView(kafka).batches().iterator().next();
        assertEquals(3, batch.lastSequence());
        assertSameBatches(kafka, sluiceView(kafka));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void transactionalBatches(CompressionType type) {
        var kafka = org.apache.kafka.common.record.internal.MemoryRecords.withTransactionalRecords(100L, kafkaCompression(type),
            77L, (short) 3, 0, 12, mixedRecords(2_000L));
        RecordBatch batch = sluiceView(kafka).batches().iterator().next();
        assertTrue(batch.isTransactional());
        assertEquals(12, batch.partitionLeaderEpoch());
        assertSameBatches(kafka, sluiceView(kafka));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void logAppendTimeGivesEveryRecordTheAppendTime(CompressionType type) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        MemoryRecordsBuilder builder = org.apache.kafka.common.record.internal.MemoryRecords.builder(buffer, MAGIC,
            kafkaCompression(type), TimestampType.LOG_APPEND_TIME, 10L, 9_999_999L);
        for (SimpleRecord record : mixedRecords(5L)) {
            builder.append(record);
        }
        var kafka = builder.build();
        RecordBatch batch = sluiceView(kafka).batches().iterator().next();
        assertEquals(dev.sluice.wire.record.TimestampType.LOG_APPEND_TIME, batch.timestampType());
        assertTrue(records(batch).stream().allMatch(r -> r.timestamp() == 9_999_999L));
        assertSameBatches(kafka, sluiceView(kafka));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void severalBatchesBackToBackWithOffsetGaps(CompressionType type) {
        ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
        for (int b = 0; b < 4; b++) {
            MemoryRecordsBuilder builder = org.apache.kafka.common.record.internal.MemoryRecords.builder(buffer, MAGIC,
                kafkaCompression(type), TimestampType.CREATE_TIME, b * 100L, 0L,
                b, (short) 1, b * 10, false, false, 5 + b);
            for (int r = 0; r < 10; r++) {
                // Offsets with gaps, as compaction leaves them.
                builder.appendWithOffset(b * 100L + r * 3, 1_000L + r, utf8("key" + r), utf8("value" + b + "/" + r));
            }
            builder.close();
            buffer = builder.buffer();
        }
        var kafka = org.apache.kafka.common.record.internal.MemoryRecords.readableRecords(buffer.flip());
        assertSameBatches(kafka, sluiceView(kafka));
    }

    @ParameterizedTest
    @EnumSource(value = org.apache.kafka.common.record.internal.ControlRecordType.class, names = {"COMMIT", "ABORT"})
    void endTransactionMarkers(org.apache.kafka.common.record.internal.ControlRecordType kafkaType) {
        var kafka = org.apache.kafka.common.record.internal.MemoryRecords.withEndTransactionMarker(500L, 1_234L, 9, 77L,
            (short) 3, new org.apache.kafka.common.record.internal.EndTransactionMarker(kafkaType, 42));
        RecordBatch batch = sluiceView(kafka).batches().iterator().next();
        assertTrue(batch.isControlBatch());
        assertTrue(batch.isTransactional());
        EndTransactionMarker marker = EndTransactionMarker.fromRecord(records(batch).get(0));
        assertEquals(kafkaType.name(), marker.type().name());
        assertEquals(42, marker.coordinatorEpoch());
        assertSameBatches(kafka, sluiceView(kafka));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void otherControlRecordTypesAreRecognised(CompressionType type) {
        ByteBuffer buffer = ByteBuffer.allocate(1024);
        MemoryRecordsBuilder builder = org.apache.kafka.common.record.internal.MemoryRecords.builder(buffer, MAGIC,
            kafkaCompression(type), TimestampType.CREATE_TIME, 0L, 0L, -1L, (short) -1, -1, false, true, 3);
        builder.appendLeaderChangeMessage(1_000L, new LeaderChangeMessage().setLeaderId(1).setVoters(List.of()));
        var kafka = builder.build();
        RecordBatch batch = sluiceView(kafka).batches().iterator().next();
        assertEquals(ControlRecordType.LEADER_CHANGE, ControlRecordType.parseKey(records(batch).get(0).key()));
        assertSameBatches(kafka, sluiceView(kafka));
    }
}
