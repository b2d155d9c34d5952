package dev.sluice.storage.append;

import dev.sluice.wire.codec.Varint;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.TimestampType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPOutputStream;

/** Batches built byte by byte, with whatever records a test wants inside a valid header and CRC. */
public final class HostileBatches {
    private HostileBatches() {
    }

    /** One record's bytes: attributes 0, then the fields given as varints (Integer/Long) and raw bytes. */
    public static byte[] record(Object... fields) {
        ByteBuffer body = ByteBuffer.allocate(256);
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

    /** A batch (CreateTime {@code timestamp}, valid CRC, header as a producer writes it) around an already compressed payload. */
    public static MemoryRecords batch(CompressionType type, int recordCount, int lastOffsetDelta, byte[] compressed,
                                      long timestamp) {
        ByteBuffer bytes = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + compressed.length);
        bytes.putLong(0L).putInt(bytes.capacity() - 12).putInt(-1).put(RecordBatch.MAGIC).putInt(0)
            .putShort((short) type.id()).putInt(lastOffsetDelta).putLong(timestamp).putLong(timestamp)
            .putLong(-1L).putShort((short) -1).putInt(-1).putInt(recordCount).put(compressed).flip();
        RecordBatch batch = RecordBatch.wrap(bytes);
        // Setting the max timestamp twice forces the CRC to be computed.
        batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, timestamp);
        batch.setMaxTimestamp(TimestampType.CREATE_TIME, timestamp);
        return MemoryRecords.readableRecords(batch.buffer());
    }

    /**
     * A gzip batch of a few hundred kilobytes holding one record whose value is {@code valueSize}
     * zero bytes, compressed a megabyte at a time so the test never holds it expanded.
     */
    public static MemoryRecords gzipBomb(int valueSize, long timestamp) {
        ByteBuffer head = ByteBuffer.allocate(32);
        ByteBuffer body = ByteBuffer.allocate(16);
        body.put((byte) 0);
        Varint.write(0L, body);
        Varint.write(0, body);
        Varint.write(-1, body);
        Varint.write(valueSize, body);
        body.flip();
        Varint.write(body.remaining() + valueSize + 1, head);
        head.put(body).flip();
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream gzip = new GZIPOutputStream(compressed, 64 * 1024)) {
            gzip.write(head.array(), 0, head.limit());
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < valueSize / zeros.length; i++) {
                gzip.write(zeros);
            }
            gzip.write(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return batch(CompressionType.GZIP, 1, 0, compressed.toByteArray(), timestamp);
    }

    /** Bytes this thread has allocated on the heap so far. */
    public static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
            .getCurrentThreadAllocatedBytes();
    }
}
