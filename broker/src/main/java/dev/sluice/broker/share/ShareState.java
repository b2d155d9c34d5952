package dev.sluice.broker.share;

import java.util.List;

/**
 * What the share coordinator keeps of one share-partition: which initialization it belongs to
 * ({@code stateEpoch}), the newest leader epoch that used it, the start offset, how many offsets
 * past it are done, and the delivery state of the offsets past it. Immutable.
 *
 * @param snapshotEpoch          counts the snapshots written of this state
 * @param updatesSinceSnapshot   updates written since the last snapshot (a snapshot is due after
 *                               {@code share.coordinator.snapshot.update.records.per.snapshot})
 * @param deliveryCompleteCount  offsets at or past the start offset whose delivery is complete, -1 when unknown
 */
public record ShareState(int snapshotEpoch, int stateEpoch, int leaderEpoch, long startOffset,
                         int deliveryCompleteCount, long createTimestamp, long writeTimestamp,
                         List<StateBatches.Batch> batches, int updatesSinceSnapshot) {

    public ShareState {
        batches = List.copyOf(batches);
    }

    /** A state initialized anew at {@code stateEpoch}, replacing {@code previous} (null if none). */
    static ShareState initialized(ShareState previous, int stateEpoch, long startOffset, long now) {
        int snapshotEpoch = previous == null ? 0 : previous.snapshotEpoch + 1;
        return new ShareState(snapshotEpoch, stateEpoch, 0, startOffset, startOffset < 0 ? -1 : 0, now, now,
            List.of(), 0);
    }

    /**
     * This state with a write merged in: the start offset only moves forward ({@code -1} leaves
     * it), the leader epoch only up, and the completed count follows the newest start offset.
     */
    ShareState merged(int writerLeaderEpoch, long newStartOffset, int newDeliveryCompleteCount,
                      List<StateBatches.Batch> written, boolean snapshot, long now) {
        long start = Math.max(startOffset, newStartOffset);
        int complete;
        if (newStartOffset > startOffset) {
            complete = newDeliveryCompleteCount;
        } else if (newStartOffset == startOffset) {
            complete = Math.max(deliveryCompleteCount, newDeliveryCompleteCount);
        } else {
            complete = deliveryCompleteCount;
        }
        StateBatches merged = new StateBatches(batches, start);
        merged.merge(written, start);
        return new ShareState(snapshot ? snapshotEpoch + 1 : snapshotEpoch, stateEpoch,
            Math.max(leaderEpoch, writerLeaderEpoch), start, complete, createTimestamp, snapshot ? now : writeTimestamp,
            merged.batches(), snapshot ? 0 : updatesSinceSnapshot + 1);
    }
}
