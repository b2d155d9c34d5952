package dev.sluice.storage.producer;

import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
    private static final Logger log = LoggerFactory.getLogger(ProducerStateManager.class);

    private final Map<Long, ProducerEntry> producers = new HashMap<>();

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
        ProducerEntry entry = producers.computeIfAbsent(producerId, id -> new ProducerEntry(id, epoch));
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
