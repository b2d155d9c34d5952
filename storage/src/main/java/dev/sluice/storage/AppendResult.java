package dev.sluice.storage;

/**
 * What {@link PartitionLog#append} wrote.
 *
 * @param firstOffset base offset of the first batch
 * @param lastOffset last offset of the last batch; the log end offset is now one more
 * @param maxTimestamp largest batch max timestamp appended, -1 if none had one
 * @param offsetOfMaxTimestamp last offset of the first batch with {@code maxTimestamp}
 * @param logStartOffset the log start offset after the append (Produce responses carry it)
 * @param segmentBaseOffset the segment written to (a new one if the append rolled)
 * @param position byte position of the first batch in that segment's file
 * @param sizeInBytes bytes written
 */
public record AppendResult(long firstOffset, long lastOffset, long maxTimestamp, long offsetOfMaxTimestamp,
                           long logStartOffset, long segmentBaseOffset, int position, int sizeInBytes) {
}
