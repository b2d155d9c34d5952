package dev.sluice.broker.txn;

import dev.sluice.broker.coordinator.CoordinatorContext;
import dev.sluice.broker.coordinator.CoordinatorResult;
import dev.sluice.broker.coordinator.CoordinatorStateMachine;
import dev.sluice.wire.message.ErrorCode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transactional ids of one {@code __transaction_state} partition and their state machine, as
 * Kafka's coordinator runs it: InitProducerId gives a transactional id its producer id and bumps
 * its epoch (fencing older producers, and aborting what they left open); AddPartitionsToTxn and
 * AddOffsetsToTxn open a transaction and add partitions to it; EndTxn moves it to PrepareCommit or
 * PrepareAbort, after which {@link Markers} writes the markers to every partition and the
 * transaction becomes CompleteCommit or CompleteAbort.
 *
 * <p>Every change is written to the partition before it takes effect (the runtime's
 * write-then-answer), so a coordinator that takes over the partition loads exactly what was
 * acknowledged, and resumes writing the markers of every transaction it finds preparing.
 *
 * <p>Transactions v2 (KIP-890): a producer that ends its transactions with EndTxn v5+ gets its
 * epoch bumped by each EndTxn (the markers carry the new epoch, so a late write of the old
 * transaction is fenced at the partition), and its partitions are added by the brokers it
 * produces to rather than by AddPartitionsToTxn.
 *
 * <p>Two timers: transactions open longer than their timeout are aborted (with an epoch bump, which
 * fences the producer that left them), and transactional ids idle for
 * {@code transactional.id.expiration.ms} with nothing open are removed.
 *
 * <p>Threading: not thread-safe; the runtime runs everything on the partition's executor.
 */
public final class TransactionShard implements CoordinatorStateMachine {
    private static final Logger log = LoggerFactory.getLogger(TransactionShard.class);
    private static final String ABORT_TIMER = "abort-timed-out";
    private static final String EXPIRE_TIMER = "expire-transactional-ids";

    /** Writes the markers of a transaction that is preparing to end, then completes it. */
    interface Markers {
        void write(int coordinatorPartition, int coordinatorEpoch, TransactionMetadata ending);
    }

    /** InitProducerId's answer. */
    public record InitOutcome(ErrorCode error, long producerId, short producerEpoch) {
        static InitOutcome failed(ErrorCode error) {
            return new InitOutcome(error, -1, (short) -1);
        }
    }

    /** EndTxn's answer; the producer id and epoch the producer goes on with (v5+). */
    public record EndOutcome(ErrorCode error, long producerId, short producerEpoch) {
        static EndOutcome failed(ErrorCode error) {
            return new EndOutcome(error, -1, (short) -1);
        }
    }

    private final CoordinatorContext context;
    private final TransactionConfig config;
    private final Markers markers;
    private final Map<String, TransactionMetadata> transactions = new HashMap<>();
    private final TransactionCounts counts;
    private volatile int count;

    TransactionShard(CoordinatorContext context, TransactionConfig config, Markers markers, TransactionCounts counts) {
        this.context = context;
        this.config = config;
        this.markers = markers;
        this.counts = counts;
    }

    // ------------------------------------------------------------------ loading

    @Override
    public void replay(ByteBuffer key, ByteBuffer value) {
        String id = TransactionRecords.readKey(key);
        if (value == null) {
            transactions.remove(id);
        } else {
            transactions.put(id, TransactionRecords.readValue(id, value));
        }
    }

    @Override
    public void loaded() {
        count = transactions.size();
        for (TransactionMetadata m : transactions.values()) {
            if (m.state() == TransactionState.PREPARE_COMMIT || m.state() == TransactionState.PREPARE_ABORT) {
                // Its markers may not all have been written before the last coordinator stopped.
                markers.write(context.partition(), context.leaderEpoch(), m);
            }
        }
        scheduleAbortScan();
        scheduleExpiry();
    }

    @Override
    public void unloaded() {
        // Nothing is parked here: marker writing stops once the runtime reports the partition gone.
    }

    int transactionCount() {
        return count;
    }

    @Override
    public String toString() {
        return "transaction coordinator of " + context.partitionName() + " (" + transactions.size() + " transactional ids)";
    }

