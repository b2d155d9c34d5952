package dev.sluice.storage.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.AbortedTxn;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.ControlRecordType;
import dev.sluice.wire.record.EndTransactionMarker;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How producer state follows transactions: opening, ending, the last stable offset's input and the leader's checks. */
class ProducerStateTransactionsTest {
    @TempDir
    Path dir;

    private final ProducerStateManager state = new ProducerStateManager();
    private long nextOffset;

    private RecordBatch data(long producerId, short epoch, int sequence, boolean transactional) {
        return new RecordBatchBuilder(nextOffset).producer(producerId, epoch, sequence).transactional(transactional)
            .append(1000, null, new byte[] {1}).append(1001, null, new byte[] {2}).build();
    }

    private RecordBatch marker(long producerId, short epoch, int coordinatorEpoch, boolean commit) {
        return RecordBatchBuilder.endTransactionMarker(nextOffset, 1000, 0, producerId, epoch,
            new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, coordinatorEpoch));
    }

    /** Appends after the leader's checks, as CLIENT with {@code guard}. */
    private Optional<ProducerStateManager.CompletedTxn> append(RecordBatch batch, VerificationGuard guard) {
        if (!batch.isControlBatch()) {
            state.check(batch, AppendOrigin.CLIENT, guard);
        }
        nextOffset = batch.nextOffset();
        return state.update(batch);
    }

    @Test
    void transactionsOpenAtTheirFirstBatchAndTheEarliestIsTheFirstUnstableOffset() {
        append(data(1, (short) 0, 0, true), state.startVerification(1, (short) 0)); // 0-1
        append(data(2, (short) 0, 0, true), state.startVerification(2, (short) 0)); // 2-3
        append(data(1, (short) 0, 2, true), VerificationGuard.NONE); // 4-5, same transaction
        assertEquals(Map.of(0L, 1L, 2L, 2L), state.openTransactions());
        assertEquals(OptionalLong.of(0), state.firstUnstableOffset());
        assertEquals(0, state.producer(1).orElseThrow().currentTxnFirstOffset());

        ProducerStateManager.CompletedTxn aborted = append(marker(1, (short) 0, 4, false), null).orElseThrow();
        assertEquals(new ProducerStateManager.CompletedTxn(1, 0, 6, true), aborted);
        assertEquals(new AbortedTxn(1, 0, 6, 2), state.abortedTxn(aborted), "producer 2 is still open from 2");
        assertEquals(4, state.producer(1).orElseThrow().coordinatorEpoch());
        assertEquals(-1, state.producer(1).orElseThrow().currentTxnFirstOffset());
        // The marker is not committed yet: the aborted transaction still holds the stable offset back.
        assertEquals(OptionalLong.of(0), state.firstUnstableOffset());
        state.onHighWatermark(7);
        assertEquals(OptionalLong.of(2), state.firstUnstableOffset());

        ProducerStateManager.CompletedTxn committed = append(marker(2, (short) 0, 4, true), null).orElseThrow();
        assertEquals(new ProducerStateManager.CompletedTxn(2, 2, 7, false), committed);
        state.onHighWatermark(8);
        assertEquals(OptionalLong.empty(), state.firstUnstableOffset());
    }

    @Test
    void aMarkerForAProducerWithoutAnOpenTransactionEndsAnEmptyOne() {
        append(data(1, (short) 0, 0, false), VerificationGuard.NONE);
        ProducerStateManager.CompletedTxn empty = append(marker(1, (short) 0, 0, false), null).orElseThrow();
        assertEquals(new ProducerStateManager.CompletedTxn(1, 2, 2, true), empty);
        assertEquals(new AbortedTxn(1, 2, 2, 3), state.abortedTxn(empty));
    }

    @Test
    void aTransactionIsOpenedOnlyWithTheCurrentVerificationGuard() {
        assertEquals(ErrorCode.INVALID_TXN_STATE, assertThrows(ProducerStateException.class,
            () -> state.check(data(1, (short) 0, 0, true), AppendOrigin.CLIENT, VerificationGuard.NONE)).error());
        VerificationGuard guard = state.startVerification(1, (short) 0);
        assertNotSame(VerificationGuard.NONE, guard);
        assertSame(guard, state.startVerification(1, (short) 0), "one verification per producer and epoch");
        assertEquals(ErrorCode.INVALID_TXN_STATE, assertThrows(ProducerStateException.class,
            () -> state.check(data(1, (short) 0, 0, true), AppendOrigin.CLIENT, new VerificationGuard(1))).error());
        append(data(1, (short) 0, 0, true), guard);
        assertSame(VerificationGuard.NONE, state.startVerification(1, (short) 0), "the transaction is open");
        assertEquals(ErrorCode.INVALID_TXN_STATE, assertThrows(ProducerStateException.class,
            () -> state.check(data(1, (short) 0, 2, false), AppendOrigin.CLIENT, VerificationGuard.NONE)).error(),
            "no plain write while the transaction is open");
    }

    /** The race verification closes: the transaction ended (marker) between verification and write. */
    @Test
    void aMarkerBetweenVerificationAndWriteInvalidatesTheGuard() {
        VerificationGuard guard = state.startVerification(1, (short) 0);
        append(marker(1, (short) 0, 0, false), null);
        assertEquals(ErrorCode.INVALID_TXN_STATE, assertThrows(ProducerStateException.class,
            () -> state.check(data(1, (short) 0, 0, true), AppendOrigin.CLIENT, guard)).error());
        // A new epoch (transactions v2 bumps it per transaction) replaces an older verification.
        VerificationGuard older = state.startVerification(1, (short) 0);
        VerificationGuard newer = state.startVerification(1, (short) 1);
        assertNotSame(older, newer);
        assertEquals(ErrorCode.INVALID_TXN_STATE, assertThrows(ProducerStateException.class,
            () -> state.check(data(1, (short) 1, 0, true), AppendOrigin.CLIENT, older)).error());
        append(data(1, (short) 1, 0, true), newer);
    }

    @Test
    void aTransactionsV2ProducersNextTransactionSurvivesTheMarkerOfItsLastButNotItsOwn() {
        // Transaction 1 at epoch 0 is open here; EndTxn bumped the epoch to 1 and the producer
        // already writes transaction 2 while the marker (epoch 1) is on its way.
        append(data(1, (short) 0, 0, true), state.startVerification(1, (short) 0, true));
        VerificationGuard next = state.startVerification(1, (short) 1, true);
        assertNotSame(VerificationGuard.NONE, next, "a transaction open at an older epoch is the previous one");
        assertEquals(ErrorCode.NOT_ENOUGH_REPLICAS, assertThrows(ProducerStateException.class,
            () -> state.check(data(1, (short) 1, 0, true), AppendOrigin.CLIENT, next)).error(),
            "it must not join the previous transaction before that one's marker");
        append(marker(1, (short) 1, 0, true), null);
        append(data(1, (short) 1, 0, true), next);
        assertSame(VerificationGuard.NONE, state.startVerification(1, (short) 1, true),
            "the transaction is open at this epoch");
        // A verification at epoch 2 taken before transaction 2's own marker (epoch 2) is ended by
        // that marker only if the producer does not bump per transaction.
        VerificationGuard v1Guard = state.startVerification(2, (short) 0, false);
        append(marker(2, (short) 0, 0, false), null);
        assertEquals(ErrorCode.INVALID_TXN_STATE, assertThrows(ProducerStateException.class,
            () -> state.check(data(2, (short) 0, 0, true), AppendOrigin.CLIENT, v1Guard)).error());
        VerificationGuard v2Guard = state.startVerification(3, (short) 1, true);
        append(marker(3, (short) 2, 0, false), null);
        assertEquals(ErrorCode.INVALID_PRODUCER_EPOCH, assertThrows(ProducerStateException.class,
            () -> state.check(data(3, (short) 1, 0, true), AppendOrigin.CLIENT, v2Guard)).error());
    }

    @Test
    void markersAreFencedByProducerEpochAndCoordinatorEpoch() {
        append(data(1, (short) 3, 0, true), state.startVerification(1, (short) 3));
        append(marker(1, (short) 3, 5, true), null);
        assertEquals(ErrorCode.INVALID_PRODUCER_EPOCH, assertThrows(ProducerStateException.class,
            () -> state.checkMarker(1, (short) 2, 5, false)).error());
        assertEquals(ErrorCode.TRANSACTION_COORDINATOR_FENCED, assertThrows(ProducerStateException.class,
            () -> state.checkMarker(1, (short) 3, 4, false)).error());
        state.checkMarker(1, (short) 3, 5, false);
        state.checkMarker(1, (short) 4, 6, false);
        state.checkMarker(99, (short) 0, 0, false);
    }

    @Test
    void aTransactionsV2MarkerMustCarryANewerEpochThanTheProducers() {
        append(data(1, (short) 3, 0, true), state.startVerification(1, (short) 3, true));
        assertEquals(ErrorCode.INVALID_PRODUCER_EPOCH, assertThrows(ProducerStateException.class,
            () -> state.checkMarker(1, (short) 3, 5, true)).error(), "a late copy of the last marker (KIP-1228)");
        state.checkMarker(1, (short) 4, 5, true);
        state.checkMarker(1, (short) 3, 5, false);
        state.checkMarker(99, (short) 0, 0, true);
    }

    @Test
    void aCoordinatorsWritesSkipSequencesAndVerificationButNotEpochs() {
        RecordBatch offsets = data(1, (short) 2, RecordBatch.NO_SEQUENCE, true);
        assertEquals(false, state.check(offsets, AppendOrigin.COORDINATOR, VerificationGuard.NONE).duplicate());
        nextOffset = offsets.nextOffset();
        state.update(offsets);
        assertEquals(OptionalLong.of(0), state.firstUnstableOffset());
        state.check(data(1, (short) 2, RecordBatch.NO_SEQUENCE, true), AppendOrigin.COORDINATOR, VerificationGuard.NONE);
        assertEquals(ErrorCode.INVALID_PRODUCER_EPOCH, assertThrows(ProducerStateException.class,
            () -> state.check(data(1, (short) 1, RecordBatch.NO_SEQUENCE, true), AppendOrigin.COORDINATOR,
                VerificationGuard.NONE)).error());
    }

    @Test
    void openTransactionsSurviveASnapshotAndAreNeverEvicted() throws IOException {
        ProducerStateManager small = new ProducerStateManager(2);
        RecordBatch first = data(1, (short) 0, 0, true);
        small.check(first, AppendOrigin.CLIENT, small.startVerification(1, (short) 0));
        small.update(first);
        for (long producer = 2; producer < 6; producer++) {
            nextOffset += 2;
            small.update(data(producer, (short) 0, 0, false));
        }
        assertTrue(small.producer(1).isPresent(), "a producer with an open transaction stays");
        small.writeSnapshot(dir, nextOffset + 2, 0);

        ProducerStateManager loaded = new ProducerStateManager();
        loaded.loadSnapshot(dir, nextOffset + 2);
        assertEquals(OptionalLong.of(0), loaded.firstUnstableOffset());
        assertEquals(Map.of(0L, 1L), loaded.openTransactions());
        assertEquals(0, loaded.producer(1).orElseThrow().currentTxnFirstOffset());
    }
}
