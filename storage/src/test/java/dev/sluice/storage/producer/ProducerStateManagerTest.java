package dev.sluice.storage.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import org.junit.jupiter.api.Test;

class ProducerStateManagerTest {
    private long nextOffset;

    private RecordBatch batch(long producerId, short epoch, int baseSequence, int records) {
        RecordBatchBuilder builder = new RecordBatchBuilder(nextOffset).producer(producerId, epoch, baseSequence);
        for (int i = 0; i < records; i++) {
            builder.append(1000 + i, null, new byte[] {(byte) i});
        }
        return builder.build();
    }

    private void append(ProducerStateManager state, RecordBatch batch) {
        ProducerStateManager.Check check = state.check(batch);
        assertFalse(check.duplicate(), "unexpected duplicate");
        batch.setBaseOffset(nextOffset);
        nextOffset = batch.nextOffset();
        state.update(batch);
    }

    @Test
    void inSequenceBatchesAreAcceptedAndRetriesOfTheLastFiveAreDuplicates() {
        ProducerStateManager state = new ProducerStateManager();
        RecordBatch[] sent = new RecordBatch[7];
        int seq = 0;
        for (int i = 0; i < sent.length; i++) {
            sent[i] = batch(42, (short) 0, seq, 3);
            append(state, sent[i]);
            seq += 3;
        }
        for (int i = 2; i < 7; i++) {
            ProducerStateManager.Check retry = state.check(batch(42, (short) 0, i * 3, 3));
            assertTrue(retry.duplicate(), "batch " + i + " is within the window");
            assertEquals(sent[i].baseOffset(), retry.firstOffset());
            assertEquals(sent[i].lastOffset(), retry.lastOffset());
        }
        // Older than the window: cannot be told from a gap, so it is out of order.
        ProducerStateException old = assertThrows(ProducerStateException.class, () -> state.check(batch(42, (short) 0, 0, 3)));
        assertEquals(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, old.error());
    }

    @Test
    void gapsStaleEpochsAndNewEpochsFollowKafkasRules() {
        ProducerStateManager state = new ProducerStateManager();
        append(state, batch(7, (short) 3, 0, 2));
        assertEquals(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            assertThrows(ProducerStateException.class, () -> state.check(batch(7, (short) 3, 5, 1))).error());
        assertEquals(ErrorCode.INVALID_PRODUCER_EPOCH,
            assertThrows(ProducerStateException.class, () -> state.check(batch(7, (short) 2, 2, 1))).error());
        assertEquals(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            assertThrows(ProducerStateException.class, () -> state.check(batch(7, (short) 4, 9, 1))).error());
        append(state, batch(7, (short) 4, 0, 1));
        assertEquals(4, state.producer(7).orElseThrow().epoch());
        assertEquals(0, state.producer(7).orElseThrow().lastSequence());
    }

    @Test
    void unknownProducersMayStartAnywhereAndSequencesWrap() {
        ProducerStateManager state = new ProducerStateManager();
        append(state, batch(9, (short) 0, Integer.MAX_VALUE - 1, 2));
        append(state, batch(9, (short) 0, 0, 1));
        assertEquals(0, state.producer(9).orElseThrow().lastSequence());
    }

    @Test
    void idleProducersExpire() {
        ProducerStateManager state = new ProducerStateManager();
        append(state, batch(1, (short) 0, 0, 1));
        assertEquals(0, state.expire(1000 + 500, 1000));
        assertEquals(1, state.expire(1000 + 2000, 1000));
        assertTrue(state.producer(1).isEmpty());
    }

    /**
     * A client inventing producer ids cannot grow the state past its bound: each new producer past
     * it evicts the least recently written one, and a producer that keeps writing stays.
     */
    @Test
    void newProducersPastTheBoundEvictTheLeastRecentlyWritten() {
        ProducerStateManager state = new ProducerStateManager(3);
        append(state, batch(1, (short) 0, 0, 1));
        append(state, batch(2, (short) 0, 0, 1));
        append(state, batch(3, (short) 0, 0, 1));
        append(state, batch(1, (short) 0, 1, 1)); // producer 1 writes again: 2 is now the least recent
        for (long invented = 100; invented < 1100; invented++) {
            append(state, batch(invented, (short) 0, 0, 1));
            append(state, batch(1, (short) 0, (int) (invented - 98), 1));
        }
        assertEquals(3, state.producers().size());
        assertTrue(state.producer(1).isPresent(), "the producer that kept writing was evicted");
        assertTrue(state.producer(2).isEmpty());
        assertTrue(state.producer(3).isEmpty());
        assertEquals(1000, state.evictedProducers());
        // The survivor's retries are still recognised.
        assertTrue(state.check(batch(1, (short) 0, 1001, 1)).duplicate());
    }

    @Test
    void theDefaultBoundHoldsTenThousandProducers() {
        ProducerStateManager state = new ProducerStateManager();
        for (long id = 0; id < ProducerStateManager.DEFAULT_MAX_PRODUCERS + 500; id++) {
            append(state, batch(id, (short) 0, 0, 1));
        }
        assertEquals(ProducerStateManager.DEFAULT_MAX_PRODUCERS, state.producers().size());
        assertTrue(state.producer(0).isEmpty());
        assertTrue(state.producer(ProducerStateManager.DEFAULT_MAX_PRODUCERS + 499L).isPresent());
    }
}
