package dev.sluice.storage;

import dev.sluice.wire.record.BatchRecord;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.TimestampType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts logs whose {@code cleanup.policy} contains {@code compact}: keeps the latest record of
 * each key, with its offset unchanged, and drops the older ones.
 *
 * <h2>What is kept</h2>
 * <ul>
 *   <li>Of the records with a key, the one with the highest offset per key. Offsets never change,
 *       so a compacted log has gaps. Records without a key (which a compacted topic rejects on
 *       produce, but a topic switched to compaction may hold) are dropped.</li>
 *   <li>A tombstone (null value) is kept as the latest of its key until {@code delete.retention.ms}
 *       after the cleaner first kept it: the batch rewritten around it gets a delete horizon
 *       (KIP-534, the batch attribute bit and the base timestamp), and a pass after that horizon
 *       drops the tombstone. A consumer that reads the log within {@code delete.retention.ms}
 *       therefore sees every deletion.</li>
 *   <li>A batch whose records all survive, and that needs no new delete horizon, is copied byte
 *       for byte. A batch that lost records is rewritten with its base offset, last offset
 *       (offset range), partition leader epoch, compression, timestamp type, transactional flag and
 *       producer id, epoch and base sequence, so producer state rebuilt from the log sees the same
 *       sequence ranges. A batch that lost every record is dropped, unless it is a producer's last batch
 *       (see {@link #keepsProducerState}): then an empty batch with the same header fields stays,
 *       so producer state can still be rebuilt from the log.</li>
 *   <li>Transactions, as Kafka cleans them. Records of aborted transactions (a transactional
 *       batch whose producer's aborted transaction, in the transaction index, spans its offset)
 *       never count as a key's latest value and are all removed. A COMMIT or ABORT marker stays
 *       while any data of its transaction remains before it; once none does, the marker is
 *       rewritten with a delete horizon {@code delete.retention.ms} ahead (as a tombstone's batch
 *       is), and a pass after that horizon removes it. The transaction index keeps its entries
 *       (an entry without data is harmless to a consumer). The cleanable range ends at the last
 *       stable offset as well: an undecided transaction is never cleaned.</li>
 * </ul>
 *
 * <h2>When a log is cleaned</h2>
 * Every {@code backoffMs} (and at once after a pass that did work) each cleaner thread picks the
 * registered compacted log with the highest dirty ratio that is eligible, skipping logs another
 * thread is cleaning. The <i>cleanable</i> range is the inactive segments from the log start up to
 * (not including) the active segment and the first segment holding a record younger than
 * {@code min.compaction.lag.ms}. Its <i>dirty</i> part starts at the log's first dirty offset (kept
 * in the {@link CleanerCheckpoint}); the dirty ratio is dirty bytes over cleanable bytes. A log is
 * eligible when the ratio reaches {@code min.cleanable.dirty.ratio}, or when its oldest dirty
 * batch is older than {@code max.compaction.lag.ms}. The active segment is never touched.
 *
 * <h2>A pass</h2>
 * <ol>
 *   <li>The dirty range is read and each key's latest offset put in an {@link OffsetMap} held
 *       within {@code dedupeBufferSize / threads} bytes (24 bytes a slot, filled to 90%). If the map fills, the pass only
 *       counts as cleaning up to the record that did not fit, which becomes the next first dirty
 *       offset.</li>
 *   <li>Every cleanable segment up to that point, from the log start (the clean part too: its
 *       records may be superseded by the new dirty ones, and its tombstones may have expired), is
 *       read and its surviving batches written to a new segment under the base offset of the first
 *       segment of its run (see below), files suffixed {@code .cleaned}, with its indexes built as it is written, then flushed. A segment
 *       in which nothing changes is left alone.</li>
 *   <li>The swap is a short task on the partition's writer ({@link PartitionLog#replaceSegments}):
 *       it renames the files (the {@code .swap} rename is the commit point), replaces the segment
 *       in the log's segment map and hands the old one to the deferred deletion. Appends queue
 *       behind it only for those renames; fetches never wait, and a fetch that already holds the
 *       old segment keeps reading it. A refused swap (the segment was deleted or truncated
 *       meanwhile, or the log closed) ends the pass; its cleaned files are deleted.</li>
 *   <li>The first dirty offset moves up and the checkpoint is rewritten.</li>
 * </ol>
 * A crash leaves either the old segment or the new one: {@code .cleaned} files are deleted when
 * the log opens, and a {@code .swap} file replaces every segment whose base offset lies in its
 * offset range. Runs of adjacent segments whose sizes add up to at most {@code segment.bytes} are
 * cleaned into one segment, so compacted segments merge; a run is only merged if its copy ends at
 * or after its last segment's base offset (which keeps that rule exact), otherwise its segments
 * are cleaned one by one.
 *
 * <h2>Threading</h2>
 * {@link #register}, {@link #unregister}, {@link #firstDirtyOffset} and {@link #close} may be
 * called from any thread. The cleaner only reads segments and writes its own files on its
 * threads; every change to a log runs on the executor given with it at registration, which must
 * be the log's single writer. Cleaner threads are never interrupted (an interrupt during a file
 * read would close the segment's channel for every reader); {@link #close} asks them to stop
 * between batches and waits.
 */
public final class LogCleaner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogCleaner.class);

    /**
     * Broker-wide cleaner settings.
     *
     * @param threads {@code log.cleaner.threads}; 0 starts no thread (passes can still be run by
     *     {@link #cleanOnce})
     * @param dedupeBufferSize {@code log.cleaner.dedupe.buffer.size}, shared by all threads
     * @param backoffMs {@code log.cleaner.backoff.ms}: pause when no log needs cleaning
     */
    public record Config(int threads, long dedupeBufferSize, long backoffMs) {
        public Config {
            if (threads < 0 || dedupeBufferSize < OffsetMap.BYTES_PER_ENTRY || backoffMs < 0) {
                throw new IllegalArgumentException("invalid cleaner config " + threads + " threads, "
                    + dedupeBufferSize + " dedupe bytes, " + backoffMs + " ms backoff");
            }
        }
    }

    /** What one pass over a log did. */
    public record PassResult(long firstDirtyBefore, long firstDirtyAfter, int segmentsRewritten,
                             long bytesBefore, long bytesAfter) {
    }

    private record Registered(CleanerCheckpoint.Entry key, PartitionLog log, Executor writer,
                              LongSupplier lastStableOffset) {
    }

    private final Config config;
    private final InstantSource clock;
    private final CleanerCheckpoint checkpoint;
    private final Map<CleanerCheckpoint.Entry, Registered> logs = new ConcurrentHashMap<>();
    private final Map<CleanerCheckpoint.Entry, Long> firstDirty = new ConcurrentHashMap<>();
    private final Set<CleanerCheckpoint.Entry> inProgress = new HashSet<>();
    /** Logs a pass failed on for a reason other than I/O (e.g. a corrupt batch): skipped until registered again. */
    private final Set<CleanerCheckpoint.Entry> uncleanable = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private final Object wakeUp = new Object();
    private volatile boolean running;

    /**
     * @param dataDir where {@code cleaner-offset-checkpoint} lives; it is read now
     */
    public LogCleaner(Path dataDir, Config config, InstantSource clock) {
        this.config = config;
        this.clock = clock;
        this.checkpoint = new CleanerCheckpoint(dataDir);
        firstDirty.putAll(checkpoint.read());
    }

    /** Starts {@code threads} cleaner threads (daemon threads named {@code sluice-log-cleaner-N}). */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        for (int i = 0; i < config.threads(); i++) {
            Thread thread = new Thread(this::run, "sluice-log-cleaner-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    /**
     * Makes a log known to the cleaner. Logs whose config does not say {@code compact} are skipped
     * until it does, so a {@code cleanup.policy} change needs no call here.
     *
     * @param writer the log's single writer, on which swaps run
     */
    public void register(String topic, int partition, PartitionLog partitionLog, Executor writer) {
        register(topic, partition, partitionLog, writer, () -> Long.MAX_VALUE);
    }

    /**
     * {@link #register(String, int, PartitionLog, Executor)} for a log that may hold transactions:
     * nothing at or past {@code lastStableOffset} (read at each pass, from any thread) is cleaned.
     */
    public void register(String topic, int partition, PartitionLog partitionLog, Executor writer,
                         LongSupplier lastStableOffset) {
        CleanerCheckpoint.Entry key = new CleanerCheckpoint.Entry(topic, partition);
        logs.put(key, new Registered(key, partitionLog, writer, lastStableOffset));
        uncleanable.remove(key);
    }

    /**
     * Forgets a log that is being deleted, with its checkpoint entry. A pass already running on it
     * ends at its next swap, which the closed log refuses.
     */
    public void unregister(String topic, int partition) {
        CleanerCheckpoint.Entry key = new CleanerCheckpoint.Entry(topic, partition);
        logs.remove(key);
        firstDirty.remove(key);
        uncleanable.remove(key);
        writeCheckpoint();
    }

    /** The first offset not yet compacted, if the cleaner has a record of the log. */
    public OptionalLong firstDirtyOffset(String topic, int partition) {
        Long offset = firstDirty.get(new CleanerCheckpoint.Entry(topic, partition));
        return offset == null ? OptionalLong.empty() : OptionalLong.of(offset);
    }

    /** Wakes the cleaner threads, e.g. after a config change; they otherwise wait {@code backoffMs}. */
    public void wakeUp() {
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
    }

    private void run() {
        OffsetMap map = new OffsetMap(bytesPerThread());
        while (running) {
            boolean worked = false;
            try {
                worked = cleanDirtiest(map).isPresent();
            } catch (RuntimeException e) {
                log.error("The log cleaner failed a pass", e);
            }
            if (!worked && running) {
                synchronized (wakeUp) {
                    try {
                        wakeUp.wait(Math.max(1, config.backoffMs()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    private long bytesPerThread() {
        return config.dedupeBufferSize() / Math.max(1, config.threads());
    }

    /**
     * Runs one pass on the dirtiest eligible log, on the calling thread (tests, and a broker with
     * no cleaner threads that wants to clean on demand).
     *
     * @return what the pass did, or empty if no log was eligible
     */
    public Optional<PassResult> cleanOnce() {
        return cleanDirtiest(new OffsetMap(bytesPerThread()));
    }

    private Optional<PassResult> cleanDirtiest(OffsetMap map) {
        long now = clock.millis();
        Registered chosen = null;
        synchronized (inProgress) {
            double best = -1;
            for (Registered r : logs.values()) {
                if (inProgress.contains(r.key()) || uncleanable.contains(r.key()) || !r.log().config().compact()) {
                    continue;
                }
                Optional<Cleanable> range = cleanable(r, now);
                if (range.isEmpty() || !range.get().eligible()) {
                    continue;
                }
                if (range.get().dirtyRatio() > best) {
                    best = range.get().dirtyRatio();
                    chosen = r;
                }
            }
            if (chosen == null) {
                return Optional.empty();
            }
            inProgress.add(chosen.key());
        }
        try {
            // Recomputed: the log may have changed while others were being looked at.
            Optional<Cleanable> range = cleanable(chosen, now);
            if (range.isEmpty()) {
                return Optional.empty();
            }
            map.clear();
            return Optional.of(clean(chosen, range.get(), map, now));
        } catch (IOException | LogStorageException e) {
            log.warn("Cannot clean {}: {}", chosen.log().dir(), e.toString());
            return Optional.empty();
        } catch (RuntimeException e) {
            // Not a passing I/O problem: trying again would fail again and starve other logs.
            log.error("Cannot clean {}; it is skipped until the broker opens it again", chosen.log().dir(), e);
            uncleanable.add(chosen.key());
            return Optional.empty();
        } finally {
            synchronized (inProgress) {
                inProgress.remove(chosen.key());
            }
        }
    }

    /** The segments a pass may touch and how dirty they are. */
    private record Cleanable(List<LogSegment> segments, List<Integer> sizes, long firstDirty, long end,
                             long dirtyBytes, long totalBytes, boolean maxLagDue, double minRatio) {
        double dirtyRatio() {
            return totalBytes == 0 ? 0 : (double) dirtyBytes / totalBytes;
        }

        boolean eligible() {
            return dirtyBytes > 0 && (dirtyRatio() >= minRatio || maxLagDue);
        }
    }

    private Optional<Cleanable> cleanable(Registered r, long now) {
        PartitionLog partitionLog = r.log();
        LogConfig logConfig = partitionLog.config();
        // One read of the active base: a roll between reading the segments and their end would
        // count the just-rolled segment's offsets as cleaned without mapping them.
        long activeBase = partitionLog.activeBaseOffset();
        long stable = r.lastStableOffset().getAsLong();
        List<LogSegment> inactive = partitionLog.segmentsBelow(activeBase);
        long start = partitionLog.logStartOffset();
        long recorded = firstDirty.getOrDefault(r.key(), start);
        // Past the log end, the entry belongs to an earlier log of the same name: start over.
        long dirtyFrom = recorded > partitionLog.logEndOffset() ? start : Math.max(recorded, start);
        List<LogSegment> segments = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        long dirtyBytes = 0;
        long totalBytes = 0;
        long end = -1;
        boolean maxLagDue = false;
        try {
            for (int i = 0; i < inactive.size(); i++) {
                LogSegment segment = inactive.get(i);
                long next = i + 1 < inactive.size() ? inactive.get(i + 1).baseOffset() : activeBase;
                if (next <= start) {
                    continue;
                }
                if (next > stable) {
                    // Holds offsets of a transaction not decided yet (or not committed).
                    break;
                }
                long lagLimit = now - logConfig.minCompactionLagMs();
                if (logConfig.minCompactionLagMs() > 0 && segment.maxTimestampSoFar().timestamp() > lagLimit) {
                    break;
                }
                int size = segment.size();
                segments.add(segment);
                sizes.add(size);
                totalBytes += size;
                if (next > dirtyFrom) {
                    if (dirtyBytes == 0 && logConfig.maxCompactionLagMs() < Long.MAX_VALUE) {
                        long first = segment.firstBatchMaxTimestamp(size);
                        maxLagDue = first >= 0 && first <= now - logConfig.maxCompactionLagMs();
                    }
                    dirtyBytes += size;
                }
                end = next;
            }
        } catch (IOException e) {
            log.debug("Cannot measure {}: {}", partitionLog.dir(), e.toString());
            return Optional.empty();
        }
        if (segments.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Cleanable(segments, sizes, dirtyFrom, end, dirtyBytes, totalBytes, maxLagDue,
            logConfig.minCleanableDirtyRatio()));
    }

    private PassResult clean(Registered r, Cleanable range, OffsetMap map, long now) throws IOException {
        PartitionLog partitionLog = r.log();
        Transactions txns = new Transactions(partitionLog.collectAbortedTransactions(
            range.segments().get(0).baseOffset(), range.end()));
        MapResult mapped = buildMap(range, map, txns, partitionLog.config().maxDecompressedBatchBytes());
        long mapEnd = mapped.end();
        long bytesBefore = 0;
        long bytesAfter = 0;
        int rewritten = 0;
        LogConfig logConfig = partitionLog.config();
        List<List<Integer>> groups = groups(range, mapEnd, logConfig);
        for (int g = 0; g < groups.size(); g++) {
            if (!running && !threads.isEmpty()) {
                return new PassResult(range.firstDirty(), range.firstDirty(), rewritten, bytesBefore, bytesAfter);
            }
            List<Integer> group = groups.get(g);
            List<LogSegment> olds = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            for (int i : group) {
                olds.add(range.segments().get(i));
                sizes.add(range.sizes().get(i));
                bytesBefore += range.sizes().get(i);
            }
            Optional<LogSegment> cleaned = cleanSegments(partitionLog, olds, sizes, map, mapped, txns, now, logConfig);
            if (cleaned.isEmpty() && olds.size() > 1) {
                // The copy would end before the last segment's base offset, so after a crash its
                // offsets could not tell which segments it replaced: clean these one by one.
                groups.addAll(g + 1, group.stream().map(List::of).toList());
                bytesBefore -= sizes.stream().mapToLong(Integer::longValue).sum();
                continue;
            }
            if (cleaned.isEmpty()) {
                bytesAfter += sizes.get(0);
                continue;
            }
            bytesAfter += cleaned.get().size();
            if (!swap(r, olds, sizes)) {
                log.info("Stopped cleaning {}: segment {} changed while it was cleaned", partitionLog.dir(),
                    olds.get(0).baseOffset());
                return new PassResult(range.firstDirty(), range.firstDirty(), rewritten, bytesBefore, bytesAfter);
            }
            rewritten += olds.size();
        }
        if (logs.get(r.key()) == r) {
            firstDirty.put(r.key(), mapEnd);
            writeCheckpoint();
        }
        log.info("Cleaned {} up to offset {}: {} segments rewritten, {} bytes to {}", partitionLog.dir(), mapEnd,
            rewritten, bytesBefore, bytesAfter);
        return new PassResult(range.firstDirty(), mapEnd, rewritten, bytesBefore, bytesAfter);
    }

    /**
     * Indexes of the cleanable segments below {@code mapEnd}, in runs of adjacent segments whose
     * sizes add up to at most {@code segment.bytes} and whose offsets fit one segment: each run is
     * cleaned into one segment, so segments that compaction shrank merge again.
     */
    private static List<List<Integer>> groups(Cleanable range, long mapEnd, LogConfig logConfig) {
        List<List<Integer>> groups = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < range.segments().size(); i++) {
            LogSegment segment = range.segments().get(i);
            if (segment.baseOffset() >= mapEnd) {
                break;
            }
            long next = i + 1 < range.segments().size() ? range.segments().get(i + 1).baseOffset() : range.end();
            int size = range.sizes().get(i);
            boolean fits = !current.isEmpty() && bytes + size <= logConfig.segmentBytes()
                && next - 1 - range.segments().get(current.get(0)).baseOffset() <= Integer.MAX_VALUE;
            if (!current.isEmpty() && !fits) {
                groups.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(i);
            bytes += size;
        }
        if (!current.isEmpty()) {
            groups.add(current);
        }
        return groups;
    }

    /**
     * Puts the latest offset of each key in the dirty range into {@code map}.
     *
     * @return the offset up to which the map is complete (the end of the cleanable range, or the
     *     first record that did not fit), and the last batch of each producer before it
     */
    private MapResult buildMap(Cleanable range, OffsetMap map, Transactions txns, int maxDecompressedBytes)
        throws IOException {
        long[] stop = {-1};
        Map<Long, Long> lastBatchOfProducer = new java.util.HashMap<>();
        for (int i = 0; i < range.segments().size() && stop[0] < 0; i++) {
            LogSegment segment = range.segments().get(i);
            long next = i + 1 < range.segments().size() ? range.segments().get(i + 1).baseOffset() : range.end();
            if (next <= range.firstDirty()) {
                // The clean part: only batch headers, to know each producer's last batch.
                segment.forEachProducerBatch(range.sizes().get(i), lastBatchOfProducer::put);
                continue;
            }
            segment.forEachBatch(range.sizes().get(i), batch -> {
                if (batch.hasProducerId() && !batch.isControlBatch()) {
                    lastBatchOfProducer.put(batch.producerId(), batch.baseOffset());
                }
                // Markers hold no key; aborted records are never a key's latest value.
                if (stop[0] >= 0 || batch.lastOffset() < range.firstDirty() || batch.isControlBatch()
                    || txns.aborted(batch)) {
                    return;
                }
                Iterator<BatchRecord> records = batch.records(maxDecompressedBytes);
                while (records.hasNext()) {
                    BatchRecord record = records.next();
                    if (record.offset() < range.firstDirty() || !record.hasKey()) {
                        continue;
                    }
                    if (!map.put(record.key(), record.offset())) {
                        stop[0] = record.offset();
                        return;
                    }
                }
            });
        }
        return new MapResult(stop[0] >= 0 ? stop[0] : range.end(), lastBatchOfProducer);
    }

    /**
     * What a pass learnt from the dirty range.
     *
     * @param end the offset up to which the key map is complete
     * @param lastBatchOfProducer base offset of each producer's last batch up to {@code end}
     */
    private record MapResult(long end, Map<Long, Long> lastBatchOfProducer) {
    }

    /**
     * Writes the surviving batches of the adjacent segments {@code olds} to
     * {@code <first base>.*.cleaned} files.
     *
     * @return the new segment, closed and flushed; empty if nothing would change (a single
     *     segment), or if the copy of several would end before the last one's base offset
     */
    private Optional<LogSegment> cleanSegments(PartitionLog partitionLog, List<LogSegment> olds, List<Integer> sizes,
                                               OffsetMap map, MapResult mapped, Transactions txns, long now,
                                               LogConfig logConfig) throws IOException {
        Path dir = partitionLog.dir();
        long base = olds.get(0).baseOffset();
        LogSegment out = LogSegment.createWithSuffix(dir, base, logConfig, now, PartitionLog.CLEANED_SUFFIX);
        boolean[] changed = {olds.size() > 1};
        long[] lastKept = {-1};
        boolean done = false;
        try {
            for (int i = 0; i < olds.size(); i++) {
                olds.get(i).forEachBatch(sizes.get(i), batch -> {
                    Optional<RecordBatch> kept = filterBatch(batch, map, mapped, txns, now,
                        logConfig.deleteRetentionMs(), logConfig.maxDecompressedBatchBytes());
                    if (kept.isEmpty() || kept.get() != batch) {
                        changed[0] = true;
                    }
                    if (kept.isPresent()) {
                        out.append(MemoryRecords.withBatches(kept.get()));
                        lastKept[0] = kept.get().lastOffset();
                    }
                });
            }
            if (!changed[0] || olds.size() > 1 && lastKept[0] < olds.get(olds.size() - 1).baseOffset()) {
                return Optional.empty();
            }
            out.makeInactive();
            out.flush();
            done = true;
            return Optional.of(out);
        } finally {
            out.close();
            if (!done) {
                deleteCleaned(dir, base);
            }
        }
    }

    /**
     * The batch as it should be after cleaning: itself when every record stays and its delete
     * horizon needs no change, a rebuilt batch with the survivors, or empty if none survive.
     */
    private static Optional<RecordBatch> filterBatch(RecordBatch batch, OffsetMap map, MapResult mapped,
                                                     Transactions txns, long now, long deleteRetentionMs,
                                                     int maxDecompressedBytes) {
        long mapEnd = mapped.end();
        boolean horizonPassed = batch.hasDeleteHorizon() && now >= batch.deleteHorizonMs().getAsLong();
        if (batch.isControlBatch()) {
            if (!batch.isTransactional() || txns.endedWithData(batch)) {
                return Optional.of(batch);
            }
            // Nothing of its transaction is left: the marker goes too, once consumers had
            // delete.retention.ms to read past it.
            if (horizonPassed) {
                return Optional.empty();
            }
            return Optional.of(batch.hasDeleteHorizon() ? batch
                : withDeleteHorizon(batch, saturatedAdd(now, deleteRetentionMs), maxDecompressedBytes));
        }
        boolean aborted = txns.aborted(batch);
        List<BatchRecord> kept = new ArrayList<>();
        int total = 0;
        boolean keptTombstone = false;
        Iterator<BatchRecord> records = batch.records(maxDecompressedBytes);
        while (records.hasNext()) {
            BatchRecord record = records.next();
            total++;
            if (!record.hasKey() || aborted) {
                continue;
            }
            if (record.offset() < mapEnd) {
                long latest = map.get(record.key());
                if (latest > record.offset()) {
                    continue;
                }
            }
            if (!record.hasValue()) {
                if (horizonPassed) {
                    continue;
                }
                keptTombstone = true;
            }
            kept.add(record);
        }
        boolean needsHorizon = keptTombstone && !batch.hasDeleteHorizon();
        if (!kept.isEmpty()) {
            txns.keptData(batch);
        }
        if (total == 0) {
            // An empty batch an earlier pass kept for its producer: kept while nothing newer of
            // that producer has been seen.
            return keepsProducerState(batch, mapped) ? Optional.of(batch) : Optional.empty();
        }
        if (kept.size() == total && !needsHorizon) {
            return Optional.of(batch);
        }
        if (kept.isEmpty()) {
            return keepsProducerState(batch, mapped) ? Optional.of(emptyCopy(batch)) : Optional.empty();
        }
        RecordBatchBuilder builder = new RecordBatchBuilder(batch.baseOffset())
            .compression(batch.compressionType())
            .partitionLeaderEpoch(batch.partitionLeaderEpoch())
            .producer(batch.producerId(), batch.producerEpoch(), batch.baseSequence())
            .transactional(batch.isTransactional())
            .retainOffsetRangeTo(batch.lastOffset());
        if (batch.timestampType() == TimestampType.LOG_APPEND_TIME) {
            builder.logAppendTime(batch.maxTimestamp());
        }
        if (keptTombstone) {
            builder.deleteHorizonMs(batch.hasDeleteHorizon() ? batch.deleteHorizonMs().getAsLong()
                : saturatedAdd(now, deleteRetentionMs));
        }
        for (BatchRecord record : kept) {
            builder.appendWithOffset(record.offset(), record.timestamp(), record.key(), record.value(),
                record.headers());
        }
        return Optional.of(builder.build());
    }

    /**
     * Whether a batch that lost every record must stay as an empty batch: it is an idempotent or
     * transactional producer's last batch in the range the pass mapped, so rebuilding producer
     * state from the log still finds the producer's epoch, last sequence and last write time. A
     * producer whose later batches lie past that range keeps one extra empty batch until a later
     * pass. Empty batches cost 61 bytes each and are not dropped when the producer expires (Kafka
     * drops them once the producer id has left its producer state; Sluice's cleaner does not see
     * producer state yet).
     */
    private static boolean keepsProducerState(RecordBatch batch, MapResult mapped) {
        if (!batch.hasProducerId()) {
            return false;
        }
        Long last = mapped.lastBatchOfProducer().get(batch.producerId());
        return last == null || last == batch.baseOffset();
    }

    /** A marker batch rewritten with a delete horizon; its one control record unchanged. */
    private static RecordBatch withDeleteHorizon(RecordBatch marker, long horizonMs, int maxDecompressedBytes) {
        RecordBatchBuilder builder = new RecordBatchBuilder(marker.baseOffset())
            .partitionLeaderEpoch(marker.partitionLeaderEpoch())
            .producer(marker.producerId(), marker.producerEpoch(), marker.baseSequence())
            .transactional(true)
            .control(true)
            .retainOffsetRangeTo(marker.lastOffset())
            .deleteHorizonMs(horizonMs);
        Iterator<BatchRecord> records = marker.records(maxDecompressedBytes);
        while (records.hasNext()) {
            BatchRecord record = records.next();
            builder.appendWithOffset(record.offset(), record.timestamp(), record.key(), record.value(),
                record.headers());
        }
        return builder.build();
    }

    /**
     * What one pass knows of transactions: the aborted ones of the cleaned range, by producer
     * (from the transaction index), and which producers' current transactions still have data in
     * what the pass keeps, in offset order up to the batch being filtered. A producer has one
     * transaction open at a time, so a transactional batch belongs to the aborted transaction of
     * its producer whose offsets span it, if any, and a marker ends its producer's current one.
     */
    private static final class Transactions {
        private final Map<Long, List<AbortedTxn>> abortedByProducer = new java.util.HashMap<>();
        private final Set<Long> withData = new HashSet<>();

        Transactions(List<AbortedTxn> aborted) {
            for (AbortedTxn txn : aborted) {
                abortedByProducer.computeIfAbsent(txn.producerId(), id -> new ArrayList<>()).add(txn);
            }
        }

        /** Whether {@code batch} is data of an aborted transaction. */
        boolean aborted(RecordBatch batch) {
            if (!batch.isTransactional() || batch.isControlBatch()) {
                return false;
            }
            for (AbortedTxn txn : abortedByProducer.getOrDefault(batch.producerId(), List.of())) {
                if (txn.firstOffset() <= batch.baseOffset() && batch.baseOffset() <= txn.lastOffset()) {
                    return true;
                }
            }
            return false;
        }

        /** Records of {@code batch} are kept: its transaction has data left. */
        void keptData(RecordBatch batch) {
            if (batch.isTransactional()) {
                withData.add(batch.producerId());
            }
        }

        /** {@code marker} ends its producer's transaction: whether any of its data was kept. */
        boolean endedWithData(RecordBatch marker) {
            return withData.remove(marker.producerId());
        }
    }

    private static RecordBatch emptyCopy(RecordBatch batch) {
        return new RecordBatchBuilder(batch.baseOffset())
            .partitionLeaderEpoch(batch.partitionLeaderEpoch())
            .producer(batch.producerId(), batch.producerEpoch(), batch.baseSequence())
            .transactional(batch.isTransactional())
            .retainOffsetRangeTo(batch.lastOffset())
            .emptyBatchTimestamp(batch.maxTimestamp())
            .build();
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /** Runs the swap on the log's writer and waits for it; false if refused or impossible. */
    private boolean swap(Registered r, List<LogSegment> olds, List<Integer> sizes) {
        Path dir = r.log().dir();
        boolean swapped;
        try {
            swapped = CompletableFuture.supplyAsync(() -> r.log().replaceSegments(olds, sizes), r.writer()).get();
        } catch (RejectedExecutionException e) {
            swapped = false;
        } catch (ExecutionException e) {
            log.warn("Swapping a cleaned segment into {} failed", dir, e.getCause());
            swapped = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            swapped = false;
        }
        if (!swapped) {
            deleteCleaned(dir, olds.get(0).baseOffset());
        }
        return swapped;
    }

    private static void deleteCleaned(Path dir, long base) {
        for (Path file : List.of(LogSegment.logFile(dir, base), LogSegment.offsetIndexFile(dir, base),
            LogSegment.timeIndexFile(dir, base))) {
            try {
                Files.deleteIfExists(LogSegment.withSuffix(file, PartitionLog.CLEANED_SUFFIX));
            } catch (IOException e) {
                log.warn("Cannot delete {}{}: {}", file, PartitionLog.CLEANED_SUFFIX, e.toString());
            }
        }
    }

    private synchronized void writeCheckpoint() {
        try {
            checkpoint.write(firstDirty);
        } catch (IOException e) {
            log.warn("Cannot write {}: {}", checkpoint.file(), e.toString());
        }
    }

    /** Stops the threads after their current batch, waits for them, and writes the checkpoint. */
    @Override
    public void close() {
        synchronized (this) {
            running = false;
        }
        wakeUp();
        for (Thread thread : threads) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        threads.clear();
        writeCheckpoint();
    }
}
