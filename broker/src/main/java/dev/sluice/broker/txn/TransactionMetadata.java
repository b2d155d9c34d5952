package dev.sluice.broker.txn;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the coordinator knows of one transactional id: the producer id and epoch it holds, its
 * state and the partitions of its open transaction. An immutable value: every change makes a new
 * one, written to {@code __transaction_state} before it replaces the old.
 *
 * @param previousProducerId the producer id before the epoch last overflowed, -1 if none
 * @param lastProducerEpoch  the epoch before the last bump, -1 if none: a producer retrying a
 *                           request whose answer it lost still holds it (kept in memory only, as Kafka)
 * @param partitions         topic → partitions of the open (or ending) transaction
 * @param startTimestamp     when the open transaction began, -1 when none is open
 * @param clientTransactionVersion 2 when the producer bumps its epoch with every transaction (KIP-890), else 0 or 1
 */
public record TransactionMetadata(String transactionalId, long producerId, long previousProducerId, short producerEpoch,
                                  short lastProducerEpoch, int timeoutMs, TransactionState state,
                                  SortedMap<String, SortedSet<Integer>> partitions, long startTimestamp,
                                  long lastUpdateTimestamp, short clientTransactionVersion) {

    public TransactionMetadata {
        SortedMap<String, SortedSet<Integer>> copy = new TreeMap<>();
        partitions.forEach((topic, ids) -> copy.put(topic, new TreeSet<>(ids)));
        partitions = copy;
    }

    /** A new transactional id: its first producer id at epoch 0, nothing open. */
    static TransactionMetadata fresh(String transactionalId, long producerId, int timeoutMs, long now) {
        return new TransactionMetadata(transactionalId, producerId, -1, (short) 0, (short) -1, timeoutMs,
            TransactionState.EMPTY, new TreeMap<>(), -1, now, (short) 0);
    }

    TransactionMetadata withState(TransactionState next, long now) {
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, producerEpoch, lastProducerEpoch,
            timeoutMs, next, partitions, startTimestamp, now, clientTransactionVersion);
    }

    /** The same producer id at {@code epoch}, the current one kept as the last. */
    TransactionMetadata withEpoch(short epoch) {
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, epoch, producerEpoch, timeoutMs,
            state, partitions, startTimestamp, lastUpdateTimestamp, clientTransactionVersion);
    }

    /** A new producer id at epoch 0 (the epoch ran out): the current one becomes the previous. */
    TransactionMetadata withNewProducerId(long newProducerId) {
        return new TransactionMetadata(transactionalId, newProducerId, producerId, (short) 0, (short) -1, timeoutMs,
            state, partitions, startTimestamp, lastUpdateTimestamp, clientTransactionVersion);
    }

    TransactionMetadata withTimeout(int newTimeoutMs) {
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, producerEpoch, lastProducerEpoch,
            newTimeoutMs, state, partitions, startTimestamp, lastUpdateTimestamp, clientTransactionVersion);
    }

    TransactionMetadata withClientVersion(short version) {
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, producerEpoch, lastProducerEpoch,
            timeoutMs, state, partitions, startTimestamp, lastUpdateTimestamp, version);
    }

    /** Ongoing, with {@code added} joined to its partitions; the start time set if it was not open. */
    TransactionMetadata withPartitionsAdded(Map<String, ? extends Set<Integer>> added, long now) {
        SortedMap<String, SortedSet<Integer>> merged = new TreeMap<>(partitions);
        added.forEach((topic, ids) -> merged.computeIfAbsent(topic, t -> new TreeSet<>()).addAll(ids));
        long start = state == TransactionState.ONGOING ? startTimestamp : now;
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, producerEpoch, lastProducerEpoch,
            timeoutMs, TransactionState.ONGOING, merged, start, now, clientTransactionVersion);
    }

    /** Ended: {@code complete} state, no partitions. */
    TransactionMetadata completed(TransactionState complete, long now) {
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, producerEpoch, lastProducerEpoch,
            timeoutMs, complete, new TreeMap<>(), startTimestamp, now, clientTransactionVersion);
    }

    /** Whether every partition of {@code wanted} is in the transaction. */
    boolean holdsAll(Map<String, ? extends Set<Integer>> wanted) {
        for (Map.Entry<String, ? extends Set<Integer>> e : wanted.entrySet()) {
            SortedSet<Integer> held = partitions.get(e.getKey());
            if (held == null || !held.containsAll(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    boolean holds(String topic, int partition) {
        SortedSet<Integer> held = partitions.get(topic);
        return held != null && held.contains(partition);
    }

    /** The epoch can be bumped once more before the producer id must change. */
    boolean epochExhausted() {
        return producerEpoch >= Short.MAX_VALUE - 1;
    }

    int partitionCount() {
        int n = 0;
        for (SortedSet<Integer> ids : partitions.values()) {
            n += ids.size();
        }
        return n;
    }

    List<String> topics() {
        return List.copyOf(partitions.keySet());
    }
}
