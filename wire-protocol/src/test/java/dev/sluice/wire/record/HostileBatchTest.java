package dev.sluice.wire.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.Varint;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.compress.DecompressionLimitException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Truncated, garbled and oversized batches must fail with the decoders' own exceptions: never a
 * hang, an OutOfMemoryError or an IndexOutOfBounds-style accident.
 */
class HostileBatchTest {
    private static final int LIMIT = 1024 * 1024;

    /** Reads everything a broker or consumer might read; returns the number of records. */
    static int decodeFully(MemoryRecords records) {
        int count = 0;
        for (RecordBatch batch : records.batches()) {
            batch.isValid();
            batch.toString();
            Iterator<BatchRecord> iterator = batch.records(LIMIT);
            while (iterator.hasNext()) {
                BatchRecord record = iterator.next();
                for (RecordHeader header : record.headers()) {
                    header.key();
                }
                if (batch.isControlBatch()) {
                    ControlRecordType.parseKey(record.key());
                }
                count++;
            }
        }
        return count;
    }

    /** Walks every batch with a {@link RecordCursor}, as a broker validates; returns the number of records. */
    static int walkWithCursor(MemoryRecords records) {
        int count = 0;
        for (RecordBatch batch : records.batches()) {
            int index = 0;
            try (RecordCursor cursor = batch.recordCursor(LIMIT)) {
                while (cursor.next()) {
                    assertEquals(index++, cursor.index());
                    count++;
                }
            }
        }
        return count;
    }

