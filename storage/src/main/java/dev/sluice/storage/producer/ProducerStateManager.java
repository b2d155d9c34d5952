package dev.sluice.storage.producer;

import dev.sluice.storage.AbortedTxn;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.BatchRecord;
import dev.sluice.wire.record.ControlRecordType;
import dev.sluice.wire.record.CorruptRecordException;
import dev.sluice.wire.record.EndTransactionMarker;
import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idempotent-producer state of one partition: for each producer id, its epoch and its last five
 * batches. Before a batch with a producer id is appended, {@link #check} decides whether it is
 * new (and in sequence), a retry of one of those five (answered with the offsets it got the first
 * time, so the producer's retry never duplicates data) or out of order.
 *
 * <p>Rules, as Kafka applies them: an epoch older than the producer's current one is
 * INVALID_PRODUCER_EPOCH; a newer epoch must start at sequence 0; within an epoch each batch must
 * start right after the previous one's last sequence (sequences wrap from Integer.MAX_VALUE to 0),
 * else OUT_OF_ORDER_SEQUENCE_NUMBER. A producer the partition has no state for (new, or expired
 * after {@code producer.id.expiration.ms}) may start at any sequence.
 *
 * <p>Bounded: the producer id in a batch is the client's word, and each new one would otherwise add
 * an entry that stays until {@code producer.id.expiration.ms} (a day by default) passes, so a client
 * inventing ids could grow this map without limit. Two bounds apply. The broker refuses ids it
 * never handed out (UNKNOWN_PRODUCER_ID, before this class is asked), so each entry costs a client
 * an InitProducerId round trip. And a partition keeps at most {@link #DEFAULT_MAX_PRODUCERS}
 * producers: a new one evicts the least recently written producer that has no open transaction,
 * exactly as if that producer had expired early. Expiry loses nothing that was acknowledged; an
 * evicted producer that writes again is treated as new (any sequence accepted), so the only cost
 * is that a retry of a batch it sent before going idle the longest on this partition is no longer
 * recognised as a duplicate. Idempotent producers that keep writing are never the ones evicted.
 *
 * <p>Transactions, as Kafka tracks them: a transactional data batch of a producer without an
 * open transaction opens one at its base offset; a control batch (COMMIT or ABORT marker) ends it
 * and {@link #update} returns the {@link CompletedTxn}. The first offset of the earliest
 * transaction not yet both ended and replicated is {@link #firstUnstableOffset()}: a transaction
 * ended by a marker the high watermark has not passed yet ({@link #onHighWatermark}) still
 * counts, so a read_committed consumer never sees a transaction's records as decided before the
 * marker deciding them is committed. On the leader ({@link AppendOrigin#CLIENT}) a transactional
 * batch that would open a transaction must carry the {@link VerificationGuard} this state handed
 * out ({@link #startVerification}) and still holds, a non-transactional batch is refused while the
 * producer's transaction is open (both INVALID_TXN_STATE); a marker ({@link #checkMarker}) is
 * refused for an old producer epoch (INVALID_PRODUCER_EPOCH) or an old coordinator epoch
 * (TRANSACTION_COORDINATOR_FENCED). Producers with an open transaction are never evicted or
 * expired.
 *
 * <p>Not thread-safe: owned by the partition's writer. The owner writes a snapshot
 * ({@link ProducerSnapshotFile}) at each segment roll and at a clean shutdown; after a restart the
 * state is the newest usable snapshot ({@link #loadSnapshot}) plus {@link #replay} of the batches
 * after it, or a replay of the whole log without one.
 */
public final class ProducerStateManager {
    /** Batches remembered per producer: the producer keeps at most five requests in flight. */
    public static final int WINDOW = 5;
    /** Snapshots kept below the oldest useful offset, newest first, as fallbacks. */
    public static final int SNAPSHOTS_KEPT = 2;
    /**
     * Producers remembered per partition. An entry costs about half a kilobyte, so this is about
     * 5 MB per partition at worst; real partitions rarely see more than a few hundred producers
     * within {@code producer.id.expiration.ms}.
     */
    public static final int DEFAULT_MAX_PRODUCERS = 10_000;
    private static final Logger log = LoggerFactory.getLogger(ProducerStateManager.class);

    private final int maxProducers;
    /** In write order, least recently written first: the eviction order. */
    private final LinkedHashMap<Long, ProducerEntry> producers = new LinkedHashMap<>();
    /** Open transactions: first offset to producer id. */
    private final TreeMap<Long, Long> ongoing = new TreeMap<>();
    /** Ended transactions whose marker is not below the high watermark yet: first offset to marker offset. */
    private final TreeMap<Long, Long> unreplicated = new TreeMap<>();
    /** Verifications handed out and not used or ended yet, oldest first; at most {@code maxProducers}. */
    private final LinkedHashMap<Long, Verification> verifications = new LinkedHashMap<>();
    private long evicted;

    /**
     * A verification handed out to a producer at an epoch. {@code epochPerTransaction}: the
     * producer bumps its epoch with every transaction (transactions v2), so the marker ending its
     * previous transaction carries this very epoch and must not end this verification; only a
     * newer one does.
     */
    private record Verification(VerificationGuard guard, short epoch, boolean epochPerTransaction) {
        boolean endedBy(short markerEpoch) {
            return markerEpoch > epoch || !epochPerTransaction && markerEpoch == epoch;
        }
    }

    /**
     * A transaction ended by a marker.
     *
     * @param firstOffset the transaction's first batch here; the marker's own offset when the
     *     producer had no open transaction (a marker is written anyway, as Kafka writes it)
     * @param lastOffset the marker's offset
     */
    public record CompletedTxn(long producerId, long firstOffset, long lastOffset, boolean aborted) {
    }

    public ProducerStateManager() {
        this(DEFAULT_MAX_PRODUCERS);
    }

    /** @param maxProducers how many producers to remember before evicting the least recently written */
    public ProducerStateManager(int maxProducers) {
        if (maxProducers < 1) {
            throw new IllegalArgumentException("maxProducers must be positive, not " + maxProducers);
        }
        this.maxProducers = maxProducers;
    }

    /** The outcome of a check: a new batch, or a duplicate of one already in the log. */
    public record Check(boolean duplicate, long firstOffset, long lastOffset) {
        static final Check NEW = new Check(false, -1, -1);
    }

    private static int lastSequence(RecordBatch batch) {
        return batch.lastSequence();
    }

    /** {@link #check(RecordBatch, AppendOrigin, VerificationGuard)} of a producer's batch without a verification. */
    public Check check(RecordBatch batch) {
        return check(batch, AppendOrigin.CLIENT, VerificationGuard.NONE);
    }

    /**
     * Decides what to do with a data batch about to be appended by {@code origin}: the epoch is
     * checked for a producer's and a coordinator's batches, sequences, duplicates and the
     * transaction rules (see the class comment) for a producer's only, nothing for replication.
     *
     * @param guard what the producer's verification handed out, {@link VerificationGuard#NONE} if none
     * @throws ProducerStateException with INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER or
     *     INVALID_TXN_STATE
     */
    public Check check(RecordBatch batch, AppendOrigin origin, VerificationGuard guard) {
        if (!batch.hasProducerId() || origin == AppendOrigin.REPLICATION) {
            return Check.NEW;
        }
        long producerId = batch.producerId();
        ProducerEntry entry = producers.get(producerId);
        short epoch = batch.producerEpoch();
        if (entry != null && epoch < entry.epoch()) {
            throw new ProducerStateException(ErrorCode.INVALID_PRODUCER_EPOCH, "producer " + producerId
                + " wrote with epoch " + epoch + " but its current epoch is " + entry.epoch());
        }
        if (origin == AppendOrigin.CLIENT && entry != null && epoch == entry.epoch()) {
            ProducerEntry.BatchMetadata duplicate = entry.find(batch.baseSequence(), lastSequence(batch));
            if (duplicate != null) {
                return new Check(true, duplicate.firstOffset(), duplicate.lastOffset());
            }
        }
        boolean open = entry != null && entry.currentTxnFirstOffset() >= 0;
        if (!batch.isTransactional() && open) {
            throw new ProducerStateException(ErrorCode.INVALID_TXN_STATE, "producer " + producerId
                + " wrote a non-transactional batch while its transaction from offset "
                + entry.currentTxnFirstOffset() + " is open");
        }
        if (origin != AppendOrigin.CLIENT) {
            return Check.NEW;
        }
        if (batch.isTransactional() && open && entry.epoch() < epoch) {
            // A transactions-v2 producer's next transaction while the marker of its last is still
            // on its way here: retriable, the marker comes in milliseconds.
            throw new ProducerStateException(ErrorCode.NOT_ENOUGH_REPLICAS, "producer " + producerId
                + " began epoch " + epoch + " before the transaction of epoch " + entry.epoch() + " ended here");
        }
        if (batch.isTransactional() && !open) {
            Verification verification = verifications.get(producerId);
            if (guard == VerificationGuard.NONE || verification == null || verification.guard() != guard) {
                throw new ProducerStateException(ErrorCode.INVALID_TXN_STATE, "producer " + producerId
                    + " started a transaction without a current verification (" + guard + ")");
            }
        }
        if (entry == null) {
            return Check.NEW;
        }
        int first = batch.baseSequence();
        if (epoch > entry.epoch()) {
            if (first != 0) {
                throw new ProducerStateException(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "producer " + batch.producerId()
                    + " started epoch " + epoch + " at sequence " + first + " instead of 0");
            }
            return Check.NEW;
        }
        int previous = entry.lastSequence();
        if (previous != -1 && first != nextSequence(previous)) {
            throw new ProducerStateException(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "producer " + batch.producerId()
                + " sent sequence " + first + " after " + previous + " (epoch " + epoch + ")");
        }
        return Check.NEW;
    }

    private static int nextSequence(int sequence) {
        return sequence == Integer.MAX_VALUE ? 0 : sequence + 1;
    }

    /**
     * Checks a marker the leader is about to write for {@code producerId}.
     *
     * @param epochPerTransaction the marker ends a transaction of a producer that bumps its epoch
     *     with every transaction (transactions v2, KIP-1228): the coordinator bumped it for this
     *     marker, so a marker at the producer's current epoch is a late duplicate that must not end
     *     the transaction it has opened since
     * @throws ProducerStateException INVALID_PRODUCER_EPOCH for an epoch older than the
     *     producer's (or not newer, with {@code epochPerTransaction}), TRANSACTION_COORDINATOR_FENCED
     *     for a coordinator epoch older than the one that wrote its last marker
     */
    public void checkMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean epochPerTransaction) {
        ProducerEntry entry = producers.get(producerId);
        if (entry == null) {
            return;
        }
        if (producerEpoch < entry.epoch() || epochPerTransaction && producerEpoch == entry.epoch()) {
            throw new ProducerStateException(ErrorCode.INVALID_PRODUCER_EPOCH, "marker for producer " + producerId
                + " with epoch " + producerEpoch + " but its current epoch is " + entry.epoch());
        }
        if (coordinatorEpoch < entry.coordinatorEpoch()) {
            throw new ProducerStateException(ErrorCode.TRANSACTION_COORDINATOR_FENCED, "marker for producer "
                + producerId + " from coordinator epoch " + coordinatorEpoch + ", older than "
                + entry.coordinatorEpoch());
        }
    }

    /**
     * Starts a transaction verification: {@link VerificationGuard#NONE} when the producer's
     * transaction is open already, else the guard of its verification at this epoch (a new one
     * unless one of the same or a newer epoch is outstanding). The guard stays current until a
     * marker ends the producer's transaction, a batch opens it, or a newer epoch begins.
     */
    public VerificationGuard startVerification(long producerId, short producerEpoch) {
        return startVerification(producerId, producerEpoch, false);
    }

    /**
     * As {@link #startVerification(long, short)}, for a producer that bumps its epoch with every
     * transaction when {@code epochPerTransaction} (transactions v2): a transaction open here at an
     * older epoch is its previous one, so a verification is needed all the same.
     */
    public VerificationGuard startVerification(long producerId, short producerEpoch, boolean epochPerTransaction) {
        ProducerEntry entry = producers.get(producerId);
        if (entry != null && entry.currentTxnFirstOffset() >= 0 && entry.epoch() >= producerEpoch) {
            return VerificationGuard.NONE;
        }
        Verification current = verifications.get(producerId);
        if (current != null && current.epoch() >= producerEpoch) {
            return current.guard();
        }
        verifications.remove(producerId);
        if (verifications.size() >= maxProducers) {
            // Bounded like the producers: the oldest outstanding verification is forgotten, and its
            // producer's write is refused (INVALID_TXN_STATE) and retried with a new one.
            Iterator<Long> oldest = verifications.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        Verification created = new Verification(new VerificationGuard(producerId), producerEpoch,
            epochPerTransaction);
        verifications.put(producerId, created);
        return created.guard();
    }

    /**
     * Records an appended batch (its offsets already assigned), by any origin.
     *
     * @return the transaction a marker ended, if {@code batch} is a COMMIT or ABORT marker
     */
    public Optional<CompletedTxn> update(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return Optional.empty();
        }
        long producerId = batch.producerId();
        short epoch = batch.producerEpoch();
        // Re-inserted so that the map stays in order of last write.
        ProducerEntry entry = producers.remove(producerId);
        if (entry == null) {
            evictForNewProducer();
            entry = new ProducerEntry(producerId, epoch);
        }
        producers.put(producerId, entry);
        if (epoch != entry.epoch()) {
            entry.newEpoch(epoch);
            Verification verification = verifications.get(producerId);
            if (verification != null && verification.epoch() < epoch) {
                verifications.remove(producerId);
            }
        }
        if (batch.isControlBatch()) {
            entry.touch(batch.maxTimestamp());
            return endTransaction(entry, batch);
        }
        entry.add(new ProducerEntry.BatchMetadata(batch.baseSequence(), lastSequence(batch), batch.baseOffset(),
            batch.lastOffset(), batch.maxTimestamp()));
        if (batch.isTransactional() && entry.currentTxnFirstOffset() < 0) {
            entry.beginTransaction(batch.baseOffset());
            ongoing.put(batch.baseOffset(), producerId);
            verifications.remove(producerId);
        }
        return Optional.empty();
    }

    private Optional<CompletedTxn> endTransaction(ProducerEntry entry, RecordBatch batch) {
        Iterator<BatchRecord> records = batch.records(1 << 20);
        if (!records.hasNext()) {
            return Optional.empty();
        }
        EndTransactionMarker marker;
        try {
            marker = EndTransactionMarker.fromRecord(records.next());
        } catch (CorruptRecordException e) {
            // A control record of another kind (or a newer one): it ends nothing.
            return Optional.empty();
        }
        long markerOffset = batch.baseOffset();
        long first = entry.currentTxnFirstOffset();
        if (first >= 0) {
            ongoing.remove(first);
        } else {
            first = markerOffset;
        }
        entry.endTransaction(marker.coordinatorEpoch());
        Verification verification = verifications.get(entry.producerId());
        if (verification != null && verification.endedBy(batch.producerEpoch())) {
            verifications.remove(entry.producerId());
        }
        unreplicated.put(first, markerOffset);
        return Optional.of(new CompletedTxn(entry.producerId(), first, markerOffset,
            marker.type() == ControlRecordType.ABORT));
    }

    /**
     * The transaction index entry of {@code txn}, just ended by {@link #update}: its last stable
     * offset is the first offset of the earliest transaction still open, else the one after the marker.
     */
    public AbortedTxn abortedTxn(CompletedTxn txn) {
        long lastStable = ongoing.isEmpty() ? txn.lastOffset() + 1 : ongoing.firstKey();
        return new AbortedTxn(txn.producerId(), txn.firstOffset(), txn.lastOffset(), lastStable);
    }

    /**
     * The first offset of the earliest transaction still open, or ended by a marker not yet below
     * the high watermark; empty when there is none. The last stable offset is the lower of this
     * and the high watermark.
     */
    public OptionalLong firstUnstableOffset() {
        long first = Long.MAX_VALUE;
        if (!ongoing.isEmpty()) {
            first = ongoing.firstKey();
        }
        if (!unreplicated.isEmpty()) {
            first = Math.min(first, unreplicated.firstKey());
        }
        return first == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(first);
    }

    /** The high watermark reached {@code highWatermark}: transactions whose marker is below it are settled. */
    public void onHighWatermark(long highWatermark) {
        unreplicated.values().removeIf(markerOffset -> markerOffset < highWatermark);
    }

    /** The open transactions, by first offset, with their producer ids. */
    public Map<Long, Long> openTransactions() {
        return Collections.unmodifiableMap(ongoing);
    }

    /** Makes room for one more producer: drops the least recently written one without an open transaction. */
    private void evictForNewProducer() {
        if (producers.size() < maxProducers) {
            return;
        }
        for (Iterator<ProducerEntry> it = producers.values().iterator(); it.hasNext(); ) {
            if (it.next().currentTxnFirstOffset() < 0) {
                it.remove();
                evicted++;
                return;
            }
        }
        // Every producer has an open transaction: those end or time out on their own.
    }

    /** How many producers were evicted to stay within the bound, since this state was created. */
    public long evictedProducers() {
        return evicted;
    }

    /** Rebuilds state from a batch read back from the log (recovery). */
    public Optional<CompletedTxn> replay(RecordBatch batch) {
        return update(batch);
    }

    /** Forgets producers whose last write is older than {@code expirationMs} before {@code nowMs}. */
    public int expire(long nowMs, long expirationMs) {
        int removed = 0;
        for (Iterator<ProducerEntry> it = producers.values().iterator(); it.hasNext(); ) {
            ProducerEntry e = it.next();
            if (e.currentTxnFirstOffset() < 0 && nowMs - e.lastTimestamp() >= expirationMs) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }

    public Optional<ProducerEntry> producer(long producerId) {
        return Optional.ofNullable(producers.get(producerId));
    }

    /** Every producer with state, for DescribeProducers. Not a copy: read on the owner thread only. */
    public Collection<ProducerEntry> producers() {
        return Collections.unmodifiableCollection(producers.values());
    }

    public void clear() {
        producers.clear();
        ongoing.clear();
        unreplicated.clear();
        verifications.clear();
    }

    /**
     * Writes the current state as the snapshot for {@code offset} (the log end offset it
     * describes) in {@code dir}, then deletes snapshots below {@code oldestUseful} except the
     * newest {@value #SNAPSHOTS_KEPT}, so a corrupt newest one still has a fallback.
     */
    public void writeSnapshot(Path dir, long offset, long oldestUseful) throws IOException {
        ProducerSnapshotFile.write(dir, offset, producers.values());
        deleteSnapshotsBelow(dir, oldestUseful);
    }

    /**
     * Deletes snapshots below {@code oldestUseful} (the base offset of the first segment left),
     * except the newest {@value #SNAPSHOTS_KEPT} snapshots of all.
     */
    public static void deleteSnapshotsBelow(Path dir, long oldestUseful) throws IOException {
        List<Long> offsets = ProducerSnapshotFile.list(dir);
        for (int i = 0; i < offsets.size() - SNAPSHOTS_KEPT; i++) {
            if (offsets.get(i) < oldestUseful) {
                Files.deleteIfExists(ProducerSnapshotFile.path(dir, offsets.get(i)));
            }
        }
    }

    /**
     * Deletes the snapshots above {@code offset}: they describe offsets a truncated log no longer
     * holds, and would be loaded as its state once the log grew past them again.
     */
    public static void deleteSnapshotsAbove(Path dir, long offset) throws IOException {
        for (long snapshot : ProducerSnapshotFile.list(dir)) {
            if (snapshot > offset) {
                Files.deleteIfExists(ProducerSnapshotFile.path(dir, snapshot));
            }
        }
    }

    /**
     * Replaces the state with the newest readable snapshot in {@code dir} at or below
     * {@code logEndOffset}. Snapshots above the log end (the log lost data they describe) are
     * deleted; corrupt ones are skipped, logged and deleted.
     *
     * @return the offset the loaded snapshot describes, from which the log must be replayed;
     *     empty (and no state) if no snapshot could be used
     */
    public OptionalLong loadSnapshot(Path dir, long logEndOffset) throws IOException {
        clear();
        List<Long> offsets = ProducerSnapshotFile.list(dir);
        for (int i = offsets.size() - 1; i >= 0; i--) {
            long offset = offsets.get(i);
            Path file = ProducerSnapshotFile.path(dir, offset);
            if (offset > logEndOffset) {
                Files.deleteIfExists(file);
                continue;
            }
            try {
                for (ProducerEntry entry : ProducerSnapshotFile.read(dir, offset)) {
                    // Snapshots list producers in the order they were kept, least recently written first.
                    producers.remove(entry.producerId());
                    evictForNewProducer();
                    producers.put(entry.producerId(), entry);
                    if (entry.currentTxnFirstOffset() >= 0) {
                        ongoing.put(entry.currentTxnFirstOffset(), entry.producerId());
                    }
                }
                return OptionalLong.of(offset);
            } catch (ProducerSnapshotFile.CorruptSnapshotException e) {
                log.warn("Ignoring producer-state snapshot {}: {}", file, e.getMessage());
                clear();
                Files.deleteIfExists(file);
            }
        }
        return OptionalLong.empty();
    }
}
