package dev.sluice.storage.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Producer-state snapshots on real files: layout, atomic naming, fallbacks. */
class ProducerSnapshotFileTest {
    @TempDir
    Path dir;

    private long nextOffset;

    /** Appends a batch of {@code records} from {@code producerId} at the next offset. */
    private void append(ProducerStateManager state, long producerId, short epoch, int baseSequence, int records) {
        RecordBatchBuilder builder = new RecordBatchBuilder(nextOffset).producer(producerId, epoch, baseSequence);
        for (int i = 0; i < records; i++) {
            builder.append(5_000 + nextOffset + i, null, new byte[] {1});
        }
        RecordBatch batch = builder.build();
        assertFalse(state.check(batch).duplicate());
        nextOffset = batch.nextOffset();
        state.update(batch);
    }

    private static ProducerStateManager.Check retry(ProducerStateManager state, long producerId, short epoch,
                                                   int baseSequence, int records) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0).producer(producerId, epoch, baseSequence);
        for (int i = 0; i < records; i++) {
            builder.append(0, null, new byte[] {1});
        }
        return state.check(builder.build());
    }

    private ProducerStateManager stateWithTwoProducers() {
        ProducerStateManager state = new ProducerStateManager();
        for (int i = 0; i < 7; i++) {
            append(state, 11, (short) 2, i * 3, 3);
            append(state, 12, (short) 0, i, 1);
        }
        return state;
    }

    @Test
    void aSnapshotRestoresEveryRememberedBatchSoRetriesStayDuplicates() throws IOException {
        ProducerStateManager state = stateWithTwoProducers();
        state.writeSnapshot(dir, nextOffset, 0);
        assertTrue(Files.exists(dir.resolve(String.format("%020d.snapshot", nextOffset))));

        ProducerStateManager loaded = new ProducerStateManager();
        assertEquals(OptionalLong.of(nextOffset), loaded.loadSnapshot(dir, nextOffset));
        for (long id : new long[] {11, 12}) {
            ProducerEntry before = state.producer(id).orElseThrow();
            ProducerEntry after = loaded.producer(id).orElseThrow();
            assertEquals(before.epoch(), after.epoch());
            assertEquals(before.batches(), after.batches());
            assertEquals(before.lastTimestamp(), after.lastTimestamp());
            assertEquals(before.coordinatorEpoch(), after.coordinatorEpoch());
            assertEquals(before.currentTxnFirstOffset(), after.currentTxnFirstOffset());
        }
        ProducerStateManager.Check check = retry(loaded, 11, (short) 2, 18, 3);
        assertTrue(check.duplicate());
        assertEquals(state.producer(11).orElseThrow().lastOffset(), check.lastOffset());
    }

    @Test
    void encodingFollowsTheDocumentedLayout() {
        ProducerStateManager state = new ProducerStateManager();
        append(state, 7, (short) 1, 0, 2);
        ByteBuffer bytes = ByteBuffer.wrap(ProducerSnapshotFile.encode(state.producers()));
        assertEquals(2 + 4 + 4 + (8 + 2 + 4 + 8 + 8 + 4) + (4 + 4 + 8 + 8 + 8), bytes.remaining());
        assertEquals(1, bytes.getShort(0), "version");
        assertEquals(1, bytes.getInt(6), "producer count");
        assertEquals(7, bytes.getLong(10), "producer id");
        assertEquals(1, bytes.getShort(18), "epoch");
        assertEquals(-1, bytes.getInt(20), "coordinator epoch");
        assertEquals(-1, bytes.getLong(24), "transaction first offset");
        assertEquals(5_001, bytes.getLong(32), "last timestamp");
        assertEquals(1, bytes.getInt(40), "batch count");
        assertEquals(0, bytes.getInt(44), "first sequence");
        assertEquals(1, bytes.getInt(48), "last sequence");
        assertEquals(0, bytes.getLong(52), "first offset");
        assertEquals(1, bytes.getLong(60), "last offset");
    }

    @Test
    void aCorruptNewestSnapshotFallsBackToTheOneBefore() throws IOException {
        ProducerStateManager state = new ProducerStateManager();
        append(state, 11, (short) 0, 0, 1);
        long first = nextOffset;
        state.writeSnapshot(dir, first, 0);
        append(state, 11, (short) 0, 1, 1);
        long second = nextOffset;
        state.writeSnapshot(dir, second, 0);
        Path newest = ProducerSnapshotFile.path(dir, second);
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length - 3] ^= 0x40;
        Files.write(newest, bytes);

        assertThrows(ProducerSnapshotFile.CorruptSnapshotException.class, () -> ProducerSnapshotFile.read(dir, second));
        ProducerStateManager loaded = new ProducerStateManager();
        assertEquals(OptionalLong.of(first), loaded.loadSnapshot(dir, second));
        assertEquals(0, loaded.producer(11).orElseThrow().lastSequence());
        assertFalse(Files.exists(newest), "the corrupt snapshot is removed");
    }

    @Test
    void snapshotsBeyondTheLogEndAreDroppedAndTruncatedFilesAreCorrupt() throws IOException {
        ProducerStateManager state = stateWithTwoProducers();
        state.writeSnapshot(dir, 10, 0);
        state.writeSnapshot(dir, 20, 0);
        Path cut = ProducerSnapshotFile.path(dir, 10);
        byte[] bytes = Files.readAllBytes(cut);
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 5));

        ProducerStateManager loaded = new ProducerStateManager();
        assertEquals(OptionalLong.empty(), loaded.loadSnapshot(dir, 15), "20 is past the log end, 10 is cut short");
        assertTrue(loaded.producers().isEmpty());
        assertEquals(List.of(), ProducerSnapshotFile.list(dir));
    }

    @Test
    void snapshotsOfDeletedSegmentsGoButTheNewestTwoStay() throws IOException {
        ProducerStateManager state = stateWithTwoProducers();
        for (long offset : new long[] {10, 20, 30, 40}) {
            state.writeSnapshot(dir, offset, 25);
        }
        assertEquals(List.of(30L, 40L), ProducerSnapshotFile.list(dir));
        state.writeSnapshot(dir, 50, 0);
        assertEquals(List.of(30L, 40L, 50L), ProducerSnapshotFile.list(dir), "all still above the oldest segment");
    }

    @Test
    void deletingSegmentsDeletesTheirSnapshotsButNotTheNewestTwo() throws IOException {
        ProducerStateManager state = stateWithTwoProducers();
        for (long offset : new long[] {10, 20, 30}) {
            state.writeSnapshot(dir, offset, 0);
        }
        ProducerStateManager.deleteSnapshotsBelow(dir, 100);
        assertEquals(List.of(20L, 30L), ProducerSnapshotFile.list(dir));
    }
}
