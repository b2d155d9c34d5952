package dev.sluice.storage;

import dev.sluice.wire.record.CorruptRecordException;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordCursor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment of a partition log: a {@code .log} file and its {@link OffsetIndex} and
 * {@link TimeIndex} (and, once it holds an ABORT marker, its {@link TransactionIndex}), all named by the segment's base offset as 20 zero-padded digits
 * ({@code 00000000000000001234.log}), as Kafka names them.
 *
 * <p>The {@code .log} file is record batches (magic v2, layout in {@link RecordBatch}) back to
 * back from byte 0, exactly as producers sent them and consumers receive them, with offsets
 * increasing from batch to batch and at least the base offset. Nothing else is in the file: no
 * header, no trailer. With {@code preallocate} the file is created at {@code segment.bytes} and
 * zero-filled after the last batch until the segment is rolled or closed, when it is cut to its
 * data.
 *
 * <p>Recovery after a crash ({@link #recover}): the batches are read from byte 0, each checked
 * with {@link RecordBatch#ensureValid()} and for increasing offsets; at the first batch that is
 * torn (runs past the end of the file), corrupt or out of order the file is cut, and both indexes
 * are rebuilt from the batches kept. Index entries are only hints for where to start a scan, so a
 * rebuilt index is as good as the one lost.
 *
 * <p>Threading: the partition's single writer appends, truncates, recovers, rolls and closes;
 * readers on any thread call the read methods with a {@code maxPosition} the writer has published
 * (the segment's size at the published log end), and never look past it. Batches are written
 * before the index entries that point at them and both before the size, so every position a
 * reader can reach holds whole, written batches.
 */
final class LogSegment {
    private static final Logger log = LoggerFactory.getLogger(LogSegment.class);

    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";
    static final String DELETED_SUFFIX = ".deleted";

    /**
     * Decompression limit when a batch's records are read to find one by timestamp. Batches were
     * checked on append; this only stops a corrupt payload from exhausting the heap.
     */

    /** Largest timestamp in the segment and the last offset of the first batch that has it. */
    record TimestampOffset(long timestamp, long offset) {
        static final TimestampOffset NONE = new TimestampOffset(RecordBatch.NO_TIMESTAMP, -1);
    }

    /** Header fields of one batch and where it lies. */
    record BatchInfo(int position, int size, long baseOffset, long lastOffset, long maxTimestamp) {
        int endPosition() {
            return position + size;
        }
    }

    private final long baseOffset;
    private final int indexIntervalBytes;
    private final long rollJitterMs;
    private final FileChannel channel;
    // Null until first used for a segment opened as an inactive part of an existing log: start-up
    // then opens no index files, and a log's old segments cost nothing until they are read.
    private volatile OffsetIndex offsetIndex;
    private volatile TimeIndex timeIndex;
    private final TransactionIndex txnIndex;
    private volatile boolean indexesLoaded;
    private final int maxIndexSize;
    private boolean indexesLost;
    private volatile Path logFile;
    private volatile Path offsetIndexFile;
    private volatile Path timeIndexFile;
    private volatile int size;
    private volatile TimestampOffset maxTimestampSoFar = TimestampOffset.NONE;

    // Writer-only state.
    private long nextOffset;
    private int bytesSinceLastIndexEntry;
    private long createdMs;
    private long rollingBaseTimestamp = RecordBatch.NO_TIMESTAMP;
    private boolean preallocated;

    private LogSegment(Path dir, long baseOffset, LogConfig config, long nowMs, boolean active, boolean create)
        throws IOException {
        this(dir, baseOffset, config, nowMs, active, create, "");
    }

    private LogSegment(Path dir, long baseOffset, LogConfig config, long nowMs, boolean active, boolean create,
                       String suffix) throws IOException {
        this.baseOffset = baseOffset;
        this.indexIntervalBytes = config.indexIntervalBytes();
        this.rollJitterMs = config.segmentJitterMs() == 0 ? 0
            : ThreadLocalRandom.current().nextLong(Math.min(config.segmentJitterMs(), config.segmentMs()));
        this.logFile = withSuffix(logFile(dir, baseOffset), suffix);
        this.createdMs = nowMs;
        Path offsetIndexFile = withSuffix(offsetIndexFile(dir, baseOffset), suffix);
        Path timeIndexFile = withSuffix(timeIndexFile(dir, baseOffset), suffix);
        this.offsetIndexFile = offsetIndexFile;
        this.timeIndexFile = timeIndexFile;
        this.txnIndex = new TransactionIndex(withSuffix(TransactionIndex.file(dir, baseOffset), suffix));
        if (create) {
            // Files a crash left behind under this base offset belong to no segment any more.
            Files.deleteIfExists(offsetIndexFile);
            Files.deleteIfExists(timeIndexFile);
            Files.deleteIfExists(txnIndex.file());
            this.channel = FileChannel.open(logFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
            if (config.preallocate()) {
                channel.write(ByteBuffer.allocate(1), config.segmentBytes() - 1L);
                preallocated = true;
            }
            this.size = 0;
        } else {
            this.channel = FileChannel.open(logFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
            long length = channel.size();
            if (length > Integer.MAX_VALUE) {
                channel.close();
                throw new IOException(logFile + " is " + length + " bytes, more than a segment can hold");
            }
            this.size = (int) length;
        }
        this.indexesLost = !create && (!Files.exists(offsetIndexFile) || !Files.exists(timeIndexFile));
        this.maxIndexSize = config.maxIndexSize();
        this.nextOffset = baseOffset;
        if (active || create || indexesLost) {
            this.offsetIndex = openIndex(offsetIndexFile, () -> new OffsetIndex(offsetIndexFile, baseOffset,
                config.maxIndexSize(), active));
            this.timeIndex = openIndex(timeIndexFile, () -> new TimeIndex(timeIndexFile, baseOffset,
                config.maxIndexSize(), active));
            this.indexesLoaded = true;
            if (!create && !indexesLost) {
                maxTimestampSoFar = fromIndex(timeIndex().lastEntry());
            }
        }
    }

    /**
     * Opens the indexes of a segment opened lazily, on first use by any thread. They are checked
     * then rather than at start-up; indexes that fail the check (or were unreadable) are rebuilt
     * from the batch headers in the file, which is only read: an inactive segment's data is never
     * changed by a reader.
     */
    private void ensureIndexes() {
        if (indexesLoaded) {
            return;
        }
        synchronized (this) {
            if (indexesLoaded) {
                return;
            }
            if (!channel.isOpen()) {
                // Closed (or deleted) before its indexes were ever needed: mapping them now would
                // leave mappings nothing closes.
                throw new SegmentClosedException(logFile + " is closed");
            }
            OffsetIndex offsets = null;
            TimeIndex times = null;
            try {
                boolean lostBefore = indexesLost;
                offsets = openIndex(offsetIndexFile, () -> new OffsetIndex(offsetIndexFile, baseOffset,
                    maxIndexSize, false));
                times = openIndex(timeIndexFile, () -> new TimeIndex(timeIndexFile, baseOffset,
                    maxIndexSize, false));
                boolean rebuild = indexesLost && !lostBefore;
                if (!rebuild) {
                    try {
                        offsets.sanityCheck(size);
                        times.sanityCheck(size);
                    } catch (MappedIndex.CorruptIndexException e) {
                        log.warn("Rebuilding the indexes of {}: {}", logFile, e.getMessage());
                        rebuild = true;
                    }
                }
                if (rebuild) {
                    maxTimestampSoFar = rebuildFromHeaders(offsets, times);
                } else {
                    maxTimestampSoFar = fromIndex(times.lastEntry());
                }
                offsetIndex = offsets;
                timeIndex = times;
                indexesLoaded = true;
            } catch (IOException e) {
                throw new LogStorageException("cannot open the indexes of " + logFile, e);
            } finally {
                if (!indexesLoaded) {
                    closeIfOpened(offsets);
                    closeIfOpened(times);
                }
            }
        }
    }

    /** Rebuilds an inactive segment's indexes from its batch headers; returns its largest timestamp. */
    private TimestampOffset rebuildFromHeaders(OffsetIndex offsets, TimeIndex times) throws IOException {
        offsets.reset();
        times.reset();
        BatchScanner scanner = new BatchScanner(channel, 0, size);
        TimestampOffset max = TimestampOffset.NONE;
        int sinceLastEntry = 0;
        while (scanner.next()) {
            if (scanner.maxTimestamp() > max.timestamp()) {
                max = new TimestampOffset(scanner.maxTimestamp(), scanner.lastOffset());
            }
            if (sinceLastEntry >= indexIntervalBytes && scanner.position() > 0) {
                if (!offsets.isFull()) {
                    offsets.append(scanner.lastOffset(), scanner.position());
                }
                if (!times.isFull()) {
                    times.maybeAppend(max.timestamp(), max.offset(), false);
                }
                sinceLastEntry = 0;
            }
            sinceLastEntry += scanner.size();
        }
        times.maybeAppend(max.timestamp(), max.offset(), true);
        offsets.trimToEntries();
        times.trimToEntries();
        return max;
    }

    private interface IndexOpener<T extends MappedIndex> {
        T open() throws IOException;
    }

    /** Opens an index, replacing a file whose length is impossible with an empty one (then rebuilt). */
    private <T extends MappedIndex> T openIndex(Path file, IndexOpener<T> opener) throws IOException {
        try {
            return opener.open();
        } catch (MappedIndex.CorruptIndexException e) {
            log.warn("Discarding index {}: {}", file, e.getMessage());
            Files.delete(file);
            indexesLost = true;
            return opener.open();
        }
    }

    private static TimestampOffset fromIndex(TimeIndex.Entry entry) {
        return entry.timestamp() < 0 ? TimestampOffset.NONE : new TimestampOffset(entry.timestamp(), entry.offset());
    }

    /** Creates a new, empty segment; its files must not exist (stale index files are removed). */
    static LogSegment create(Path dir, long baseOffset, LogConfig config, long nowMs) throws IOException {
        return new LogSegment(dir, baseOffset, config, nowMs, true, true);
    }

    /**
     * Creates a new, empty segment whose three files carry {@code suffix} after their usual names
     * ({@code <base>.log.cleaned}...): the log cleaner's output, which is not part of any log until
     * {@link PartitionLog} renames the files to their plain names and opens them again.
     */
    static LogSegment createWithSuffix(Path dir, long baseOffset, LogConfig config, long nowMs, String suffix)
        throws IOException {
        Path log = withSuffix(logFile(dir, baseOffset), suffix);
        Files.deleteIfExists(log);
        return new LogSegment(dir, baseOffset, config.toBuilder().preallocate(false).build(), nowMs, true, true,
            suffix);
    }

    static Path withSuffix(Path file, String suffix) {
        return suffix.isEmpty() ? file : file.resolveSibling(file.getFileName() + suffix);
    }

    /** Receives the batches of {@link #forEachBatch}. */
    interface BatchVisitor {
        void visit(RecordBatch batch) throws IOException;
    }

    /**
     * Reads every whole batch ending at or before {@code maxPosition}, in order, each into its own
     * heap buffer: the log cleaner's way through an inactive segment. Safe on any thread.
     */
    void forEachBatch(int maxPosition, BatchVisitor visitor) throws IOException {
        BatchScanner scanner = new BatchScanner(channel, 0, maxPosition);
        while (scanner.next()) {
            visitor.visit(readBatch(info(scanner)));
        }
    }

    /** Receives the producer id of each batch of {@link #forEachProducerBatch}. */
    interface ProducerBatchVisitor {
        void visit(long baseOffset, long producerId);
    }

    /**
     * Reads only the header of each whole batch ending at or before {@code maxPosition} and reports
     * the data batches (not control batches) that carry a producer id. Safe on any thread.
     */
    void forEachProducerBatch(int maxPosition, ProducerBatchVisitor visitor) throws IOException {
        BatchScanner scanner = new BatchScanner(channel, 0, maxPosition);
        ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        while (scanner.next()) {
            header.clear();
            readFully(header, scanner.position());
            boolean control = (header.getShort(21) & 0x20) != 0;
            long producerId = header.getLong(43);
            if (!control && producerId != RecordBatch.NO_PRODUCER_ID) {
                visitor.visit(scanner.baseOffset(), producerId);
            }
        }
    }

    /** The max timestamp of the first batch, or -1 for an empty segment; reads one header. */
    long firstBatchMaxTimestamp(int maxPosition) throws IOException {
        BatchScanner scanner = new BatchScanner(channel, 0, maxPosition);
        return scanner.next() ? scanner.maxTimestamp() : RecordBatch.NO_TIMESTAMP;
    }

    /**
     * Opens an existing segment. Missing index files are created empty and reported by
     * {@link #indexesLost()}; the caller then recovers the segment. An active segment's indexes
     * are grown back to full size for appending.
     */
    static LogSegment open(Path dir, long baseOffset, LogConfig config, long nowMs, boolean active)
        throws IOException {
        return new LogSegment(dir, baseOffset, config, nowMs, active, false);
    }

    static String fileNamePrefix(long offset) {
        return String.format("%020d", offset);
    }

    static Path logFile(Path dir, long baseOffset) {
        return dir.resolve(fileNamePrefix(baseOffset) + LOG_SUFFIX);
    }

    static Path offsetIndexFile(Path dir, long baseOffset) {
        return dir.resolve(fileNamePrefix(baseOffset) + INDEX_SUFFIX);
    }

    static Path timeIndexFile(Path dir, long baseOffset) {
        return dir.resolve(fileNamePrefix(baseOffset) + TIME_INDEX_SUFFIX);
    }

    /** The base offset in a segment file name ({@code 00000000000000001234.log...}), or -1 if it is not one. */
    static long parseBaseOffset(String fileName) {
        int dot = fileName.indexOf('.');
        if (dot != 20) {
            return -1;
        }
        for (int i = 0; i < dot; i++) {
            if (!Character.isDigit(fileName.charAt(i))) {
                return -1;
            }
        }
        try {
            return Long.parseLong(fileName.substring(0, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    long baseOffset() {
        return baseOffset;
    }

    /** Bytes of batches in the file. */
    int size() {
        return size;
    }

    Path logFile() {
        return logFile;
    }

    /** Whether an index file was missing or unreadable at open, so the segment must be recovered. */
    boolean indexesLost() {
        return indexesLost;
    }

    /** Writer only: the offset after the last batch, or the base offset when empty. */
    long nextOffset() {
        return nextOffset;
    }

    TimestampOffset maxTimestampSoFar() {
        ensureIndexes();
        return maxTimestampSoFar;
    }

    OffsetIndex offsetIndex() {
        ensureIndexes();
        return offsetIndex;
    }

    TimeIndex timeIndex() {
        ensureIndexes();
        return timeIndex;
    }

    /** The segment's aborted transactions (its {@code .txnindex}). */
    TransactionIndex txnIndex() {
        return txnIndex;
    }

    /** Whether the indexes are open (a lazily opened segment's are not until first used). */
    boolean indexesLoaded() {
        return indexesLoaded;
    }

    /**
     * Writer only: appends batches whose offsets are assigned and increasing, at or above
     * {@link #nextOffset()}, and whose CRCs the caller has checked. The bytes are written as they
     * are; only batch headers are read, to place index entries.
     */
    void append(MemoryRecords records) throws IOException {
        int start = size;
        long newSize = (long) start + records.sizeInBytes();
        if (newSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("appending " + records.sizeInBytes() + " bytes to " + logFile + " at "
                + start + " would pass 2 GiB");
        }
        ByteBuffer bytes = records.buffer();
        long at = start;
        while (bytes.hasRemaining()) {
            at += channel.write(bytes, at);
        }
        int position = start;
        TimestampOffset max = maxTimestampSoFar;
        for (RecordBatch batch : records.batches()) {
            long lastOffset = batch.lastOffset();
            if (batch.maxTimestamp() > max.timestamp()) {
                max = new TimestampOffset(batch.maxTimestamp(), lastOffset);
            }
            if (position == 0) {
                rollingBaseTimestamp = batch.maxTimestamp();
            }
            maybeIndex(lastOffset, position, max);
            position += batch.sizeInBytes();
            bytesSinceLastIndexEntry += batch.sizeInBytes();
            nextOffset = lastOffset + 1;
        }
        maxTimestampSoFar = max;
        size = (int) newSize;
    }

    /** Adds index entries for the batch at {@code position} once an interval's worth of log lies behind the last. */
    private void maybeIndex(long lastOffset, int position, TimestampOffset max) throws IOException {
        if (bytesSinceLastIndexEntry < indexIntervalBytes || (position == 0 && indexIntervalBytes > 0)) {
            return;
        }
        // A full index only makes the segment roll before the next append; entries are hints, so
        // skipping some in a large multi-batch append costs scan time, not correctness.
        if (!offsetIndex().isFull()) {
            offsetIndex().append(lastOffset, position);
        }
        if (!timeIndex().isFull()) {
            timeIndex().maybeAppend(max.timestamp(), max.offset(), false);
        }
        bytesSinceLastIndexEntry = 0;
    }

    /**
     * Whether the segment should be rolled before appending {@code appendSize} bytes whose last
     * offset is {@code lastOffset}: it would pass {@code segment.bytes}, it is older than
     * {@code segment.ms} (for a compacted log, or {@code max.compaction.lag.ms} if smaller) less its
     * jitter (by its first batch's max timestamp, or its creation if
     * it has none), an index is full, or the offsets would not fit relative to its base.
     */
    boolean shouldRoll(LogConfig config, int appendSize, long lastOffset, long nowMs) throws IOException {
        if (size == 0) {
            return false;
        }
        boolean full = size > config.segmentBytes() - appendSize;
        // A compacted log also rolls by max.compaction.lag.ms, or its newest records, which stay
        // in the active segment, could wait past that lag for the cleaner.
        long rollMs = config.compact() ? Math.min(config.segmentMs(), config.maxCompactionLagMs()) : config.segmentMs();
        boolean old = nowMs - rollingBaseTimestamp() > rollMs - rollJitterMs;
        boolean indexFull = offsetIndex().isFull() || timeIndex().isFull();
        boolean offsetsOverflow = lastOffset - baseOffset > Integer.MAX_VALUE;
        return full || old || indexFull || offsetsOverflow;
    }

    private long rollingBaseTimestamp() throws IOException {
        if (rollingBaseTimestamp == RecordBatch.NO_TIMESTAMP && size > 0) {
            BatchScanner scanner = new BatchScanner(channel, 0, size);
            if (scanner.next()) {
                rollingBaseTimestamp = scanner.maxTimestamp();
            }
        }
        return rollingBaseTimestamp >= 0 ? rollingBaseTimestamp : createdMs;
    }

    /**
     * The first batch, among those ending at or before {@code maxPosition}, whose last offset is at
     * least {@code target}.
     */
    Optional<BatchInfo> findBatch(long target, int maxPosition) throws IOException {
        int start = offsetIndex().lookup(target).position();
        BatchScanner scanner = new BatchScanner(channel, start, maxPosition);
        while (scanner.next()) {
            if (scanner.lastOffset() >= target) {
                return Optional.of(info(scanner));
            }
        }
        return Optional.empty();
    }

    private static BatchInfo info(BatchScanner scanner) {
        return new BatchInfo(scanner.position(), scanner.size(), scanner.baseOffset(), scanner.lastOffset(),
            scanner.maxTimestamp());
    }

    /**
     * Whole batches from the one holding {@code startOffset} (or the first after it), ending at or
     * before {@code maxPosition}, all of whose offsets lie below {@code maxOffsetExclusive}, and
     * together at most {@code maxBytes} unless {@code minOneBatch} lets the first batch alone go
     * over.
     *
     * @param maxOffsetExclusive {@code Long.MAX_VALUE} when only {@code maxPosition} limits the read,
     *     which spares a second index lookup
     * @return empty if no batch at or after {@code startOffset} ends by {@code maxPosition} (the
     *     read may continue in the next segment); otherwise the records, possibly none, when the
     *     first batch is held back by a limit
     */
    Optional<FileRecords> read(long startOffset, int maxBytes, long maxOffsetExclusive, int maxPosition,
                               boolean minOneBatch) throws IOException {
        Optional<BatchInfo> found = findBatch(startOffset, maxPosition);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        BatchInfo first = found.get();
        if (first.lastOffset() >= maxOffsetExclusive) {
            return Optional.of(slice(first.position(), 0));
        }
        int limit = maxPosition;
        if (maxOffsetExclusive != Long.MAX_VALUE) {
            Optional<BatchInfo> held = findBatch(maxOffsetExclusive, maxPosition);
            if (held.isPresent()) {
                limit = held.get().position();
            }
        }
        int sizeLimit = (int) Math.min(limit, (long) first.position() + Math.max(0, maxBytes));
        if (first.endPosition() > sizeLimit) {
            return Optional.of(slice(first.position(), minOneBatch ? first.size() : 0));
        }
        // Jump close to the byte limit with the index, then walk the few headers left.
        int scanFrom = Math.max(first.endPosition(), offsetIndex().lookupPosition(sizeLimit));
        int end = scanFrom;
        BatchScanner scanner = new BatchScanner(channel, scanFrom, sizeLimit);
        while (scanner.next()) {
            end = scanner.endPosition();
        }
        return Optional.of(slice(first.position(), end - first.position()));
    }

    FileRecords slice(int position, int length) {
        return new FileRecords(channel, logFile, position, length);
    }

    /**
     * The first record with timestamp at least {@code timestamp} and offset at least
     * {@code startingOffset}, among batches ending at or before {@code maxPosition}.
     *
     * @param offsetBound the published log end offset; time index entries at or past it are ignored
     */
    Optional<TimestampAndOffset> findOffsetByTimestamp(long timestamp, long startingOffset, int maxPosition,
                                                       long offsetBound, int maxDecompressedBytes) throws IOException {
        TimeIndex.Entry entry = timeIndex().lookup(timestamp, offsetBound);
        int start = offsetIndex().lookup(Math.max(entry.offset(), startingOffset)).position();
        BatchScanner scanner = new BatchScanner(channel, start, maxPosition);
        while (scanner.next()) {
            if (scanner.maxTimestamp() >= timestamp && scanner.lastOffset() >= startingOffset) {
                Optional<TimestampAndOffset> found = firstRecordAtOrAfter(info(scanner), timestamp, startingOffset,
                    maxDecompressedBytes);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The first record of the batch ending at {@code lastOffset} whose timestamp is
     * {@code timestamp}: the record a segment's {@link #maxTimestampSoFar()} refers to.
     */
    Optional<TimestampAndOffset> recordWithTimestamp(long lastOffset, long timestamp, int maxPosition,
                                                     int maxDecompressedBytes) throws IOException {
        Optional<BatchInfo> batch = findBatch(lastOffset, maxPosition);
        if (batch.isEmpty()) {
            return Optional.empty();
        }
        return firstRecordAtOrAfter(batch.get(), timestamp, 0, maxDecompressedBytes);
    }

    /**
     * Walks the batch's records without holding them (a compressed batch is decompressed as a
     * stream, at most {@code maxDecompressedBytes}): a search may touch many batches.
     */
    private Optional<TimestampAndOffset> firstRecordAtOrAfter(BatchInfo info, long timestamp, long minOffset,
                                                              int maxDecompressedBytes) throws IOException {
        RecordBatch batch = readBatch(info);
        try (RecordCursor records = batch.recordCursor(maxDecompressedBytes)) {
            while (records.next()) {
                if (records.timestamp() >= timestamp && records.offset() >= minOffset) {
                    int epoch = batch.partitionLeaderEpoch();
                    return Optional.of(new TimestampAndOffset(records.timestamp(), records.offset(),
                        epoch == RecordBatch.NO_PARTITION_LEADER_EPOCH ? OptionalInt.empty() : OptionalInt.of(epoch)));
                }
            }
        }
        return Optional.empty();
    }

    private RecordBatch readBatch(BatchInfo info) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(info.size());
        readFully(bytes, info.position());
        return RecordBatch.wrap(bytes.flip());
    }

    private void readFully(ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int read = channel.read(into, at);
            if (read < 0) {
                throw new LogStorageException(logFile + " ended at byte " + at + " inside a batch");
            }
            at += read;
        }
    }

    /**
     * Writer only: rebuilds the indexes, and the segment's offsets and timestamps, from its batches,
     * cutting the file at the first batch that is torn, corrupt or out of order.
     *
     * @return bytes cut from the end of the file
     */
    long recover() throws IOException {
        offsetIndex().reset();
        timeIndex().reset();
        long fileSize = channel.size();
        int position = 0;
        long next = baseOffset;
        TimestampOffset max = TimestampOffset.NONE;
        bytesSinceLastIndexEntry = 0;
        rollingBaseTimestamp = RecordBatch.NO_TIMESTAMP;
        ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        ByteBuffer batchBytes = ByteBuffer.allocate(64 * 1024);
        String stopReason = null;
        while (fileSize - position > 0) {
            if (fileSize - position < RecordBatch.HEADER_SIZE) {
                stopReason = "a partial batch header";
                break;
            }
            header.clear();
            readFully(header, position);
            int length = header.getInt(8);
            long batchSize = (long) length + RecordBatch.LOG_OVERHEAD;
            if (header.get(16) != RecordBatch.MAGIC || length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD) {
                stopReason = "an invalid batch header";
                break;
            }
            if (position + batchSize > fileSize) {
                stopReason = "a batch of " + batchSize + " bytes with only " + (fileSize - position) + " left";
                break;
            }
            if (batchBytes.capacity() < batchSize) {
                batchBytes = ByteBuffer.allocate((int) batchSize);
            }
            batchBytes.clear().limit((int) batchSize);
            readFully(batchBytes, position);
            RecordBatch batch;
            try {
                batch = RecordBatch.wrap(batchBytes.flip());
                batch.ensureValid();
            } catch (CorruptRecordException e) {
                stopReason = e.getMessage();
                break;
            }
            if (batch.baseOffset() < next || batch.lastOffset() < batch.baseOffset()
                || batch.lastOffset() - baseOffset > Integer.MAX_VALUE) {
                stopReason = "batch offsets " + batch.baseOffset() + "-" + batch.lastOffset() + " out of order after "
                    + (next - 1);
                break;
            }
            if (batch.maxTimestamp() > max.timestamp()) {
                max = new TimestampOffset(batch.maxTimestamp(), batch.lastOffset());
            }
            if (position == 0) {
                rollingBaseTimestamp = batch.maxTimestamp();
            }
            maybeIndex(batch.lastOffset(), position, max);
            position += (int) batchSize;
            bytesSinceLastIndexEntry += (int) batchSize;
            next = batch.nextOffset();
        }
        long truncated = fileSize - position;
        if (truncated > 0) {
            if (preallocated && stopReason != null && stopReason.equals("an invalid batch header")) {
                log.debug("Cutting the preallocated tail of {} at byte {}", logFile, position);
            } else {
                log.warn("Recovering {}: cutting {} bytes at byte {}, at {}", logFile, truncated, position, stopReason);
            }
            channel.truncate(position);
        }
        size = position;
        nextOffset = next;
        maxTimestampSoFar = max;
        // Aborts whose markers the cut removed (or that a crash wrote past the data's end).
        txnIndex.truncateTo(next);
        return truncated;
    }

    /**
     * Writer only, for the last segment of a cleanly closed log: finds the next offset and the
     * largest timestamp by scanning from the last index entry, without checking CRCs.
     *
     * @return false if the tail does not end in a whole batch, so the segment must be recovered
     */
    boolean loadTail() throws IOException {
        int start = offsetIndex().lastEntry().position();
        TimestampOffset max = fromIndex(timeIndex().lastEntry());
        BatchScanner scanner = new BatchScanner(channel, start, size);
        int end = start;
        long next = start == 0 ? baseOffset : -1;
        try {
            while (scanner.next()) {
                if (scanner.position() == 0) {
                    rollingBaseTimestamp = scanner.maxTimestamp();
                }
                if (scanner.maxTimestamp() > max.timestamp()) {
                    max = new TimestampOffset(scanner.maxTimestamp(), scanner.lastOffset());
                }
                next = scanner.lastOffset() + 1;
                end = scanner.endPosition();
            }
        } catch (BatchScanner.CorruptBatchHeaderException e) {
            return false;
        }
        if (end != size || next < 0) {
            return false;
        }
        nextOffset = next;
        maxTimestampSoFar = max;
        bytesSinceLastIndexEntry = size - start;
        return true;
    }

    /** Checks the index files of a segment not being recovered. */
    void sanityCheckIndexes() {
        offsetIndex().sanityCheck(size);
        timeIndex().sanityCheck(size);
    }

    /**
     * Writer only: removes every batch from the one holding {@code offset} on.
     *
     * @return the base offset of the first batch removed, or empty if no batch holds an offset at
     *     or above {@code offset}
     */
    Optional<Long> truncateTo(long offset) throws IOException {
        Optional<BatchInfo> found = findBatch(offset, size);
        if (found.isEmpty()) {
            // Nothing to cut, but a segment reactivated by truncation must know where it ends.
            if (size > 0 && !loadTail()) {
                throw new LogStorageException("cannot find the end of " + logFile);
            }
            return Optional.empty();
        }
        BatchInfo cut = found.get();
        offsetIndex().truncateToPosition(cut.position());
        timeIndex().truncateToOffset(cut.baseOffset());
        txnIndex.truncateTo(cut.baseOffset());
        channel.truncate(cut.position());
        size = cut.position();
        preallocated = false;
        if (size == 0) {
            rollingBaseTimestamp = RecordBatch.NO_TIMESTAMP;
            nextOffset = baseOffset;
            maxTimestampSoFar = TimestampOffset.NONE;
            bytesSinceLastIndexEntry = 0;
        } else if (!loadTail()) {
            throw new LogStorageException("cannot find the end of " + logFile + " after truncating it to byte " + size);
        }
        return Optional.of(cut.baseOffset());
    }

    /** Writer only: the segment takes appends again (after a truncation into it); indexes regain their room. */
    void makeActive() throws IOException {
        offsetIndex().makeAppendable();
        timeIndex().makeAppendable();
    }

    /**
     * Writer only: the segment stops taking appends. Its true largest timestamp becomes the time
     * index's last entry, the index files are cut to their entries and a preallocated log file
     * to its batches.
     */
    void makeInactive() throws IOException {
        TimestampOffset max = maxTimestampSoFar;
        timeIndex().maybeAppend(max.timestamp(), max.offset(), true);
        offsetIndex().trimToEntries();
        timeIndex().trimToEntries();
        if (channel.size() > size) {
            channel.truncate(size);
        }
        preallocated = false;
    }

    /** Forces the file and both indexes to disk. */
    void flush() throws IOException {
        channel.force(true);
        txnIndex.flush();
        if (indexesLoaded) {
            offsetIndex.flush();
            timeIndex.flush();
        }
    }

    /**
     * Writer only: renames the three files to {@code <name>.deleted}, freeing the names for a new
     * segment with the same base offset; readers keep using the open file.
     */
    void renameToDeleted() throws IOException {
        logFile = markDeleted(logFile);
        offsetIndexFile = markDeleted(offsetIndexFile);
        timeIndexFile = markDeleted(timeIndexFile);
        txnIndex.renameTo(txnIndex.file().resolveSibling(txnIndex.file().getFileName() + DELETED_SUFFIX));
    }

    private static Path markDeleted(Path file) throws IOException {
        Path target = file.resolveSibling(file.getFileName() + DELETED_SUFFIX);
        if (!Files.exists(file)) {
            return target;
        }
        return Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Closes the file and removes the segment's files under their current names. */
    void closeAndDelete() throws IOException {
        close();
        Files.deleteIfExists(logFile);
        Files.deleteIfExists(offsetIndexFile);
        Files.deleteIfExists(timeIndexFile);
        txnIndex.deleteIfExists();
    }

    /**
     * Closes the file and unmaps the indexes (each once its last reader lets go); readers still
     * holding its records, or searching it afterwards, get {@link SegmentClosedException}.
     */
    void close() throws IOException {
        channel.close();
        txnIndex.close();
        // Under the lock that opens lazily loaded indexes, so none is mapped after this.
        synchronized (this) {
            if (indexesLoaded) {
                offsetIndex.close();
                timeIndex.close();
            }
        }
    }

    private static void closeIfOpened(MappedIndex index) {
        if (index != null) {
            index.close();
        }
    }

    @Override
    public String toString() {
        return "LogSegment(" + logFile.getFileName() + ", " + size + " bytes)";
    }
}
