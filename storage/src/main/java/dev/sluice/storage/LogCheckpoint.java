package dev.sluice.storage;

import java.util.OptionalLong;

/**
 * What the broker remembered about a log when it last checkpointed it, handed to
 * {@link PartitionLog#open}. This is the seam for the checkpoint files (Kafka's
 * {@code recovery-point-offset-checkpoint}, {@code log-start-offset-checkpoint} and
 * {@code replication-offset-checkpoint}, one per log directory), which {@link OffsetCheckpointFile}
 * reads and writes.
 *
 * @param recoveryPoint every offset below this was flushed to disk ({@link PartitionLog#recoveryPoint()}
 *     when checkpointed): after a crash, segments from the one holding it onward are scanned.
 *     Without it only the last segment is scanned.
 * @param logStartOffset the log start offset ({@link PartitionLog#logStartOffset()}) when
 *     checkpointed. Without it the log starts at its first segment's base offset, which may undo a
 *     DeleteRecords inside that segment.
 * @param highWatermark the high watermark ({@link PartitionLog#highWatermark()}) when checkpointed,
 *     restored within the recovered log's bounds. Without it the high watermark starts at the log
 *     start offset, as Kafka's does.
 */
public record LogCheckpoint(OptionalLong recoveryPoint, OptionalLong logStartOffset, OptionalLong highWatermark) {
    public static final LogCheckpoint NONE = new LogCheckpoint(OptionalLong.empty(), OptionalLong.empty());

    /** A checkpoint without a high watermark. */
    public LogCheckpoint(OptionalLong recoveryPoint, OptionalLong logStartOffset) {
        this(recoveryPoint, logStartOffset, OptionalLong.empty());
    }
}
