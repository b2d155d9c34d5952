package dev.sluice.broker.share;

import dev.sluice.broker.log.Partition;
import dev.sluice.storage.AbortedTxn;
import dev.sluice.storage.LogReadResult;
import dev.sluice.storage.LogStorageException;
import dev.sluice.storage.OffsetOutOfRangeException;
import dev.sluice.storage.TimestampAndOffset;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.Records;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The share-partitions this broker leads (KIP-932): for each share group consuming a partition
 * led here, the {@link SharePartition} that hands its records to the group's members, loaded from
 * the share coordinator on first use and written back through the {@link SharePersister} whenever
 * records are acknowledged, released, time out or are archived. Acquiring is never written: after a
 * crash, records that were acquired come back with their last written delivery count.
 *
 * <p>An acknowledgement is answered only once its change is durable at the share coordinator;
 * if the write fails the records stay acquired as before. A share-partition whose write is fenced
 * (another leader, or its state re-initialized by AlterShareGroupOffsets) is dropped and read
 * again on next use; so is one whose partition's leader epoch changed.
 *
 * <p>Threading: thread-safe. Each share-partition is guarded by its own lock; log reads run
 * outside it, one fetch per share-partition at a time. Lock expiry runs on one timer thread.
 */
public final class SharePartitions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SharePartitions.class);

    /** The settings of one share group, from its configs or the broker's. */
    public record GroupSettings(SharePartition.Settings partition, String autoOffsetReset, boolean readCommitted) {
    }

    /** What one fetch of a share-partition got: the error, or the records and the offsets acquired from them. */
    public record Fetched(ErrorCode error, Records records, List<SharePartition.Acquired> acquired) {
        static Fetched nothing() {
            return new Fetched(ErrorCode.NONE, MemoryRecords.EMPTY, List.of());
        }

        static Fetched failed(ErrorCode error) {
            return new Fetched(error, MemoryRecords.EMPTY, List.of());
        }
    }

    /** One share-partition, led here at {@link #leaderEpoch}; guarded by itself. */
    public static final class Entry {
        final SharePartitionKey key;
        final Partition partition;
        final int leaderEpoch;
        final CompletableFuture<ErrorCode> loaded = new CompletableFuture<>();
        SharePartition sp;
        int stateEpoch;
        boolean fetching;
        /** Log bytes per record seen in this partition's reads, to read about as much as can be acquired. */
        double bytesPerRecord = INITIAL_BYTES_PER_RECORD;
        ScheduledFuture<?> lockTimer;
        long timerAt = Long.MAX_VALUE;
        final List<Runnable> waiters = new ArrayList<>();

        Entry(SharePartitionKey key, Partition partition) {
            this.key = key;
            this.partition = partition;
            this.leaderEpoch = partition.leaderEpoch();
        }

        public Partition partition() {
            return partition;
        }
    }

    /** What a record is taken to weigh before a partition's first read. */
    private static final double INITIAL_BYTES_PER_RECORD = 1024;
    /** The least a read asks for, so small records still come in useful amounts. */
    private static final int MIN_READ_BYTES = 64 * 1024;

    private final SharePersister persister;
    private final Function<String, GroupSettings> groupSettings;
    private final Map<SharePartitionKey, Entry> entries = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "share-record-locks");
        t.setDaemon(true);
        return t;
    });

    /** {@code groupSettings} gives a group's lock duration, delivery limit, record locks, offset reset and isolation. */
    public SharePartitions(SharePersister persister, Function<String, GroupSettings> groupSettings) {
        this.persister = persister;
        this.groupSettings = groupSettings;
    }

    /** Share-partitions loaded here (a gauge). */
    public int size() {
        return entries.size();
    }

    /** Records acquired by members across the share-partitions here (a gauge). */
    public int acquiredRecords() {
        int n = 0;
        for (Entry e : entries.values()) {
            synchronized (e) {
                if (e.sp != null) {
                    n += e.sp.acquiredCount();
                }
            }
        }
        return n;
    }

    /**
     * The share-partition {@code key}, which {@code partition} (led here) holds the records of:
     * the loaded one, or one that loads now. Completes once loaded, with NONE or the error a
     * fetch answers for it.
     */
    public CompletableFuture<Map.Entry<ErrorCode, Entry>> entry(SharePartitionKey key, Partition partition) {
        while (true) {
            Entry e = entries.get(key);
            if (e != null && (e.partition != partition || e.leaderEpoch != partition.leaderEpoch())) {
                entries.remove(key, e);
                continue;
            }
            if (e == null) {
                Entry fresh = new Entry(key, partition);
                e = entries.putIfAbsent(key, fresh);
                if (e == null) {
                    e = fresh;
                    load(fresh);
                }
            }
            Entry found = e;
            return e.loaded.thenApply(error -> Map.entry(error, found));
        }
    }

    /** An entry already loaded (for acknowledgements, which never load one), if it is still current for {@code partition}. */
    public Optional<Entry> loaded(SharePartitionKey key, Partition partition) {
        Entry e = entries.get(key);
        if (e == null || e.partition != partition || e.leaderEpoch != partition.leaderEpoch()
            || e.loaded.getNow(ErrorCode.UNKNOWN_SERVER_ERROR) != ErrorCode.NONE) {
            return Optional.empty();
        }
        return Optional.of(e);
    }

    private void load(Entry e) {
        persister.read(e.key, e.leaderEpoch).whenComplete((outcome, failure) -> {
            if (failure != null || outcome.error() != ErrorCode.NONE) {
                ErrorCode error = failure != null ? ErrorCode.UNKNOWN_SERVER_ERROR : fetchError(outcome.error());
                log.warn("Cannot read the state of share-partition {}: {}", e.key,
                    failure != null ? failure.toString() : outcome.error() + " " + outcome.message());
                entries.remove(e.key, e);
                e.loaded.complete(error);
                return;
            }
            GroupSettings settings = groupSettings.apply(e.key.groupId());
            ShareState state = outcome.state();
            long start = state.startOffset();
            boolean fresh = start < 0;
            try {
                if (fresh) {
                    start = resetOffset(e.partition, settings.autoOffsetReset());
                }
                SharePartition sp = new SharePartition(settings.partition());
                sp.load(start, state.batches());
                synchronized (e) {
                    e.sp = sp;
                    e.stateEpoch = state.stateEpoch();
                }
            } catch (RuntimeException bad) {
                log.warn("Cannot load the state of share-partition {}: {}", e.key, bad.toString());
                entries.remove(e.key, e);
                e.loaded.complete(ErrorCode.UNKNOWN_SERVER_ERROR);
                return;
            }
            if (!fresh) {
                e.loaded.complete(ErrorCode.NONE);
                return;
            }
            // Where the group starts is written at once: a restart before the first acknowledgement
            // must not move a "latest" start past records produced meanwhile.
            long resolved;
            int complete;
            synchronized (e) {
                resolved = e.sp.startOffset();
                complete = e.sp.deliveryCompleteCount();
            }
            persister.write(e.key, e.stateEpoch, e.leaderEpoch, resolved, complete, List.of()).whenComplete((written, f) -> {
                    ErrorCode error = f != null ? ErrorCode.UNKNOWN_SERVER_ERROR : fetchError(written.error());
                    if (error != ErrorCode.NONE) {
                        entries.remove(e.key, e);
                    }
                    e.loaded.complete(error);
                });
        });
    }

    /** Where a share-partition without a start offset starts: {@code share.auto.offset.reset}. */
    private static long resetOffset(Partition partition, String reset) {
        if ("earliest".equals(reset)) {
            return partition.logStartOffset();
        }
        if (reset != null && reset.startsWith("by_duration:")) {
            Duration back = Duration.parse(reset.substring("by_duration:".length()));
            return partition.offsetForTimestamp(System.currentTimeMillis() - back.toMillis())
                .map(TimestampAndOffset::offset).orElse(partition.highWatermark());
        }
        return partition.highWatermark();
    }

    /** A share coordinator's refusal as a fetch or acknowledgement answers it. */
    static ErrorCode fetchError(ErrorCode error) {
        return switch (error) {
            case NONE -> ErrorCode.NONE;
            case FENCED_LEADER_EPOCH, FENCED_STATE_EPOCH, NOT_LEADER_OR_FOLLOWER -> ErrorCode.NOT_LEADER_OR_FOLLOWER;
            case COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS -> ErrorCode.COORDINATOR_NOT_AVAILABLE;
            default -> ErrorCode.UNKNOWN_SERVER_ERROR;
        };
    }

    // ------------------------------------------------------------------ fetch

    /** Whether a fetch of {@code e} would now find records to acquire (the log's end as the limit). */
    public boolean hasAvailable(Entry e) {
        GroupSettings settings = groupSettings.apply(e.key.groupId());
        long end = settings.readCommitted() ? e.partition.lastStableOffset() : e.partition.highWatermark();
        synchronized (e) {
            return e.sp != null && !e.fetching && e.sp.hasAvailable(end);
        }
    }

    /**
     * Acquires up to {@code maxRecords} records of {@code e} for {@code memberId} (exactly at most,
     * or rounded up to whole log batches unless {@code exact}): reads the log from
     * the next offset to hand out (up to the high watermark, or the last stable offset for a
     * read_committed group) and acquires what the share-partition allows. Runs the read on the
     * caller's thread.
     */
    public Fetched fetch(Entry e, String memberId, int maxRecords, int batchSize, boolean exact, int maxBytes) {
        if (maxRecords <= 0) {
            return Fetched.nothing();
        }
        GroupSettings settings = groupSettings.apply(e.key.groupId());
        Partition partition = e.partition;
        long start;
        synchronized (e) {
            if (e.sp == null || e.fetching) {
                return Fetched.nothing();
            }
            if (partition.logStartOffset() > e.sp.startOffset()) {
                persist(e, e.sp.logStartMoved(partition.logStartOffset()));
            }
            long end = settings.readCommitted() ? partition.lastStableOffset() : partition.highWatermark();
            if (!e.sp.hasAvailable(end)) {
                return Fetched.nothing();
            }
            start = e.sp.nextFetchOffset();
            e.fetching = true;
        }
        MemoryRecords read;
        List<AbortedTxn> aborted = List.of();
        try {
            // A client asks for up to fetch.max.bytes (50 MiB by default) but takes at most maxRecords:
            // read about as much as those records weigh here, not the whole allowance.
            long wanted = (long) (maxRecords * e.bytesPerRecord * 1.25);
            int readBytes = (int) Math.max(1, Math.min(maxBytes, Math.max(MIN_READ_BYTES, wanted)));
            LogReadResult result = partition.read(start, readBytes, true, settings.readCommitted());
            read = materialize(result.records());
            if (settings.readCommitted() && read.sizeInBytes() > 0) {
                aborted = partition.abortedTransactions(start, partition.lastStableOffset());
            }
        } catch (OffsetOutOfRangeException oor) {
            synchronized (e) {
                e.fetching = false;
                persist(e, e.sp.logStartMoved(partition.logStartOffset()));
            }
            return Fetched.nothing();
        } catch (LogStorageException storage) {
            synchronized (e) {
                e.fetching = false;
            }
            return Fetched.failed(ErrorCode.KAFKA_STORAGE_ERROR);
        } catch (RuntimeException other) {
            synchronized (e) {
                e.fetching = false;
            }
            throw other;
        }
        List<RecordBatch> batches = new ArrayList<>();
        List<SharePartition.LogBatch> offered = new ArrayList<>();
        long readRecords = 0;
        for (RecordBatch b : read.completeBatches()) {
            batches.add(b);
            readRecords += b.lastOffset() - b.baseOffset() + 1;
            if (!isAborted(b, aborted)) {
                // An aborted transaction's data is left out: the share-partition archives it as a hole.
                offered.add(new SharePartition.LogBatch(b.baseOffset(), b.lastOffset()));
            }
        }
        List<SharePartition.Acquired> acquired;
        SharePartition.Release archived;
        synchronized (e) {
            e.fetching = false;
            if (readRecords > 0) {
                e.bytesPerRecord = 0.75 * e.bytesPerRecord + 0.25 * ((double) read.sizeInBytes() / readRecords);
            }
            if (e.sp.nextFetchOffset() < start) {
                // Records below the read were released meanwhile: the next fetch starts from them.
                return Fetched.nothing();
            }
            acquired = e.sp.acquire(memberId, offered, maxRecords, batchSize, exact, System.currentTimeMillis());
            archived = e.sp.takeUnpersistedChanges();
            if (!acquired.isEmpty()) {
                armTimer(e);
            }
        }
        persist(e, archived);
        if (acquired.isEmpty()) {
            return Fetched.nothing();
        }
        return new Fetched(ErrorCode.NONE, slice(read, batches, acquired), acquired);
    }

    private static MemoryRecords materialize(Records records) {
        if (records instanceof MemoryRecords m) {
            return m;
        }
        ByteBuffer copy = ByteBuffer.allocate(records.sizeInBytes());
        records.writeTo(copy);
        return MemoryRecords.readableRecords(copy.flip());
    }

    private static boolean isAborted(RecordBatch b, List<AbortedTxn> aborted) {
        if (aborted.isEmpty() || !b.isTransactional() || b.isControlBatch()) {
            return false;
        }
        for (AbortedTxn t : aborted) {
            if (t.producerId() == b.producerId() && t.firstOffset() <= b.baseOffset() && t.lastOffset() >= b.lastOffset()) {
                return true;
            }
        }
        return false;
    }

    /** The log batches from the first to the last one holding an acquired offset. */
    private static Records slice(MemoryRecords read, List<RecordBatch> batches, List<SharePartition.Acquired> acquired) {
        long first = acquired.get(0).firstOffset();
        long last = acquired.get(acquired.size() - 1).lastOffset();
        int from = -1;
        int to = -1;
        int position = 0;
        for (RecordBatch b : batches) {
            int size = b.sizeInBytes();
            if (b.lastOffset() >= first && b.baseOffset() <= last) {
                if (from < 0) {
                    from = position;
                }
                to = position + size;
            }
            position += size;
        }
        if (from < 0) {
            return MemoryRecords.EMPTY;
        }
        ByteBuffer bytes = read.buffer();
        bytes.position(from).limit(to);
        return MemoryRecords.readableRecords(bytes);
    }

    // ------------------------------------------------------------------ acknowledge and release

    /**
     * Applies {@code memberId}'s acknowledgements of {@code e} once they are durable; completes with
     * NONE or the partition's error (INVALID_RECORD_STATE, INVALID_REQUEST, NOT_LEADER_OR_FOLLOWER...).
     */
    public CompletableFuture<ErrorCode> acknowledge(Entry e, String memberId, List<SharePartition.AckRange> ranges) {
        SharePartition.Ack ack;
        int stateEpoch;
        synchronized (e) {
            if (e.sp == null) {
                return CompletableFuture.completedFuture(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            }
            ack = e.sp.acknowledge(memberId, ranges, System.currentTimeMillis());
            if (!ack.ok()) {
                return CompletableFuture.completedFuture(ack.error());
            }
            if (ack.delta().isEmpty()) {
                e.sp.commit(ack);
                armTimer(e);
                return CompletableFuture.completedFuture(ErrorCode.NONE);
            }
            stateEpoch = e.stateEpoch;
        }
        return persister.write(e.key, stateEpoch, e.leaderEpoch, ack.startOffset(), ack.deliveryCompleteCount(),
            ack.delta()).handle((outcome, failure) -> {
                ErrorCode error = failure != null ? ErrorCode.UNKNOWN_SERVER_ERROR : fetchError(outcome.error());
                List<Runnable> wake;
                synchronized (e) {
                    if (error == ErrorCode.NONE) {
                        e.sp.commit(ack);
                    } else {
                        e.sp.rollback(ack);
                    }
                    wake = takeWaiters(e);
                }
                if (error == ErrorCode.NOT_LEADER_OR_FOLLOWER) {
                    entries.remove(e.key, e);
                }
                wake.forEach(Runnable::run);
                return error;
            });
    }

    /** Gives back every record {@code memberId} holds in {@code e} (its session closed, or its connection). */
    public void release(Entry e, String memberId) {
        SharePartition.Release released;
        synchronized (e) {
            if (e.sp == null) {
                return;
            }
            released = e.sp.releaseMember(memberId);
        }
        persist(e, released);
    }

    /** Every loaded share-partition of {@code groupId}. */
    public List<Entry> ofGroup(String groupId) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.key.groupId().equals(groupId)) {
                out.add(e);
            }
        }
        return out;
    }

    /** Forgets the share-partitions of a group nobody here consumes any more; their states are written. */
    public void dropGroup(String groupId) {
        for (Entry e : ofGroup(groupId)) {
            synchronized (e) {
                if (e.sp != null && e.sp.acquiredCount() > 0) {
                    continue;
                }
                if (e.lockTimer != null) {
                    e.lockTimer.cancel(false);
                }
            }
            entries.remove(e.key, e);
        }
    }

    /** Runs {@code wake} once when records of {@code e} become available again (released or timed out). */
    public void onAvailable(Entry e, Runnable wake) {
        synchronized (e) {
            e.waiters.add(wake);
        }
    }

    /** Forgets a waiter that no longer waits (its fetch answered another way). */
    public void forgetWaiter(Entry e, Runnable wake) {
        synchronized (e) {
            e.waiters.remove(wake);
        }
    }

    private static List<Runnable> takeWaiters(Entry e) {
        if (e.waiters.isEmpty()) {
            return List.of();
        }
        List<Runnable> wake = new ArrayList<>(e.waiters);
        e.waiters.clear();
        return wake;
    }

    /** Writes a change already applied; a fenced write drops the share-partition, which reloads on next use. */
    private void persist(Entry e, SharePartition.Release change) {
        if (change == null || change.isEmpty()) {
            return;
        }
        List<Runnable> wake;
        int stateEpoch;
        synchronized (e) {
            wake = takeWaiters(e);
            stateEpoch = e.stateEpoch;
        }
        wake.forEach(Runnable::run);
        persister.write(e.key, stateEpoch, e.leaderEpoch, change.startOffset(), change.deliveryCompleteCount(),
            change.delta()).whenComplete((outcome, failure) -> {
                ErrorCode error = failure != null ? ErrorCode.UNKNOWN_SERVER_ERROR : fetchError(outcome.error());
                if (error == ErrorCode.NONE) {
                    return;
                }
                log.warn("Cannot write the state of share-partition {}: {}", e.key,
                    failure != null ? failure.toString() : outcome.error());
                if (error == ErrorCode.NOT_LEADER_OR_FOLLOWER) {
                    entries.remove(e.key, e);
                }
            });
    }

    // ------------------------------------------------------------------ record locks

    /** Makes sure the lock timer fires by the share-partition's next lock deadline; holds {@code e}. */
    private void armTimer(Entry e) {
        long deadline = e.sp.nextLockDeadline();
        if (deadline == Long.MAX_VALUE || deadline >= e.timerAt) {
            return;
        }
        if (e.lockTimer != null) {
            e.lockTimer.cancel(false);
        }
        e.timerAt = deadline;
        long delay = Math.max(0, deadline - System.currentTimeMillis());
        e.lockTimer = timer.schedule(() -> expire(e), delay, TimeUnit.MILLISECONDS);
    }

    private void expire(Entry e) {
        SharePartition.Release expired;
        synchronized (e) {
            e.timerAt = Long.MAX_VALUE;
            e.lockTimer = null;
            if (e.sp == null || entries.get(e.key) != e) {
                return;
            }
            expired = e.sp.expireLocks(System.currentTimeMillis());
            armTimer(e);
        }
        persist(e, expired);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
