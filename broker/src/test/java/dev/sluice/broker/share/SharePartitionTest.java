package dev.sluice.broker.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.share.SharePartition.AckRange;
import dev.sluice.broker.share.SharePartition.Acquired;
import dev.sluice.broker.share.SharePartition.LogBatch;
import dev.sluice.broker.share.SharePartition.Settings;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Acquiring, acknowledging and releasing the records of one share-partition. */
class SharePartitionTest {
    private static final byte AVAILABLE = 0;
    private static final byte ACKNOWLEDGED = 2;
    private static final byte ARCHIVED = 4;
    private static final byte GAP = 0;
    private static final byte ACCEPT = 1;
    private static final byte RELEASE = 2;
    private static final byte REJECT = 3;
    private static final byte RENEW = 4;

    private static SharePartition partition() {
        return partition(Settings.DEFAULTS);
    }

    private static SharePartition partition(Settings settings) {
        SharePartition p = new SharePartition(settings);
        p.load(0, List.of());
        return p;
    }

    /** Log batches from pairs of first and last offsets. */
    private static List<LogBatch> log(long... ends) {
        List<LogBatch> out = new ArrayList<>();
        for (int i = 0; i < ends.length; i += 2) {
            out.add(new LogBatch(ends[i], ends[i + 1]));
        }
        return out;
    }

    private static Acquired got(long first, long last, int count) {
        return new Acquired(first, last, (short) count);
    }

    private static StateBatches.Batch b(long first, long last, byte state, int count) {
        return new StateBatches.Batch(first, last, state, (short) count);
    }

    private static List<AckRange> acks(long first, long last, byte type) {
        return List.of(new AckRange(first, last, List.of(type)));
    }

    private static SharePartition.Ack ackAndCommit(SharePartition p, String member, long first, long last, byte type) {
        SharePartition.Ack ack = p.acknowledge(member, acks(first, last, type), 0);
        assertEquals(ErrorCode.NONE, ack.error(), ack.message());
        p.commit(ack);
        return ack;
    }

    @Test
    void firstAcquisitionRoundsUpToTheLogBatchEndWithCountOne() {
        SharePartition p = partition();
        assertEquals(List.of(got(0, 9, 1)), p.acquire("a", log(0, 4, 5, 9, 10, 14), 7, 0, 0));
        assertEquals(9, p.endOffset());
        assertEquals(10, p.nextFetchOffset());
        assertEquals(10, p.acquiredCount());
        assertEquals(0, p.startOffset());
    }

    @Test
    void recordLimitModeTakesNoMoreThanMaxRecordsInsideALogBatch() {
        SharePartition p = partition();
        assertEquals(List.of(got(0, 6, 1)), p.acquire("a", log(0, 4, 5, 9, 10, 14), 7, 0, true, 0));
        assertEquals(6, p.endOffset());
        assertEquals(7, p.nextFetchOffset());
        assertEquals(List.of(got(7, 9, 1)), p.acquire("b", log(5, 9, 10, 14), 3, 0, true, 0),
            "the rest of the split log batch goes to the next fetch");
    }

    @Test
    void batchSizeCutsRangesOnlyAtLogBatchBoundaries() {
        SharePartition p = partition();
        assertEquals(List.of(got(0, 5, 1), got(6, 11, 1)),
            p.acquire("a", log(0, 2, 3, 5, 6, 8, 9, 11), 100, 5, 0));
        SharePartition q = partition();
        assertEquals(List.of(got(0, 7, 1)), q.acquire("a", log(0, 7), 100, 3, 0),
            "a log batch is never split by the batch size");
    }

    @Test
    void maxRecordsIsTheBudget() {
        SharePartition p = partition();
        assertEquals(List.of(), p.acquire("a", log(0, 0, 1, 1, 2, 2, 3, 3), 0, 0, 0));
        assertEquals(List.of(got(0, 2, 1)), p.acquire("a", log(0, 0, 1, 1, 2, 2, 3, 3), 3, 0, 0));
        p.releaseMember("a");
        assertEquals(List.of(got(0, 1, 2)), p.acquire("a", log(0, 0, 1, 1, 2, 2, 3, 3), 2, 0, 0),
            "re-deliveries stop exactly at the budget");
    }

