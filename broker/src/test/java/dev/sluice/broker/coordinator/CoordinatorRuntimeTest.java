package dev.sluice.broker.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.SingleNodeMetadata;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.ControlRecordType;
import dev.sluice.wire.record.EndTransactionMarker;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator runtime on real partition logs, hosting a counter: each addition writes the new
 * total as one record, and loading replays the last total.
 */
class CoordinatorRuntimeTest {
    private static final String TOPIC = "__counter_state";
    /** Small enough that a padded record is refused by the partition. */
    private static final int MAX_MESSAGE_BYTES = 512;

    @TempDir
    Path dir;
    private SingleNodeMetadata metadata;
    private Partitions partitions;
    private final List<CoordinatorRuntime<Counter>> runtimes = new ArrayList<>();
    private final AtomicInteger created = new AtomicInteger();

    /** The state machine under test: a total, written as {@code key=counter, value=8-byte total}. */
    static final class Counter implements CoordinatorStateMachine {
        final CoordinatorContext context;
        final CountDownLatch replayGate;
        final List<CompletableFuture<Long>> parked = new ArrayList<>();
        long total;
        /** Totals written for transactional producers, by producer id, not counted until committed. */
        final Map<Long, Long> pending = new HashMap<>();

        Counter(CoordinatorContext context, CountDownLatch replayGate) {
            this.context = context;
            this.replayGate = replayGate;
        }

        @Override
        public void replay(ByteBuffer key, ByteBuffer value) {
            try {
                assertTrue(replayGate.await(10, TimeUnit.SECONDS), "the test never opened the replay gate");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            total = value == null ? 0 : value.getLong();
        }

        @Override
        public void replay(long producerId, short producerEpoch, ByteBuffer key, ByteBuffer value) {
            pending.put(producerId, value == null ? 0 : value.getLong());
        }

        @Override
        public void replayEndTransaction(long producerId, boolean commit) {
            Long written = pending.remove(producerId);
            if (commit && written != null) {
                total = written;
            }
        }

        @Override
        public void loaded() {
        }

        @Override
        public void unloaded() {
            parked.forEach(p -> p.completeExceptionally(
                new CoordinatorException(ErrorCode.NOT_COORDINATOR, "unloaded")));
        }

        CoordinatorResult<Long> add(long n, int padding) {
            long next = total + n;
            ByteBuffer value = ByteBuffer.allocate(8 + padding).putLong(0, next);
            CoordinatorRecord record = new CoordinatorRecord("counter".getBytes(StandardCharsets.UTF_8), value.array());
            return CoordinatorResult.write(List.of(record), next, () -> total = next);
        }

        /** Writes {@code total + n} for a transactional producer: pending until its transaction commits. */
        CoordinatorResult<Long> addFor(long producerId, short producerEpoch, long n) {
            long next = total + n;
            CoordinatorRecord record = new CoordinatorRecord("counter".getBytes(StandardCharsets.UTF_8),
                ByteBuffer.allocate(8).putLong(0, next).array());
            return CoordinatorResult.write(List.of(record), next, () -> pending.put(producerId, next))
                .transactional(producerId, producerEpoch);
        }

        CompletableFuture<Long> park() {
            CompletableFuture<Long> answer = new CompletableFuture<>();
            parked.add(answer);
            return answer;
        }
    }

