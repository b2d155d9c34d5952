package dev.sluice.wire.record;

import static dev.sluice.wire.record.KafkaBatches.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.compress.CompressionType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RecordBatchTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RecordBatch twoRecords() {
        return new RecordBatchBuilder(10L).producer(5L, (short) 1, 100).partitionLeaderEpoch(3)
            .append(1_000L, utf8("a"), utf8("alpha"), List.of(RecordHeader.of("hdr", utf8("x"))))
            .append(1_010L, utf8("b"), utf8("beta"))
            .build();
    }

    @Test
    void headerFieldsSitAtTheDocumentedOffsets() {
        RecordBatch batch = twoRecords();
        ByteBuffer bytes = batch.buffer();
        assertEquals(10L, bytes.getLong(0));
        assertEquals(batch.sizeInBytes() - 12, bytes.getInt(8));
        assertEquals(3, bytes.getInt(12));
        assertEquals(2, bytes.get(16));
        assertEquals(1, bytes.getInt(23));
        assertEquals(1_000L, bytes.getLong(27));
        assertEquals(1_010L, bytes.getLong(35));
        assertEquals(5L, bytes.getLong(43));
        assertEquals(1, bytes.getShort(51));
        assertEquals(100, bytes.getInt(53));
        assertEquals(2, bytes.getInt(57));
        assertEquals(11L, batch.lastOffset());
        assertEquals(12L, batch.nextOffset());
        assertEquals(101, batch.lastSequence());
        assertEquals(OptionalLong.empty(), batch.deleteHorizonMs());
        batch.ensureValid();
    }

    @Test
    void uncompressedIterationReturnsViewsOfTheBatchBytesNotCopies() {
        ByteBuffer bytes = twoRecords().buffer();
        RecordBatch view = RecordBatch.wrap(bytes);
        BatchRecord first = records(view).get(0);
        assertTrue(first.value().isReadOnly());
        assertArrayEquals(utf8("alpha"), first.valueArray());
        // Write through the batch's own buffer: a view sees the change, a copy would not.
        int valueAt = indexOf(bytes, utf8("alpha"));
        bytes.put(valueAt, (byte) 'A');
        assertArrayEquals(utf8("Alpha"), first.valueArray());
        bytes.put(indexOf(bytes, utf8("hdr")), (byte) 'H');
        assertEquals("Hdr", first.headers().get(0).key());
    }

    private static int indexOf(ByteBuffer haystack, byte[] needle) {
        outer:
        for (int i = RecordBatch.HEADER_SIZE; i <= haystack.limit() - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack.get(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void offsetAndLeaderEpochUpdatesLeaveTheCrcValid() {
        RecordBatch batch = twoRecords();
        long crc = batch.checksum();
        batch.setBaseOffset(5_000L);
        batch.setPartitionLeaderEpoch(8);
        assertEquals(crc, batch.checksum());
        batch.ensureValid();
        assertEquals(5_001L, batch.lastOffset());
        batch.setLastOffset(99L);
        assertEquals(98L, batch.baseOffset());
        assertEquals(List.of(98L, 99L), records(batch).stream().map(BatchRecord::offset).toList());
        assertEquals(8, batch.partitionLeaderEpoch());
    }

    @Test
    void stampingLogAppendTimeRecomputesTheCrcAndKafkaAgrees() {
        RecordBatch batch = twoRecords();
        long crc = batch.checksum();
        batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, 77_777L);
        assertNotEquals(crc, batch.checksum());
        batch.ensureValid();
        assertEquals(TimestampType.LOG_APPEND_TIME, batch.timestampType());
        assertTrue(records(batch).stream().allMatch(r -> r.timestamp() == 77_777L));

        var kafka = org.apache.kafka.common.record.internal.MemoryRecords.readableRecords(batch.buffer()).batches().iterator().next();
        kafka.ensureValid();
        assertEquals(77_777L, kafka.maxTimestamp());
        assertEquals(org.apache.kafka.common.record.TimestampType.LOG_APPEND_TIME, kafka.timestampType());

        batch.setMaxTimestamp(TimestampType.CREATE_TIME, 1_010L);
        assertEquals(crc, batch.checksum());
    }

    @Test
    void aCorruptedByteFailsTheCrcCheck() {
        RecordBatch batch = twoRecords();
        ByteBuffer bytes = batch.buffer();
        bytes.put(bytes.limit() - 1, (byte) (bytes.get(bytes.limit() - 1) ^ 1));
        assertFalse(batch.isValid());
        CorruptRecordException e = assertThrows(CorruptRecordException.class, batch::ensureValid);
        assertTrue(e.getMessage().contains("CRC"), e.getMessage());
    }

    @Test
    void wrapRejectsWrongMagicAndWrongLength() {
        ByteBuffer bytes = twoRecords().buffer();
        bytes.put(16, (byte) 1);
        assertThrows(CorruptRecordException.class, () -> RecordBatch.wrap(bytes));
        ByteBuffer longer = ByteBuffer.allocate(bytes.limit() + 1).put(twoRecords().buffer()).clear();
        assertThrows(CorruptRecordException.class, () -> RecordBatch.wrap(longer));
        assertThrows(CorruptRecordException.class, () -> RecordBatch.wrap(ByteBuffer.allocate(60)));
    }

    @Test
    void builderRefusesEmptyBatchesOffsetsOutOfOrderAndReuse() {
        assertThrows(IllegalStateException.class, () -> new RecordBatchBuilder(0L).build());
        RecordBatchBuilder builder = new RecordBatchBuilder(10L).append(1L, null, null);
        assertThrows(IllegalArgumentException.class,
            () -> builder.appendWithOffset(10L, 1L, null, null, List.of()));
        assertThrows(IllegalArgumentException.class,
            () -> new RecordBatchBuilder(10L).appendWithOffset(9L, 1L, null, null, List.of()));
        builder.build();
        assertThrows(IllegalStateException.class, builder::build);
        assertThrows(IllegalStateException.class, () -> builder.append(2L, null, null));
    }

    @Test
    void controlKeysParseEveryKnownTypeAndToleratesUnknownOnes() {
        for (ControlRecordType type : ControlRecordType.values()) {
            if (type != ControlRecordType.UNKNOWN) {
                assertSame(type, ControlRecordType.parseKey(type.encodeKey()));
                assertEquals(type.name(), org.apache.kafka.common.record.internal.ControlRecordType.parse(type.encodeKey()).name());
            }
        }
        ByteBuffer future = ByteBuffer.allocate(4).putShort((short) 3).putShort((short) 99).flip();
        assertSame(ControlRecordType.UNKNOWN, ControlRecordType.parseKey(future));
        ByteBuffer negativeVersion = ByteBuffer.allocate(4).putShort((short) -1).putShort((short) 0).flip();
        assertThrows(CorruptRecordException.class, () -> ControlRecordType.parseKey(negativeVersion));
        assertThrows(CorruptRecordException.class, () -> ControlRecordType.parseKey(ByteBuffer.allocate(3)));
        assertThrows(CorruptRecordException.class, () -> ControlRecordType.parseKey(null));
    }

    @Test
    void endTransactionMarkerValuesMatchKafkasBytes() {
        var kafka = new org.apache.kafka.common.record.internal.EndTransactionMarker(
            org.apache.kafka.common.record.internal.ControlRecordType.COMMIT, 123);
        assertEquals(kafka.serializeValue(), new EndTransactionMarker(ControlRecordType.COMMIT, 123).encodeValue());
        assertThrows(IllegalArgumentException.class, () -> new EndTransactionMarker(ControlRecordType.LEADER_CHANGE, 1));
    }

    @Test
    void aMarkerWithATruncatedValueIsCorrupt() {
        RecordBatch batch = new RecordBatchBuilder(0L).control(true).transactional(true)
            .appendWithOffset(0L, 1L, ControlRecordType.ABORT.encodeKey(), ByteBuffer.wrap(new byte[] {0, 0, 1}), List.of())
            .build();
        assertThrows(CorruptRecordException.class, () -> EndTransactionMarker.fromRecord(records(batch).get(0)));
    }

    @Test
    void compressedBatchesAreSmallerAndReadTheSame() {
        for (CompressionType type : CompressionType.values()) {
            RecordBatchBuilder builder = new RecordBatchBuilder(0L).compression(type);
            for (int i = 0; i < 100; i++) {
                builder.append(i, utf8("key"), utf8("the same value, over and over " + (i % 3)));
            }
            RecordBatch batch = builder.build();
            batch.ensureValid();
            assertEquals(type, batch.compressionType());
            List<BatchRecord> records = records(batch);
            assertEquals(100, records.size());
            assertArrayEquals(utf8("the same value, over and over 1"), records.get(4).valueArray());
        }
    }

    @Test
    void aBatchCanKeepItsOffsetRangeWithFewerRecordsOrNone() {
        RecordBatch partial = new RecordBatchBuilder(10)
            .compression(CompressionType.GZIP)
            .producer(5, (short) 1, 20)
            .retainOffsetRangeTo(14)
            .appendWithOffset(11, 1000, ByteBuffer.wrap(new byte[] {1}), null, List.of())
            .build();
        assertEquals(14, partial.lastOffset());
        assertEquals(24, partial.lastSequence());
        assertEquals(1, partial.recordCount());

        RecordBatch empty = new RecordBatchBuilder(10)
            .compression(CompressionType.GZIP)
            .producer(5, (short) 1, 20)
            .retainOffsetRangeTo(14)
            .emptyBatchTimestamp(1000)
            .build();
        empty.ensureValid();
        assertEquals(0, empty.recordCount());
        assertEquals(CompressionType.NONE, empty.compressionType());
        assertEquals(1000, empty.maxTimestamp());

        // The official client reads it as the same empty batch.
        org.apache.kafka.common.record.internal.RecordBatch kafka = org.apache.kafka.common.record.internal.MemoryRecords
            .readableRecords(empty.buffer().duplicate()).batches().iterator().next();
        assertTrue(kafka.isValid());
        assertEquals(10, kafka.baseOffset());
        assertEquals(14, kafka.lastOffset());
        assertEquals(24, kafka.lastSequence());
        assertEquals(0, kafka.countOrNull());
        assertThrows(IllegalStateException.class, () -> new RecordBatchBuilder(0).build());
    }
}
