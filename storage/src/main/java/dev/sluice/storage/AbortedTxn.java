package dev.sluice.storage;

/**
 * One aborted transaction of a partition, as its segment's transaction index records it and as a
 * read_committed Fetch response lists it ({@code aborted_transactions}).
 *
 * @param producerId       the transactional producer
 * @param firstOffset      the offset of the transaction's first batch in this partition
 * @param lastOffset       the offset of its ABORT marker
 * @param lastStableOffset the partition's last stable offset once the marker was written
 */
public record AbortedTxn(long producerId, long firstOffset, long lastOffset, long lastStableOffset) {
}