    /** A v2 batch header around {@code payload}, which is compressed with {@code type} first. */
    static RecordBatch rawBatch(CompressionType type, int recordCount, byte[] payload) {
        ByteBuffer body = type == CompressionType.NONE ? ByteBuffer.wrap(payload) : type.codec().compress(ByteBuffer.wrap(payload));
        ByteBuffer bytes = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + body.remaining());
        bytes.putLong(0L).putInt(bytes.capacity() - 12).putInt(0).put((byte) 2).putInt(0)
            .putShort((short) type.id()).putInt(Math.max(0, recordCount - 1)).putLong(1_000L).putLong(1_000L)
            .putLong(-1L).putShort((short) -1).putInt(-1).putInt(recordCount).put(body).flip();
        RecordBatch batch = RecordBatch.wrap(bytes);
        batch.writeChecksum();
        return batch;
    }

    /** One record's bytes: the length varint then the body given as varints and raw bytes. */
    static byte[] record(Object... fields) {
        ByteBuffer body = ByteBuffer.allocate(1024);
        body.put((byte) 0);
        for (Object field : fields) {
            if (field instanceof Integer i) {
                Varint.write(i, body);
            } else if (field instanceof Long l) {
                Varint.write(l, body);
            } else {
                body.put((byte[]) field);
            }
        }
        body.flip();
        ByteBuffer out = ByteBuffer.allocate(body.remaining() + 5);
        Varint.write(body.remaining(), out);
        out.put(body).flip();
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }

    static byte[] concat(byte[]... parts) {
        int size = 0;
        for (byte[] part : parts) {
            size += part.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (byte[] part : parts) {
            out.put(part);
        }
        return out.array();
    }

    private static final byte[] GOOD = record(0L, 0, 1, new byte[] {'k'}, 1, new byte[] {'v'}, 0);

    private static void assertCorrupt(CompressionType type, int count, byte[] payload) {
        MemoryRecords records = MemoryRecords.withBatches(rawBatch(type, count, payload));
        CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> decodeFully(records));
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        CorruptRecordException walked = assertThrows(CorruptRecordException.class, () -> walkWithCursor(records));
        assertTrue(walked.getMessage() != null && !walked.getMessage().isEmpty());
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void theHandBuiltRecordIsItselfValid(CompressionType type) {
        assertEquals(2, decodeFully(MemoryRecords.withBatches(rawBatch(type, 2, concat(GOOD, GOOD)))));
        assertEquals(2, walkWithCursor(MemoryRecords.withBatches(rawBatch(type, 2, concat(GOOD, GOOD)))));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void recordCountsThatLie(CompressionType type) {
        assertCorrupt(type, 3, concat(GOOD, GOOD));
        assertCorrupt(type, 1, concat(GOOD, GOOD));
        assertCorrupt(type, 0, concat(GOOD, GOOD));
        assertCorrupt(type, Integer.MAX_VALUE, concat(GOOD, GOOD));
        assertCorrupt(type, -1, concat(GOOD, GOOD));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void recordLengthsThatLie(CompressionType type) {
        byte[] tooLong = GOOD.clone();
        tooLong[0] = (byte) (tooLong[0] + 2); // zig-zag: +1 in value
        assertCorrupt(type, 2, concat(tooLong, GOOD));
        byte[] tooShort = GOOD.clone();
        tooShort[0] = (byte) (tooShort[0] - 2);
        assertCorrupt(type, 2, concat(tooShort, GOOD));
        assertCorrupt(type, 1, concat(new byte[] {(byte) 0x7E}, GOOD)); // length 63, 8 bytes left
        assertCorrupt(type, 1, new byte[] {1}); // length -1
        assertCorrupt(type, 1, new byte[] {0}); // length 0: not even attributes
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void badVarints(CompressionType type) {
        byte[] elevenBytes = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1};
        assertCorrupt(type, 1, record(elevenBytes));
        assertCorrupt(type, 1, record(0L, new byte[] {-1, -1, -1, -1, -1, 1}));
        assertCorrupt(type, 1, new byte[] {-1, -1, -1, -1, -1});
        assertCorrupt(type, 1, record(0L, 0, new byte[] {-1, -1}));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void keysValuesAndHeadersThatLie(CompressionType type) {
        assertCorrupt(type, 1, record(0L, 0, -5, -1, 0));
        assertCorrupt(type, 1, record(0L, 0, 50, new byte[] {'k'}, -1, 0));
        assertCorrupt(type, 1, record(0L, 0, -1, Integer.MAX_VALUE, 0));
        assertCorrupt(type, 1, record(0L, 0, -1, -1, -3));
        assertCorrupt(type, 1, record(0L, 0, -1, -1, Integer.MAX_VALUE));
        assertCorrupt(type, 1, record(0L, 0, -1, -1, 1, -1, -1));
        assertCorrupt(type, 1, record(0L, 0, -1, -1, 1, 1, new byte[] {'h'}, 9, new byte[] {'v'}));
        assertCorrupt(type, 1, record(0L, 0, -1, -1, 2, 1, new byte[] {'h'}, -1));
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void garbageCompressedPayloadsAreCorrupt(CompressionType type) {
        Random random = new Random(type.id());
        for (int i = 0; i < 50; i++) {
            byte[] garbage = new byte[1 + random.nextInt(300)];
            random.nextBytes(garbage);
            RecordBatch batch = rawBatch(CompressionType.NONE, 1, garbage);
            ByteBuffer bytes = batch.buffer();
            bytes.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) type.id());
            batch.writeChecksum();
            batch.ensureValid();
            // Mostly CorruptRecordException; garbage read as a Snappy preamble may instead claim a
            // size past the limit, which is refused as such before anything is allocated.
            assertThrows(MalformedDataException.class, () -> batch.records(LIMIT), type + " garbage " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void aDecompressionBombStopsAtTheCallersLimit(CompressionType type) {
        // 16 MiB of zeros behind a valid CRC: a few KiB on the wire.
        RecordBatch bomb = rawBatch(type, 1, new byte[16 * 1024 * 1024]);
        assertTrue(bomb.sizeInBytes() < 1024 * 1024);
        bomb.ensureValid();
        DecompressionLimitException e = assertThrows(DecompressionLimitException.class, () -> bomb.records(LIMIT));
        assertEquals(LIMIT, e.limit());
    }

    /**
     * A gigabyte of one record's value in a batch of kilobytes: walking it stops at the limit, and
     * the walk's memory does not grow with the limit (it streams, holding a window, not the payload).
     */
    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void aGigabyteBombIsWalkedWithoutAllocatingItsSize(CompressionType type) {
        RecordBatch bomb = gigabyteBomb(type);
        assertTrue(bomb.sizeInBytes() < 32 * 1024 * 1024, type + " bomb of " + bomb.sizeInBytes() + " bytes");
        int limit = 256 * 1024 * 1024;
        com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        DecompressionLimitException e = assertThrows(DecompressionLimitException.class, () -> {
            try (RecordCursor cursor = bomb.recordCursor(limit)) {
                while (cursor.next()) {
                    // Walk to the end, or to the limit.
                }
            }
        });
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(limit, e.limit());
        assertTrue(allocated < 16 * 1024 * 1024, type + " walk allocated " + allocated + " bytes");
    }

    /**
     * One record whose value is 1 GiB of zeros, compressed by Kafka's own producer streams a block
     * at a time (never held whole). Snappy cannot expand more than about 21 times, so its bomb is
     * smaller, though still past the walk's limit.
     */
    private static RecordBatch gigabyteBomb(CompressionType type) {
        int valueSize = type == CompressionType.SNAPPY ? 320 << 20 : 1 << 30;
        ByteBuffer prefix = ByteBuffer.allocate(32);
        ByteBuffer body = ByteBuffer.allocate(32);
        body.put((byte) 0);
        Varint.write(0L, body);
        Varint.write(0, body);
        Varint.write(-1, body);
        Varint.write(valueSize, body);
        body.flip();
        Varint.write(body.remaining() + valueSize + 1, prefix);
        prefix.put(body).flip();
        org.apache.kafka.common.utils.internals.ByteBufferOutputStream compressed =
            new org.apache.kafka.common.utils.internals.ByteBufferOutputStream(1024 * 1024);
        try (java.io.OutputStream out = KafkaBatches.kafkaCompression(type).wrapForOutput(compressed, RecordBatch.MAGIC)) {
            out.write(prefix.array(), 0, prefix.limit());
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < valueSize / zeros.length; i++) {
                out.write(zeros);
            }
            out.write(0); // no headers
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        ByteBuffer written = compressed.buffer().flip();
        byte[] payload = new byte[written.remaining()];
        written.get(payload);
        ByteBuffer bytes = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + payload.length);
        bytes.putLong(0L).putInt(bytes.capacity() - 12).putInt(0).put((byte) 2).putInt(0)
            .putShort((short) type.id()).putInt(0).putLong(1_000L).putLong(1_000L)
            .putLong(-1L).putShort((short) -1).putInt(-1).putInt(1).put(payload).flip();
        RecordBatch batch = RecordBatch.wrap(bytes);
        batch.writeChecksum();
        return batch;
    }

    @Test
    void unknownCompressionIdsAreCorrupt() {
        RecordBatch batch = rawBatch(CompressionType.NONE, 1, GOOD);
        batch.buffer().putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) 6);
        batch.writeChecksum();
        assertThrows(CorruptRecordException.class, batch::ensureValid);
        assertThrows(CorruptRecordException.class, batch::compressionType);
        assertThrows(CorruptRecordException.class, () -> batch.records(LIMIT));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void everyTruncationOfARecordSetFailsCleanly(CompressionType type) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0L).compression(type);
        SluiceWrittenBatchesTest.appendMixed(builder, 1_000L);
        RecordBatch first = builder.build();
        MemoryRecords whole = MemoryRecords.withBatches(first, rawBatch(type, 2, concat(GOOD, GOOD)));
        for (int length = 0; length < whole.sizeInBytes(); length++) {
            MemoryRecords partial = MemoryRecords.readableRecords(whole.buffer().limit(length));
            try {
                decodeFully(partial);
                assertTrue(length == 0 || length == first.sizeInBytes(), "a record set cut at " + length + " decoded");
            } catch (TruncatedBatchException expected) {
                assertTrue(partial.hasPartialTrailingBatch());
            }
        }
    }

    /**
     * Seeded random byte mutations of valid batches. Half the runs recompute the CRC after mutating,
     * so that the damage reaches the record parser instead of stopping at the checksum.
     */
    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void randomMutationsOnlyEverThrowMalformedData(CompressionType type) {
        Random random = new Random(1000 + type.id());
        for (int run = 0; run < 400; run++) {
            RecordBatchBuilder builder = new RecordBatchBuilder(0L).compression(type).producer(1L, (short) 0, 0);
            SluiceWrittenBatchesTest.appendMixed(builder, 1_000L);
            RecordBatch first = builder.build();
            RecordBatch marker = RecordBatchBuilder.endTransactionMarker(7L, 1L, 0, 1L, (short) 0,
                new EndTransactionMarker(ControlRecordType.COMMIT, 1));
            ByteBuffer bytes = MemoryRecords.withBatches(first, marker).buffer();
            boolean fixCrc = random.nextBoolean();
            int flips = 1 + random.nextInt(4);
            for (int i = 0; i < flips; i++) {
                int at = fixCrc ? RecordBatch.ATTRIBUTES_OFFSET + random.nextInt(first.sizeInBytes() - RecordBatch.ATTRIBUTES_OFFSET)
                    : random.nextInt(bytes.limit());
                bytes.put(at, (byte) (bytes.get(at) ^ (1 + random.nextInt(255))));
            }
            if (fixCrc) {
                RecordBatch.wrap(bytes.slice(0, first.sizeInBytes())).writeChecksum();
            }
            try {
                walkWithCursor(MemoryRecords.readableRecords(bytes));
            } catch (MalformedDataException expected) {
                // The only acceptable failure.
            } catch (RuntimeException | Error e) {
                fail(type + " run " + run + " threw " + e + " walking with a cursor", e);
            }
            try {
                decodeFully(MemoryRecords.readableRecords(bytes));
            } catch (MalformedDataException expected) {
                // The only acceptable failure.
            } catch (RuntimeException | Error e) {
                fail(type + " run " + run + " threw " + e, e);
            }
        }
    }

    @Test
    void controlRecordsWithMalformedKeysAreCorrupt() {
        RecordBatch batch = new RecordBatchBuilder(0L).control(true)
            .appendWithOffset(0L, 1L, ByteBuffer.wrap("x".getBytes(StandardCharsets.UTF_8)), null, List.of())
            .build();
        assertThrows(CorruptRecordException.class, () -> decodeFully(MemoryRecords.withBatches(batch)));
    }
}
