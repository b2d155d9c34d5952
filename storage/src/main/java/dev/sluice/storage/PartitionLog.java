package dev.sluice.storage;

import dev.sluice.storage.LogSegment.TimestampOffset;
import dev.sluice.storage.producer.ProducerStateManager;
import dev.sluice.wire.record.CorruptRecordException;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.Records;
import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of one partition: a directory of {@link LogSegment}s, each a {@code .log} file of record
 * batches with its {@code .index} and {@code .timeindex}, named by base offset as Kafka names them.
 * Offsets run from the log start offset to the log end offset (exclusive); only the last segment,
 * the active one, takes appends.
 *
 * <h2>Threading contract</h2>
 * <ul>
 *   <li><b>One writer.</b> {@link #append}, {@link #appendAsFollower}, {@link #roll},
 *       {@link #truncateTo}, {@link #truncateFullyAndStartAt}, {@link #updateHighWatermark},
 *       {@link #updateProducerState},
 *       {@link #loadProducerState}, {@link #setLogStartOffset}, {@link #deleteRetainedSegments},
 *       {@link #flush}, {@link #updateConfig}, {@link #close} and {@link #deleteAll} must be called
 *       by one thread at a time, in practice the partition's serial executor. They are not
 *       synchronized; two writers would corrupt the log.</li>
 *   <li><b>Any number of readers</b> on any threads: {@link #read}, {@link #offsetForTimestamp},
 *       {@link #maxTimestampAndOffset} and the accessors. Readers take no lock and never block the
 *       writer. After each append the writer publishes the new end (end offset, active segment,
 *       byte position) in one volatile write; a reader takes that snapshot once and never looks past
 *       it, so it sees only whole, written batches. The segment list is a
 *       {@link ConcurrentSkipListMap}, and a segment removed from it stays readable (its files
 *       renamed {@code .deleted}) for {@code file.delete.delay.ms}.</li>
 *   <li>Truncation ({@link #truncateTo}) is the exception: it happens only on a follower or a
 *       leader change, and a reader racing it may get batches that are being removed, or
 *       {@link LogStorageException} if the bytes are gone when it copies them, as in Kafka.</li>
 * </ul>
 *
 * <h2>Files and recovery</h2>
 * A directory holds {@code <20-digit base offset>.log}, {@code .index} and {@code .timeindex}
 * per segment (layouts in {@link LogSegment}, {@link OffsetIndex}, {@link TimeIndex}) and, while
 * the log is closed cleanly, {@value #CLEAN_SHUTDOWN_FILE}, whose content is the log end offset
 * in decimal ASCII. {@link #open} does, in order:
 * <ol>
 *   <li>deletes {@code *.deleted} files (segments deleted before the process stopped) and
 *       {@code *.cleaned} files (unfinished compaction output);</li>
 *   <li>completes an interrupted segment swap: a {@code <base>.log.swap} file replaces the
 *       segments whose offsets it covers and becomes {@code <base>.log}, its index rebuilt;</li>
 *   <li>deletes {@code .index}/{@code .timeindex} files without a {@code .log};</li>
 *   <li>recovers ({@link LogSegment#recover}: CRC check, cut at the first bad batch, indexes
 *       rebuilt) every segment whose index is missing or fails a sanity check, and, unless the
 *       clean-shutdown marker is present and agrees with the files, the last segment, or with a
 *       {@link LogCheckpoint} every segment from the recovery point on. A segment cut short
 *       that is not the last makes every later segment unreachable (offsets must be contiguous),
 *       so those are deleted;</li>
 *   <li>removes the clean-shutdown marker and syncs the directory, so a crash from here on is
 *       seen as one.</li>
 * </ol>
 * {@link #close()} flushes everything, cuts the active segment's indexes to size and then writes
 * the marker. Retention ({@link #deleteRetainedSegments}) is run by the broker on the writer.
 * Compaction is done by the {@link LogCleaner}, which swaps cleaned segments in through
 * {@link #replaceSegments} on the writer.
 *
 * <p>Each segment keeps the transactions aborted by markers in it in a {@link TransactionIndex}
 * ({@code .txnindex}, created with the first abort). The log writes an entry when the owner of
 * the producer state reports an appended ABORT ({@link #updateProducerState}); the index is cut with
 * its segment by truncation and recovery, renamed and deleted with it, merged by compaction swaps,
 * and an entry a crash lost is written again when the producer state is replayed from the log
 * ({@link #loadProducerState}). {@link #collectAbortedTransactions} answers read_committed fetches.
 *
 * <p>The log also keeps the partition's leader-epoch history in a {@link LeaderEpochCheckpoint}
 * ({@value LeaderEpochCheckpoint#FILE_NAME}): a batch whose {@code partitionLeaderEpoch} is newer
 * than the latest known epoch records that epoch's start offset before the batch is written; the
 * history is cut with {@link #truncateTo} and moved up with {@link #setLogStartOffset}, cut to the
 * recovered log end by {@link #open}, and rebuilt from the batches there if the file is missing or
 * unreadable. Producer state is not kept here: the partition owning it writes its snapshots when
 * told of a roll ({@link #onRoll}), and hands it to the methods that change it with the log
 * ({@link #appendAsFollower}, {@link #truncateTo(long, ProducerStateManager)},
 * {@link #truncateFullyAndStartAt(long, ProducerStateManager)}); the log only deletes snapshots
 * that describe offsets it no longer holds.
 *
 * <h2>As a follower</h2>
 * A follower replica copies its leader's log: {@link #appendAsFollower} writes fetched batches
 * with the leader's offsets and epochs, {@link #truncateTo} cuts off what diverged from the leader
 * (found with {@link #latestEpoch} and the leader's OffsetForLeaderEpoch answer, checked against
 * {@link #endOffsetForEpoch}), {@link #truncateFullyAndStartAt} starts over when the leader no
 * longer holds the follower's next offset, and {@link #updateHighWatermark} takes the leader's
 * high watermark. docs/durability.md describes what each leaves after a crash.
 */
public final class PartitionLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);

    /** Present only while the log is cleanly closed. */
    public static final String CLEAN_SHUTDOWN_FILE = ".sluice-clean-shutdown";
    static final String CLEANED_SUFFIX = ".cleaned";
    static final String SWAP_SUFFIX = ".swap";
    /** Suffix of a log directory renamed by {@link #deleteAll()}, as Kafka marks one. */
    public static final String DELETE_DIR_SUFFIX = "-delete";
    private static final int MAX_FILE_NAME_BYTES = 255;

    /** The reader-visible end of the log, published in one volatile write after each change. */
    private record LogEnd(long nextOffset, long segmentBaseOffset, int segmentPosition, TimestampOffset activeMax) {
    }

    private final Path dir;
    private final Scheduler scheduler;
    private final InstantSource clock;
    private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    private volatile LogConfig config;
    private volatile LogEnd end;
    private volatile long logStartOffset;
    private volatile long recoveryPoint;
    private volatile long highWatermark;
    private volatile long lastFlushMs;
    private volatile boolean closed;
    private LeaderEpochCheckpoint epochs;
    private final List<LongConsumer> rollListeners = new CopyOnWriteArrayList<>();

    // Writer-only state.
    private LogSegment active;
    private boolean failed;
    private boolean directoryDirty;

    private PartitionLog(Path dir, LogConfig config, Scheduler scheduler, InstantSource clock) {
        this.dir = dir;
        this.config = config;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /** Opens (or creates) the log in {@code dir} with the system clock and no checkpoint. */
    public static PartitionLog open(Path dir, LogConfig config, Scheduler scheduler) {
        return open(dir, config, scheduler, InstantSource.system(), LogCheckpoint.NONE);
    }

    /**
     * Opens the log in {@code dir}, creating the directory and a first segment if there are none,
     * and recovers it as described in the class comment.
     *
     * @param clock the time for segment age ({@code segment.ms}) and flush bookkeeping
     * @param checkpoint what the broker last checkpointed about this log, or {@link LogCheckpoint#NONE}
     * @throws LogStorageException if the files cannot be read or repaired
     */
    public static PartitionLog open(Path dir, LogConfig config, Scheduler scheduler, InstantSource clock,
                                    LogCheckpoint checkpoint) {
        PartitionLog partitionLog = new PartitionLog(dir, config, scheduler, clock);
        try {
            partitionLog.load(checkpoint);
        } catch (IOException | RuntimeException e) {
            partitionLog.closeSegmentsQuietly();
            if (e instanceof IOException io) {
                throw new LogStorageException("cannot open the log in " + dir, io);
            }
            throw (RuntimeException) e;
        }
        return partitionLog;
    }

    private void load(LogCheckpoint checkpoint) throws IOException {
        Files.createDirectories(dir);
        Path marker = dir.resolve(CLEAN_SHUTDOWN_FILE);
        long cleanEndOffset = readCleanShutdownMarker(marker);
        removeLeftovers();
        completeSwaps();
        removeStrayIndexes();

        long now = clock.millis();
        List<Long> baseOffsets = listBaseOffsets();
        long lastBase = baseOffsets.isEmpty() ? -1 : baseOffsets.get(baseOffsets.size() - 1);
        for (long base : baseOffsets) {
            segments.put(base, LogSegment.open(dir, base, config, now, base == lastBase));
        }
        long recoverFrom = recoverFrom(cleanEndOffset >= 0, checkpoint, lastBase);
        List<LogSegment> recovered = new ArrayList<>();
        for (LogSegment segment : List.copyOf(segments.values())) {
            boolean isLast = segment.baseOffset() == lastBase;
            boolean recover = segment.indexesLost() || segment.baseOffset() >= recoverFrom;
            // Older segments open their indexes lazily and check them then (LogSegment#ensureIndexes).
            if (!recover && isLast) {
                try {
                    segment.sanityCheckIndexes();
                } catch (MappedIndex.CorruptIndexException e) {
                    log.warn("Rebuilding the indexes of {}: {}", segment.logFile(), e.getMessage());
                    recover = true;
                }
            }
            if (!recover && isLast) {
                recover = !segment.loadTail() || segment.nextOffset() != cleanEndOffset;
                if (recover) {
                    log.warn("{} was closed cleanly but its last segment does not end as recorded; recovering it", dir);
                }
            }
            if (!recover) {
                continue;
            }
            long truncated = segment.recover();
            recovered.add(segment);
            if (!isLast) {
                segment.makeInactive();
            }
            if (truncated > 0 && !isLast) {
                dropSegmentsAfter(segment);
                break;
            }
        }
        if (segments.isEmpty()) {
            long base = checkpoint.logStartOffset().orElse(0);
            segments.put(base, LogSegment.create(dir, base, config, now));
            directoryDirty = true;
        }
        active = segments.lastEntry().getValue();
        active.makeActive();
        long endOffset = active.nextOffset();
        long firstBase = segments.firstKey();
        long start = Math.max(checkpoint.logStartOffset().orElse(firstBase), firstBase);
        logStartOffset = Math.min(start, endOffset);
        highWatermark = Math.max(logStartOffset, Math.min(checkpoint.highWatermark().orElse(logStartOffset), endOffset));
        publishEnd(endOffset);
        for (LogSegment segment : recovered) {
            segment.flush();
        }
        recoveryPoint = endOffset;
        lastFlushMs = now;
        epochs = loadLeaderEpochs(endOffset);
        Files.deleteIfExists(marker);
        syncDirectory();
        directoryDirty = false;
        log.debug("Opened {}: offsets {} to {}, {} segments, {} recovered", dir, logStartOffset, endOffset,
            segments.size(), recovered.size());
    }

    /** Reads the leader-epoch checkpoint, cut to {@code endOffset}, or rebuilds it from the batches. */
    private LeaderEpochCheckpoint loadLeaderEpochs(long endOffset) throws IOException {
        Optional<LeaderEpochCheckpoint> stored = LeaderEpochCheckpoint.read(dir);
        if (stored.isPresent()) {
            LeaderEpochCheckpoint checkpoint = stored.get();
            checkpoint.truncateFromEnd(endOffset);
            checkpoint.truncateFromStart(logStartOffset);
            return checkpoint;
        }
        if (endOffset == logStartOffset) {
            // Written even though empty: a log that never gets a batch with an epoch must not be
            // scanned for one at every open.
            return LeaderEpochCheckpoint.rebuilt(dir, List.of());
        }
        List<LeaderEpochCheckpoint.Entry> found = new ArrayList<>();
        scanBatches(logStartOffset, batch -> {
            int epoch = batch.partitionLeaderEpoch();
            if (epoch >= 0 && (found.isEmpty() || epoch > found.get(found.size() - 1).epoch())) {
                found.add(new LeaderEpochCheckpoint.Entry(epoch, batch.baseOffset()));
            }
        });
        log.info("Rebuilt the leader-epoch checkpoint of {} from the log: {} epochs", dir, found.size());
        return LeaderEpochCheckpoint.rebuilt(dir, found);
    }

    /**
     * Hands every batch from the one holding {@code from} to the log end offset to
     * {@code visitor}, copied into memory a megabyte or so at a time. For recovery work (rebuilding
     * producer state or epochs), not for serving reads.
     */
    public void scanBatches(long from, Consumer<RecordBatch> visitor) {
        long offset = Math.max(from, logStartOffset);
        long endOffset = end.nextOffset();
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        while (offset < endOffset) {
            Records records = read(offset, buffer.capacity(), endOffset, true).records();
            int size = records.sizeInBytes();
            if (size == 0) {
                break;
            }
            if (size > buffer.capacity()) {
                buffer = ByteBuffer.allocate(size);
            }
            buffer.clear();
            records.writeTo(buffer);
            buffer.flip();
            long next = offset;
            for (RecordBatch batch : MemoryRecords.readableRecords(buffer).completeBatches()) {
                visitor.accept(batch);
                next = batch.nextOffset();
            }
            if (next <= offset) {
                break;
            }
            offset = next;
        }
    }

    /** The log end offset a clean-shutdown marker records, or -1 without a (readable) marker. */
    private static long readCleanShutdownMarker(Path marker) throws IOException {
        if (!Files.exists(marker)) {
            return -1;
        }
        try {
            return Long.parseLong(Files.readString(marker, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            log.warn("Ignoring unreadable clean-shutdown marker {}", marker);
            return -1;
        }
    }

    private long recoverFrom(boolean clean, LogCheckpoint checkpoint, long lastBase) {
        if (clean) {
            return Long.MAX_VALUE;
        }
        if (checkpoint.recoveryPoint().isPresent()) {
            Long floor = segments.floorKey(checkpoint.recoveryPoint().getAsLong());
            return floor == null ? Long.MIN_VALUE : floor;
        }
        return lastBase < 0 ? Long.MAX_VALUE : lastBase;
    }

    private void dropSegmentsAfter(LogSegment segment) throws IOException {
        for (LogSegment later : List.copyOf(segments.tailMap(segment.baseOffset(), false).values())) {
            log.warn("Deleting {}: an earlier segment of {} was cut short by recovery", later.logFile(), dir);
            segments.remove(later.baseOffset());
            later.closeAndDelete();
        }
    }

    private void removeLeftovers() throws IOException {
        for (Path file : listFiles()) {
            String name = file.getFileName().toString();
            if (name.endsWith(LogSegment.DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX)) {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * Finishes a swap a crash interrupted: compaction writes a replacement segment as
     * {@code <base>.log.swap} and only then removes the segments it replaces, so a swap file holds
     * complete data and wins over any segment whose offsets it covers. Its index swap files are
     * dropped and the index rebuilt by recovery.
     */
    private void completeSwaps() throws IOException {
        List<Path> swaps = new ArrayList<>();
        for (Path file : listFiles()) {
            String name = file.getFileName().toString();
            if (name.endsWith(LogSegment.LOG_SUFFIX + SWAP_SUFFIX) && LogSegment.parseBaseOffset(name) >= 0) {
                swaps.add(file);
            } else if (name.endsWith(TransactionIndex.SUFFIX + SWAP_SUFFIX) && Files.exists(LogSegment.withSuffix(
                LogSegment.logFile(dir, LogSegment.parseBaseOffset(name)), SWAP_SUFFIX))) {
                // The merged transaction index of a committed swap: moved in below.
                continue;
            } else if (name.endsWith(SWAP_SUFFIX)) {
                Files.deleteIfExists(file);
            }
        }
        swaps.sort(Comparator.naturalOrder());
        for (Path swap : swaps) {
            long base = LogSegment.parseBaseOffset(swap.getFileName().toString());
            long next = nextOffsetOf(swap, base);
            for (long replaced : listBaseOffsets()) {
                if (replaced >= base && replaced < next || replaced == base) {
                    Files.deleteIfExists(LogSegment.logFile(dir, replaced));
                    Files.deleteIfExists(LogSegment.offsetIndexFile(dir, replaced));
                    Files.deleteIfExists(LogSegment.timeIndexFile(dir, replaced));
                    Files.deleteIfExists(TransactionIndex.file(dir, replaced));
                }
            }
            Files.deleteIfExists(LogSegment.offsetIndexFile(dir, base));
            Files.deleteIfExists(LogSegment.timeIndexFile(dir, base));
            Path txnSwap = LogSegment.withSuffix(TransactionIndex.file(dir, base), SWAP_SUFFIX);
            if (Files.exists(txnSwap)) {
                Files.move(txnSwap, TransactionIndex.file(dir, base), StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(swap, LogSegment.logFile(dir, base), StandardCopyOption.ATOMIC_MOVE);
            log.warn("Completed the interrupted swap of {} (offsets {} to {})", swap, base, next);
        }
    }

    private static long nextOffsetOf(Path file, long base) throws IOException {
        long next = base;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            BatchScanner scanner = new BatchScanner(channel, 0, (int) Math.min(channel.size(), Integer.MAX_VALUE));
            while (scanner.next()) {
                next = scanner.lastOffset() + 1;
            }
        } catch (BatchScanner.CorruptBatchHeaderException e) {
            log.warn("{} ends in a corrupt batch; recovery will cut it", file);
        }
        return next;
    }

    private void removeStrayIndexes() throws IOException {
        for (Path file : listFiles()) {
            String name = file.getFileName().toString();
            long base = LogSegment.parseBaseOffset(name);
            boolean index = name.endsWith(LogSegment.INDEX_SUFFIX) || name.endsWith(LogSegment.TIME_INDEX_SUFFIX)
                || name.endsWith(TransactionIndex.SUFFIX);
            if (index && base >= 0 && !Files.exists(LogSegment.logFile(dir, base))) {
                log.info("Deleting {}, an index without a log", file);
                Files.deleteIfExists(file);
            }
        }
    }

    private List<Long> listBaseOffsets() throws IOException {
        List<Long> bases = new ArrayList<>();
        for (Path file : listFiles()) {
            String name = file.getFileName().toString();
            long base = LogSegment.parseBaseOffset(name);
            if (base >= 0 && name.endsWith(LogSegment.LOG_SUFFIX)) {
                bases.add(base);
            }
        }
        bases.sort(Comparator.naturalOrder());
        return bases;
    }

    private List<Path> listFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path file : stream) {
                if (Files.isRegularFile(file)) {
                    files.add(file);
                }
            }
        }
        return files;
    }

    private void publishEnd(long nextOffset) {
        end = new LogEnd(nextOffset, active.baseOffset(), active.size(), active.maxTimestampSoFar());
    }

    /**
     * Appends batches the caller has validated and assigned offsets to, writing their bytes as
     * they are. The active segment is rolled first if the append would take it past
     * {@code segment.bytes}, it is older than {@code segment.ms} (less jitter), or an index is
     * full; the log is flushed if {@code flush.messages} messages are then unflushed.
     *
     * @param records one or more v2 batches; the first's base offset must be {@link #logEndOffset()}
     *     and each later batch must start after the one before
     * @throws IllegalArgumentException if the offsets do not follow on, there are no batches, or
     *     they are larger than {@code segment.bytes}
     * @throws dev.sluice.wire.record.CorruptRecordException if the batch framing is broken
     * @throws LogStorageException if the write fails; the log then takes no more writes
     */
    public AppendResult append(MemoryRecords records) {
        ensureWritable();
        long expected = end.nextOffset();
        long firstOffset = -1;
        long lastOffset = -1;
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        long offsetOfMaxTimestamp = -1;
        for (RecordBatch batch : records.batches()) {
            if (firstOffset < 0 && batch.baseOffset() != expected) {
                throw new IllegalArgumentException("first batch starts at offset " + batch.baseOffset()
                    + " but the log ends at " + expected + " in " + dir);
            }
            if (batch.baseOffset() < expected || batch.lastOffset() < batch.baseOffset()) {
                throw new IllegalArgumentException("batch with offsets " + batch.baseOffset() + "-"
                    + batch.lastOffset() + " does not follow offset " + (expected - 1) + " in " + dir);
            }
            if (firstOffset < 0) {
                firstOffset = batch.baseOffset();
            }
            if (batch.maxTimestamp() > maxTimestamp) {
                maxTimestamp = batch.maxTimestamp();
                offsetOfMaxTimestamp = batch.lastOffset();
            }
            lastOffset = batch.lastOffset();
            expected = lastOffset + 1;
        }
        if (firstOffset < 0) {
            throw new IllegalArgumentException("nothing to append: no record batches");
        }
        int size = records.sizeInBytes();
        if (size > config.segmentBytes()) {
            throw new IllegalArgumentException(size + " bytes of batches cannot fit in a segment of segment.bytes="
                + config.segmentBytes());
        }
        return write(records, firstOffset, lastOffset, maxTimestamp, offsetOfMaxTimestamp);
    }

    /**
     * Writer only: writes batches whose offsets were checked to come after the log end and whose
     * bytes fit in a segment, rolling first if the active segment is due, recording new leader
     * epochs, and flushing as {@code flush.messages} asks.
     */
    private AppendResult write(MemoryRecords records, long firstOffset, long lastOffset, long maxTimestamp,
                               long offsetOfMaxTimestamp) {
        int size = records.sizeInBytes();
        LogConfig current = config;
        if (lastOffset - firstOffset > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offsets " + firstOffset + "-" + lastOffset + " span too many offsets"
                + " for one segment");
        }
        try {
            long now = clock.millis();
            if (active.shouldRoll(current, size, lastOffset, now)) {
                rollAt(now, firstOffset);
            }
            if (lastOffset - active.baseOffset() > Integer.MAX_VALUE) {
                // Only a follower's batches can start so far past an empty active segment (a compacted gap).
                throw new IllegalArgumentException("offset " + lastOffset + " is too far past the base offset "
                    + active.baseOffset() + " of the active segment of " + dir);
            }
            for (RecordBatch batch : records.batches()) {
                epochs.assign(batch.partitionLeaderEpoch(), batch.baseOffset());
            }
            int position = active.size();
            active.append(records);
            publishEnd(lastOffset + 1);
            if (lastOffset + 1 - recoveryPoint >= current.flushIntervalMessages()) {
                flushInternal();
            }
            return new AppendResult(firstOffset, lastOffset, maxTimestamp, offsetOfMaxTimestamp, logStartOffset,
                active.baseOffset(), position, size);
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot append to " + active.logFile(), e);
        }
    }

    /**
     * Writer only: appends batches fetched from the partition's leader exactly as the leader wrote
     * them: offsets, partition leader epochs, timestamps, compression and producer ids, epochs and
     * sequences are kept; nothing is assigned, recompressed or validated again beyond integrity.
     *
     * <ul>
     *   <li>Integrity: each batch's framing (magic 2, lengths) and CRC; a last offset not below
     *       its base offset. A partial batch at the end (a leader may cut a fetch response inside
     *       its last batch) is left out, as Kafka's follower does; the next fetch starts at the new
     *       log end and gets it whole.</li>
     *   <li>Offsets: the first batch must start at or after the log end offset and each batch
     *       after the one before; otherwise {@link UnexpectedAppendOffsetException} and nothing is
     *       written. A batch that starts <em>past</em> where the last one ended is accepted, as
     *       Kafka's follower accepts it: a compacted leader's log has such gaps (whole batches
     *       removed), and the follower must copy it as it is. The log end offset then jumps over
     *       the gap, and a segment rolled there starts at the batch's base offset.</li>
     *   <li>The leader-epoch history takes each batch's {@code partitionLeaderEpoch} that is newer
     *       than the latest known, starting at that batch's base offset, before the batch is
     *       written.</li>
     *   <li>{@code producers} is updated with every batch after it is written (sequence and epoch
     *       tracking as on the leader path, without its OUT_OF_ORDER_SEQUENCE_NUMBER or epoch
     *       checks: the leader made those), so that this replica, once leader, recognises a
     *       producer's retry exactly as the old leader would have.</li>
     *   <li>Segments roll, indexes are built and {@code flush.messages} applies as for
     *       {@link #append}. Records larger than a segment are written in several appends, each
     *       batch whole in one segment, so a roll can fall between them.</li>
     * </ul>
     * The high watermark is not moved here; the caller sets the leader's with
     * {@link #updateHighWatermark}.
     *
     * @return what was written, or empty if {@code records} held no complete batch
     * @throws CorruptRecordException if a batch's framing or CRC is broken; nothing is written
     * @throws UnexpectedAppendOffsetException if the offsets overlap the log or go backwards;
     *     nothing is written
     * @throws IllegalArgumentException if one batch is larger than {@code segment.bytes}
     * @throws LogStorageException if the write fails; the log then takes no more writes
     */
    public Optional<AppendResult> appendAsFollower(MemoryRecords records, ProducerStateManager producers) {
        ensureWritable();
        List<RecordBatch> batches = new ArrayList<>();
        long expected = end.nextOffset();
        int segmentBytes = config.segmentBytes();
        for (RecordBatch batch : records.completeBatches()) {
            batch.ensureValid();
            long base = batch.baseOffset();
            long last = batch.lastOffset();
            if (batch.lastOffsetDelta() < 0) {
                throw new CorruptRecordException("record batch at offset " + base + " has a negative last offset delta "
                    + batch.lastOffsetDelta());
            }
            if (base < expected) {
                String what = batches.isEmpty() ? "starts below the log end offset " + expected
                    : "does not follow the batch before it, which ended at offset " + (expected - 1);
                throw new UnexpectedAppendOffsetException("the batch with offsets " + base + "-" + last + " fetched for "
                    + dir + " " + what, base, last, expected);
            }
            if (batch.sizeInBytes() > segmentBytes) {
                throw new IllegalArgumentException("a batch of " + batch.sizeInBytes() + " bytes at offset " + base
                    + " cannot fit in a segment of segment.bytes=" + segmentBytes);
            }
            batches.add(batch);
            expected = last + 1;
        }
        if (batches.isEmpty()) {
            return Optional.empty();
        }
        ByteBuffer bytes = records.buffer();
        AppendResult first = null;
        AppendResult last = null;
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        long offsetOfMaxTimestamp = -1;
        int from = 0;
        int chunkStart = 0;
        int chunkEnd = 0;
        for (int i = 0; i <= batches.size(); i++) {
            int size = i < batches.size() ? batches.get(i).sizeInBytes() : 0;
            if (i == batches.size() || chunkEnd - chunkStart + size > segmentBytes) {
                AppendResult written = writeFollowerChunk(bytes, chunkStart, chunkEnd, batches.subList(from, i),
                    producers);
                first = first == null ? written : first;
                last = written;
                if (written.maxTimestamp() > maxTimestamp) {
                    maxTimestamp = written.maxTimestamp();
                    offsetOfMaxTimestamp = written.offsetOfMaxTimestamp();
                }
                from = i;
                chunkStart = chunkEnd;
            }
            chunkEnd += size;
        }
        return Optional.of(new AppendResult(first.firstOffset(), last.lastOffset(), maxTimestamp, offsetOfMaxTimestamp,
            logStartOffset, first.segmentBaseOffset(), first.position(), chunkEnd));
    }

    /** Writes the checked batches between byte {@code start} and {@code end} of {@code bytes}, then tells {@code producers}. */
    private AppendResult writeFollowerChunk(ByteBuffer bytes, int start, int end, List<RecordBatch> chunk,
                                            ProducerStateManager producers) {
        MemoryRecords records = MemoryRecords.readableRecords(bytes.duplicate().limit(end).position(start));
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        long offsetOfMaxTimestamp = -1;
        for (RecordBatch batch : chunk) {
            if (batch.maxTimestamp() > maxTimestamp) {
                maxTimestamp = batch.maxTimestamp();
                offsetOfMaxTimestamp = batch.lastOffset();
            }
        }
        AppendResult result = write(records, chunk.get(0).baseOffset(), chunk.get(chunk.size() - 1).lastOffset(),
            maxTimestamp, offsetOfMaxTimestamp);
        for (RecordBatch batch : chunk) {
            updateProducerState(producers, batch);
        }
        return result;
    }

    /**
     * Writer only: tells {@code producers} of {@code batch}, just appended (or read back while the
     * state is replayed), and records the transaction an ABORT marker ended in the transaction
     * index of the segment holding the marker, unless it is there already.
     *
     * @return the transaction the batch ended, if it is a COMMIT or ABORT marker
     */
    public Optional<ProducerStateManager.CompletedTxn> updateProducerState(ProducerStateManager producers,
                                                                           RecordBatch batch) {
        Optional<ProducerStateManager.CompletedTxn> completed = producers.update(batch);
        if (completed.isPresent() && completed.get().aborted()) {
            AbortedTxn aborted = producers.abortedTxn(completed.get());
            Map.Entry<Long, LogSegment> holder = segments.floorEntry(aborted.lastOffset());
            if (holder != null) {
                try {
                    holder.getValue().txnIndex().appendIfNewer(aborted);
                } catch (IOException e) {
                    failed = true;
                    throw new LogStorageException("cannot write the transaction index of " + dir, e);
                }
            }
        }
        return completed;
    }

    /**
     * The aborted transactions a read_committed fetch from {@code fetchOffset} must be told of to
     * read up to {@code upperBoundOffset} (exclusive): every one whose marker is at or after
     * {@code fetchOffset} and whose first offset is below {@code upperBoundOffset}, in marker
     * order. The segment holding {@code fetchOffset} is searched first, then the later ones (a
     * marker may lie far past its data), until an entry shows by its last stable offset that no
     * transaction open below {@code upperBoundOffset} was still undecided when it was written.
     * Any thread.
     */
    public List<AbortedTxn> collectAbortedTransactions(long fetchOffset, long upperBoundOffset) {
        List<AbortedTxn> out = new ArrayList<>();
        Long from = segments.floorKey(fetchOffset);
        for (LogSegment segment : (from == null ? segments : segments.tailMap(from, true)).values()) {
            if (TransactionIndex.collect(segment.txnIndex().entries(), fetchOffset, upperBoundOffset, out)) {
                break;
            }
        }
        return out;
    }

    /**
     * Reads whole batches from {@code fetchOffset} on, as Fetch needs them.
     *
     * <ul>
     *   <li>If {@code fetchOffset} lies inside a batch the whole batch is returned, from its start.</li>
     *   <li>Batches are added while their total stays within {@code maxBytes}; with
     *       {@code minOneBatch} the first batch is returned even if it alone is larger (KIP-74).</li>
     *   <li>No batch holding an offset at or above {@code maxOffsetExclusive} (the high watermark
     *       or last stable offset) is returned.</li>
     *   <li>Batches come from one segment; the read moves on to the next segment only when the
     *       first has nothing at or after {@code fetchOffset}.</li>
     * </ul>
     *
     * @return no records if {@code fetchOffset} is the log end offset or nothing may be returned
     * @throws OffsetOutOfRangeException if {@code fetchOffset} is below the log start offset or
     *     above the log end offset
     * @throws LogStorageException if a segment file cannot be read
     */
    public LogReadResult read(long fetchOffset, int maxBytes, long maxOffsetExclusive, boolean minOneBatch) {
        LogEnd snapshot = end;
        long start = logStartOffset;
        if (fetchOffset < start || fetchOffset > snapshot.nextOffset()) {
            throw new OffsetOutOfRangeException(fetchOffset, start, snapshot.nextOffset());
        }
        if (fetchOffset == snapshot.nextOffset() || fetchOffset >= maxOffsetExclusive) {
            return new LogReadResult(MemoryRecords.EMPTY, start, snapshot.nextOffset());
        }
        long offsetLimit = maxOffsetExclusive >= snapshot.nextOffset() ? Long.MAX_VALUE : maxOffsetExclusive;
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(fetchOffset);
        if (entry == null) {
            // Segments below the start were deleted after the range check.
            throw new OffsetOutOfRangeException(fetchOffset, logStartOffset, snapshot.nextOffset());
        }
        try {
            while (entry != null && entry.getKey() <= snapshot.segmentBaseOffset()) {
                LogSegment segment = entry.getValue();
                Optional<FileRecords> found = segment.read(fetchOffset, maxBytes, offsetLimit,
                    visibleSize(segment, snapshot), minOneBatch);
                if (found.isPresent()) {
                    FileRecords records = found.get();
                    return new LogReadResult(records.sizeInBytes() == 0 ? MemoryRecords.EMPTY : records, start,
                        snapshot.nextOffset());
                }
                entry = segments.higherEntry(entry.getKey());
            }
        } catch (ClosedChannelException e) {
            throw new SegmentClosedException("a segment of " + dir + " was closed during a read at offset "
                + fetchOffset, e);
        } catch (IOException e) {
            throw new LogStorageException("cannot read " + dir + " at offset " + fetchOffset, e);
        }
        return new LogReadResult(MemoryRecords.EMPTY, start, snapshot.nextOffset());
    }

    /** Bytes of {@code segment} a reader holding {@code snapshot} may see. */
    private static int visibleSize(LogSegment segment, LogEnd snapshot) {
        long base = segment.baseOffset();
        if (base == snapshot.segmentBaseOffset()) {
            return snapshot.segmentPosition();
        }
        return base < snapshot.segmentBaseOffset() ? segment.size() : 0;
    }

    private static TimestampOffset visibleMax(LogSegment segment, LogEnd snapshot) {
        return segment.baseOffset() == snapshot.segmentBaseOffset() ? snapshot.activeMax()
            : segment.maxTimestampSoFar();
    }

    /**
     * ListOffsets by timestamp: the first record, at or after the log start offset, whose
     * timestamp is at least {@code timestamp}. Batches are found by their max timestamp through
     * the time index; the record is then found by reading that batch's records.
     *
     * @return empty if no record has such a timestamp
     */
    public Optional<TimestampAndOffset> offsetForTimestamp(long timestamp) {
        LogEnd snapshot = end;
        long start = logStartOffset;
        Long from = segments.floorKey(start);
        NavigableMap<Long, LogSegment> candidates = from == null ? segments : segments.tailMap(from, true);
        try {
            for (LogSegment segment : candidates.values()) {
                if (segment.baseOffset() > snapshot.segmentBaseOffset()) {
                    break;
                }
                if (visibleMax(segment, snapshot).timestamp() < timestamp) {
                    continue;
                }
                Optional<TimestampAndOffset> found = segment.findOffsetByTimestamp(timestamp, start,
                    visibleSize(segment, snapshot), snapshot.nextOffset(), config.maxDecompressedBatchBytes());
                if (found.isPresent()) {
                    return found;
                }
            }
        } catch (IOException e) {
            throw new LogStorageException("cannot search " + dir + " for timestamp " + timestamp, e);
        }
        return Optional.empty();
    }

    /**
     * ListOffsets MAX_TIMESTAMP: the record with the largest timestamp (the first, if several
     * share it) and its offset.
     *
     * @return empty if the log has no records with a timestamp
     */
    public Optional<TimestampAndOffset> maxTimestampAndOffset() {
        LogEnd snapshot = end;
        LogSegment best = null;
        TimestampOffset bestMax = TimestampOffset.NONE;
        for (LogSegment segment : segments.headMap(snapshot.segmentBaseOffset(), true).values()) {
            TimestampOffset max = visibleMax(segment, snapshot);
            if (max.timestamp() > bestMax.timestamp()) {
                best = segment;
                bestMax = max;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        try {
            return best.recordWithTimestamp(bestMax.offset(), bestMax.timestamp(), visibleSize(best, snapshot),
                config.maxDecompressedBatchBytes());
        } catch (IOException e) {
            throw new LogStorageException("cannot read the max timestamp record of " + dir, e);
        }
    }

    /**
     * Writer only: registers {@code listener} to be told, on the writer thread, the base offset of
     * each new active segment right after a roll and before the batch that caused it is written.
     * It must be quick; an exception from it fails the append.
     */
    public void onRoll(LongConsumer listener) {
        rollListeners.add(listener);
    }

    /** The leader-epoch history; readable from any thread. */
    public LeaderEpochCheckpoint leaderEpochs() {
        return epochs;
    }

    /**
     * Writer only: a new leader's epoch starts at the log end offset (as a leader records on
     * election, before it appends). An epoch not newer than the latest known changes nothing.
     */
    public void assignLeaderEpoch(int epoch) {
        ensureWritable();
        try {
            epochs.assign(epoch, end.nextOffset());
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot write the leader-epoch checkpoint of " + dir, e);
        }
    }

    /**
     * The latest leader epoch that wrote to this log (or that a leader assigned at its log end),
     * which a follower sends in OffsetForLeaderEpoch to learn where it diverged; empty if none is
     * known. Readable from any thread.
     */
    public OptionalInt latestEpoch() {
        return epochs.latestEpoch();
    }

    /** OffsetForLeaderEpoch against this log; see {@link LeaderEpochCheckpoint#endOffsetFor}. */
    public LeaderEpochCheckpoint.EpochEnd endOffsetForEpoch(int requestedEpoch) {
        return epochs.endOffsetFor(requestedEpoch, end.nextOffset());
    }

    /** The first offset a consumer may read. */
    public long logStartOffset() {
        return logStartOffset;
    }

    /** The offset the next append gets. */
    public long logEndOffset() {
        return end.nextOffset();
    }

    /**
     * The high watermark: offsets below it are committed (held by every in-sync replica), what
     * {@code replication-offset-checkpoint} records and consumers may read up to. Always within
     * [log start offset, log end offset]. Readable from any thread.
     */
    public long highWatermark() {
        return highWatermark;
    }

    /**
     * Writer only: sets the high watermark to {@code offset}, held within [log start offset, log
     * end offset]. A follower calls it with the high watermark of each fetch response from its
     * leader, which may be ahead of what the follower holds yet (hence the bound, as in Kafka);
     * a leader with the lowest log end offset of its in-sync replicas. Truncation lowers it
     * itself.
     *
     * @return the high watermark now
     */
    public long updateHighWatermark(long offset) {
        long bounded = Math.max(logStartOffset, Math.min(offset, end.nextOffset()));
        highWatermark = bounded;
        return bounded;
    }

    /** Every offset below this has been flushed to disk; what a recovery-point checkpoint records. */
    public long recoveryPoint() {
        return recoveryPoint;
    }

    /** When the log was last flushed ({@link InstantSource#millis()}), for a {@code flush.ms} scheduler. */
    public long lastFlushMs() {
        return lastFlushMs;
    }

    public Path dir() {
        return dir;
    }

    public LogConfig config() {
        return config;
    }

    /** Bytes of all segments. */
    public long size() {
        long total = 0;
        for (LogSegment segment : segments.values()) {
            total += segment.size();
        }
        return total;
    }

    /** The segments, oldest first (for this package's tests and tools). */
    List<LogSegment> segmentList() {
        return List.copyOf(segments.values());
    }

    /**
     * A rolled (inactive) segment and its files, for copying to the cold tier.
     *
     * @param nextOffset one past the segment's last offset (the next segment's base offset)
     */
    public record RolledSegment(long baseOffset, long nextOffset, int size, long maxTimestamp, Path logFile,
                                Path offsetIndexFile, Path timeIndexFile) {
        /** Its transaction index, which exists only if an ABORT marker lies in the segment. */
        public Path txnIndexFile() {
            return TransactionIndex.file(logFile.getParent(), baseOffset);
        }
    }

    /**
     * The rolled segments holding only offsets below {@code maxOffsetExclusive}, oldest first. Their
     * files do not change any more, so they can be read from any thread until retention deletes
     * them (a reader then sees {@link java.nio.file.NoSuchFileException} and tries later).
     */
    public List<RolledSegment> rolledSegments(long maxOffsetExclusive) {
        List<RolledSegment> out = new ArrayList<>();
        for (Map.Entry<Long, LogSegment> e : segments.entrySet()) {
            Long nextBase = segments.higherKey(e.getKey());
            if (nextBase == null || nextBase > maxOffsetExclusive) {
                break;
            }
            LogSegment segment = e.getValue();
            out.add(new RolledSegment(segment.baseOffset(), nextBase, segment.size(),
                segment.maxTimestampSoFar().timestamp(), segment.logFile(),
                LogSegment.offsetIndexFile(dir, segment.baseOffset()), LogSegment.timeIndexFile(dir, segment.baseOffset())));
        }
        return out;
    }

    public int segmentCount() {
        return segments.size();
    }

    /** Base offsets of the segments, in order. */
    public List<Long> segmentBaseOffsets() {
        return List.copyOf(segments.keySet());
    }

    /** Writer only: takes a new config; index sizes and jitter apply to segments created from now on. */
    public void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
    }

    /**
     * Moves the log start offset up (DeleteRecords) and deletes the segments wholly below it. The
     * active segment is kept even if all of it is below. A lower offset than the current start is
     * ignored.
     *
     * @throws OffsetOutOfRangeException if {@code offset} is past the log end offset
     */
    public void setLogStartOffset(long offset) {
        ensureWritable();
        long endOffset = end.nextOffset();
        if (offset > endOffset) {
            throw new OffsetOutOfRangeException(offset, logStartOffset, endOffset);
        }
        if (offset <= logStartOffset) {
            return;
        }
        logStartOffset = offset;
        highWatermark = Math.max(highWatermark, offset);
        try {
            epochs.truncateFromStart(offset);
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot write the leader-epoch checkpoint of " + dir, e);
        }
        List<LogSegment> deletable = new ArrayList<>();
        for (Map.Entry<Long, LogSegment> entry : segments.entrySet()) {
            Long nextBase = segments.higherKey(entry.getKey());
            if (nextBase == null || nextBase > offset) {
                break;
            }
            deletable.add(entry.getValue());
        }
        deleteSegments(deletable);
    }

    /**
     * Writer only: enforces {@code retention.ms} and {@code retention.bytes} by deleting whole
     * segments from the oldest on, if {@code cleanup.policy} contains {@code delete}. A segment goes
     * while it is past either limit:
     * <ul>
     *   <li>time: its largest timestamp (or, with no timestamps, its file's modification time) is
     *       more than {@code retention.ms} before the log's clock; -1 keeps data forever;</li>
     *   <li>size: the log without it would still hold at least {@code retention.bytes}; -1 sets no
     *       limit.</li>
     * </ul>
     * The first segment that is within both limits stops the walk, so the log keeps a contiguous
     * tail. A segment holding any offset at or above {@code maxOffsetExclusive} (the high
     * watermark) is never deleted. If the active segment qualifies too, the log rolls first, so
     * the log start offset moves to the log end offset and an empty segment remains. Files are
     * renamed {@code .deleted} and removed after {@code file.delete.delay.ms}.
     *
     * @return how many segments were deleted
     * @throws LogStorageException if a roll or rename fails; the log then takes no more writes
     */
    public int deleteRetainedSegments(long maxOffsetExclusive) {
        LogConfig current = config;
        return deleteRetainedSegments(maxOffsetExclusive, current.retentionMs(), current.retentionBytes());
    }

    /**
     * Writer only: {@link #deleteRetainedSegments(long)} with other limits: a tiered log's local
     * retention ({@code local.retention.ms} and {@code .bytes}), with {@code maxOffsetExclusive}
     * no higher than the end of what the cold tier holds.
     */
    public int deleteRetainedSegments(long maxOffsetExclusive, long retentionMs, long retentionBytes) {
        ensureWritable();
        LogConfig current = config;
        if (!current.delete() || retentionMs < 0 && retentionBytes < 0) {
            return 0;
        }
        long now = clock.millis();
        long excess = retentionBytes < 0 ? -1 : size() - retentionBytes;
        long endOffset = end.nextOffset();
        List<LogSegment> doomed = new ArrayList<>();
        try {
            for (LogSegment segment : segments.values()) {
                Long nextBase = segments.higherKey(segment.baseOffset());
                long upper = nextBase == null ? endOffset : nextBase;
                if (upper > maxOffsetExclusive || segment.size() == 0) {
                    break;
                }
                boolean byTime = retentionMs >= 0 && now - largestTimestamp(segment) > retentionMs;
                boolean bySize = excess >= 0 && excess - segment.size() >= 0;
                if (!byTime && !bySize) {
                    break;
                }
                excess -= segment.size();
                doomed.add(segment);
            }
            if (doomed.isEmpty()) {
                return 0;
            }
            if (doomed.get(doomed.size() - 1) == active) {
                rollAt(now, end.nextOffset());
            }
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot apply retention to " + dir, e);
        }
        long newStart = segments.higherKey(doomed.get(doomed.size() - 1).baseOffset());
        if (newStart > logStartOffset) {
            logStartOffset = newStart;
            highWatermark = Math.max(highWatermark, newStart);
        }
        deleteSegments(doomed);
        log.info("Retention deleted {} segments of {}; the log now starts at offset {}", doomed.size(), dir,
            logStartOffset);
        return doomed.size();
    }

    private static long largestTimestamp(LogSegment segment) throws IOException {
        long max = segment.maxTimestampSoFar().timestamp();
        return max >= 0 ? max : Files.getLastModifiedTime(segment.logFile()).toMillis();
    }

    /** Rolls a new active segment at the log end offset, unless the active segment is empty. */
    public void roll() {
        ensureWritable();
        try {
            rollAt(clock.millis(), end.nextOffset());
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot roll " + dir, e);
        }
    }

    /**
     * Starts a new active segment at {@code next}: the log end offset, or, for a follower's batch
     * that starts past it (offsets a compacted leader no longer holds), that batch's base offset.
     */
    private void rollAt(long now, long next) throws IOException {
        if (active.size() == 0) {
            return;
        }
        active.makeInactive();
        LogSegment segment = LogSegment.create(dir, next, config, now);
        segments.put(next, segment);
        active = segment;
        directoryDirty = true;
        publishEnd(next);
        log.debug("Rolled {} at offset {}", dir, next);
        for (LongConsumer listener : rollListeners) {
            listener.accept(next);
        }
    }

    /**
     * Writer only: removes every offset at and above {@code offset}, as a follower does when it
     * diverged from its leader. A batch holding {@code offset} is removed whole, so the log end
     * offset becomes the start of that batch. Truncating below the log start offset empties the
     * log and starts it again at {@code offset} ({@link #truncateFullyAndStartAt}). The
     * leader-epoch history loses the epochs that start at or after the new end, the high watermark
     * and recovery point come down to it, and producer-state snapshots above it are deleted; the
     * producer state itself belongs to the caller (see {@link #truncateTo(long, ProducerStateManager)}).
     *
     * <p>Crash safety: the steps are ordered so that a crash after any of them leaves, at the next
     * {@link #open}, a log that is a prefix of the one before truncation and at least
     * {@code offset} long, with every derived file consistent with it: (1) producer snapshots
     * above {@code offset} are deleted; (2) the later segments are renamed {@code .deleted},
     * newest first, so no gap can open; (3) the segment holding {@code offset} is cut (its
     * indexes, then its file) and forced to disk with the directory; (4) the leader-epoch
     * checkpoint is rewritten. Open deletes {@code .deleted} files, recovers the last segment
     * (a cut that the indexes got ahead of is rebuilt), cuts the epochs to the recovered end and
     * the owner's producer-state load drops snapshots above it. A log left longer than asked is
     * still a log the leader wrote; the follower truncates again when it next learns where it
     * diverged. At or past the log end nothing is removed, but the epochs that begin at the log
     * end, with no record under them, are forgotten.
     *
     * @return whether anything was removed
     */
    public boolean truncateTo(long offset) {
        ensureWritable();
        if (offset < 0) {
            throw new IllegalArgumentException("cannot truncate to negative offset " + offset);
        }
        if (offset >= end.nextOffset()) {
            // No record to cut. But an epoch this log began at its end without a record written
            // under it (the replica led for a moment) must go: kept, it would still be this log's
            // latest epoch, which the leader does not know, and the follower would be told where
            // it diverged again and again without anything to cut.
            try {
                epochs.truncateFromEnd(end.nextOffset());
            } catch (IOException e) {
                failed = true;
                throw new LogStorageException("cannot write the leader-epoch checkpoint of " + dir, e);
            }
            return false;
        }
        try {
            if (offset < logStartOffset) {
                truncateFullyAndStartAtInternal(offset);
                return true;
            }
            ProducerStateManager.deleteSnapshotsAbove(dir, offset);
            long keepBase = segments.floorKey(offset);
            List<LogSegment> removed = new ArrayList<>(segments.tailMap(keepBase, false).values());
            renameNewestFirst(removed);
            LogSegment keep = segments.get(keepBase);
            keep.truncateTo(offset);
            if (keep != active) {
                keep.makeActive();
                active = keep;
            }
            keep.flush();
            syncDirectory();
            directoryDirty = false;
            long endOffset = keep.nextOffset();
            publishEnd(endOffset);
            epochs.truncateFromEnd(endOffset);
            logStartOffset = Math.min(logStartOffset, endOffset);
            recoveryPoint = Math.min(recoveryPoint, endOffset);
            highWatermark = Math.min(highWatermark, endOffset);
            scheduleFileDeletion(removed);
            log.info("Truncated {} to offset {}", dir, endOffset);
            return true;
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot truncate " + dir + " to offset " + offset, e);
        }
    }

    /**
     * Writer only: {@link #truncateTo(long)}, then {@code producers}, the idempotent-producer state
     * kept for this log, rebuilt for the shorter log ({@link #loadProducerState}), so that a retry
     * of a batch that was cut away is appended again and a retry of one still in the log is a
     * duplicate.
     *
     * @return whether anything was removed (the producer state is left alone if not)
     */
    public boolean truncateTo(long offset, ProducerStateManager producers) {
        if (!truncateTo(offset)) {
            return false;
        }
        loadProducerState(producers);
        return true;
    }

    /**
     * Writer only: throws the whole log away and starts it again, empty, at {@code offset}, which
     * becomes its start and end offset and its high watermark: what a follower does when the
     * offset it would fetch from is below its leader's log start offset, and what truncating
     * below the log start does. {@code offset} may be above the current log end. The
     * leader-epoch history is emptied and every producer-state snapshot deleted.
     *
     * <p>Crash safety: snapshots go first (a crash then leaves the old log, whose producer state
     * is rebuilt by reading it), then the segments are renamed {@code .deleted} newest first (a
     * crash leaves a prefix of the old log), then the epochs are cleared and the new segment is
     * created and synced with the directory. A crash before the end therefore leaves the old log,
     * a prefix of it, or an empty log, each consistent; the follower's next fetch finds it out of
     * the leader's range again and starts over.
     */
    public void truncateFullyAndStartAt(long offset) {
        ensureWritable();
        if (offset < 0) {
            throw new IllegalArgumentException("cannot start the log at negative offset " + offset);
        }
        try {
            truncateFullyAndStartAtInternal(offset);
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot empty " + dir + " and start it at offset " + offset, e);
        }
    }

    /** Writer only: {@link #truncateFullyAndStartAt(long)}, and {@code producers} forgets every producer. */
    public void truncateFullyAndStartAt(long offset, ProducerStateManager producers) {
        truncateFullyAndStartAt(offset);
        producers.clear();
    }

    /**
     * Writer only: after {@link #truncateFullyAndStartAt(long)}, the leader-epoch history of the
     * offsets below the new start, as another copy of the log recorded it (the cold tier's, for a
     * follower that starts again at its leader's local log start). Epochs starting at or after the
     * log end are left out: this log has not seen them yet.
     */
    public void restoreLeaderEpochs(List<LeaderEpochCheckpoint.Entry> history) {
        ensureWritable();
        long endOffset = end.nextOffset();
        try {
            epochs.replace(history.stream().filter(e -> e.startOffset() < endOffset).toList());
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot write the leader-epoch checkpoint of " + dir, e);
        }
    }

    private void truncateFullyAndStartAtInternal(long offset) throws IOException {
        ProducerStateManager.deleteSnapshotsAbove(dir, -1);
        List<LogSegment> removed = new ArrayList<>(segments.values());
        renameNewestFirst(removed);
        epochs.clear();
        LogSegment segment = LogSegment.create(dir, offset, config, clock.millis());
        segments.put(offset, segment);
        active = segment;
        syncDirectory();
        directoryDirty = false;
        logStartOffset = offset;
        publishEnd(offset);
        recoveryPoint = offset;
        highWatermark = offset;
        scheduleFileDeletion(removed);
        log.info("Emptied {}; it starts again at offset {}", dir, offset);
    }

    /**
     * Writer only: takes {@code doomed} (segments at the end of the log, in offset order) out of
     * the log and renames their files {@code .deleted}, the newest first, so that a crash part-way
     * leaves the log a prefix of what it was, never a log with a hole.
     */
    private void renameNewestFirst(List<LogSegment> doomed) throws IOException {
        for (int i = doomed.size() - 1; i >= 0; i--) {
            LogSegment segment = doomed.get(i);
            segments.remove(segment.baseOffset());
            segment.renameToDeleted();
            directoryDirty = true;
        }
    }

    /**
     * Writer only: rebuilds {@code producers} (the idempotent-producer state kept for this log) for
     * the log as it is now: the newest readable snapshot at or below the log end offset, then the
     * batches after it; without one, every batch from the log start. Snapshots above the log end
     * are deleted. The cost is reading the log from that snapshot on: snapshots are written at
     * each roll, so after a truncation usually just the segment that was cut, up to the cut; with
     * no snapshot, the whole local log, headers only but every byte read. Replayed ABORT markers
     * whose transaction-index entry a crash lost get it back.
     */
    public void loadProducerState(ProducerStateManager producers) {
        long from = logStartOffset;
        try {
            OptionalLong snapshot = producers.loadSnapshot(dir, end.nextOffset());
            if (snapshot.isPresent()) {
                from = Math.max(from, snapshot.getAsLong());
            }
        } catch (IOException e) {
            log.warn("Cannot read the producer-state snapshots of {}; rebuilding from the whole log: {}", dir,
                e.toString());
            producers.clear();
        }
        scanBatches(from, batch -> updateProducerState(producers, batch));
    }

    /** Writer only: takes segments out of the log and schedules their files' removal. */
    private void deleteSegments(List<LogSegment> doomed) {
        if (doomed.isEmpty()) {
            return;
        }
        try {
            for (LogSegment segment : doomed) {
                segments.remove(segment.baseOffset());
                segment.renameToDeleted();
                directoryDirty = true;
            }
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot delete segments of " + dir, e);
        }
        scheduleFileDeletion(doomed);
    }

    private void scheduleFileDeletion(List<LogSegment> doomed) {
        Runnable task = () -> {
            for (LogSegment segment : doomed) {
                try {
                    segment.closeAndDelete();
                } catch (IOException e) {
                    log.warn("Cannot delete the files of {}", segment, e);
                }
            }
        };
        String name = "delete-segments-" + dir.getFileName();
        try {
            scheduler.schedule(name, task, config.fileDeleteDelayMs());
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /** Base offset of the active segment, as readers see it. */
    long activeBaseOffset() {
        return end.segmentBaseOffset();
    }

    /**
     * For the {@link LogCleaner}, on any thread: the segments below {@code activeBase} (a value of
     * {@link #activeBaseOffset()}), in offset order. The last one ends where {@code activeBase}
     * begins; asking with one value read once keeps the two consistent across a roll.
     */
    List<LogSegment> segmentsBelow(long activeBase) {
        return List.copyOf(segments.headMap(activeBase, false).values());
    }

    /**
     * Writer only, for the {@link LogCleaner}: puts the cleaned copy of the adjacent segments
     * {@code olds} (written under the first one's base offset as {@code <base>.log.cleaned},
     * {@code .index.cleaned}, {@code .timeindex.cleaned}, flushed) in their place. The copy must
     * end at or after the last old segment's base offset, so that after a crash its offsets show
     * which segments it replaces. The copy's transaction index holds every entry of the old
     * segments' (an aborted transaction stays listed while any of its data may remain). Refused, with the cleaned files left for the caller to delete,
     * if any old segment is no longer the inactive segment at its base offset holding the expected
     * bytes (it was deleted by retention, truncated, or the log closed while the cleaner worked).
     *
     * <p>The steps and what a crash after each leaves (see {@link #completeSwaps}): (0) the merged
     * transaction index is written and forced as {@code <base>.txnindex.swap} (dropped at open
     * unless the log swap file exists); (1) the cleaned log file is renamed {@code <base>.log.swap}, the commit point: from here on open
     * finishes the swap, replacing every segment whose base offset the swap file covers; (2) the
     * old segments' files are renamed {@code .deleted}; (3) the cleaned index files take their
     * plain names, the transaction index too; (4) the swap file becomes {@code <base>.log}. In the segment map the
     * replacement goes in before the old segments come out, so a reader always finds the offsets
     * it looks for; a reader holding an old segment keeps reading it until
     * {@code file.delete.delay.ms} has passed.
     *
     * @return whether the swap happened
     */
    boolean replaceSegments(List<LogSegment> olds, List<Integer> expectedSizes) {
        if (closed || failed || olds.isEmpty()) {
            return false;
        }
        for (int i = 0; i < olds.size(); i++) {
            LogSegment old = olds.get(i);
            if (segments.get(old.baseOffset()) != old || old == active || old.size() != expectedSizes.get(i)) {
                return false;
            }
        }
        long base = olds.get(0).baseOffset();
        Path cleanedLog = LogSegment.withSuffix(LogSegment.logFile(dir, base), CLEANED_SUFFIX);
        try {
            List<AbortedTxn> aborts = new ArrayList<>();
            for (LogSegment old : olds) {
                aborts.addAll(old.txnIndex().entries());
            }
            // Whole and on disk before the commit point, so a completed swap always has it.
            TransactionIndex.write(LogSegment.withSuffix(TransactionIndex.file(dir, base), SWAP_SUFFIX), aborts);
            Files.move(cleanedLog, LogSegment.withSuffix(LogSegment.logFile(dir, base), SWAP_SUFFIX),
                StandardCopyOption.ATOMIC_MOVE);
            for (LogSegment old : olds) {
                old.renameToDeleted();
            }
            Files.move(LogSegment.withSuffix(LogSegment.offsetIndexFile(dir, base), CLEANED_SUFFIX),
                LogSegment.offsetIndexFile(dir, base), StandardCopyOption.ATOMIC_MOVE);
            Files.move(LogSegment.withSuffix(LogSegment.timeIndexFile(dir, base), CLEANED_SUFFIX),
                LogSegment.timeIndexFile(dir, base), StandardCopyOption.ATOMIC_MOVE);
            if (!aborts.isEmpty()) {
                Files.move(LogSegment.withSuffix(TransactionIndex.file(dir, base), SWAP_SUFFIX),
                    TransactionIndex.file(dir, base), StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(LogSegment.withSuffix(LogSegment.logFile(dir, base), SWAP_SUFFIX),
                LogSegment.logFile(dir, base), StandardCopyOption.ATOMIC_MOVE);
            LogSegment replacement = LogSegment.open(dir, base, config, clock.millis(), false);
            segments.put(base, replacement);
            for (LogSegment old : olds.subList(1, olds.size())) {
                segments.remove(old.baseOffset());
            }
            directoryDirty = true;
            syncDirectory();
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot swap the cleaned segment " + base + " into " + dir, e);
        }
        scheduleFileDeletion(List.copyOf(olds));
        return true;
    }

    /** Forces every segment holding unflushed data to disk and advances the recovery point. */
    public void flush() {
        ensureWritable();
        try {
            flushInternal();
        } catch (IOException e) {
            failed = true;
            throw new LogStorageException("cannot flush " + dir, e);
        }
    }

    private void flushInternal() throws IOException {
        long endOffset = end.nextOffset();
        if (endOffset > recoveryPoint || directoryDirty) {
            Long from = segments.floorKey(recoveryPoint);
            for (LogSegment segment : (from == null ? segments : segments.tailMap(from, true)).values()) {
                segment.flush();
            }
            if (directoryDirty) {
                syncDirectory();
                directoryDirty = false;
            }
            recoveryPoint = endOffset;
        }
        lastFlushMs = clock.millis();
    }

    /**
     * Flushes the log, cuts the active segment's indexes to size, closes the files and writes the
     * clean-shutdown marker, which lets the next {@link #open} skip scanning the last segment.
     * A log that failed a write is closed without the marker. Records already handed to readers
     * can no longer be copied.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            if (!failed) {
                flushInternal();
                active.makeInactive();
                active.flush();
                writeCleanShutdownMarker(end.nextOffset());
            }
        } catch (IOException e) {
            throw new LogStorageException("cannot close " + dir + " cleanly", e);
        } finally {
            closed = true;
            closeSegmentsQuietly();
        }
    }

    private void writeCleanShutdownMarker(long endOffset) throws IOException {
        Path marker = dir.resolve(CLEAN_SHUTDOWN_FILE);
        try (FileChannel channel = FileChannel.open(marker, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer content = ByteBuffer.wrap(Long.toString(endOffset).getBytes(StandardCharsets.US_ASCII));
            while (content.hasRemaining()) {
                channel.write(content);
            }
            channel.force(true);
        }
        syncDirectory();
    }

    private void closeSegmentsQuietly() {
        for (LogSegment segment : segments.values()) {
            try {
                segment.close();
            } catch (IOException e) {
                log.warn("Cannot close {}", segment, e);
            }
        }
    }

    /**
     * Deletes the whole log, for topic deletion: the directory is renamed to
     * {@code <name>.<uuid>-delete} at once (so a new log can be created under the old name) and
     * removed after {@code file.delete.delay.ms}, so readers still holding records can finish.
     * The log is closed afterwards. A broker should remove {@code *-delete} directories a crash
     * left behind when it starts.
     */
    public void deleteAll() {
        if (closed) {
            throw new IllegalStateException("the log in " + dir + " is closed");
        }
        closed = true;
        List<LogSegment> all = new ArrayList<>(segments.values());
        segments.clear();
        Path doomed = dir.resolveSibling(asideName(dir.getFileName().toString(),
            UUID.randomUUID().toString().replace("-", ""), DELETE_DIR_SUFFIX));
        try {
            Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            closeSegmentsQuietly(all);
            throw new LogStorageException("cannot rename " + dir + " for deletion", e);
        }
        Runnable task = () -> {
            closeSegmentsQuietly(all);
            try {
                deleteRecursively(doomed);
            } catch (IOException e) {
                log.warn("Cannot delete {}", doomed, e);
            }
        };
        try {
            scheduler.schedule("delete-log-" + dir.getFileName(), task, config.fileDeleteDelayMs());
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /**
     * The name a partition directory {@code <topic>-<partition>} takes when it is moved aside:
     * {@code <topic>-<partition>.<tag><suffix>}, with the topic cut short where the whole would pass
     * 255 bytes, a file name's limit (topic names are ASCII and may be 249 characters long, so the
     * tag and suffix do not always fit; Kafka cuts them the same way). The partition and the tag
     * stay whole, so two partitions of one long topic never collide.
     */
    public static String asideName(String dirName, String tag, String suffix) {
        String tail = "." + tag + suffix;
        int dash = dirName.lastIndexOf('-');
        String topic = dash > 0 ? dirName.substring(0, dash) : dirName;
        String partition = dash > 0 ? dirName.substring(dash) : "";
        int room = Math.max(0, MAX_FILE_NAME_BYTES - partition.length() - tail.length());
        return topic.substring(0, Math.min(topic.length(), room)) + partition + tail;
    }

    private static void closeSegmentsQuietly(List<LogSegment> all) {
        for (LogSegment segment : all) {
            try {
                segment.close();
            } catch (IOException e) {
                log.warn("Cannot close {}", segment, e);
            }
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> paths = walk.sorted(Comparator.reverseOrder()).toList();
            for (Path path : paths) {
                try {
                    Files.deleteIfExists(path);
                } catch (NoSuchFileException ignored) {
                    // Already gone: the goal.
                }
            }
        }
    }

    private void ensureWritable() {
        if (closed) {
            throw new IllegalStateException("the log in " + dir + " is closed");
        }
        if (failed) {
            throw new LogStorageException("the log in " + dir + " failed an earlier write and takes no more");
        }
    }

    /** Makes file creations, renames and deletions in the directory durable. */
    private void syncDirectory() {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open or sync a directory; file data is still synced.
            log.debug("Cannot sync directory {}: {}", dir, e.toString());
        }
    }

    @Override
    public String toString() {
        return "PartitionLog(" + dir + ", offsets " + logStartOffset + " to " + logEndOffset() + ")";
    }
}
