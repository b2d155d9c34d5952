package dev.sluice.wire.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryRecordsTest {

    private static RecordBatch batch(long baseOffset, int records) {
        RecordBatchBuilder builder = new RecordBatchBuilder(baseOffset);
        for (int i = 0; i < records; i++) {
            builder.append(1_000L + i, new byte[] {(byte) i}, new byte[20]);
        }
        return builder.build();
    }

    private static List<RecordBatch> list(Iterable<RecordBatch> batches) {
        List<RecordBatch> list = new ArrayList<>();
        batches.forEach(list::add);
        return list;
    }

    private static MemoryRecords truncated(MemoryRecords records, int length) {
        return MemoryRecords.readableRecords(records.buffer().limit(length));
    }

    @Test
    void iteratesBatchesBackToBackAsViews() {
        MemoryRecords records = MemoryRecords.withBatches(batch(0, 3), batch(3, 2), batch(5, 1));
        List<RecordBatch> batches = list(records.batches());
        assertEquals(List.of(0L, 3L, 5L), batches.stream().map(RecordBatch::baseOffset).toList());
        assertEquals(batch(3, 2), batches.get(1));
        assertFalse(records.hasPartialTrailingBatch());
        assertTrue(list(MemoryRecords.EMPTY.batches()).isEmpty());
    }

    @Test
    void aTruncatedLastBatchIsReportedWithWhereItStarts() {
        RecordBatch first = batch(0, 3);
        MemoryRecords whole = MemoryRecords.withBatches(first, batch(3, 2));
        for (int cut = first.sizeInBytes() + 1; cut < whole.sizeInBytes(); cut++) {
            MemoryRecords partial = truncated(whole, cut);
            var iterator = partial.batches().iterator();
            assertEquals(first, iterator.next());
            TruncatedBatchException e = assertThrows(TruncatedBatchException.class, iterator::hasNext, "cut " + cut);
            assertEquals(first.sizeInBytes(), e.position());
            assertEquals(cut - first.sizeInBytes(), e.bytesAvailable());
            assertTrue(partial.hasPartialTrailingBatch());
            assertEquals(List.of(first), list(partial.completeBatches()), "cut " + cut);
        }
    }

    @Test
    void framingCorruptionIsNotMistakenForTruncation() {
        ByteBuffer badMagic = MemoryRecords.withBatches(batch(0, 1), batch(1, 1)).buffer();
        badMagic.put(batch(0, 1).sizeInBytes() + 16, (byte) 7);
        MemoryRecords records = MemoryRecords.readableRecords(badMagic);
        CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> list(records.completeBatches()));
        assertFalse(e instanceof TruncatedBatchException);

        ByteBuffer shortLength = batch(0, 1).buffer();
        shortLength.putInt(8, 48);
        assertThrows(CorruptRecordException.class, () -> list(MemoryRecords.readableRecords(shortLength).batches()));
        shortLength.putInt(8, -1);
        assertThrows(CorruptRecordException.class, () -> list(MemoryRecords.readableRecords(shortLength).completeBatches()));
    }

    @Test
    void aLengthFarPastTheEndIsATruncationNotAnOverflow() {
        ByteBuffer bytes = batch(0, 1).buffer();
        bytes.putInt(8, Integer.MAX_VALUE);
        TruncatedBatchException e = assertThrows(TruncatedBatchException.class,
            () -> list(MemoryRecords.readableRecords(bytes).batches()));
        assertEquals(Integer.MAX_VALUE + 12L, e.bytesNeeded());
    }

    @Test
    void readableRecordsWrapsWithoutCopying() {
        ByteBuffer bytes = MemoryRecords.withBatches(batch(0, 1)).buffer();
        MemoryRecords records = MemoryRecords.readableRecords(bytes);
        RecordBatch view = records.batches().iterator().next();
        view.setBaseOffset(42L);
        assertEquals(42L, bytes.getLong(0));
    }
}
