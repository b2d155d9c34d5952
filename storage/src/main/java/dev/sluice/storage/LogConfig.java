package dev.sluice.storage;

/**
 * The topic-level settings a partition log obeys, under their Kafka names and with Kafka's
 * defaults. Immutable; a config change hands the log a new instance
 * ({@link PartitionLog#updateConfig}).
 *
 * @param segmentBytes {@code segment.bytes}: a segment is rolled before an append would take it
 *     past this size; an int, so no segment file can reach 2 GiB
 * @param segmentMs {@code segment.ms}: a non-empty segment is rolled once its first batch's
 *     timestamp (or, without one, its creation) is this old
 * @param segmentJitterMs {@code segment.jitter.ms}: each segment subtracts a random amount below
 *     this from {@code segment.ms}, so partitions created together do not all roll together
 * @param indexIntervalBytes {@code index.interval.bytes}: log bytes between two index entries
 * @param maxIndexSize {@code segment.index.bytes}: size of an active segment's index files; a
 *     full index rolls the segment
 * @param flushIntervalMessages {@code flush.messages}: fsync once this many messages are unflushed
 * @param flushMs {@code flush.ms}: fsync once data has been unflushed this long (the broker's
 *     periodic flusher reads it; the log itself only counts messages)
 * @param preallocate {@code preallocate}: create segment files at their full size
 * @param fileDeleteDelayMs {@code file.delete.delay.ms}: how long a deleted segment's files stay
 *     (renamed {@code .deleted}) so readers still holding them can finish
 * @param retentionMs {@code retention.ms}, -1 for unlimited (see {@link PartitionLog#deleteRetainedSegments})
 * @param retentionBytes {@code retention.bytes}, -1 for unlimited (see {@link PartitionLog#deleteRetainedSegments})
 * @param compact {@code cleanup.policy} contains {@code compact}
 * @param delete {@code cleanup.policy} contains {@code delete}
 * @param maxMessageBytes {@code max.message.bytes}: the largest batch a producer may append
 *     (checked by the broker's produce path)
 * @param minCleanableDirtyRatio {@code min.cleanable.dirty.ratio}: the share of a compacted log's
 *     cleanable bytes that must be dirty (not yet compacted) before the {@link LogCleaner} cleans it
 * @param minCompactionLagMs {@code min.compaction.lag.ms}: a segment holding a record younger than
 *     this (by batch max timestamp) is not compacted yet
 * @param maxCompactionLagMs {@code max.compaction.lag.ms}: a log whose oldest dirty record is older
 *     than this is compacted whatever its dirty ratio
 * @param deleteRetentionMs {@code delete.retention.ms}: how long a tombstone stays after the
 *     cleaner first kept it (its batch's delete horizon)
 */