    // ------------------------------------------------------------------ InitProducerId

    /**
     * InitProducerId with a transactional id. {@code freshProducerId} is an unused producer id the
     * caller reserved, taken when the id is new or its epoch is exhausted. With
     * {@code expectedProducerId} ≥ 0 (KIP-360, v3+) the producer names the id and epoch it had; a
     * retry of a bump it did not hear of is answered again without a second bump.
     */
    CoordinatorResult<InitOutcome> initProducerId(String id, int timeoutMs, long expectedProducerId,
                                                   short expectedEpoch, long freshProducerId) {
        long now = context.now();
        TransactionMetadata m = transactions.get(id);
        if (m == null) {
            TransactionMetadata created = TransactionMetadata.fresh(id, freshProducerId, timeoutMs, now);
            return change(created, new InitOutcome(ErrorCode.NONE, created.producerId(), created.producerEpoch()));
        }
        if (m.state().preparing()) {
            return CoordinatorResult.answer(InitOutcome.failed(ErrorCode.CONCURRENT_TRANSACTIONS));
        }
        if (expectedProducerId >= 0) {
            boolean current = expectedProducerId == m.producerId() && expectedEpoch == m.producerEpoch();
            boolean retried = expectedProducerId == m.producerId() && expectedEpoch == m.lastProducerEpoch()
                && m.state() == TransactionState.EMPTY;
            boolean beforeOverflow = expectedProducerId == m.previousProducerId() && m.state() == TransactionState.EMPTY;
            if (retried || beforeOverflow) {
                return CoordinatorResult.answer(new InitOutcome(ErrorCode.NONE, m.producerId(), m.producerEpoch()));
            }
            if (!current) {
                return CoordinatorResult.answer(InitOutcome.failed(ErrorCode.PRODUCER_FENCED));
            }
        }
        if (m.state() == TransactionState.ONGOING) {
            // An older producer left a transaction open: fence it and abort that transaction; the
            // new producer retries once the abort is complete.
            TransactionMetadata aborting = bumped(m).withState(TransactionState.PREPARE_ABORT, now);
            return change(aborting, InitOutcome.failed(ErrorCode.CONCURRENT_TRANSACTIONS));
        }
        TransactionMetadata next = m.epochExhausted() ? m.withNewProducerId(freshProducerId) : m.withEpoch(
            (short) (m.producerEpoch() + 1));
        next = next.withTimeout(timeoutMs).completed(TransactionState.EMPTY, now);
        return change(next, new InitOutcome(ErrorCode.NONE, next.producerId(), next.producerEpoch()));
    }

    private static TransactionMetadata bumped(TransactionMetadata m) {
        return m.epochExhausted() ? m : m.withEpoch((short) (m.producerEpoch() + 1));
    }

    // ------------------------------------------------------------------ adding partitions

    /** Why a producer may not change its transaction now, or NONE. */
    private static ErrorCode check(TransactionMetadata m, long producerId, short epoch) {
        if (m == null || m.producerId() != producerId) {
            return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
        }
        if (m.producerEpoch() != epoch) {
            return ErrorCode.PRODUCER_FENCED;
        }
        if (m.state().preparing()) {
            return ErrorCode.CONCURRENT_TRANSACTIONS;
        }
        if (m.state() == TransactionState.DEAD) {
            return ErrorCode.INVALID_TXN_STATE;
        }
        return ErrorCode.NONE;
    }

    /**
     * AddPartitionsToTxn (and AddOffsetsToTxn, with the group's {@code __consumer_offsets}
     * partition; and a broker adding a transactions-v2 producer's partition): opens the transaction
     * if none is open and adds {@code partitions}. One error for all partitions.
     */
    CoordinatorResult<ErrorCode> addPartitions(String id, long producerId, short epoch,
                                               Map<String, ? extends Set<Integer>> partitions, short clientVersion) {
        TransactionMetadata m = transactions.get(id);
        ErrorCode error = check(m, producerId, epoch);
        if (error != ErrorCode.NONE) {
            return CoordinatorResult.answer(error);
        }
        if (m.state() == TransactionState.ONGOING && m.holdsAll(partitions)) {
            return CoordinatorResult.answer(ErrorCode.NONE);
        }
        TransactionMetadata next = m.withPartitionsAdded(partitions, context.now());
        if (clientVersion > next.clientTransactionVersion()) {
            next = next.withClientVersion(clientVersion);
        }
        return change(next, ErrorCode.NONE);
    }

