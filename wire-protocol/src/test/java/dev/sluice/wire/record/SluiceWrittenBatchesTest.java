package dev.sluice.wire.record;

import static dev.sluice.wire.record.KafkaBatches.assertSameBatches;
import static dev.sluice.wire.record.KafkaBatches.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.compress.CompressionType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.record.internal.Record;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Batches Sluice writes must pass kafka-clients' CRC check and read back as the same records. */
class SluiceWrittenBatchesTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static org.apache.kafka.common.record.internal.MemoryRecords kafkaView(RecordBatch... batches) {
        return org.apache.kafka.common.record.internal.MemoryRecords.readableRecords(MemoryRecords.withBatches(batches).buffer());
    }

    private static List<Record> kafkaRecords(org.apache.kafka.common.record.internal.MemoryRecords kafka) {
        List<Record> records = new ArrayList<>();
        kafka.records().forEach(records::add);
        return records;
    }

    static RecordBatchBuilder appendMixed(RecordBatchBuilder builder, long timestamp) {
        byte[] big = new byte[5000];
        new Random(2).nextBytes(big);
        List<RecordHeader> headers = List.of(RecordHeader.of("trace-id", utf8("abc123")), RecordHeader.of("empty", new byte[0]),
            RecordHeader.of("null-valued", null), RecordHeader.of("ünïcode", utf8("✓")));
        return builder.append(timestamp, utf8("k0"), utf8("v0"))
            .append(timestamp + 5, null, utf8("no key"))
            .append(timestamp - 3, utf8("tombstone"), null)
            .append(timestamp + 1000, null, null)
            .append(timestamp + 2, utf8("with headers"), utf8("v4"), headers)
            .append(timestamp + 7, new byte[0], new byte[0])
            .append(timestamp + 9, utf8("big"), big);
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void plainRecordsWithHeadersAndNulls(CompressionType type) {
        RecordBatch batch = appendMixed(new RecordBatchBuilder(1234L).compression(type), 1_700_000_000_000L).build();
        var kafka = kafkaView(batch);
        assertSameBatches(kafka, MemoryRecords.withBatches(batch));

        List<Record> records = kafkaRecords(kafka);
        assertEquals(7, records.size());
        assertEquals(1234L, records.get(0).offset());
        assertEquals(1_700_000_000_000L - 3, records.get(2).timestamp());
        assertEquals(1_700_000_001_000L, batch.maxTimestamp());
        assertTrue(records.get(2).hasKey());
        assertTrue(!records.get(2).hasValue());
        assertEquals("null-valued", records.get(4).headers()[2].key());
        assertNull(records.get(4).headers()[2].value());
        assertArrayEquals(utf8("✓"), records.get(4).headers()[3].value());
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void idempotentAndTransactionalBatches(CompressionType type) {
        RecordBatch idempotent = appendMixed(new RecordBatchBuilder(0L).compression(type)
            .producer(9_001L, (short) 7, Integer.MAX_VALUE - 2).partitionLeaderEpoch(4), 10L).build();
        RecordBatch transactional = appendMixed(new RecordBatchBuilder(7L).compression(type)
            .producer(77L, (short) 3, 0).transactional(true).partitionLeaderEpoch(4), 20L).build();
        var kafka = kafkaView(idempotent, transactional);
        assertSameBatches(kafka, MemoryRecords.withBatches(idempotent, transactional));
        var kafkaBatches = new ArrayList<org.apache.kafka.common.record.internal.RecordBatch>();
        kafka.batches().forEach(kafkaBatches::add);
        assertEquals(3, kafkaBatches.get(0).lastSequence());
        assertTrue(kafkaBatches.get(1).isTransactional());
        assertEquals(77L, kafkaBatches.get(1).producerId());
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void logAppendTime(CompressionType type) {
        RecordBatch batch = appendMixed(new RecordBatchBuilder(0L).compression(type).logAppendTime(5_555L), 10L).build();
        var kafka = kafkaView(batch);
        assertSameBatches(kafka, MemoryRecords.withBatches(batch));
        assertTrue(kafkaRecords(kafka).stream().allMatch(r -> r.timestamp() == 5_555L));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void offsetGapsAndDeleteHorizon(CompressionType type) {
        RecordBatch batch = new RecordBatchBuilder(100L).compression(type).deleteHorizonMs(99_000L)
            .appendWithOffset(101L, 50_000L, ByteBuffer.wrap(utf8("a")), ByteBuffer.wrap(utf8("1")), List.of())
            .appendWithOffset(105L, 50_010L, ByteBuffer.wrap(utf8("b")), null, List.of())
            .appendWithOffset(190L, 49_990L, ByteBuffer.wrap(utf8("c")), ByteBuffer.wrap(utf8("3")), List.of())
            .build();
        var kafka = kafkaView(batch);
        assertSameBatches(kafka, MemoryRecords.withBatches(batch));
        var kafkaBatch = kafka.batches().iterator().next();
        assertEquals(99_000L, kafkaBatch.deleteHorizonMs().getAsLong());
        assertEquals(190L, kafkaBatch.lastOffset());
        assertEquals(List.of(101L, 105L, 190L), kafkaRecords(kafka).stream().map(Record::offset).toList());
        assertEquals(List.of(50_000L, 50_010L, 49_990L), kafkaRecords(kafka).stream().map(Record::timestamp).toList());
    }

    @ParameterizedTest
    @EnumSource(value = ControlRecordType.class, names = {"COMMIT", "ABORT"})
    void endTransactionMarkers(ControlRecordType type) {
        RecordBatch batch = RecordBatchBuilder.endTransactionMarker(500L, 1_234L, 9, 77L, (short) 3,
            new EndTransactionMarker(type, 42));
        var kafka = kafkaView(batch);
        assertSameBatches(kafka, MemoryRecords.withBatches(batch));
        var kafkaBatch = kafka.batches().iterator().next();
        assertTrue(kafkaBatch.isControlBatch());
        assertTrue(kafkaBatch.isTransactional());
        var marker = org.apache.kafka.common.record.internal.EndTransactionMarker.deserialize(kafkaBatch.iterator().next());
        assertEquals(type.name(), marker.controlType().name());
        assertEquals(42, marker.coordinatorEpoch());
        assertEquals(new EndTransactionMarker(type, 42), EndTransactionMarker.fromRecord(records(batch).get(0)));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void aRealisticBatchOfKilobyteRecords(CompressionType type) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0L).compression(type).producer(1L, (short) 0, 0);
        Random random = new Random(3);
        for (int i = 0; i < 64; i++) {
            byte[] value = new byte[1024];
            for (int j = 0; j < value.length; j++) {
                value[j] = (byte) ('a' + random.nextInt(8));
            }
            builder.append(1_000L + i, utf8("key-" + i), value, List.of(RecordHeader.of("i", utf8(Integer.toString(i)))));
        }
        RecordBatch batch = builder.build();
        if (type != CompressionType.NONE) {
            assertTrue(batch.sizeInBytes() < builder.uncompressedRecordsSize(), type + " did not shrink the batch");
        }
        assertSameBatches(kafkaView(batch), MemoryRecords.withBatches(batch));
    }
}
