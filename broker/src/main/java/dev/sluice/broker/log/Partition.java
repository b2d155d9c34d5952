package dev.sluice.broker.log;

import dev.sluice.storage.AppendResult;
import dev.sluice.storage.LeaderEpochCheckpoint;
import dev.sluice.storage.LogReadResult;
import dev.sluice.storage.LogStorageException;
import dev.sluice.storage.SegmentClosedException;
import dev.sluice.storage.PartitionLog;
import dev.sluice.storage.TimestampAndOffset;
import dev.sluice.storage.append.AppendException;
import dev.sluice.storage.append.BatchValidator;
import dev.sluice.storage.AbortedTxn;
import dev.sluice.storage.producer.AppendOrigin;
import dev.sluice.storage.producer.ProducerEntry;
import dev.sluice.storage.producer.VerificationGuard;
import dev.sluice.storage.producer.ProducerStateException;
import dev.sluice.storage.producer.ProducerStateManager;
import dev.sluice.storage.producer.ProducerSnapshotFile;
import dev.sluice.storage.remote.RemoteLog;
import dev.sluice.storage.remote.RemoteSegment;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.ControlRecordType;
import dev.sluice.wire.record.EndTransactionMarker;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.TimestampType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition this broker holds a replica of: its log, its idempotent-producer state, its role
 * (leader or follower, with the leader epoch and in-sync replicas the metadata gives it) and its
 * high watermark.
 *
 * <p>On a leader the high watermark is the lowest log end offset over the in-sync replicas: its own,
 * and those its followers reported ({@link #followerFetched}); an in-sync follower that has not
 * reported yet holds it where it is. With the leader its only in-sync replica (every partition of a
 * single broker) it is the log end offset as soon as an append completes. It never moves back on a
 * leader. A follower refuses appends (NOT_LEADER_OR_FOLLOWER).
 *
 * <p>Threading: every change (append, role change, follower progress, DeleteRecords, config, close)
 * runs on the partition's {@link SerialExecutor}, one at a time, in arrival order; results come back
 * as futures. Reads run on the caller's thread against the log's published end and never wait for a
 * writer. The role and the high watermark are published in volatile fields for any thread.
 *
 * <p>Producer state is snapshotted ({@code <offset>.snapshot}) whenever the log rolls and when the
 * partition closes, and rebuilt at start-up from the newest usable snapshot plus the batches after
 * it (docs/durability.md).
 *
 * <p>Transactions: a producer's first transactional batch here must carry the guard of a
 * verification ({@link #startVerification}); the transaction coordinator ends it with a marker
 * ({@link #appendMarker}), written through the same path as data. The last stable offset is the
 * high watermark or, if lower, the first offset of the earliest transaction not yet decided by a
 * committed marker; read_committed reads stop there, and {@link #abortedTransactions} lists what
 * they must drop (the log's transaction indexes, and the cold tier's). A follower tracks the
 * same, so it can lead.
 */
public final class Partition {
    private static final Logger logger = LoggerFactory.getLogger(Partition.class);
    private static final long OUT_OF_SYNC_LOG_INTERVAL_MS = 5_000;
    private final String topic;
    private final Uuid topicId;
    private final int index;
    private final PartitionLog log;
    private final ProducerStateManager producers = new ProducerStateManager();
    private final SerialExecutor writer;
    /** The last step handed to {@link #inOrder}. */
    private final java.util.concurrent.atomic.AtomicReference<CompletableFuture<?>> orderedTail =
        new java.util.concurrent.atomic.AtomicReference<>(CompletableFuture.completedFuture(null));
    private final InstantSource clock;
    private final AppendListener listener;
    private final HighWatermarkListener highWatermarkListener;
    private final LongSupplier producerIdsHandedOut;
    /**
     * Producer ids above the highest block this broker's metadata has seen that a batch may still
     * carry: in a cluster, a block another broker handed out reaches this broker's metadata a
     * moment after that broker's producer may already write here (ten blocks of 1000). Forged ids
     * stay bounded: this range, and the producers each partition remembers.
     */
    static final long PRODUCER_IDS_NOT_YET_SEEN = 10_000;
    private volatile BatchValidator.Rules rules;
    private volatile int minInsyncReplicas;
    private volatile long highWatermark;
    /**
     * The high watermark, or the first offset of the earliest transaction not yet decided (or
     * decided by a marker not yet committed) if that is lower: what read_committed reads stop at.
     * Published on the writer after every change to either; read anywhere.
     */
    private volatile long lastStableOffset;
    private volatile Role role;
    /** On a leader: what each follower last reported, by replica id. Written on the writer. */
    private final Map<Integer, Follower> followers = new ConcurrentHashMap<>();
    /**
     * On a leader: the ISR change sent to the controller and not yet answered or installed, null
     * when none. While it is pending the high watermark counts the maximal ISR (the current one
     * and the one asked for), as Kafka does: an expansion counts at once, a shrink only once
     * committed. Writer only.
     */
    private volatile IsrProposal pendingIsr;
    /** On a leader: the log end offset when its current leader epoch began. Writer only. */
    private long leaderEpochStartOffset;
    private final IsrListener isrListener;
    /** Bytes appended since the partition opened (as leader or follower); written on the writer. */
    private volatile long appendedBytes;
    /** Bytes below the high watermark appended since the partition opened; see {@link #committedBytes}. */
    private volatile long committedBytes;
    /**
     * On a leader whose high watermark lags its log end: {end offset, appended bytes} after each
     * append not yet committed, oldest first, at most {@link #MAX_UNCOMMITTED_APPENDS}. Writer only.
     */
    private final ArrayDeque<long[]> uncommitted = new ArrayDeque<>();
    private static final int MAX_UNCOMMITTED_APPENDS = 1024;
    private volatile boolean offline;
    /** Whether this broker last refused to act on its leadership of this partition; see {@link #actsAsLeader}. */
    private volatile boolean stoppedLeading;
    private volatile TopicSettings.Tiering tiering;
    private volatile RemoteLog remote;
    private volatile Tiering.Reads remoteReads;

    /**
     * Told after records are appended (so waiting fetches can complete, and traffic be counted).
     * Called on the partition's writer: must be quick and must not block.
     */
    @FunctionalInterface
    public interface AppendListener {
        void appended(Partition partition, int bytes, int records);
    }

    /**
     * Told on the partition's writer when the high watermark moves (after an append, a follower's
     * progress or an ISR change). Must be quick and must not block.
     */
    @FunctionalInterface
    public interface HighWatermarkListener {
        void highWatermarkMoved(Partition partition);
    }

    /**
     * Told on a leader's writer when it wants its ISR changed (a follower caught up, or one fell
     * behind); the change goes to the controller as AlterPartition and comes back through
     * {@link #isrChanged} or {@link #isrChangeFailed}. Must be quick and must not block.
     */
    @FunctionalInterface
    public interface IsrListener {
        /** Returns whether the change will be sent; false leaves the ISR alone (nobody to send it to). */
        boolean isrChangeWanted(Partition partition, IsrProposal proposal);
    }

    /**
     * An ISR change a leader asks the controller for: the new ISR, under the leader epoch and
     * partition epoch it was decided on (the controller refuses it if either moved).
     */
    public record IsrProposal(int leaderEpoch, int partitionEpoch, List<Integer> isr) {
        public IsrProposal {
            isr = List.copyOf(isr);
        }
    }

    /** On a leader, what one follower has shown by its fetches. Written on the writer; read anywhere. */
    private static final class Follower {
        /** The fetch offset of its last fetch: it holds everything below; -1 before it fetched. */
        volatile long logEndOffset = -1;
        /**
         * When it last was caught up with this leader, by Kafka's rule (see {@link #followerFetched}).
         * Volatile, like the two below: an idle follower's fetch sets them off the writer.
         */
        volatile long lastCaughtUpMs;
        /** The leader's log end offset at its previous fetch, and when that fetch came (0: none yet). */
        volatile long lastFetchLeaderEnd = -1;
        volatile long lastFetchMs;
        /** When it was last logged as fetching without joining the ISR (debug only; writer only). */
        long lastOutOfSyncLogMs;

        Follower(long lastCaughtUpMs) {
            this.lastCaughtUpMs = lastCaughtUpMs;
        }
    }

    /**
     * Where a follower stands after a step of replication: what its next fetch sends.
     *
     * @param logEndOffset the fetch offset
     * @param latestEpoch the epoch of its last batch (last fetched epoch), -1 if none
     */
    public record FollowerPosition(long logEndOffset, int latestEpoch, long highWatermark) {
    }

    /**
     * The partition's role as the metadata assigns it. Immutable.
     *
     * @param leader whether this broker leads the partition
     * @param leaderId the leading broker's id, -1 when none
     * @param isr the in-sync replicas (the leader among them)
     * @param partitionEpoch the metadata's version of the partition: an ISR change names it
     */
    public record Role(boolean leader, int leaderId, int leaderEpoch, List<Integer> isr, int partitionEpoch) {
        public Role {
            isr = List.copyOf(isr);
        }

        /** The leader of a partition with a single replica: itself. */
        public static Role soleLeader(int nodeId, int leaderEpoch) {
            return new Role(true, nodeId, leaderEpoch, List.of(nodeId), leaderEpoch);
        }
    }

    /**
     * The outcome of appending one partition's records of a Produce request.
     *
     * @param lastOffset the offset of the last record appended (of the original batch for a
     *     duplicate), -1 on failure: an {@code acks=all} write is committed once the high watermark
     *     passes it
     */
    public record AppendOutcome(ErrorCode error, String message, List<AppendException.RecordError> recordErrors,
                                long baseOffset, long logAppendTime, long logStartOffset, long lastOffset) {
        static AppendOutcome failed(ErrorCode error, String message, List<AppendException.RecordError> recordErrors) {
            return new AppendOutcome(error, message, recordErrors, -1, -1, -1, -1);
        }
    }

    /**
     * @param producerIdsHandedOut the first producer id the cluster has not handed out yet (read at
     *     each append): a batch with a producer id at or above it comes from no InitProducerId and is
     *     refused with UNKNOWN_PRODUCER_ID, so producer state only ever holds ids that cost a round trip
     */
    Partition(String topic, Uuid topicId, int index, PartitionLog log, TopicSettings settings, Role role,
              Executor pool, InstantSource clock, AppendListener listener, HighWatermarkListener highWatermarkListener,
              LongSupplier producerIdsHandedOut) {
        this(topic, topicId, index, log, settings, role, pool, clock, listener, highWatermarkListener,
            producerIdsHandedOut, (partition, proposal) -> false);
    }

    Partition(String topic, Uuid topicId, int index, PartitionLog log, TopicSettings settings, Role role,
              Executor pool, InstantSource clock, AppendListener listener, HighWatermarkListener highWatermarkListener,
              LongSupplier producerIdsHandedOut, IsrListener isrListener) {
        this.topic = topic;
        this.isrListener = isrListener;
        this.producerIdsHandedOut = producerIdsHandedOut;
        this.topicId = topicId;
        this.index = index;
        this.log = log;
        this.rules = settings.rules();
        this.minInsyncReplicas = settings.minInsyncReplicas();
        this.tiering = settings.tiering();
        this.role = role;
        this.clock = clock;
        this.listener = listener;
        this.highWatermarkListener = highWatermarkListener;
        this.writer = new SerialExecutor(pool, topic + "-" + index);
        this.highWatermark = log.logEndOffset();
        this.lastStableOffset = highWatermark;
        if (role.leader()) {
            // As a leader does on election: its epoch starts at the log end. Nothing else writes yet.
            log.assignLeaderEpoch(role.leaderEpoch());
            leaderEpochStartOffset = log.logEndOffset();
            resetFollowers(role);
        }
        log.onRoll(this::snapshotProducers);
    }

    public String topic() {
        return topic;
    }

    public Uuid topicId() {
        return topicId;
    }

    public int index() {
        return index;
    }

    public int leaderEpoch() {
        return role.leaderEpoch();
    }

    /** The role the metadata last gave this partition (applied on the writer, in order with appends). */
    public Role role() {
        return role;
    }

    public boolean isLeader() {
        return role.leader();
    }

    /**
     * On a leader: whether every other member of its ISR has fetched from it within the last
     * {@code windowMs}, so none of them has moved on to a newer leader (true when it is the ISR's
     * only member). False on a follower. See {@link Partitions#mayLead}.
     */
    public boolean followedWithin(long windowMs) {
        return role.leader() && silentFollower(windowMs) < 0;
    }

    /** An in-sync follower of this leader that has not fetched within {@code windowMs}, -1 if none. */
    private int silentFollower(long windowMs) {
        Role current = role;
        long now = clock.millis();
        for (int replica : current.isr()) {
            if (replica != current.leaderId()) {
                Follower f = followers.get(replica);
                if (f == null || now - f.lastFetchMs > windowMs) {
                    return replica;
                }
            }
        }
        return -1;
    }

    /**
     * Records whether this broker acts on its leadership of this partition now (see
     * {@link Partitions#mayLead}) and logs each change, with why, once.
     */
    void actsAsLeader(boolean acts, long windowMs) {
        if (acts == !stoppedLeading) {
            return;
        }
        synchronized (this) {
            if (acts == !stoppedLeading) {
                return;
            }
            stoppedLeading = !acts;
        }
        if (acts) {
            logger.info("Acting as the leader of {} again", this);
        } else {
            int silent = silentFollower(windowMs);
            logger.info("Not acting as the leader of {} (leader epoch {}): this broker is not in good standing with "
                + "the controller{}", this, role.leaderEpoch(), silent >= 0 ? ", and in-sync follower " + silent
                + " has not fetched from it within " + windowMs + " ms" : "");
        }
    }

    /** On a leader: the log end offsets its followers last reported, by replica id (empty until replication). */
    public Map<Integer, Long> followerLogEndOffsets() {
        Map<Integer, Long> ends = new java.util.HashMap<>();
        followers.forEach((id, f) -> {
            if (f.logEndOffset >= 0) {
                ends.put(id, f.logEndOffset);
            }
        });
        return Map.copyOf(ends);
    }

    /** Bytes appended since the partition opened, committed or not: what a replica fetch waits for. */
    public long appendedBytes() {
        return appendedBytes;
    }

    /** The epoch of the log's last batch (a follower's last fetched epoch), -1 if none. Any thread. */
    public int latestEpoch() {
        return log.latestEpoch().orElse(-1);
    }

    /**
     * Bytes committed (below the high watermark) since the partition was opened: a fetch waiting for
     * more data compares it with what it was when the fetch parked. On a leader whose followers lag
     * by more than {@value #MAX_UNCOMMITTED_APPENDS} appends it may count late, never early.
     */
    public long committedBytes() {
        return committedBytes;
    }

    public long highWatermark() {
        return highWatermark;
    }

    /**
     * The last stable offset: below it every transaction is decided and its marker committed, so
     * read_committed consumers may read up to it. Equals the high watermark without open
     * transactions. Any thread.
     */
    public long lastStableOffset() {
        return lastStableOffset;
    }

    /**
     * Writer only (or before the partition serves): recomputes the last stable offset from the
     * high watermark and the producer state, after either changed.
     */
    private void publishLastStable() {
        long hw = highWatermark;
        producers.onHighWatermark(hw);
        long unstable = producers.firstUnstableOffset().orElse(Long.MAX_VALUE);
        // An open transaction whose start DeleteRecords or retention removed holds nothing back below the log start.
        lastStableOffset = Math.max(Math.min(hw, unstable), Math.min(hw, logStartOffset()));
    }

    /** The topic's {@code min.insync.replicas}: what an {@code acks=all} write needs. */
    public int minInsyncReplicas() {
        return minInsyncReplicas;
    }

    /** The log's true start: in the cold tier when the oldest segments have left local disk. */
    public long logStartOffset() {
        long local = log.logStartOffset();
        RemoteLog r = remote;
        if (r != null) {
            long tiered = r.startOffset();
            if (tiered >= 0 && tiered < local) {
                return tiered;
            }
        }
        return local;
    }

    /** The first offset still on local disk (ListOffsets EARLIEST_LOCAL). */
    public long localLogStartOffset() {
        return log.logStartOffset();
    }

    /** The last offset copied to the cold tier, -1 if none (ListOffsets LATEST_TIERED). */
    public long lastTieredOffset() {
        RemoteLog r = remote;
        long end = r == null ? -1 : r.endOffset();
        return end < 0 ? -1 : end - 1;
    }

    TopicSettings.Tiering tiering() {
        return tiering;
    }

    /** Whether the topic tiers to the object store ({@code remote.storage.enable}) and this broker has one. */
    public boolean isTiered() {
        return tiering.enabled() && remote != null;
    }

    /** The partition's segments in the cold tier, or null when its topic does not tier. */
    RemoteLog remote() {
        return remote;
    }

    void attachRemote(RemoteLog remoteLog, Tiering.Reads reads) {
        this.remoteReads = reads;
        this.remote = remoteLog;
    }

    /** OffsetForLeaderEpoch from the partition's leader-epoch checkpoint. */
    public LeaderEpochCheckpoint.EpochEnd endOffsetForEpoch(int requestedEpoch) {
        return log.endOffsetForEpoch(requestedEpoch);
    }

    public long logEndOffset() {
        return log.logEndOffset();
    }

    public long sizeInBytes() {
        return log.size();
    }

    PartitionLog log() {
        return log;
    }

    /** The partition's single writer, for work that must not race appends (the log cleaner's swaps). */
    Executor writer() {
        return writer;
    }

    private <T> CompletableFuture<T> onWriter(Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        writer.execute(() -> {
            try {
                result.complete(work.get());
            } catch (RuntimeException | Error e) {
                // Answered even when the JVM is short of memory, so no caller waits forever.
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /**
     * Rebuilds producer state: the newest usable snapshot, then the batches after it; without a
     * snapshot, every batch in the log. Runs once, before the partition serves.
     */
    void recoverProducerState() {
        logger.debug("Recovering producer state of {} up to offset {}", this, log.logEndOffset());
        // Replaying markers also writes back transaction-index entries a crash lost.
        log.loadProducerState(producers);
        publishLastStable();
    }

    /** On the writer, after segments were deleted: their producer-state snapshots go too. */
    private void deleteOldSnapshots() {
        try {
            List<Long> bases = log.segmentBaseOffsets();
            ProducerStateManager.deleteSnapshotsBelow(log.dir(), bases.isEmpty() ? 0 : bases.get(0));
        } catch (IOException e) {
            logger.warn("Cannot delete old producer-state snapshots of {}: {}", this, e.toString());
        }
    }

    /** On the writer, at a roll: the state now describes everything before {@code offset}. */
    private void snapshotProducers(long offset) {
        try {
            List<Long> bases = log.segmentBaseOffsets();
            producers.writeSnapshot(log.dir(), offset, bases.isEmpty() ? offset : bases.get(0));
        } catch (IOException e) {
            // Without this snapshot a restart replays more of the log; nothing is lost.
            logger.warn("Cannot write a producer-state snapshot of {} at offset {}: {}", this, offset, e.toString());
        }
    }

    /** Validates and appends records as a leader, for a write that needs no more than the leader ({@code acks=1}). */
    public CompletableFuture<AppendOutcome> append(MemoryRecords records) {
        return append(records, (short) 1);
    }

    /**
     * Validates and appends one partition's records of a Produce request. A follower refuses them
     * (NOT_LEADER_OR_FOLLOWER); with {@code requiredAcks} -1 so does a leader with fewer in-sync
     * replicas than {@code min.insync.replicas} (NOT_ENOUGH_REPLICAS), before writing anything.
     */
    public CompletableFuture<AppendOutcome> append(MemoryRecords records, short requiredAcks) {
        return append(records, requiredAcks, AppendOrigin.CLIENT, VerificationGuard.NONE);
    }

    /**
     * Why this partition cannot take a leader's write now (offline, not the leader, or too few
     * in-sync replicas for {@code requiredAcks} -1), or null when it can. Writer only.
     */
    private AppendOutcome refusal(Role current, short requiredAcks) {
        if (offline) {
            return AppendOutcome.failed(ErrorCode.KAFKA_STORAGE_ERROR, this + " is offline after a storage error",
                List.of());
        }
        if (!current.leader()) {
            return AppendOutcome.failed(ErrorCode.NOT_LEADER_OR_FOLLOWER, "this broker does not lead " + this,
                List.of());
        }
        if (requiredAcks == -1 && current.isr().size() < minInsyncReplicas) {
            return AppendOutcome.failed(ErrorCode.NOT_ENOUGH_REPLICAS, this + " has " + current.isr().size()
                + " in-sync replicas, min.insync.replicas is " + minInsyncReplicas, List.of());
        }
        return null;
    }

    /**
     * Appends records of {@code origin}: a producer's ({@link AppendOrigin#CLIENT}), whose first
     * transactional batch on this partition must carry the {@code guard} of a verification started
     * with {@link #startVerification} and still current; or a coordinator's own write to its
     * internal topic ({@link AppendOrigin#COORDINATOR}), whose sequences are not checked.
     */
    public CompletableFuture<AppendOutcome> append(MemoryRecords records, short requiredAcks, AppendOrigin origin,
                                                   VerificationGuard guard) {
        if (origin == AppendOrigin.REPLICATION) {
            throw new IllegalArgumentException("a follower appends with appendAsFollower, not as " + origin);
        }
        return onWriter(() -> {
            Role current = role;
            AppendOutcome refused = refusal(current, requiredAcks);
            if (refused != null) {
                return refused;
            }
            long now = clock.millis();
            BatchValidator.Validated validated;
            try {
                validated = BatchValidator.validate(records, rules, now);
            } catch (AppendException e) {
                return AppendOutcome.failed(e.error(), e.getMessage(), e.recordErrors());
            }
            RecordBatch batch = validated.batch();
            if (origin == AppendOrigin.CLIENT && batch.hasProducerId()
                && batch.producerId() >= producerIdsHandedOut.getAsLong() + PRODUCER_IDS_NOT_YET_SEEN) {
                return AppendOutcome.failed(ErrorCode.UNKNOWN_PRODUCER_ID, "producer id " + batch.producerId()
                    + " was never handed out by InitProducerId", List.of());
            }
            ProducerStateManager.Check check;
            try {
                check = producers.check(batch, origin, guard);
            } catch (ProducerStateException e) {
                return AppendOutcome.failed(e.error(), e.getMessage(), List.of());
            }
            if (check.duplicate()) {
                return new AppendOutcome(ErrorCode.NONE, null, List.of(), check.firstOffset(),
                    logAppendTime(batch), log.logStartOffset(), check.lastOffset());
            }
            return appendChecked(batch, current);
        });
    }

    /**
     * Writer only: the tail every leader write shares. Gives the checked batch the log end offset
     * and the leader epoch, appends it, updates the producer state (and transaction index), tells
     * the append listener, and moves the high watermark and last stable offset.
     */
    private AppendOutcome appendChecked(RecordBatch batch, Role current) {
        batch.setBaseOffset(log.logEndOffset());
        batch.setPartitionLeaderEpoch(current.leaderEpoch());
        AppendResult result;
        try {
            result = log.append(MemoryRecords.readableRecords(batch.buffer()));
            log.updateProducerState(producers, batch);
        } catch (LogStorageException e) {
            markOffline(e);
            return AppendOutcome.failed(ErrorCode.KAFKA_STORAGE_ERROR, e.getMessage(), List.of());
        }
        appendedBytes += batch.sizeInBytes();
        listener.appended(this, batch.sizeInBytes(), batch.recordCount());
        AppendOutcome outcome = new AppendOutcome(ErrorCode.NONE, null, List.of(), result.firstOffset(),
            logAppendTime(batch), log.logStartOffset(), result.lastOffset());
        if (!advanceHighWatermark()) {
            if (uncommitted.size() == MAX_UNCOMMITTED_APPENDS) {
                // Coarser steps: committed bytes catch up at the next entry the high watermark passes.
                uncommitted.pollFirst();
            }
            uncommitted.addLast(new long[] {log.logEndOffset(), appendedBytes});
        }
        publishLastStable();
        return outcome;
    }

    /**
     * Runs {@code step} once every step handed here before it has completed, and completes with
     * its result: transactional appends go through here so that a batch waiting for its
     * verification with the transaction coordinator is never overtaken by the next batches of the
     * same producer (they would be out of sequence). Any thread.
     */
    public <T> CompletableFuture<T> inOrder(Supplier<CompletableFuture<T>> step) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletableFuture<?> previous = orderedTail.getAndSet(result);
        previous.handle((v, e) -> null).thenCompose(v -> {
            try {
                return step.get();
            } catch (RuntimeException e) {
                return CompletableFuture.<T>failedFuture(e);
            }
        }).whenComplete((v, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(v);
            }
        });
        return result;
    }

    /**
     * Starts a transaction verification for {@code producerId}: {@link VerificationGuard#NONE}
     * when the producer already has a transaction open here (no verification needed), else a new
     * guard the partition remembers until a marker ends the producer's transaction.
     */
    public CompletableFuture<VerificationGuard> startVerification(long producerId, short producerEpoch) {
        return startVerification(producerId, producerEpoch, false);
    }

    /** As {@link #startVerification(long, short)}, for a producer bumping its epoch per transaction (v2) when {@code epochPerTransaction}. */
    public CompletableFuture<VerificationGuard> startVerification(long producerId, short producerEpoch,
                                                                  boolean epochPerTransaction) {
        return onWriter(() -> producers.startVerification(producerId, producerEpoch, epochPerTransaction));
    }

    /**
     * Writes a transaction marker (WriteTxnMarkers) as the leader: a control batch ending the
     * producer's transaction with COMMIT or ABORT. INVALID_PRODUCER_EPOCH for an epoch older than
     * the producer's, TRANSACTION_COORDINATOR_FENCED for a coordinator epoch older than the last
     * marker's, NOT_LEADER_OR_FOLLOWER on a follower. The caller waits for the high watermark to
     * pass {@link AppendOutcome#lastOffset()} before it acknowledges the marker.
     *
     * @param epochPerTransaction the producer bumps its epoch per transaction (transactions v2): the
     *     marker's epoch must be newer than the producer's (see {@link ProducerStateManager#checkMarker})
     */
    public CompletableFuture<AppendOutcome> appendMarker(long producerId, short producerEpoch, int coordinatorEpoch,
                                                         boolean commit, boolean epochPerTransaction) {
        return onWriter(() -> {
            Role current = role;
            // As Kafka writes markers: with acks=all, so min.insync.replicas applies.
            AppendOutcome refused = refusal(current, (short) -1);
            if (refused != null) {
                return refused;
            }
            try {
                producers.checkMarker(producerId, producerEpoch, coordinatorEpoch, epochPerTransaction);
            } catch (ProducerStateException e) {
                return AppendOutcome.failed(e.error(), e.getMessage(), List.of());
            }
            EndTransactionMarker marker = new EndTransactionMarker(commit ? ControlRecordType.COMMIT
                : ControlRecordType.ABORT, coordinatorEpoch);
            RecordBatch batch = RecordBatchBuilder.endTransactionMarker(log.logEndOffset(), clock.millis(),
                current.leaderEpoch(), producerId, producerEpoch, marker);
            return appendChecked(batch, current);
        });
    }

    /**
     * The aborted transactions a read_committed fetch of {@code fetchOffset} up to
     * {@code upperBoundOffset} (exclusive) must be told of: those whose data may lie in that range.
     */
    public List<AbortedTxn> abortedTransactions(long fetchOffset, long upperBoundOffset) {
        RemoteLog r = remote;
        long localStart = log.logStartOffset();
        if (r == null || fetchOffset >= localStart) {
            return log.collectAbortedTransactions(fetchOffset, upperBoundOffset);
        }
        // From the cold tier first (an object-store read per tiered segment, then cached), then local disk.
        List<AbortedTxn> out = new ArrayList<>();
        try {
            if (r.collectAbortedTransactions(fetchOffset, upperBoundOffset, localStart, out)) {
                return out;
            }
        } catch (IOException e) {
            throw new LogStorageException("cannot read the aborted transactions of " + this + " in " + r + ": " + e, e);
        }
        long seen = out.isEmpty() ? -1 : out.get(out.size() - 1).lastOffset();
        for (AbortedTxn txn : log.collectAbortedTransactions(localStart, upperBoundOffset)) {
            // A tiered segment may overlap the local log's first one.
            if (txn.lastOffset() > seen) {
                out.add(txn);
            }
        }
        return out;
    }

    /** Reads from {@code offset} up to the last stable offset with {@code readCommitted}, else the high watermark. */
    public LogReadResult read(long offset, int maxBytes, boolean minOneBatch, boolean readCommitted) {
        return readBelow(offset, maxBytes, minOneBatch, readCommitted ? lastStableOffset : highWatermark);
    }

    /**
     * Takes the role the metadata now gives this partition, on the writer, in order with appends.
     * A new leader epoch starts at the log end in the leader-epoch checkpoint; a leader forgets what
     * followers reported under an older epoch, and counts each in-sync follower as caught up now
     * (as Kafka does on election); an ISR change may move the high watermark. A new partition epoch
     * or leadership settles any ISR change still pending.
     */
    public CompletableFuture<Void> applyRole(Role next) {
        return onWriter(() -> {
            Role before = role;
            if (next.equals(before)) {
                return null;
            }
            boolean newLeadership = next.leader() && (!before.leader() || next.leaderEpoch() != before.leaderEpoch());
            if (newLeadership) {
                followers.clear();
                if (!offline) {
                    guarded(() -> {
                        log.assignLeaderEpoch(next.leaderEpoch());
                        return null;
                    });
                }
                leaderEpochStartOffset = log.logEndOffset();
            }
            if (!next.leader()) {
                followers.clear();
            }
            if (newLeadership || !next.leader() || next.partitionEpoch() != before.partitionEpoch()) {
                pendingIsr = null;
            }
            role = next;
            if (next.leader()) {
                resetFollowers(next);
            }
            advanceHighWatermark();
            return null;
        });
    }

    /** Gives each in-sync follower without a record one caught up now, so none is dropped at once. */
    private void resetFollowers(Role current) {
        long now = clock.millis();
        for (int replica : current.isr()) {
            if (replica != current.leaderId()) {
                followers.computeIfAbsent(replica, id -> new Follower(now));
            }
        }
    }

    /**
     * On a leader: follower {@code replicaId} fetched from {@code fetchOffset}, so it holds
     * everything below it. That may move the high watermark, and may bring the follower into the
     * ISR (an expansion is proposed once its log end reaches the high watermark and the start of
     * this leader epoch). Kafka's rule for being caught up: a fetch at or past the leader's log end
     * is caught up now; one at or past the leader's log end at the follower's previous fetch was
     * caught up at that previous fetch. Ignored on a follower and for the leader itself.
     *
     * <p>An in-sync follower that fetches again from the offset it last reported, which is still
     * this log's end, changes nothing but its caught-up time: that is recorded on the calling
     * thread, without a task for the writer. Most partitions of a replica fetch are such idle ones,
     * and each would otherwise wait its turn behind the writer's appends. Another fetch from the same
     * follower cannot race it: a follower has one fetch of a partition out at a time, answered only
     * after this returns.
     */
    public CompletableFuture<Void> followerFetched(int replicaId, long fetchOffset) {
        Role held = role;
        Follower idle = followers.get(replicaId);
        if (idle != null && held.leader() && replicaId != held.leaderId() && held.isr().contains(replicaId)
            && idle.logEndOffset == fetchOffset && fetchOffset == log.logEndOffset()) {
            long at = clock.millis();
            idle.lastCaughtUpMs = Math.max(idle.lastCaughtUpMs, at);
            idle.lastFetchLeaderEnd = fetchOffset;
            idle.lastFetchMs = at;
            return CompletableFuture.completedFuture(null);
        }
        return onWriter(() -> {
            Role current = role;
            if (!current.leader() || replicaId == current.leaderId()) {
                return null;
            }
            long now = clock.millis();
            long leaderEnd = log.logEndOffset();
            Follower f = followers.computeIfAbsent(replicaId, id -> new Follower(0));
            if (fetchOffset >= leaderEnd) {
                f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, now);
            } else if (f.lastFetchLeaderEnd >= 0 && fetchOffset >= f.lastFetchLeaderEnd) {
                f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
            }
            f.lastFetchLeaderEnd = leaderEnd;
            f.lastFetchMs = now;
            f.logEndOffset = fetchOffset;
            advanceHighWatermark();
            if (!current.isr().contains(replicaId)) {
                if (pendingIsr == null && fetchOffset >= highWatermark && fetchOffset >= leaderEpochStartOffset) {
                    List<Integer> grown = new ArrayList<>(current.isr());
                    grown.add(replicaId);
                    propose(current, grown);
                } else if (logger.isDebugEnabled() && now - f.lastOutOfSyncLogMs >= OUT_OF_SYNC_LOG_INTERVAL_MS) {
                    f.lastOutOfSyncLogMs = now;
                    logger.debug("{}: follower {} at {} is not added to the ISR {} yet (high watermark {}, leader "
                        + "epoch {} began at {}, pending change {})", this, replicaId, fetchOffset, current.isr(),
                        highWatermark, current.leaderEpoch(), leaderEpochStartOffset, pendingIsr);
                }
            }
            return null;
        });
    }

    /**
     * On a leader: proposes dropping the in-sync followers not caught up within the last
     * {@code lagMs} ({@code replica.lag.time.max.ms}) that lack part of the log. Nothing while
     * another change is pending.
     */
    public CompletableFuture<Void> maybeShrinkIsr(long lagMs) {
        return onWriter(() -> {
            Role current = role;
            if (!current.leader() || pendingIsr != null || current.isr().size() <= 1) {
                return null;
            }
            long now = clock.millis();
            long end = log.logEndOffset();
            List<Integer> kept = new ArrayList<>(current.isr().size());
            for (int replica : current.isr()) {
                Follower f = replica == current.leaderId() ? null : followers.computeIfAbsent(replica,
                    id -> new Follower(now));
                // As Kafka: a follower holding the whole log stays, however long ago it fetched
                // (one whose broker is gone is fenced by the controller instead).
                if (f == null || f.logEndOffset == end || now - f.lastCaughtUpMs <= lagMs) {
                    kept.add(replica);
                }
            }
            if (kept.size() < current.isr().size()) {
                logger.info("Shrinking the ISR of {} from {} to {}: the others are more than {} ms behind", this,
                    current.isr(), kept, lagMs);
                propose(current, kept);
            }
            return null;
        });
    }

    private void propose(Role current, List<Integer> isr) {
        IsrProposal proposal = new IsrProposal(current.leaderEpoch(), current.partitionEpoch(), isr);
        if (isrListener.isrChangeWanted(this, proposal)) {
            pendingIsr = proposal;
            advanceHighWatermark();
        }
    }

    /** The ISR change this leader waits for the controller to answer, if any (writer state, read anywhere). */
    public Optional<IsrProposal> pendingIsrChange() {
        return Optional.ofNullable(pendingIsr);
    }

    /**
     * The controller took {@code sent}: the leader installs the ISR and partition epoch it
     * answered with, unless a newer image already moved past them.
     */
    public CompletableFuture<Void> isrChanged(IsrProposal sent, int leaderEpoch, int partitionEpoch, List<Integer> isr) {
        return onWriter(() -> {
            if (pendingIsr == sent) {
                pendingIsr = null;
            }
            Role current = role;
            if (current.leader() && current.leaderEpoch() == leaderEpoch && partitionEpoch > current.partitionEpoch()) {
                role = new Role(true, current.leaderId(), leaderEpoch, isr, partitionEpoch);
                resetFollowers(role);
                advanceHighWatermark();
                // The ISR itself changed: acks=all writes check it against min.insync.replicas.
                highWatermarkListener.highWatermarkMoved(this);
            }
            return null;
        });
    }

    /**
     * The controller did not take {@code sent}. With {@code waitForImage} (its epochs were stale)
     * it stays pending until the next image settles it, as Kafka does; otherwise it is dropped and
     * proposed again when the reason for it still holds.
     */
    public CompletableFuture<Void> isrChangeFailed(IsrProposal sent, boolean waitForImage) {
        return onWriter(() -> {
            if (pendingIsr == sent && !waitForImage) {
                pendingIsr = null;
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ follower

    private boolean followsAt(int leaderEpoch) {
        Role current = role;
        return !current.leader() && current.leaderEpoch() == leaderEpoch && !offline;
    }

    private FollowerPosition position() {
        return new FollowerPosition(log.logEndOffset(), latestEpoch(), highWatermark);
    }

    /** Where this follower stands, if it still follows at {@code leaderEpoch}. */
    public CompletableFuture<Optional<FollowerPosition>> followerPosition(int leaderEpoch) {
        return onWriter(() -> followsAt(leaderEpoch) ? Optional.of(position()) : Optional.empty());
    }

    /**
     * A follower at {@code leaderEpoch} appends what its leader sent, byte for byte (producer state
     * kept), then takes the leader's high watermark (bounded by its own log end) and log start
     * offset (bounded by its high watermark). Empty, with nothing written, if the role moved on.
     */
    public CompletableFuture<Optional<FollowerPosition>> appendAsFollower(int leaderEpoch, MemoryRecords records,
                                                                          long leaderHighWatermark, long leaderLogStart) {
        return onWriter(() -> {
            if (!followsAt(leaderEpoch)) {
                return Optional.empty();
            }
            Optional<AppendResult> appended = guarded(() -> log.appendAsFollower(records, producers));
            if (appended.isPresent()) {
                appendedBytes += appended.get().sizeInBytes();
                if (uncommitted.size() == MAX_UNCOMMITTED_APPENDS) {
                    uncommitted.pollFirst();
                }
                uncommitted.addLast(new long[] {log.logEndOffset(), appendedBytes});
            }
            followHighWatermark(leaderHighWatermark);
            // The batches may have ended transactions the high watermark has already passed.
            publishLastStable();
            if (leaderLogStart > log.logStartOffset()) {
                long start = Math.min(leaderLogStart, highWatermark);
                if (start > log.logStartOffset()) {
                    guarded(() -> {
                        log.setLogStartOffset(start);
                        return null;
                    });
                    deleteOldSnapshots();
                }
            }
            return Optional.of(position());
        });
    }

    /** A follower's high watermark: the leader's, within its own log. */
    private void followHighWatermark(long leaderHighWatermark) {
        long bounded = log.updateHighWatermark(leaderHighWatermark);
        if (bounded < highWatermark) {
            // A new leader may not have learnt the old one's high watermark yet: follow it down.
            highWatermark = bounded;
            publishLastStable();
        } else {
            moveHighWatermark(bounded);
        }
    }

    /**
     * A follower at {@code leaderEpoch} whose log diverged from its leader's: the leader's log
     * has epoch {@code leaderEpochAt} up to {@code leaderEndOffset} (a fetch response's diverging
     * epoch, or an OffsetForLeaderEpoch answer). Truncates as Kafka's follower does: when this log
     * knows that epoch, to the lower of the two ends; when its own floor epoch is an older one, to
     * where that ended here (the next fetch then asks again with the older epoch); when the
     * leader knows no such epoch, to the high watermark. Never past the log end.
     */
    public CompletableFuture<Optional<FollowerPosition>> truncateToLeader(int leaderEpoch, int leaderEpochAt,
                                                                          long leaderEndOffset) {
        return onWriter(() -> {
            if (!followsAt(leaderEpoch)) {
                return Optional.empty();
            }
            long end = log.logEndOffset();
            long target;
            if (leaderEpochAt < 0 || leaderEndOffset < 0) {
                target = Math.min(highWatermark, end);
            } else {
                LeaderEpochCheckpoint.EpochEnd mine = log.endOffsetForEpoch(leaderEpochAt);
                if (mine.epoch() < 0) {
                    target = Math.min(leaderEndOffset, end);
                } else if (mine.epoch() != leaderEpochAt) {
                    target = Math.min(mine.endOffset(), end);
                } else {
                    target = Math.min(Math.min(leaderEndOffset, mine.endOffset()), end);
                }
            }
            truncate(target);
            return Optional.of(position());
        });
    }

    private void truncate(long offset) {
        if (offset < log.logEndOffset()) {
            logger.info("Truncating {} to offset {} (log end {}), where it diverged from its leader", this, offset,
                log.logEndOffset());
        }
        // At or past the log end no record is cut, but an epoch this replica began there without
        // writing under it (it led for a moment) goes, as in Kafka: else it would name that epoch as
        // its last one in every fetch, and the leader, which never had it, would answer with the same
        // divergence forever.
        guarded(() -> log.truncateTo(offset, producers));
        highWatermark = Math.min(highWatermark, log.logEndOffset());
        publishLastStable();
        while (!uncommitted.isEmpty() && uncommitted.peekLast()[0] > log.logEndOffset()) {
            uncommitted.pollLast();
        }
    }

    /**
     * A follower whose next offset is below its leader's log start: the log is emptied and starts
     * again at {@code leaderLogStart}, as the leader has nothing before it to send.
     */
    public CompletableFuture<Optional<FollowerPosition>> restartAt(int leaderEpoch, long leaderLogStart) {
        return onWriter(() -> {
            if (!followsAt(leaderEpoch)) {
                return Optional.empty();
            }
            logger.info("Restarting {} at offset {}: its leader's log starts after its log end {}", this,
                leaderLogStart, log.logEndOffset());
            guarded(() -> {
                log.truncateFullyAndStartAt(leaderLogStart, producers);
                return null;
            });
            highWatermark = log.logEndOffset();
            publishLastStable();
            uncommitted.clear();
            return Optional.of(position());
        });
    }

    /**
     * A follower whose next offset has left its leader's local disk for the cold tier
     * (OFFSET_MOVED_TO_TIERED_STORAGE): as Kafka's follower does, it takes the tiered segment
     * holding the offset just below the leader's local log start from the store, empties its log
     * and starts it at that segment's end, with the leader-epoch history and producer state
     * stored with the segment, so that what lies below keeps its epochs (OffsetForLeaderEpoch,
     * divergence checks) and its idempotent producers. It then fetches the rest from the leader.
     * Fails (and the fetcher retries) when the store does not hold that offset yet.
     *
     * <p>The object-store reads run on the partition's writer: a follower takes no produce, and
     * nothing else of it may change while its log is rebuilt.
     */
    public CompletableFuture<Optional<FollowerPosition>> restartFromTier(int leaderEpoch, long leaderLocalStart) {
        return onWriter(() -> {
            if (!followsAt(leaderEpoch)) {
                return Optional.empty();
            }
            RemoteLog r = remote;
            if (r == null) {
                throw new IllegalStateException(this + " has no cold tier to rebuild from");
            }
            try {
                r.load();
                RemoteSegment segment = r.segmentHolding(leaderLocalStart - 1).orElseThrow(() -> new IOException(
                    "the cold tier does not hold offset " + (leaderLocalStart - 1) + " yet"));
                long start = segment.nextOffset();
                Optional<List<LeaderEpochCheckpoint.Entry>> epochs = r.leaderEpochs(segment)
                    .flatMap(bytes -> LeaderEpochCheckpoint.parse(
                        List.of(new String(bytes, StandardCharsets.UTF_8).split("\n"))));
                Optional<byte[]> snapshot = r.producerSnapshot(segment);
                logger.info("Restarting {} at offset {} from the cold tier's segment {}-{}: its leader's local log "
                    + "starts at {}, after its log end {}", this, start, segment.baseOffset(), segment.nextOffset(),
                    leaderLocalStart, log.logEndOffset());
                guarded(() -> {
                    log.truncateFullyAndStartAt(start, producers);
                    epochs.ifPresent(log::restoreLeaderEpochs);
                    return null;
                });
                if (snapshot.isPresent()) {
                    Files.write(ProducerSnapshotFile.path(log.dir(), start), snapshot.get());
                    producers.loadSnapshot(log.dir(), start);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot rebuild " + this + " from " + r + ": " + e.getMessage(), e);
            }
            highWatermark = log.logEndOffset();
            publishLastStable();
            uncommitted.clear();
            return Optional.of(position());
        });
    }

    private static long logAppendTime(RecordBatch batch) {
        return batch.timestampType() == TimestampType.LOG_APPEND_TIME ? batch.maxTimestamp() : -1;
    }

    /**
     * Whether a read at {@code offset} goes to the cold tier (an object-store round trip), so
     * callers can run it on the pool meant for that.
     */
    public boolean inRemoteTier(long offset) {
        RemoteLog r = remote;
        return r != null && offset < log.logStartOffset() && offset >= r.startOffset() && r.startOffset() >= 0;
    }

    /** Whether a search by timestamp may go to the cold tier: it holds offsets no longer on local disk. */
    public boolean searchesRemoteTier() {
        RemoteLog r = remote;
        return r != null && r.startOffset() >= 0 && r.startOffset() < log.logStartOffset();
    }

    /**
     * Reads from {@code offset} up to the high watermark.
     *
     * @throws dev.sluice.storage.OffsetOutOfRangeException if the offset is outside the log
     * @throws LogStorageException if the partition is offline or the read fails (it then goes offline)
     */
    public LogReadResult read(long offset, int maxBytes, boolean minOneBatch) {
        return readBelow(offset, maxBytes, minOneBatch, highWatermark);
    }

    /** Reads from {@code offset}, returning no batch that holds an offset at or above {@code bound}. */
    private LogReadResult readBelow(long offset, int maxBytes, boolean minOneBatch, long bound) {
        if (offline) {
            throw new LogStorageException(this + " is offline after a storage error");
        }
        long hw = bound;
        RemoteLog r = remote;
        if (r != null && offset < log.logStartOffset() && offset >= r.startOffset() && r.startOffset() >= 0) {
            if (offset >= bound) {
                // Only a transaction left open since before the local log start holds a read this far back.
                return new LogReadResult(MemoryRecords.EMPTY, logStartOffset(), log.logEndOffset());
            }
            try {
                long started = System.nanoTime();
                Optional<MemoryRecords> records = r.read(offset, maxBytes, minOneBatch);
                Tiering.Reads reads = remoteReads;
                if (reads != null) {
                    reads.record(System.nanoTime() - started, records.map(MemoryRecords::sizeInBytes).orElse(0));
                }
                if (records.isPresent()) {
                    return new LogReadResult(records.get(), logStartOffset(), log.logEndOffset());
                }
            } catch (IOException e) {
                // The partition stays online: only reads of the cold tier fail, and are retried.
                throw new LogStorageException("cannot read offset " + offset + " of " + this + " from " + r + ": " + e, e);
            }
        }
        if (offset > hw && offset <= log.logEndOffset()) {
            // Above the high watermark but inside the log: nothing visible yet, not an error.
            return new LogReadResult(MemoryRecords.EMPTY, log.logStartOffset(), log.logEndOffset());
        }
        return guarded(() -> log.read(offset, maxBytes, hw, minOneBatch));
    }

    /**
     * A follower's read on the leader: from {@code offset} up to the log end, not the high
     * watermark, since the follower must hold records before they can be committed.
     *
     * @throws dev.sluice.storage.OffsetOutOfRangeException if the offset is outside the local log
     * @throws LogStorageException if the partition is offline or the read fails
     */
    public LogReadResult readForReplica(long offset, int maxBytes, boolean minOneBatch) {
        if (offline) {
            throw new LogStorageException(this + " is offline after a storage error");
        }
        return guarded(() -> log.read(offset, maxBytes, log.logEndOffset(), minOneBatch));
    }

    /**
     * Hands every batch from {@code from} to the log end to {@code visitor}, a megabyte or so read
     * at a time: for loading state kept in a log (the group coordinator's). Runs on the caller.
     */
    public void scan(long from, java.util.function.Consumer<RecordBatch> visitor) {
        guarded(() -> {
            log.scanBatches(from, visitor);
            return null;
        });
    }

    /** The first record at or after {@code timestamp}: in the cold tier first, then on local disk. */
    public Optional<TimestampAndOffset> offsetForTimestamp(long timestamp) {
        RemoteLog r = remote;
        long localStart = log.logStartOffset();
        if (r != null && r.startOffset() >= 0 && r.startOffset() < localStart) {
            try {
                Optional<TimestampAndOffset> found = r.offsetForTimestamp(timestamp, logStartOffset(),
                    log.config().maxDecompressedBatchBytes());
                if (found.isPresent()) {
                    return found;
                }
            } catch (IOException e) {
                throw new LogStorageException("cannot search " + this + " in " + r + " by timestamp: " + e, e);
            }
        }
        return log.offsetForTimestamp(timestamp);
    }

    public Optional<TimestampAndOffset> maxTimestampAndOffset() {
        return log.maxTimestampAndOffset();
    }

    /**
     * Moves the log start offset up to {@code offset} (DeleteRecords); -1 means the high watermark.
     * Completes with the new log start offset.
     */
    public CompletableFuture<Long> deleteRecordsBefore(long offset) {
        return onWriter(() -> {
            long target = offset == -1 ? highWatermark : offset;
            if (target < 0 || target > highWatermark) {
                throw new AppendException(ErrorCode.OFFSET_OUT_OF_RANGE, "cannot delete records before offset " + target
                    + ": the high watermark is " + highWatermark);
            }
            RemoteLog r = remote;
            if (r != null && r.startOffset() >= 0 && target > r.startOffset()) {
                try {
                    r.deleteBefore(target);
                } catch (IOException e) {
                    throw new AppendException(ErrorCode.KAFKA_STORAGE_ERROR, "cannot delete records of " + this
                        + " in " + r + ": " + e);
                }
            }
            if (target > log.logStartOffset()) {
                log.setLogStartOffset(target);
                deleteOldSnapshots();
                publishLastStable();
            }
            return logStartOffset();
        });
    }

    /**
     * Enforces {@code retention.ms} and {@code retention.bytes} on the writer, never past the high
     * watermark. Completes with the number of segments deleted.
     */
    CompletableFuture<Integer> applyRetention() {
        TopicSettings.Tiering t = tiering;
        RemoteLog r = remote;
        if (t.enabled() && r != null) {
            // Local copies go only once the cold tier holds them; the tiering task enforces the total retention.
            return onWriter(() -> guarded(() -> log.deleteRetainedSegments(Math.min(highWatermark, Math.max(r.endOffset(), 0)),
                t.localRetentionMs(), t.localRetentionBytes())));
        }
        return onWriter(() -> guarded(() -> log.deleteRetainedSegments(highWatermark)));
    }

    /** After the cold tier's total retention moved its start: local segments below it go too. */
    CompletableFuture<Void> advanceLocalStart(long offset) {
        return onWriter(() -> {
            if (offset > log.logStartOffset() && offset <= highWatermark) {
                log.setLogStartOffset(offset);
                deleteOldSnapshots();
                publishLastStable();
            }
            return null;
        });
    }

    /**
     * Flushes the log on the writer if it has been unflushed for its {@code flush.ms} or longer at
     * {@code nowMs}; completes with whether it flushed.
     */
    CompletableFuture<Boolean> flushIfDue(long nowMs) {
        if (offline || nowMs - log.lastFlushMs() < log.config().flushMs()) {
            // The common case (flush.ms unset): no task for the writer at all.
            return CompletableFuture.completedFuture(false);
        }
        return onWriter(() -> guarded(() -> {
            if (offline || nowMs - log.lastFlushMs() < log.config().flushMs()) {
                return false;
            }
            log.flush();
            return true;
        }));
    }

    /** Every offset below this is on disk: what {@code recovery-point-offset-checkpoint} records. */
    long recoveryPoint() {
        return log.recoveryPoint();
    }

    /**
     * Takes the high watermark checkpointed before a restart, never above the log end. Called once,
     * before the partition serves. A leader that is its own only in-sync replica (every partition
     * until replication arrives) then advances it to the log end, as a Kafka leader does on
     * election, so nothing acknowledged stays hidden behind a stale checkpoint.
     */
    void restoreHighWatermark(long checkpointed) {
        highWatermark = Math.min(checkpointed, log.logEndOffset());
        advanceHighWatermark();
        publishLastStable();
    }

    /**
     * On a leader, moves the high watermark up to the lowest log end offset over the maximal ISR
     * (the ISR and a pending change's), never back, and tells the listener when it moved. Returns
     * whether it now equals the log end. Runs on the writer (or before the partition serves).
     */
    private boolean advanceHighWatermark() {
        Role current = role;
        long end = log.logEndOffset();
        if (!current.leader()) {
            return highWatermark >= end;
        }
        long candidate = end;
        IsrProposal pending = pendingIsr;
        for (int i = 0, n = current.isr().size() + (pending == null ? 0 : pending.isr().size()); i < n; i++) {
            int replica = i < current.isr().size() ? current.isr().get(i) : pending.isr().get(i - current.isr().size());
            if (replica != current.leaderId()) {
                Follower f = followers.get(replica);
                long reported = f == null ? -1 : f.logEndOffset;
                candidate = Math.min(candidate, reported < 0 ? highWatermark : reported);
            }
        }
        moveHighWatermark(candidate);
        return highWatermark >= end;
    }

    /**
     * Raises the high watermark to {@code candidate} if that is higher: the bytes it passes count
     * as committed, and the listener hears of it. Writer only.
     */
    private void moveHighWatermark(long candidate) {
        if (candidate <= highWatermark) {
            return;
        }
        highWatermark = candidate;
        if (candidate >= log.logEndOffset()) {
            uncommitted.clear();
            committedBytes = appendedBytes;
        } else {
            long committed = committedBytes;
            while (!uncommitted.isEmpty() && uncommitted.peekFirst()[0] <= candidate) {
                committed = uncommitted.pollFirst()[1];
            }
            committedBytes = committed;
        }
        // Before the listener: fetches it wakes read up to the last stable offset too.
        publishLastStable();
        highWatermarkListener.highWatermarkMoved(this);
    }

    /**
     * Whether a disk error (a failed append, flush, roll or read) took this partition offline.
     * Produce and Fetch then answer KAFKA_STORAGE_ERROR for it, while other partitions carry on;
     * the log refuses further writes, so what is on disk stays as it was, and the next start
     * recovers it.
     */
    public boolean isOffline() {
        return offline;
    }

    private <T> T guarded(Supplier<T> work) {
        try {
            return work.get();
        } catch (SegmentClosedException e) {
            // A reader racing a deletion: nothing is wrong with the disk.
            throw e;
        } catch (LogStorageException e) {
            markOffline(e);
            throw e;
        }
    }

    private void markOffline(LogStorageException cause) {
        if (!offline) {
            offline = true;
            logger.error("{} is offline after a storage error; it serves nothing until the broker restarts", this, cause);
        }
    }

    /** A copy of the producer state, taken on the writer thread (DescribeProducers). */
    public CompletableFuture<List<ProducerEntry>> producers() {
        // Copies: the entries themselves keep changing on the writer while the caller reads them.
        return onWriter(() -> producers.producers().stream().map(ProducerEntry::copy).toList());
    }

    /** Forgets producers idle for longer than {@code expirationMs}. */
    void expireProducers(long expirationMs) {
        writer.execute(() -> producers.expire(clock.millis(), expirationMs));
    }

    /**
     * Takes new topic settings. What request handlers read (min.insync.replicas, the validation
     * rules, tiering) changes at once, before the change is acknowledged to the client that made
     * it; the log's own settings change on the writer, in order with appends.
     */
    void updateConfig(TopicSettings settings) {
        tiering = settings.tiering();
        rules = settings.rules();
        minInsyncReplicas = settings.minInsyncReplicas();
        writer.execute(() -> log.updateConfig(settings.logConfig()));
    }

    /** Flushes and closes the log on the writer thread; completes when done. */
    CompletableFuture<Void> close() {
        return onWriter(() -> {
            snapshotProducers(log.logEndOffset());
            log.close();
            return null;
        });
    }

    /** Closes the log and deletes its files (topic deletion). */
    CompletableFuture<Void> delete() {
        return onWriter(() -> {
            log.deleteAll();
            return null;
        });
    }

    @Override
    public String toString() {
        return topic + "-" + index;
    }
}