public record LogConfig(
    int segmentBytes,
    long segmentMs,
    long segmentJitterMs,
    int indexIntervalBytes,
    int maxIndexSize,
    long flushIntervalMessages,
    long flushMs,
    boolean preallocate,
    long fileDeleteDelayMs,
    long retentionMs,
    long retentionBytes,
    boolean compact,
    boolean delete,
    int maxMessageBytes,
    double minCleanableDirtyRatio,
    long minCompactionLagMs,
    long maxCompactionLagMs,
    long deleteRetentionMs) {

    public static final int DEFAULT_SEGMENT_BYTES = 1024 * 1024 * 1024;
    public static final long DEFAULT_SEGMENT_MS = 7L * 24 * 60 * 60 * 1000;
    public static final int DEFAULT_INDEX_INTERVAL_BYTES = 4096;
    public static final int DEFAULT_MAX_INDEX_SIZE = 10 * 1024 * 1024;
    public static final long DEFAULT_FILE_DELETE_DELAY_MS = 60_000;
    public static final long DEFAULT_RETENTION_MS = 7L * 24 * 60 * 60 * 1000;
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;
    /**
     * How many times {@code max.message.bytes} (or its default, if smaller) a compressed batch may
     * expand to. Kafka has no such limit; without one a batch of a few kilobytes can expand to
     * gigabytes (a decompression bomb). Every path that decompresses (produce validation, the
     * timestamp search of ListOffsets, compaction, reads of the cold tier) stops there, streaming,
     * so the bound is on work, not memory held. 64 leaves room for the densest real payloads
     * (repetitive JSON compresses 10-30 times) and caps a bomb at 64 MiB of decoding by default.
     */
    public static final int MAX_DECOMPRESSION_RATIO = 64;
    public static final double DEFAULT_MIN_CLEANABLE_DIRTY_RATIO = 0.5;
    public static final long DEFAULT_DELETE_RETENTION_MS = 24L * 60 * 60 * 1000;

    /** The smallest usable index: room for one time index entry. */
    static final int MIN_INDEX_SIZE = 12;

    public LogConfig {
        requirePositive("segment.bytes", segmentBytes);
        requirePositive("segment.ms", segmentMs);
        requireNonNegative("segment.jitter.ms", segmentJitterMs);
        requireNonNegative("index.interval.bytes", indexIntervalBytes);
        if (maxIndexSize < MIN_INDEX_SIZE) {
            throw new IllegalArgumentException("segment.index.bytes must be at least " + MIN_INDEX_SIZE + ", not "
                + maxIndexSize);
        }
        requirePositive("flush.messages", flushIntervalMessages);
        requireNonNegative("flush.ms", flushMs);
        requireNonNegative("file.delete.delay.ms", fileDeleteDelayMs);
        if (retentionMs < -1) {
            throw new IllegalArgumentException("retention.ms must be -1 or more, not " + retentionMs);
        }
        requireNonNegative("max.message.bytes", maxMessageBytes);
        if (!(minCleanableDirtyRatio >= 0 && minCleanableDirtyRatio <= 1)) {
            throw new IllegalArgumentException("min.cleanable.dirty.ratio must be between 0 and 1, not "
                + minCleanableDirtyRatio);
        }
        requireNonNegative("min.compaction.lag.ms", minCompactionLagMs);
        requirePositive("max.compaction.lag.ms", maxCompactionLagMs);
        requireNonNegative("delete.retention.ms", deleteRetentionMs);
    }

    /** Kafka's defaults: {@code cleanup.policy=delete}, 1 GiB segments rolled weekly, no forced fsync. */
    public static LogConfig defaults() {
        return builder().build();
    }

    /** The most a compressed batch of this log may expand to; see {@link #MAX_DECOMPRESSION_RATIO}. */
    public int maxDecompressedBatchBytes() {
        return maxDecompressedBatchBytes(maxMessageBytes);
    }

    /** The most a compressed batch may expand to under this {@code max.message.bytes}. */
    public static int maxDecompressedBatchBytes(int maxMessageBytes) {
        long limit = (long) Math.max(maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES) * MAX_DECOMPRESSION_RATIO;
        return (int) Math.min(Integer.MAX_VALUE - 16, limit);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    private static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, not " + value);
        }
    }

    private static void requireNonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, not " + value);
        }
    }

    /** Eighteen settings, nearly all left at their defaults: a builder reads better than a constructor. */
    public static final class Builder {
        private int segmentBytes = DEFAULT_SEGMENT_BYTES;
        private long segmentMs = DEFAULT_SEGMENT_MS;
        private long segmentJitterMs;
        private int indexIntervalBytes = DEFAULT_INDEX_INTERVAL_BYTES;
        private int maxIndexSize = DEFAULT_MAX_INDEX_SIZE;
        private long flushIntervalMessages = Long.MAX_VALUE;
        private long flushMs = Long.MAX_VALUE;
        private boolean preallocate;
        private long fileDeleteDelayMs = DEFAULT_FILE_DELETE_DELAY_MS;
        private long retentionMs = DEFAULT_RETENTION_MS;
        private long retentionBytes = -1;
        private boolean compact;
        private boolean delete = true;
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private double minCleanableDirtyRatio = DEFAULT_MIN_CLEANABLE_DIRTY_RATIO;
        private long minCompactionLagMs;
        private long maxCompactionLagMs = Long.MAX_VALUE;
        private long deleteRetentionMs = DEFAULT_DELETE_RETENTION_MS;

        private Builder() {
        }

        private Builder(LogConfig c) {
            segmentBytes = c.segmentBytes;
            segmentMs = c.segmentMs;
            segmentJitterMs = c.segmentJitterMs;
            indexIntervalBytes = c.indexIntervalBytes;
            maxIndexSize = c.maxIndexSize;
            flushIntervalMessages = c.flushIntervalMessages;
            flushMs = c.flushMs;
            preallocate = c.preallocate;
            fileDeleteDelayMs = c.fileDeleteDelayMs;
            retentionMs = c.retentionMs;
            retentionBytes = c.retentionBytes;
            compact = c.compact;
            delete = c.delete;
            maxMessageBytes = c.maxMessageBytes;
            minCleanableDirtyRatio = c.minCleanableDirtyRatio;
            minCompactionLagMs = c.minCompactionLagMs;
            maxCompactionLagMs = c.maxCompactionLagMs;
            deleteRetentionMs = c.deleteRetentionMs;
        }

        public Builder segmentBytes(int value) {
            segmentBytes = value;
            return this;
        }

        public Builder segmentMs(long value) {
            segmentMs = value;
            return this;
        }

        public Builder segmentJitterMs(long value) {
            segmentJitterMs = value;
            return this;
        }

        public Builder indexIntervalBytes(int value) {
            indexIntervalBytes = value;
            return this;
        }

        public Builder maxIndexSize(int value) {
            maxIndexSize = value;
            return this;
        }

        public Builder flushIntervalMessages(long value) {
            flushIntervalMessages = value;
            return this;
        }

        public Builder flushMs(long value) {
            flushMs = value;
            return this;
        }

        public Builder preallocate(boolean value) {
            preallocate = value;
            return this;
        }

        public Builder fileDeleteDelayMs(long value) {
            fileDeleteDelayMs = value;
            return this;
        }

        public Builder retentionMs(long value) {
            retentionMs = value;
            return this;
        }

        public Builder retentionBytes(long value) {
            retentionBytes = value;
            return this;
        }

        /** {@code cleanup.policy}: {@code compact}, {@code delete}, or both. */
        public Builder cleanupPolicy(boolean compact, boolean delete) {
            this.compact = compact;
            this.delete = delete;
            return this;
        }

        public Builder maxMessageBytes(int value) {
            maxMessageBytes = value;
            return this;
        }

        public Builder minCleanableDirtyRatio(double value) {
            minCleanableDirtyRatio = value;
            return this;
        }

        public Builder minCompactionLagMs(long value) {
            minCompactionLagMs = value;
            return this;
        }

        public Builder maxCompactionLagMs(long value) {
            maxCompactionLagMs = value;
            return this;
        }

        public Builder deleteRetentionMs(long value) {
            deleteRetentionMs = value;
            return this;
        }

        public LogConfig build() {
            return new LogConfig(segmentBytes, segmentMs, segmentJitterMs, indexIntervalBytes, maxIndexSize,
                flushIntervalMessages, flushMs, preallocate, fileDeleteDelayMs, retentionMs, retentionBytes, compact,
                delete, maxMessageBytes, minCleanableDirtyRatio, minCompactionLagMs, maxCompactionLagMs,
                deleteRetentionMs);
        }
    }
}