    /**
     * A broker's check before a producer's first transactional write to a partition (KIP-890,
     * AddPartitionsToTxn v4+ with verify_only): NONE for each partition in the producer's open
     * transaction, INVALID_TXN_STATE for the others, or the producer's error for all.
     */
    Map<String, Map<Integer, ErrorCode>> verify(String id, long producerId, short epoch,
                                                Map<String, ? extends Set<Integer>> partitions) {
        TransactionMetadata m = transactions.get(id);
        ErrorCode error = check(m, producerId, epoch);
        Map<String, Map<Integer, ErrorCode>> out = new HashMap<>();
        partitions.forEach((topic, ids) -> {
            Map<Integer, ErrorCode> byPartition = new HashMap<>();
            for (int p : ids) {
                ErrorCode e = error;
                if (e == ErrorCode.NONE && (m.state() != TransactionState.ONGOING || !m.holds(topic, p))) {
                    e = ErrorCode.INVALID_TXN_STATE;
                }
                byPartition.put(p, e);
            }
            out.put(topic, byPartition);
        });
        return out;
    }

    // ------------------------------------------------------------------ ending

    /**
     * EndTxn. With {@code bumpEpoch} (transactions v2, EndTxn v5+) the epoch moves on with the
     * markers; a retry of an EndTxn whose answer was lost then arrives with the epoch before the
     * bump and is answered as it was.
     */
    CoordinatorResult<EndOutcome> endTransaction(String id, long producerId, short epoch, boolean commit,
                                                 boolean bumpEpoch) {
        TransactionMetadata m = transactions.get(id);
        if (m == null || m.producerId() != producerId) {
            return CoordinatorResult.answer(EndOutcome.failed(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
        }
        TransactionState prepare = commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT;
        TransactionState complete = commit ? TransactionState.COMPLETE_COMMIT : TransactionState.COMPLETE_ABORT;
        boolean retry = bumpEpoch && epoch == m.lastProducerEpoch() && epoch != m.producerEpoch()
            && (m.state() == prepare || m.state() == complete);
        if (!retry && epoch != m.producerEpoch()) {
            return CoordinatorResult.answer(EndOutcome.failed(ErrorCode.PRODUCER_FENCED));
        }
        long now = context.now();
        EndOutcome same = new EndOutcome(ErrorCode.NONE, m.producerId(), m.producerEpoch());
        switch (m.state()) {
            case ONGOING -> {
                TransactionMetadata next = (bumpEpoch ? bumped(m) : m).withState(prepare, now);
                if (bumpEpoch) {
                    next = next.withClientVersion((short) 2);
                }
                return change(next, new EndOutcome(ErrorCode.NONE, next.producerId(), next.producerEpoch()));
            }
            case PREPARE_COMMIT, PREPARE_ABORT -> {
                return CoordinatorResult.answer(EndOutcome.failed(m.state() == prepare
                    ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE));
            }
            case COMPLETE_COMMIT, COMPLETE_ABORT -> {
                return CoordinatorResult.answer(m.state() == complete ? same
                    : EndOutcome.failed(ErrorCode.INVALID_TXN_STATE));
            }
            case EMPTY -> {
                if (bumpEpoch && !commit) {
                    // A v2 producer aborting before anything was added: nothing to mark, but the
                    // epoch moves on as with every ended transaction.
                    TransactionMetadata next = bumped(m).completed(TransactionState.COMPLETE_ABORT, now);
                    return change(next, new EndOutcome(ErrorCode.NONE, next.producerId(), next.producerEpoch()));
                }
                return CoordinatorResult.answer(EndOutcome.failed(ErrorCode.INVALID_TXN_STATE));
            }
            case PREPARE_EPOCH_FENCE -> {
                return CoordinatorResult.answer(EndOutcome.failed(ErrorCode.CONCURRENT_TRANSACTIONS));
            }
            default -> {
                return CoordinatorResult.answer(EndOutcome.failed(ErrorCode.INVALID_TXN_STATE));
            }
        }
    }

    /**
     * Every marker of {@code ending} is written: the transaction completes. Ignored when the
     * transactional id moved on meanwhile (it cannot while preparing, but a reload may race).
     */
    CoordinatorResult<Boolean> markersWritten(TransactionMetadata ending) {
        TransactionMetadata m = transactions.get(ending.transactionalId());
        if (m == null || m.producerId() != ending.producerId() || m.producerEpoch() != ending.producerEpoch()
            || m.state() != ending.state()) {
            return CoordinatorResult.answer(false);
        }
        TransactionState complete = m.state() == TransactionState.PREPARE_COMMIT
            ? TransactionState.COMPLETE_COMMIT : TransactionState.COMPLETE_ABORT;
        CoordinatorResult<Boolean> written = change(m.completed(complete, context.now()), true);
        return CoordinatorResult.write(written.records(), true, () -> {
            written.apply().run();
            (complete == TransactionState.COMPLETE_COMMIT ? counts.committed() : counts.aborted()).incrementAndGet();
        });
    }

    /** Writes {@code next} as the id's state; once committed it replaces the old and, when preparing, its markers go out. */
    private <T> CoordinatorResult<T> change(TransactionMetadata next, T answer) {
        return CoordinatorResult.write(List.of(TransactionRecords.of(next)), answer, () -> {
            transactions.put(next.transactionalId(), next);
            count = transactions.size();
            if (next.state() == TransactionState.PREPARE_COMMIT || next.state() == TransactionState.PREPARE_ABORT) {
                markers.write(context.partition(), context.leaderEpoch(), next);
            }
        });
    }

    // ------------------------------------------------------------------ reading

    Optional<TransactionMetadata> describe(String id) {
        return Optional.ofNullable(transactions.get(id));
    }

    List<TransactionMetadata> list(Predicate<TransactionMetadata> filter) {
        List<TransactionMetadata> out = new ArrayList<>();
        for (TransactionMetadata m : transactions.values()) {
            if (filter.test(m)) {
                out.add(m);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ timers

    private void scheduleAbortScan() {
        context.schedule(ABORT_TIMER, config.abortTimedOutIntervalMs(), () -> {
            abortTimedOut();
            scheduleAbortScan();
        });
    }

    private void scheduleExpiry() {
        context.schedule(EXPIRE_TIMER, config.removeExpiredIntervalMs(), () -> {
            expireIdle();
            scheduleExpiry();
        });
    }

    /** Aborts every transaction open longer than its timeout, fencing its producer with a bumped epoch. */
    void abortTimedOut() {
        long now = context.now();
        for (TransactionMetadata m : List.copyOf(transactions.values())) {
            if (m.state() == TransactionState.ONGOING && m.startTimestamp() >= 0
                && now - m.startTimestamp() > m.timeoutMs()) {
                log.info("Aborting the transaction of {} (producer id {}, epoch {}) on {}: open for {} ms, longer than"
                    + " its timeout of {} ms", m.transactionalId(), m.producerId(), m.producerEpoch(),
                    context.partitionName(), now - m.startTimestamp(), m.timeoutMs());
                counts.timedOut().incrementAndGet();
                context.write(change(bumped(m).withState(TransactionState.PREPARE_ABORT, now), null))
                    .exceptionally(e -> {
                        log.warn("Cannot abort the timed-out transaction of {}: {}", m.transactionalId(), e.toString());
                        return null;
                    });
            }
        }
    }

    /** Removes transactional ids with nothing open whose last change is older than {@code transactional.id.expiration.ms}. */
    void expireIdle() {
        long now = context.now();
        for (TransactionMetadata m : List.copyOf(transactions.values())) {
            boolean idle = m.state() == TransactionState.EMPTY || m.state() == TransactionState.COMPLETE_COMMIT
                || m.state() == TransactionState.COMPLETE_ABORT;
            if (idle && now - m.lastUpdateTimestamp() >= config.idExpirationMs()) {
                String id = m.transactionalId();
                context.write(CoordinatorResult.write(List.of(TransactionRecords.tombstone(id)), null, () -> {
                    if (transactions.get(id) == m) {
                        transactions.remove(id);
                        count = transactions.size();
                    }
                })).exceptionally(e -> null);
            }
        }
    }
}
