package dev.sluice.broker.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.coordinator.CoordinatorContext;
import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.coordinator.CoordinatorResult;
import dev.sluice.wire.message.ErrorCode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The transaction state machine of one {@code __transaction_state} partition, driven directly:
 * each result's records are "written" (kept) and applied, as the runtime does once they are
 * committed, and a reload replays what was written.
 */
class TransactionShardTest {
    private static final TransactionConfig CONFIG = new TransactionConfig(50, (short) 1, 1, 1 << 20, 900_000,
        604_800_000L, 10_000, 3_600_000, true, 20, 100);
    private static final Map<String, Set<Integer>> TOPIC_0 = Map.of("t", Set.of(0));

    private final Context context = new Context();
    private final List<TransactionMetadata> markersSent = new ArrayList<>();
    private final TransactionCounts counts = new TransactionCounts();
    private TransactionShard shard = newShard();

    private TransactionShard newShard() {
        return new TransactionShard(context, CONFIG, (partition, epoch, ending) -> markersSent.add(ending), counts);
    }

    private <T> T run(CoordinatorResult<T> result) {
        context.written.addAll(result.records());
        result.apply().run();
        return result.response();
    }

    private TransactionShard.InitOutcome init(String id, long fresh) {
        return run(shard.initProducerId(id, 60_000, -1, (short) -1, fresh));
    }

    @Test
    void aNewTransactionalIdGetsEpochZeroAndABumpOnEachInit() {
        TransactionShard.InitOutcome first = init("app", 1000);
        assertEquals(new TransactionShard.InitOutcome(ErrorCode.NONE, 1000, (short) 0), first);
        TransactionShard.InitOutcome second = init("app", 1001);
        assertEquals(new TransactionShard.InitOutcome(ErrorCode.NONE, 1000, (short) 1), second);
    }

    @Test
    void aCommitPreparesWritesMarkersThenCompletes() {
        init("app", 7);
        assertEquals(ErrorCode.NONE, run(shard.addPartitions("app", 7, (short) 0, TOPIC_0, (short) 0)));
        TransactionShard.EndOutcome end = run(shard.endTransaction("app", 7, (short) 0, true, false));
        assertEquals(ErrorCode.NONE, end.error());
        assertEquals(1, markersSent.size());
        TransactionMetadata ending = markersSent.get(0);
        assertEquals(TransactionState.PREPARE_COMMIT, ending.state());
        assertTrue(ending.holds("t", 0));
        // While the markers are written the producer waits.
        assertEquals(ErrorCode.CONCURRENT_TRANSACTIONS,
            run(shard.addPartitions("app", 7, (short) 0, TOPIC_0, (short) 0)));
        assertEquals(ErrorCode.CONCURRENT_TRANSACTIONS, run(shard.endTransaction("app", 7, (short) 0, true, false)).error());
        assertTrue(run(shard.markersWritten(ending)));
        assertEquals(TransactionState.COMPLETE_COMMIT, shard.describe("app").orElseThrow().state());
        assertEquals(1, counts.committed().get());
        assertTrue(shard.describe("app").orElseThrow().partitions().isEmpty());
        // A retried commit is answered as done; an abort of it is not allowed.
        assertEquals(ErrorCode.NONE, run(shard.endTransaction("app", 7, (short) 0, true, false)).error());
        assertEquals(ErrorCode.INVALID_TXN_STATE, run(shard.endTransaction("app", 7, (short) 0, false, false)).error());
    }

    @Test
    void aSecondProducerFencesTheFirstAndAbortsItsOpenTransaction() {
        init("app", 7);
        run(shard.addPartitions("app", 7, (short) 0, TOPIC_0, (short) 0));
        TransactionShard.InitOutcome fencing = init("app", 8);
        assertEquals(ErrorCode.CONCURRENT_TRANSACTIONS, fencing.error());
        TransactionMetadata aborting = markersSent.get(0);
        assertEquals(TransactionState.PREPARE_ABORT, aborting.state());
        assertEquals(1, aborting.producerEpoch(), "the abort's markers carry the bumped epoch, fencing the old producer");
        run(shard.markersWritten(aborting));
        assertEquals(new TransactionShard.InitOutcome(ErrorCode.NONE, 7, (short) 2), init("app", 9));
        // The first producer, still at epoch 0, is fenced everywhere.
        assertEquals(ErrorCode.PRODUCER_FENCED, run(shard.addPartitions("app", 7, (short) 0, TOPIC_0, (short) 0)));
        assertEquals(ErrorCode.PRODUCER_FENCED, run(shard.endTransaction("app", 7, (short) 0, true, false)).error());
        assertEquals(ErrorCode.INVALID_PRODUCER_ID_MAPPING,
            run(shard.addPartitions("app", 99, (short) 2, TOPIC_0, (short) 0)));
    }

