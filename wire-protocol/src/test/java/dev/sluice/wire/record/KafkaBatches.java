package dev.sluice.wire.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sluice.wire.compress.CompressionType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.internal.Record;

/** The bridge to kafka-clients' record classes, the reference every Sluice batch is checked against. */
final class KafkaBatches {
    static final int LIMIT = 64 * 1024 * 1024;

    private KafkaBatches() {
    }

    static Compression kafkaCompression(CompressionType type) {
        return switch (type) {
            case NONE -> Compression.NONE;
            case GZIP -> Compression.gzip().build();
            case SNAPPY -> Compression.snappy().build();
            case LZ4 -> Compression.lz4().build();
            case ZSTD -> Compression.zstd().build();
        };
    }

    static List<BatchRecord> records(RecordBatch batch) {
        List<BatchRecord> records = new ArrayList<>();
        batch.records(LIMIT).forEachRemaining(records::add);
        return records;
    }

    static byte[] bytes(ByteBuffer buffer) {
        return BatchRecord.toArray(buffer);
    }

    /** Asserts that the same bytes read as the same batches, field by field and record by record. */
    static void assertSameBatches(org.apache.kafka.common.record.internal.MemoryRecords kafka, MemoryRecords sluice) {
        Iterator<? extends org.apache.kafka.common.record.internal.RecordBatch> kafkaBatches = kafka.batches().iterator();
        Iterator<RecordBatch> sluiceBatches = sluice.batches().iterator();
        int count = 0;
        while (kafkaBatches.hasNext()) {
            org.apache.kafka.common.record.internal.RecordBatch expected = kafkaBatches.next();
            expected.ensureValid();
            RecordBatch actual = sluiceBatches.next();
            actual.ensureValid();
            assertSameBatch(expected, actual);
            count++;
        }
        assertFalse(sluiceBatches.hasNext(), "Sluice sees more batches than Kafka's " + count);
    }

    static void assertSameBatch(org.apache.kafka.common.record.internal.RecordBatch expected, RecordBatch actual) {
        assertEquals(expected.sizeInBytes(), actual.sizeInBytes(), "size");
        assertEquals(expected.baseOffset(), actual.baseOffset(), "base offset");
        assertEquals(expected.lastOffset(), actual.lastOffset(), "last offset");
        assertEquals(expected.nextOffset(), actual.nextOffset(), "next offset");
        assertEquals(expected.partitionLeaderEpoch(), actual.partitionLeaderEpoch(), "partition leader epoch");
        assertEquals(expected.magic(), actual.magic(), "magic");
        assertEquals(expected.checksum(), actual.checksum(), "crc");
        assertEquals(expected.checksum(), actual.computeChecksum(), "computed crc");
        assertEquals(expected.compressionType().id, actual.compressionType().id(), "compression");
        assertEquals(expected.timestampType().name(), actual.timestampType().name(), "timestamp type");
        assertEquals(expected.isTransactional(), actual.isTransactional(), "transactional");
        assertEquals(expected.isControlBatch(), actual.isControlBatch(), "control");
        assertEquals(expected.deleteHorizonMs(), actual.deleteHorizonMs(), "delete horizon");
        assertEquals(expected.producerId(), actual.producerId(), "producer id");
        assertEquals(expected.hasProducerId(), actual.hasProducerId(), "has producer id");
        assertEquals(expected.producerEpoch(), actual.producerEpoch(), "producer epoch");
        assertEquals(expected.baseSequence(), actual.baseSequence(), "base sequence");
        assertEquals(expected.lastSequence(), actual.lastSequence(), "last sequence");
        assertEquals(expected.maxTimestamp(), actual.maxTimestamp(), "max timestamp");
        assertEquals(expected.countOrNull(), actual.recordCount(), "record count");

        List<BatchRecord> actualRecords = records(actual);
        int i = 0;
        for (Record record : expected) {
            assertSameRecord(record, actualRecords.get(i), "record " + i);
            if (expected.isControlBatch()) {
                assertEquals(org.apache.kafka.common.record.internal.ControlRecordType.parse(record.key()).name(),
                    ControlRecordType.parseKey(actualRecords.get(i).key()).name(), "control type");
            }
            i++;
        }
        assertEquals(i, actualRecords.size(), "records");
    }

    static void assertSameRecord(Record expected, BatchRecord actual, String what) {
        assertEquals(expected.offset(), actual.offset(), what + " offset");
        assertEquals(expected.timestamp(), actual.timestamp(), what + " timestamp");
        assertEquals(expected.sequence(), actual.sequence(), what + " sequence");
        assertEquals(expected.hasKey(), actual.hasKey(), what + " has key");
        assertEquals(expected.hasValue(), actual.hasValue(), what + " has value");
        assertArrayEquals(bytes(expected.key()), actual.keyArray(), what + " key");
        assertArrayEquals(bytes(expected.value()), actual.valueArray(), what + " value");
        Header[] headers = expected.headers();
        assertEquals(headers.length, actual.headers().size(), what + " header count");
        for (int h = 0; h < headers.length; h++) {
            RecordHeader header = actual.headers().get(h);
            assertEquals(headers[h].key(), header.key(), what + " header key " + h);
            if (headers[h].value() == null) {
                assertNull(header.value(), what + " header value " + h);
            } else {
                assertArrayEquals(headers[h].value(), header.valueArray(), what + " header value " + h);
            }
        }
    }
}