    @Test
    void recordLockLimitStopsNewRecordsButNotRedeliveries() {
        SharePartition p = partition(new Settings(30_000, 5, 10));
        assertEquals(List.of(got(0, 9, 1)), p.acquire("a", log(0, 9, 10, 19), 100, 0, 0));
        assertEquals(List.of(), p.acquire("b", log(10, 19), 100, 0, 0));
        assertFalse(p.hasAvailable(20));
        p.releaseMember("a");
        assertTrue(p.hasAvailable(20));
        assertEquals(List.of(got(0, 9, 2)), p.acquire("b", log(0, 9, 10, 19), 100, 0, 0));
        assertEquals(9, p.endOffset());
    }

    @Test
    void acceptingEverythingMovesTheStartPastTheWindow() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 0);
        SharePartition.Ack ack = p.acknowledge("a", acks(0, 9, ACCEPT), 0);
        assertEquals(ErrorCode.NONE, ack.error());
        assertEquals(List.of(b(0, 9, ACKNOWLEDGED, 1)), ack.delta());
        assertEquals(10, ack.startOffset(), "written with the start offset it moves to");
        assertEquals(0, ack.deliveryCompleteCount());
        assertEquals(0, p.startOffset(), "nothing moves before the ack is persisted");
        p.commit(ack);
        assertEquals(10, p.startOffset());
        assertEquals(9, p.endOffset());
        assertEquals(0, p.inFlightCount());
        assertEquals(0, p.deliveryCompleteCount());
        assertEquals(0, p.acquiredCount());
        assertEquals(List.of(got(10, 14, 1)), p.acquire("a", log(10, 14), 100, 0, 0));
    }

    @Test
    void aReleasedRecordComesBackWithCountTwo() {
        SharePartition p = partition();
        p.acquire("a", log(0, 4), 100, 0, 0);
        SharePartition.Ack ack = ackAndCommit(p, "a", 0, 4, RELEASE);
        assertEquals(List.of(b(0, 4, AVAILABLE, 1)), ack.delta());
        assertEquals(0, p.nextFetchOffset());
        assertEquals(List.of(got(0, 4, 2)), p.acquire("b", log(0, 4), 100, 0, 0));
    }

    @Test
    void anAckForAnotherMembersRecordsChangesNothing() {
        SharePartition p = partition();
        assertEquals(List.of(got(0, 4, 1)), p.acquire("a", log(0, 4, 5, 9), 5, 0, 0));
        assertEquals(List.of(got(5, 9, 1)), p.acquire("b", log(5, 9), 5, 0, 0));
        List<AckRange> both = List.of(new AckRange(0, 4, List.of(ACCEPT)), new AckRange(5, 9, List.of(ACCEPT)));
        assertEquals(ErrorCode.INVALID_RECORD_STATE, p.acknowledge("a", both, 0).error());
        assertEquals(0, p.deliveryCompleteCount());
        ackAndCommit(p, "a", 0, 4, ACCEPT);
        assertEquals(5, p.startOffset());
    }

    @Test
    void malformedAcksAreInvalidRequests() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 0);
        assertEquals(ErrorCode.INVALID_REQUEST, p.acknowledge("a", acks(5, 10, ACCEPT), 0).error(),
            "past the end offset");
        assertEquals(ErrorCode.INVALID_REQUEST, p.acknowledge("a",
            List.of(new AckRange(0, 5, List.of(ACCEPT)), new AckRange(5, 6, List.of(ACCEPT))), 0).error());
        assertEquals(ErrorCode.INVALID_REQUEST, p.acknowledge("a",
            List.of(new AckRange(5, 6, List.of(ACCEPT)), new AckRange(0, 1, List.of(ACCEPT))), 0).error());
        assertEquals(ErrorCode.INVALID_REQUEST, p.acknowledge("a", acks(3, 2, ACCEPT), 0).error());
        assertEquals(ErrorCode.INVALID_REQUEST,
            p.acknowledge("a", List.of(new AckRange(0, 2, List.of(ACCEPT, ACCEPT))), 0).error());
        assertEquals(ErrorCode.INVALID_REQUEST, p.acknowledge("a", acks(0, 2, (byte) 5), 0).error());
        ackAndCommit(p, "a", 0, 9, ACCEPT);
    }

    @Test
    void acksBelowTheStartOffsetAreIgnored() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 0);
        ackAndCommit(p, "a", 0, 9, ACCEPT);
        SharePartition.Ack again = p.acknowledge("a", acks(0, 9, ACCEPT), 0);
        assertEquals(ErrorCode.NONE, again.error());
        assertEquals(List.of(), again.delta());
        p.acquire("a", log(10, 12), 100, 0, 0);
        assertEquals(List.of(b(10, 12, ARCHIVED, 1)), ackAndCommit(p, "a", 5, 12, REJECT).delta());
        assertEquals(13, p.startOffset());
    }

    @Test
    void aPendingAckBlocksReacquisitionAndASecondAck() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 0);
        SharePartition.Ack ack = p.acknowledge("a", acks(0, 9, RELEASE), 0);
        assertEquals(ErrorCode.NONE, ack.error());
        assertEquals(10, p.nextFetchOffset());
        assertEquals(List.of(), p.acquire("b", log(0, 9), 100, 0, 0));
        assertEquals(ErrorCode.INVALID_RECORD_STATE, p.acknowledge("a", acks(0, 0, ACCEPT), 0).error());
        assertTrue(p.releaseMember("a").isEmpty(), "a pending ack is not released");
        p.commit(ack);
        assertEquals(List.of(got(0, 9, 2)), p.acquire("b", log(0, 9), 100, 0, 0));
    }

    @Test
    void rollbackLeavesTheRecordsAcquired() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 0);
        SharePartition.Ack ack = p.acknowledge("a", acks(0, 9, ACCEPT), 0);
        p.rollback(ack);
        assertEquals(10, p.acquiredCount());
        assertEquals(0, p.deliveryCompleteCount());
        p.commit(ack);
        assertEquals(0, p.startOffset(), "a rolled back ack cannot be committed afterwards");
        assertEquals(List.of(b(0, 9, AVAILABLE, 1)), p.expireLocks(30_000).delta());
    }

    @Test
    void aReleaseAtTheDeliveryLimitArchives() {
        SharePartition p = partition(new Settings(30_000, 2, 2000));
        p.acquire("a", log(0, 0), 100, 0, 0);
        assertEquals(List.of(b(0, 0, AVAILABLE, 1)), p.releaseMember("a").delta());
        assertEquals(List.of(got(0, 0, 2)), p.acquire("a", log(0, 0), 100, 0, 0));
        SharePartition.Ack ack = ackAndCommit(p, "a", 0, 0, RELEASE);
        assertEquals(List.of(b(0, 0, ARCHIVED, 2)), ack.delta());
        assertEquals(1, p.startOffset());
    }

    @Test
    void poisonRecordsAreThrottledFromHalfTheLimit() {
        // limit 5: throttling from count 3 (halves), count 4 is the last delivery (one record)
        SharePartition p = partition();
        for (int delivery = 1; delivery <= 3; delivery++) {
            assertEquals(List.of(got(0, 15, delivery)), p.acquire("a", log(0, 15), 100, 0, delivery));
            p.releaseMember("a");
        }
        assertEquals(List.of(got(0, 7, 4)), p.acquire("a", log(0, 15), 100, 0, 0));
        assertEquals(List.of(got(8, 11, 4)), p.acquire("b", log(0, 15), 100, 0, 0));
        p.releaseMember("a");
        p.releaseMember("b");
        assertEquals(List.of(got(0, 0, 5)), p.acquire("a", log(0, 15), 100, 0, 0));
        assertEquals(List.of(got(1, 1, 5)), p.acquire("b", log(0, 15), 100, 0, 0));
        SharePartition.Release r = p.releaseMember("a");
        assertEquals(List.of(b(0, 0, ARCHIVED, 5)), r.delta());
        assertEquals(1, p.startOffset(), "offset 1 is still held");
        ackAndCommit(p, "b", 1, 1, RELEASE);
        assertEquals(2, p.startOffset());
        assertEquals(List.of(got(2, 2, 5)), p.acquire("a", log(0, 15), 100, 0, 0));
    }

    @Test
    void throttlingShrinksWithEachDeliveryAndKeepsPoisonApart() {
        // limit 10: throttling from count 5, n >> 1 then n >> 2 ...
        SharePartition p = partition(new Settings(30_000, 10, 2000));
        for (int delivery = 1; delivery <= 5; delivery++) {
            p.acquire("a", log(0, 15), 100, 0, 0);
            p.releaseMember("a");
        }
        assertEquals(List.of(got(0, 7, 6)), p.acquire("a", log(0, 15), 100, 0, 0));
        p.releaseMember("a");
        assertEquals(List.of(got(0, 1, 7)), p.acquire("a", log(0, 15), 100, 0, 0));

        SharePartition q = new SharePartition(new Settings(30_000, 10, 2000));
        q.load(0, List.of(b(0, 4, AVAILABLE, 1), b(5, 5, AVAILABLE, 5), b(6, 9, AVAILABLE, 1)));
        assertEquals(List.of(got(0, 4, 2)), q.acquire("b", log(0, 9), 100, 0, 0),
            "a poisoned record met later waits for a fetch of its own");
        assertEquals(List.of(got(5, 5, 6)), q.acquire("b", log(0, 9), 100, 0, 0));
        assertEquals(List.of(got(6, 9, 2)), q.acquire("b", log(0, 9), 100, 0, 0));
    }

    @Test
    void expiredLocksReturnRecordsAndTheOldHolderCannotAck() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 1000);
        assertEquals(31_000, p.nextLockDeadline());
        assertTrue(p.expireLocks(30_999).isEmpty());
        SharePartition.Release r = p.expireLocks(31_000);
        assertEquals(List.of(b(0, 9, AVAILABLE, 1)), r.delta());
        assertEquals(Long.MAX_VALUE, p.nextLockDeadline());
        assertEquals(ErrorCode.INVALID_RECORD_STATE, p.acknowledge("a", acks(0, 9, ACCEPT), 31_000).error());
        assertEquals(List.of(got(0, 9, 2)), p.acquire("b", log(0, 9), 100, 0, 31_000));
    }

    @Test
    void releasingAMemberReturnsOnlyItsRecords() {
        SharePartition p = partition();
        p.acquire("a", log(0, 4, 5, 9), 5, 0, 0);
        p.acquire("b", log(5, 9), 5, 0, 0);
        SharePartition.Release r = p.releaseMember("a");
        assertEquals(List.of(b(0, 4, AVAILABLE, 1)), r.delta());
        assertEquals(0, r.startOffset());
        assertEquals(5, p.acquiredCount());
        assertTrue(p.releaseMember("nobody").isEmpty());
        ackAndCommit(p, "b", 5, 9, ACCEPT);
    }

    @Test
    void loadFillsGapsWithFreshRecordsAndSkipsDoneOnes() {
        SharePartition p = new SharePartition(Settings.DEFAULTS);
        p.load(100, List.of(b(100, 104, ACKNOWLEDGED, 1), b(110, 114, AVAILABLE, 2), b(120, 124, ARCHIVED, 5)));
        assertEquals(105, p.startOffset());
        assertEquals(124, p.endOffset());
        assertEquals(5, p.deliveryCompleteCount());
        assertEquals(105, p.nextFetchOffset());
        assertEquals(List.of(got(105, 109, 1), got(110, 114, 3), got(115, 119, 1), got(125, 129, 1)),
            p.acquire("a", log(105, 109, 110, 114, 115, 119, 120, 124, 125, 129), 100, 0, 0));

        SharePartition empty = new SharePartition(Settings.DEFAULTS);
        empty.load(7, List.of());
        assertEquals(7, empty.startOffset());
        assertEquals(6, empty.endOffset());
    }

    @Test
    void loadRejectsRangesBelowTheStartOrOutOfOrder() {
        SharePartition p = new SharePartition(Settings.DEFAULTS);
        assertThrows(IllegalArgumentException.class, () -> p.load(10, List.of(b(5, 12, AVAILABLE, 1))));
        assertThrows(IllegalArgumentException.class,
            () -> p.load(10, List.of(b(10, 12, AVAILABLE, 1), b(12, 14, AVAILABLE, 1))));
        assertThrows(IllegalArgumentException.class, () -> p.load(10, List.of(b(10, 12, (byte) 1, 1))));
    }

    @Test
    void aMovedLogStartArchivesWhatLiesBelowIt() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 0);
        ackAndCommit(p, "a", 0, 2, ACCEPT);
        SharePartition.Release r = p.logStartMoved(6);
        assertEquals(List.of(b(3, 5, ARCHIVED, 1)), r.delta());
        assertEquals(6, r.startOffset());
        assertEquals(4, p.acquiredCount());
        assertTrue(p.logStartMoved(4).isEmpty());
        assertEquals(List.of(b(6, 9, ARCHIVED, 1)), p.logStartMoved(20).delta());
        assertEquals(20, p.startOffset());
        assertEquals(19, p.endOffset());
        assertEquals(0, p.acquiredCount());
        assertEquals(List.of(got(20, 24, 1)), p.acquire("a", log(20, 24), 100, 0, 0));
    }

    @Test
    void deliveryCompleteCountsDoneOffsetsPastTheStart() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 0);
        assertEquals(3, ackAndCommit(p, "a", 2, 4, ACCEPT).deliveryCompleteCount());
        assertEquals(3, p.deliveryCompleteCount());
        assertEquals(0, p.startOffset());
        SharePartition.Ack ack = p.acknowledge("a", acks(0, 1, REJECT), 0);
        assertEquals(5, ack.startOffset(), "past 0-1 rejected now and 2-4 accepted before");
        assertEquals(0, ack.deliveryCompleteCount());
        SharePartition.Ack gap = p.acknowledge("a", acks(6, 6, ACCEPT), 0);
        assertEquals(0, gap.startOffset(), "offset 5 is still acquired; 0-1 are pending, not done");
        assertEquals(4, gap.deliveryCompleteCount(), "2-4 and 6");
        p.rollback(gap);
        p.commit(ack);
        assertEquals(5, p.startOffset());
        assertEquals(0, p.deliveryCompleteCount());
    }

    @Test
    void recordsMissingFromTheLogAreArchived() {
        SharePartition p = partition();
        p.acquire("a", log(0, 4, 5, 9), 100, 0, 0);
        p.releaseMember("a");
        assertEquals(List.of(got(0, 2, 2), got(6, 9, 2), got(10, 12, 1)),
            p.acquire("a", log(0, 2, 6, 9, 10, 12), 100, 0, 0));
        assertEquals(List.of(b(3, 5, ARCHIVED, 1)), p.takeUnpersistedChanges().delta());
        assertTrue(p.takeUnpersistedChanges().isEmpty());
        assertEquals(List.of(got(13, 14, 1), got(17, 19, 1)), p.acquire("a", log(13, 14, 17, 19), 100, 0, 0));
        assertEquals(List.of(b(15, 16, ARCHIVED, 0)), p.takeUnpersistedChanges().delta());

        SharePartition q = new SharePartition(Settings.DEFAULTS);
        q.load(0, List.of(b(0, 9, AVAILABLE, 1)));
        assertEquals(List.of(got(5, 9, 2)), q.acquire("a", log(5, 9), 100, 0, 0));
        SharePartition.Release archived = q.takeUnpersistedChanges();
        assertEquals(List.of(b(0, 4, ARCHIVED, 1)), archived.delta());
        assertEquals(5, archived.startOffset());
    }

    @Test
    void gapAcksArchive() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 0);
        List<Byte> types = List.of(ACCEPT, ACCEPT, GAP, GAP, ACCEPT, ACCEPT, ACCEPT, ACCEPT, ACCEPT, ACCEPT);
        SharePartition.Ack ack = p.acknowledge("a", List.of(new AckRange(0, 9, types)), 0);
        assertEquals(List.of(b(0, 1, ACKNOWLEDGED, 1), b(2, 3, ARCHIVED, 1), b(4, 9, ACKNOWLEDGED, 1)), ack.delta());
        p.commit(ack);
        assertEquals(10, p.startOffset());
    }

    @Test
    void renewKeepsTheLockAndPersistsNothing() {
        SharePartition p = partition();
        p.acquire("a", log(0, 9), 100, 0, 0);
        SharePartition.Ack renew = p.acknowledge("a", acks(0, 9, RENEW), 20_000);
        assertEquals(ErrorCode.NONE, renew.error());
        assertEquals(List.of(), renew.delta());
        p.commit(renew);
        assertTrue(p.expireLocks(30_000).isEmpty());
        assertEquals(10, p.acquiredCount());
        ackAndCommit(p, "a", 0, 4, ACCEPT);
        assertEquals(List.of(b(5, 9, AVAILABLE, 1)), p.expireLocks(50_000).delta());
    }

    @Test
    void theWindowSlidesForwardOverManyRounds() {
        SharePartition p = partition(new Settings(30_000, 5, 50));
        for (long round = 0; round < 500; round++) {
            long first = round * 40;
            assertEquals(List.of(got(first, first + 39, 1)), p.acquire("a", log(first, first + 39), 40, 0, 0));
            // leave the round's last offset held across the next round so the window never empties
            ackAndCommit(p, "a", first, first + 38, ACCEPT);
            if (round > 0) {
                ackAndCommit(p, "a", first - 1, first - 1, ACCEPT);
            }
            assertEquals(first + 39, p.startOffset());
            assertEquals(1, p.inFlightCount());
        }
    }
}