    @Test
    void verificationAcceptsOnlyPartitionsOfTheOpenTransaction() {
        init("app", 7);
        Map<String, Set<Integer>> both = Map.of("t", Set.of(0, 1));
        assertEquals(Map.of("t", Map.of(0, ErrorCode.INVALID_TXN_STATE, 1, ErrorCode.INVALID_TXN_STATE)),
            shard.verify("app", 7, (short) 0, both));
        run(shard.addPartitions("app", 7, (short) 0, TOPIC_0, (short) 0));
        assertEquals(Map.of("t", Map.of(0, ErrorCode.NONE, 1, ErrorCode.INVALID_TXN_STATE)),
            shard.verify("app", 7, (short) 0, both));
        assertEquals(Map.of("t", Map.of(0, ErrorCode.PRODUCER_FENCED)), shard.verify("app", 7, (short) 1, TOPIC_0));
    }

    @Test
    void transactionsV2BumpTheEpochAtEveryEndAndAnswerARetryAsBefore() {
        init("app", 7);
        run(shard.addPartitions("app", 7, (short) 0, TOPIC_0, (short) 2));
        TransactionShard.EndOutcome end = run(shard.endTransaction("app", 7, (short) 0, true, true));
        assertEquals(new TransactionShard.EndOutcome(ErrorCode.NONE, 7, (short) 1), end);
        assertEquals(1, markersSent.get(0).producerEpoch());
        run(shard.markersWritten(markersSent.get(0)));
        // The producer did not hear the answer and retries with its old epoch.
        assertEquals(new TransactionShard.EndOutcome(ErrorCode.NONE, 7, (short) 1),
            run(shard.endTransaction("app", 7, (short) 0, true, true)));
        // The next transaction runs at the new epoch.
        assertEquals(ErrorCode.NONE, run(shard.addPartitions("app", 7, (short) 1, TOPIC_0, (short) 2)));
    }

    @Test
    void aTransactionOpenLongerThanItsTimeoutIsAbortedWithTheProducerFenced() {
        run(shard.initProducerId("app", 1_000, -1, (short) -1, 7));
        run(shard.addPartitions("app", 7, (short) 0, TOPIC_0, (short) 0));
        context.now += 999;
        shard.abortTimedOut();
        assertTrue(markersSent.isEmpty());
        context.now += 2;
        shard.abortTimedOut();
        assertEquals(1, markersSent.size());
        assertEquals(TransactionState.PREPARE_ABORT, markersSent.get(0).state());
        assertEquals(1, markersSent.get(0).producerEpoch());
        run(shard.markersWritten(markersSent.get(0)));
        assertEquals(1, counts.timedOut().get());
        assertEquals(1, counts.aborted().get());
        assertEquals(ErrorCode.PRODUCER_FENCED, run(shard.endTransaction("app", 7, (short) 0, true, false)).error());
    }

    @Test
    void idleTransactionalIdsExpireWithATombstone() {
        init("app", 7);
        context.now += CONFIG.idExpirationMs();
        shard.expireIdle();
        assertFalse(shard.describe("app").isPresent());
        assertEquals(null, context.written.get(context.written.size() - 1).value());
    }

    @Test
    void aReloadedPartitionHasTheSameStateAndResumesPreparedMarkers() {
        init("app", 7);
        run(shard.addPartitions("app", 7, (short) 0, Map.of("t", Set.of(0, 3)), (short) 0));
        run(shard.endTransaction("app", 7, (short) 0, false, false));
        init("other", 8);
        markersSent.clear();
        shard = newShard();
        for (CoordinatorRecord r : context.written) {
            shard.replay(ByteBuffer.wrap(r.key()), r.value() == null ? null : ByteBuffer.wrap(r.value()));
        }
        shard.loaded();
        TransactionMetadata app = shard.describe("app").orElseThrow();
        assertEquals(TransactionState.PREPARE_ABORT, app.state());
        assertEquals(Set.of(0, 3), app.partitions().get("t"));
        assertEquals(List.of(app), markersSent, "the markers of the prepared abort are written again");
        assertEquals(TransactionState.EMPTY, shard.describe("other").orElseThrow().state());
    }

    /** Writes are kept, not appended: the tests apply each result themselves. */
    private static final class Context implements CoordinatorContext {
        final List<CoordinatorRecord> written = new ArrayList<>();
        final Map<String, Runnable> timers = new HashMap<>();
        long now = 1_000_000;

        @Override
        public String partitionName() {
            return "__transaction_state-0";
        }

        @Override
        public int partition() {
            return 0;
        }

        @Override
        public int leaderEpoch() {
            return 3;
        }

        @Override
        public long now() {
            return now;
        }

        @Override
        public <T> CompletableFuture<T> write(CoordinatorResult<T> result) {
            written.addAll(result.records());
            result.apply().run();
            return CompletableFuture.completedFuture(result.response());
        }

        @Override
        public void schedule(String key, long delayMs, Runnable task) {
            timers.put(key, task);
        }

        @Override
        public void cancel(String key) {
            timers.remove(key);
        }
    }
}