    @BeforeEach
    void start() throws Exception {
        metadata = SingleNodeMetadata.open(dir.resolve("__cluster_metadata-0"), "runtime-cluster", 1,
            new Controller.TopicDefaults(1, (short) 1, true));
        Controller controller = metadata.controller();
        BrokerConfig config = BrokerConfig.parse(Map.of("log.dirs", dir.toString()));
        partitions = new Partitions(dir, 1, new ConfigResolver(config), 2, 86_400_000L);
        partitions.load(metadata.view().image());
        metadata.view().addListener(partitions);
        controller.createTopics(List.of(new Controller.NewTopic(TOPIC, 2, (short) 1, null,
            Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES)))), false).get();
    }

    @AfterEach
    void stop() {
        runtimes.forEach(CoordinatorRuntime::close);
        metadata.close();
        partitions.close();
    }

    private CoordinatorRuntime<Counter> runtime(CountDownLatch replayGate) {
        CoordinatorRuntime<Counter> runtime = new CoordinatorRuntime<>("test", TOPIC, 1, InstantSource.system(),
            CompressionType.NONE, context -> {
                created.incrementAndGet();
                return new Counter(context, replayGate);
            });
        runtimes.add(runtime);
        return runtime;
    }

    private CoordinatorRuntime<Counter> runtime() {
        return runtime(new CountDownLatch(0));
    }

    private Partition partition(int index) {
        return partitions.get(TOPIC, index).orElseThrow();
    }

    private static void loaded(CoordinatorRuntime<Counter> runtime, int partition) throws Exception {
        runtime.whenLoaded(partition).get(10, TimeUnit.SECONDS);
        assertEquals(ErrorCode.NONE, runtime.status(partition));
    }

    /** A runtime with partition 0 loaded at leader epoch 0. */
    private CoordinatorRuntime<Counter> loadedOnPartitionZero() throws Exception {
        CoordinatorRuntime<Counter> runtime = runtime();
        runtime.load(partition(0), 0);
        loaded(runtime, 0);
        return runtime;
    }

    /** Adds {@code n} on partition 0 and returns the answer: the new total. */
    private static long add(CoordinatorRuntime<Counter> runtime, long n) throws Exception {
        return runtime.write(0, c -> c.add(n, 0)).get(10, TimeUnit.SECONDS);
    }

    private static long total(CoordinatorRuntime<Counter> runtime, int partition) throws Exception {
        return runtime.call(partition, c -> CompletableFuture.completedFuture(c.total)).get(10, TimeUnit.SECONDS);
    }

    private static ErrorCode refusal(CompletableFuture<?> answer) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> answer.get(10, TimeUnit.SECONDS));
        return CoordinatorException.of(e.getCause()).orElseThrow(() -> new AssertionError(e)).error();
    }

    private static <T> CompletableFuture<T> onExecutor(CoordinatorRuntime<Counter> runtime, int partition,
                                                       Function<Counter, T> work) {
        return runtime.call(partition, c -> CompletableFuture.completedFuture(work.apply(c)));
    }

    @Test
    void anAnswerCompletesOnlyOnceItsRecordsAreInThePartitionAndTheStateThenHoldsThem() throws Exception {
        CoordinatorRuntime<Counter> runtime = loadedOnPartitionZero();

        CompletableFuture<Long> logEndAtAnswer = new CompletableFuture<>();
        CompletableFuture<Long> first = runtime.write(0, c -> c.add(3, 0));
        first.whenComplete((v, e) -> logEndAtAnswer.complete(partition(0).logEndOffset()));
        CompletableFuture<Long> second = runtime.write(0, c -> c.add(4, 0));

        assertEquals(3, first.get(10, TimeUnit.SECONDS));
        assertTrue(logEndAtAnswer.get() >= 1, "answered before its record was appended");
        assertEquals(7, second.get(10, TimeUnit.SECONDS), "the second addition saw the first one applied");
        assertEquals(2, partition(0).logEndOffset());
        assertEquals(7, total(runtime, 0));
    }

    /** Partition 0 led here with replica 2 in its ISR, so nothing commits until replica 2 fetches. */
    private Partition withFollower(int leaderEpoch) {
        Partition p = partition(0);
        p.applyRole(new Partition.Role(true, 1, leaderEpoch, List.of(1, 2), leaderEpoch)).join();
        return p;
    }

    @Test
    void aWriteIsAnsweredOnlyOnceTheHighWatermarkPassesItsBatchAndLaterOperationsWaitForIt() throws Exception {
        CoordinatorRuntime<Counter> runtime = loadedOnPartitionZero();
        partitions.addHighWatermarkListener(runtime::highWatermarkMoved);
        Partition p = withFollower(0);

        CompletableFuture<Long> written = runtime.write(0, c -> c.add(3, 0));
        CompletableFuture<Long> read = onExecutor(runtime, 0, c -> c.total);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (p.logEndOffset() < 1) {
            assertTrue(System.nanoTime() < deadline, "the write was not appended");
            Thread.sleep(1);
        }
        assertEquals(0, p.highWatermark());
        assertFalse(written.isDone(), "answered before the follower had the record");
        assertFalse(read.isDone(), "an operation ran before the write ahead of it was committed");

        p.followerFetched(2, 1).join();
        assertEquals(3, written.get(10, TimeUnit.SECONDS));
        assertEquals(3, read.get(10, TimeUnit.SECONDS), "the operation saw the committed write");
    }

    @Test
    void aLoadWaitsUntilItsLogIsCommittedAndReplaysOnlyCommittedRecords() throws Exception {
        CoordinatorRuntime<Counter> first = loadedOnPartitionZero();
        assertEquals(5, add(first, 5));
        first.unload(TOPIC, 0, 0);
        Partition p = withFollower(1);
        // A record the old leader wrote that no follower has yet.
        CoordinatorRuntime<Counter> writer = runtime();
        p.append(dev.sluice.wire.record.MemoryRecords.withBatches(new dev.sluice.wire.record.RecordBatchBuilder(0)
            .append(System.currentTimeMillis(), "counter".getBytes(StandardCharsets.UTF_8),
                ByteBuffer.allocate(8).putLong(0, 9).array()).build())).join();
        assertEquals(2, p.logEndOffset());
        assertEquals(1, p.highWatermark());

        CoordinatorRuntime<Counter> second = writer;
        partitions.addHighWatermarkListener(second::highWatermarkMoved);
        second.load(p, 1);
        assertEquals(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, second.status(0));
        assertEquals(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, refusal(second.write(0, c -> c.add(1, 0))));

        p.followerFetched(2, 2).join();
        loaded(second, 0);
        assertEquals(9, total(second, 0), "loaded once the last record was committed");
    }

    @Test
    void aFailedAppendFailsTheAnswerAndLeavesTheStateAsItWas() throws Exception {
        CoordinatorRuntime<Counter> runtime = loadedOnPartitionZero();
        assertEquals(2, add(runtime, 2));

        ErrorCode error = refusal(runtime.write(0, c -> c.add(100, MAX_MESSAGE_BYTES * 2)));
        assertTrue(error == ErrorCode.MESSAGE_TOO_LARGE || error == ErrorCode.RECORD_LIST_TOO_LARGE, error.name());
        assertEquals(2, total(runtime, 0), "a change whose write failed was applied");

        long answered = runtime.write(0, c -> c.add(100, MAX_MESSAGE_BYTES * 2).orOnFailure(e -> -1L))
            .get(10, TimeUnit.SECONDS);
        assertEquals(-1, answered, "the operation's own failure answer");
        assertEquals(2, total(runtime, 0));
        assertEquals(1, partition(0).logEndOffset());
    }

    @Test
    void timersFireOnThePartitionsExecutorAndCancelOnUnload() throws Exception {
        CoordinatorRuntime<Counter> runtime = runtime();
        runtime.load(partition(0), 0);
        runtime.load(partition(1), 0);
        loaded(runtime, 0);
        loaded(runtime, 1);

        CompletableFuture<String> fired = new CompletableFuture<>();
        onExecutor(runtime, 0, c -> {
            c.context.schedule("tick", 20, () -> fired.complete(Thread.currentThread().getName() + " total=" + c.total));
            return null;
        }).get(10, TimeUnit.SECONDS);
        assertTrue(fired.get(10, TimeUnit.SECONDS).startsWith("sluice-test-coordinator-"), fired.get());

        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        CompletableFuture<Void> unloadedTimer = new CompletableFuture<>();
        onExecutor(runtime, 0, c -> {
            c.context.schedule("cancelled", 200, () -> cancelled.complete(null));
            c.context.cancel("cancelled");
            c.context.schedule("gone", 200, () -> unloadedTimer.complete(null));
            return null;
        }).get(10, TimeUnit.SECONDS);
        runtime.unload(TOPIC, 0, 0);

        // One pool thread and one timer thread: had either cancelled timer fired, its task would
        // have run before this later one on the other partition.
        CompletableFuture<Void> later = new CompletableFuture<>();
        onExecutor(runtime, 1, c -> {
            c.context.schedule("later", 600, () -> later.complete(null));
            return null;
        }).get(10, TimeUnit.SECONDS);
        later.get(10, TimeUnit.SECONDS);
        assertFalse(cancelled.isDone(), "a cancelled timer fired");
        assertFalse(unloadedTimer.isDone(), "a timer of an unloaded partition fired");
    }

    @Test
    void operationsWhileLoadingAreAnsweredLoadInProgressAndTheLoadReplaysThePartition() throws Exception {
        CoordinatorRuntime<Counter> first = loadedOnPartitionZero();
        assertEquals(5, add(first, 5));
        first.unload(TOPIC, 0, 0);

        CountDownLatch gate = new CountDownLatch(1);
        CoordinatorRuntime<Counter> second = runtime(gate);
        second.load(partition(0), 1);
        assertEquals(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, second.status(0));
        assertEquals(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, refusal(second.write(0, c -> c.add(1, 0))));
        assertFalse(second.whenLoaded(0).isDone());

        gate.countDown();
        loaded(second, 0);
        assertEquals(5, total(second, 0));
        assertEquals(6, add(second, 1));
    }

    @Test
    void afterUnloadWaitingAndNewOperationsAreAnsweredNotCoordinator() throws Exception {
        CoordinatorRuntime<Counter> runtime = loadedOnPartitionZero();
        CompletableFuture<Long> waiting = runtime.call(0, Counter::park);

        runtime.unload(TOPIC, 0, 0);
        assertEquals(ErrorCode.NOT_COORDINATOR, refusal(waiting));
        assertEquals(ErrorCode.NOT_COORDINATOR, runtime.status(0));
        assertEquals(ErrorCode.NOT_COORDINATOR, refusal(runtime.write(0, c -> c.add(1, 0))));
        assertEquals(0, partition(0).logEndOffset());
    }

    @Test
    void anAnnouncementWithAnOlderLeaderEpochThanTheLoadedOneIsIgnored() throws Exception {
        CoordinatorRuntime<Counter> runtime = runtime();
        runtime.load(partition(0), 5);
        loaded(runtime, 0);
        assertEquals(1, add(runtime, 1));

        runtime.load(partition(0), 5);
        runtime.becameLeader(partition(0), 3);
        runtime.unload(TOPIC, 0, 4);
        runtime.resigned("another-topic", 0, 9);
        assertEquals(ErrorCode.NONE, runtime.status(0));
        assertEquals(1, created.get(), "the partition was loaded again");
        assertEquals(2, add(runtime, 1), "the state was dropped");

        runtime.becameLeader(partition(0), 6);
        loaded(runtime, 0);
        assertEquals(2, created.get());
        assertEquals(2, total(runtime, 0), "a newer epoch loads the partition afresh from its records");

        runtime.resigned(TOPIC, 0, 6);
        assertEquals(ErrorCode.NOT_COORDINATOR, runtime.status(0));
    }

    // ------------------------------------------------------------------ transactions

    private static final short EPOCH = 3;

    private static RecordBatch totalBatch(long offset, long producerId, long total) {
        RecordBatchBuilder b = new RecordBatchBuilder(offset).partitionLeaderEpoch(1);
        if (producerId >= 0) {
            b.producer(producerId, EPOCH, RecordBatch.NO_SEQUENCE).transactional(true);
        }
        return b.append(System.currentTimeMillis(), "counter".getBytes(StandardCharsets.UTF_8),
            ByteBuffer.allocate(8).putLong(0, total).array()).build();
    }

    private static RecordBatch marker(long offset, long producerId, boolean commit) {
        return RecordBatchBuilder.endTransactionMarker(offset, System.currentTimeMillis(), 1, producerId, EPOCH,
            new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 0));
    }

    /**
     * Fills partition 0 as a follower would from a leader that wrote transactional records and
     * markers (the coordinator's own transactional append path belongs to the partition), then makes
     * this node its sole leader at epoch 2.
     */
    private Partition withTransactionsInTheLog(RecordBatch... batches) {
        Partition p = partition(0);
        p.applyRole(new Partition.Role(false, 2, 1, List.of(1, 2), 1)).join();
        long end = batches[batches.length - 1].lastOffset() + 1;
        assertTrue(p.appendAsFollower(1, MemoryRecords.withBatches(batches), end, 0).join().isPresent());
        p.applyRole(Partition.Role.soleLeader(1, 2)).join();
        assertEquals(end, p.logEndOffset());
        assertEquals(end, p.highWatermark());
        return p;
    }

    @Test
    void loadingKeepsTransactionalRecordsPendingUntilTheirMarkerCommitsOrAbortsThem() throws Exception {
        Partition p = withTransactionsInTheLog(
            totalBatch(0, -1, 5),
            totalBatch(1, 7, 8),
            totalBatch(2, 9, 100),
            marker(3, 7, true),
            marker(4, 9, false),
            totalBatch(5, 11, 42));
        CoordinatorRuntime<Counter> runtime = runtime();
        runtime.load(p, 2);
        loaded(runtime, 0);

        assertEquals(8, total(runtime, 0), "the committed transaction counts, the aborted one does not");
        assertEquals(Map.of(11L, 42L), onExecutor(runtime, 0, c -> Map.copyOf(c.pending)).get(10, TimeUnit.SECONDS),
            "the open transaction stays pending");
    }

    @Test
    void aMarkerThePartitionRefusesChangesNothingAndLaterOperationsStillRun() throws Exception {
        Partition p = withTransactionsInTheLog(totalBatch(0, -1, 5), totalBatch(1, 11, 42));
        CoordinatorRuntime<Counter> runtime = runtime();
        runtime.load(p, 2);
        loaded(runtime, 0);

        // An epoch older than the producer's: refused by the partition (by the placeholder too).
        ErrorCode error = refusal(runtime.writeMarker(0, 11, (short) (EPOCH - 1), 0, true, false));
        assertTrue(error == ErrorCode.INVALID_PRODUCER_EPOCH || error == ErrorCode.INVALID_TXN_STATE, error.name());
        assertEquals(5, total(runtime, 0));
        assertEquals(Map.of(11L, 42L), onExecutor(runtime, 0, c -> Map.copyOf(c.pending)).get(10, TimeUnit.SECONDS));
        assertEquals(6, add(runtime, 1));
        assertEquals(ErrorCode.NOT_COORDINATOR, refusal(runtime.writeMarker(1, 11, EPOCH, 0, true, false)));
    }

    /**
     * The live path: needs the partition's transactional append and markers; skipped while
     * {@link Partition} still has its placeholders (it refuses transactional batches then).
     */
    @Test
    void aTransactionalWriteIsPendingUntilItsCommitMarkerAndAReloadSeesTheSame() throws Exception {
        CoordinatorRuntime<Counter> runtime = loadedOnPartitionZero();
        assertEquals(5, add(runtime, 5));
        CompletableFuture<Long> written = runtime.write(0, c -> c.addFor(21, EPOCH, 10));
        ErrorCode refused = Optional.ofNullable(catchFailure(written)).flatMap(CoordinatorException::of)
            .map(CoordinatorException::error).orElse(ErrorCode.NONE);
        Assumptions.assumeFalse(refused == ErrorCode.INVALID_TXN_STATE,
            "the partition does not take transactional batches yet");
        assertEquals(15, written.get(10, TimeUnit.SECONDS));
        assertEquals(5, total(runtime, 0), "counted before its transaction committed");
        CompletableFuture<Long> aborted = runtime.write(0, c -> c.addFor(22, EPOCH, 1000));
        assertEquals(1005, aborted.get(10, TimeUnit.SECONDS));

        runtime.writeMarker(0, 22, EPOCH, 0, false, false).get(10, TimeUnit.SECONDS);
        runtime.writeMarker(0, 21, EPOCH, 0, true, false).get(10, TimeUnit.SECONDS);
        assertEquals(15, total(runtime, 0));

        List<RecordBatch> batches = new ArrayList<>();
        partition(0).scan(0, batches::add);
        assertEquals(5, batches.size());
        assertTrue(batches.get(1).isTransactional() && batches.get(1).producerId() == 21);
        assertTrue(batches.get(4).isControlBatch());

        runtime.becameLeader(partition(0), 1);
        loaded(runtime, 0);
        assertEquals(15, total(runtime, 0), "the reloaded state differs from the one that wrote it");
    }

    private static Throwable catchFailure(CompletableFuture<?> answer) {
        try {
            answer.get(10, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
