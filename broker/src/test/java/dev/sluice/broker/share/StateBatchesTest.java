package dev.sluice.broker.share;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Merging a share-partition's delivery state as the share coordinator does. */
class StateBatchesTest {
    private static final byte AVAILABLE = 0;
    private static final byte ACKNOWLEDGED = 2;
    private static final byte ARCHIVED = 4;

    private static StateBatches.Batch b(long first, long last, byte state, int count) {
        return new StateBatches.Batch(first, last, state, (short) count);
    }

    @Test
    void overlapsGoToTheHigherCountThenTheFurtherState() {
        StateBatches s = new StateBatches(List.of(b(0, 9, AVAILABLE, 1), b(10, 19, ACKNOWLEDGED, 1)), 0);
        s.merge(List.of(b(5, 14, ARCHIVED, 1)), 0);
        assertEquals(List.of(b(0, 4, AVAILABLE, 1), b(5, 14, ARCHIVED, 1), b(15, 19, ACKNOWLEDGED, 1)), s.batches());
        s.merge(List.of(b(3, 6, AVAILABLE, 2)), 0);
        assertEquals(List.of(b(0, 2, AVAILABLE, 1), b(3, 6, AVAILABLE, 2), b(7, 14, ARCHIVED, 1),
            b(15, 19, ACKNOWLEDGED, 1)), s.batches());
        s.merge(List.of(b(0, 19, ACKNOWLEDGED, 1)), 0);
        assertEquals(List.of(b(0, 2, ACKNOWLEDGED, 1), b(3, 6, AVAILABLE, 2), b(7, 14, ARCHIVED, 1),
            b(15, 19, ACKNOWLEDGED, 1)), s.batches(),
            "an older view of a record never takes back its progress");
    }

    @Test
    void gapsAreFilledAndNeighboursJoined() {
        StateBatches s = new StateBatches(List.of(b(0, 4, ACKNOWLEDGED, 1), b(10, 14, ACKNOWLEDGED, 1)), 0);
        s.merge(List.of(b(3, 11, ACKNOWLEDGED, 1)), 0);
        assertEquals(List.of(b(0, 14, ACKNOWLEDGED, 1)), s.batches());
        s.merge(List.of(b(20, 20, ARCHIVED, 5)), 0);
        assertEquals(List.of(b(0, 14, ACKNOWLEDGED, 1), b(20, 20, ARCHIVED, 5)), s.batches());
    }

    @Test
    void rangesBelowTheStartOffsetAreDroppedOrCut() {
        StateBatches s = new StateBatches(List.of(b(0, 9, ACKNOWLEDGED, 1), b(10, 19, AVAILABLE, 1)), 0);
        s.merge(List.of(), 15);
        assertEquals(List.of(b(15, 19, AVAILABLE, 1)), s.batches());
        s.merge(List.of(b(0, 30, ACKNOWLEDGED, 1)), 25);
        assertEquals(List.of(b(25, 30, ACKNOWLEDGED, 1)), s.batches());
    }

    @Test
    void aStateMovesItsStartOffsetForwardOnly() {
        ShareState s = ShareState.initialized(null, 0, 10, 1000);
        ShareState later = s.merged(1, 20, 3, List.of(b(20, 29, ACKNOWLEDGED, 1)), false, 2000);
        assertEquals(20, later.startOffset());
        assertEquals(3, later.deliveryCompleteCount());
        ShareState stale = later.merged(1, 15, 9, List.of(), false, 3000);
        assertEquals(20, stale.startOffset(), "an older start offset does not move it back");
        assertEquals(3, stale.deliveryCompleteCount());
        assertEquals(2, stale.updatesSinceSnapshot());
        ShareState snapshot = stale.merged(1, -1, -1, List.of(), true, 4000);
        assertEquals(s.snapshotEpoch() + 1, snapshot.snapshotEpoch());
        assertEquals(0, snapshot.updatesSinceSnapshot());
    }
}
