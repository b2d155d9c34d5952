package dev.sluice.storage.producer;

import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
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
    private long evicted;

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

    /**
     * Decides what to do with a batch about to be appended.
     *
     * @throws ProducerStateException with INVALID_PRODUCER_EPOCH or OUT_OF_ORDER_SEQUENCE_NUMBER
     */
    public Check check(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return Check.NEW;
        }
        ProducerEntry entry = producers.get(batch.producerId());
        if (entry == null) {
            return Check.NEW;
        }
        short epoch = batch.producerEpoch();
        int first = batch.baseSequence();
        int last = lastSequence(batch);
        if (epoch < entry.epoch()) {
            throw new ProducerStateException(ErrorCode.INVALID_PRODUCER_EPOCH, "producer " + batch.producerId()
                + " wrote with epoch " + epoch + " but its current epoch is " + entry.epoch());
        }
        if (epoch > entry.epoch()) {
            if (first != 0) {
                throw new ProducerStateException(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "producer " + batch.producerId()
                    + " started epoch " + epoch + " at sequence " + first + " instead of 0");
            }
            return Check.NEW;
        }
        ProducerEntry.BatchMetadata duplicate = entry.find(first, last);
        if (duplicate != null) {
            return new Check(true, duplicate.firstOffset(), duplicate.lastOffset());
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

    /** Records an appended batch (its offsets already assigned). */
    public void update(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return;
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
        }
        if (batch.isControlBatch()) {
            entry.touch(batch.maxTimestamp());
            return;
        }
        entry.add(new ProducerEntry.BatchMetadata(batch.baseSequence(), lastSequence(batch), batch.baseOffset(),
            batch.lastOffset(), batch.maxTimestamp()));
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
    public void replay(RecordBatch batch) {
        update(batch);
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
        producers.clear();
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
                }
                return OptionalLong.of(offset);
            } catch (ProducerSnapshotFile.CorruptSnapshotException e) {
                log.warn("Ignoring producer-state snapshot {}: {}", file, e.getMessage());
                producers.clear();
                Files.deleteIfExists(file);
            }
        }
        return OptionalLong.empty();
    }
}
