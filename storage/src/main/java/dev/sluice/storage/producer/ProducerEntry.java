package dev.sluice.storage.producer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * What the log remembers of one idempotent producer: its epoch, the metadata of its last
 * {@link ProducerStateManager#WINDOW} batches, newest last, the first offset of its open
 * transaction and the epoch of the coordinator that wrote its last marker. Mutable; owned by the partition's writer.
 */
public final class ProducerEntry {
    /** One appended batch: its sequence range, the offsets it got and its max timestamp. */
    public record BatchMetadata(int firstSequence, int lastSequence, long firstOffset, long lastOffset, long timestamp) {
    }

    private final long producerId;
    private short epoch;
    private int coordinatorEpoch = -1;
    private long currentTxnFirstOffset = -1;
    private final Deque<BatchMetadata> batches = new ArrayDeque<>(ProducerStateManager.WINDOW);
    private long lastTimestamp = -1;

    ProducerEntry(long producerId, short epoch) {
        this.producerId = producerId;
        this.epoch = epoch;
    }

    public long producerId() {
        return producerId;
    }

    public short epoch() {
        return epoch;
    }

    public int coordinatorEpoch() {
        return coordinatorEpoch;
    }

    /** First offset of the producer's open transaction, or -1. */
    public long currentTxnFirstOffset() {
        return currentTxnFirstOffset;
    }

    public long lastTimestamp() {
        return lastTimestamp;
    }

    /** Sequence of the last batch appended, or -1 if none since the epoch began. */
    public int lastSequence() {
        return batches.isEmpty() ? -1 : batches.peekLast().lastSequence();
    }

    public long lastOffset() {
        return batches.isEmpty() ? -1 : batches.peekLast().lastOffset();
    }

    public List<BatchMetadata> batches() {
        return List.copyOf(batches);
    }

    /** An independent copy, for readers off the partition's writer. */
    public ProducerEntry copy() {
        ProducerEntry copy = new ProducerEntry(producerId, epoch);
        copy.batches.addAll(batches);
        copy.restore(coordinatorEpoch, currentTxnFirstOffset, lastTimestamp);
        return copy;
    }

    void newEpoch(short newEpoch) {
        epoch = newEpoch;
        batches.clear();
    }

    void add(BatchMetadata batch) {
        if (batches.size() == ProducerStateManager.WINDOW) {
            batches.pollFirst();
        }
        batches.addLast(batch);
        lastTimestamp = Math.max(lastTimestamp, batch.timestamp());
    }

    BatchMetadata find(int firstSequence, int lastSequence) {
        for (BatchMetadata b : batches) {
            if (b.firstSequence() == firstSequence && b.lastSequence() == lastSequence) {
                return b;
            }
        }
        return null;
    }

    /** Sets what a snapshot remembers beyond the batches (which {@link #add} already restored). */
    void restore(int coordinatorEpoch, long currentTxnFirstOffset, long lastTimestamp) {
        this.coordinatorEpoch = coordinatorEpoch;
        this.currentTxnFirstOffset = currentTxnFirstOffset;
        this.lastTimestamp = lastTimestamp;
    }

    /** A transactional batch at {@code firstOffset} opens the producer's transaction. */
    void beginTransaction(long firstOffset) {
        currentTxnFirstOffset = firstOffset;
    }

    /** A marker written by coordinator epoch {@code coordinatorEpoch} ends the transaction, if any. */
    void endTransaction(int coordinatorEpoch) {
        currentTxnFirstOffset = -1;
        this.coordinatorEpoch = coordinatorEpoch;
    }

    void touch(long timestamp) {
        lastTimestamp = Math.max(lastTimestamp, timestamp);
    }
}
