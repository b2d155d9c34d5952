package dev.sluice.broker.coordinator;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.SerialExecutor;
import dev.sluice.broker.replica.LeadershipListener;
import dev.sluice.storage.producer.AppendOrigin;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.BatchRecord;
import dev.sluice.wire.record.ControlRecordType;
import dev.sluice.wire.record.EndTransactionMarker;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts a coordinator's state machine on every partition of its internal topic that this node
 * leads: the generic half of a coordinator (groups now; transactions and share groups next), so
 * each of them only says what its records mean and how it answers requests.
 *
 * <p>Per partition the runtime owns:
 * <ul>
 *   <li>one serial executor, on which every operation, timer and write completion of that
 *       partition runs, one at a time, so a state machine needs no locks;</li>
 *   <li>timers, scheduled and cancelled by key; one timer thread shared by all partitions only
 *       hands an expired timer back to its partition's executor;</li>
 *   <li>write-then-answer: an operation returns a {@link CoordinatorResult} (records plus answer);
 *       the records are appended as one batch, and only once that batch is committed (the
 *       partition's high watermark passed it; see {@link #highWatermarkMoved}) is the state
 *       changed and the answer completed; operations and timers that arrive while a write is in flight
 *       wait until it is done, so each one sees the state every write before it made;</li>
 *   <li>transactions: a result may be written for a transactional producer as that producer's
 *       transactional batch ({@link CoordinatorResult#transactional}), and a marker ending the
 *       producer's transaction is a write like any other ({@link #writeMarker}), ordered with the
 *       partition's other writes and reported to the state machine only once committed. Loading
 *       hands transactional records to the state machine as pending for their producer and the
 *       markers read from the log as the ends of those transactions, in log order, so a reloaded
 *       state machine sees the same history as the one that wrote it;</li>
 *   <li>load and unload on leadership: {@link #load} waits until the partition's log is committed
 *       to its end, then replays it into a fresh state machine, answering COORDINATOR_LOAD_IN_PROGRESS until that is done; {@link #unload} cancels
 *       the timers, fails waiting operations with NOT_COORDINATOR and drops the state. A leader
 *       epoch older than the one loaded is ignored, so a late announcement cannot undo a newer one.</li>
 * </ul>
 *
 * <p>The executors run on the runtime's own pool, never on the partition writers' pool: a heavy
 * operation (an assignment for many members) delays only other coordinator partitions, never
 * produce or fetch.
 *
 * <p>Threading: the public methods may be called from any thread. Operations hop onto their
 * partition's executor and hand results back as futures.
 */
public final class CoordinatorRuntime<S extends CoordinatorStateMachine> implements LeadershipListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorRuntime.class);
    /** How long {@link #close} waits for the partitions to unload. */
    private static final long CLOSE_WAIT_MS = 5_000;

    /** Builds the state machine of one partition; called on that partition's executor. */
    @FunctionalInterface
    public interface Factory<S> {
        S create(CoordinatorContext context);
    }

    private final String name;
    private final String topic;
    private final InstantSource clock;
    private final CompressionType compression;
    private final Factory<S> factory;
    private final ExecutorService pool;
    private final ScheduledThreadPoolExecutor timer;
    private final Map<Integer, Shard> shards = new ConcurrentHashMap<>();

    /**
     * @param name        what the coordinator is called in thread names and logs ({@code group})
     * @param topic       its internal topic; leadership of other topics is ignored
     * @param threads     the pool the partitions' executors share
     * @param compression the codec of the batches it appends
     */
    public CoordinatorRuntime(String name, String topic, int threads, InstantSource clock, CompressionType compression,
                              Factory<S> factory) {
        this.name = name;
        this.topic = topic;
        this.clock = clock;
        this.compression = compression;
        this.factory = factory;
        AtomicInteger count = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "sluice-" + name + "-coordinator-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sluice-" + name + "-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    public String topic() {
        return topic;
    }

    // ------------------------------------------------------------------ leadership

    @Override
    public void becameLeader(Partition partition, int leaderEpoch) {
        load(partition, leaderEpoch);
    }

    @Override
    public void resigned(String topic, int partition, int leaderEpoch) {
        unload(topic, partition, leaderEpoch);
    }

    /**
     * Loads {@code partition} at {@code leaderEpoch}: a fresh state machine replays it on its
     * executor. Ignored when that epoch or a newer one is loaded already; a partition loaded at an
     * older epoch is unloaded first.
     */
    public void load(Partition partition, int leaderEpoch) {
        if (!partition.topic().equals(topic)) {
            return;
        }
        List<Shard> replaced = new ArrayList<>(1);
        List<Shard> created = new ArrayList<>(1);
        shards.compute(partition.index(), (index, current) -> {
            if (current != null && current.leaderEpoch >= leaderEpoch) {
                return current;
            }
            if (current != null) {
                replaced.add(current);
            }
            Shard shard = new Shard(partition, leaderEpoch);
            created.add(shard);
            return shard;
        });
        replaced.forEach(Shard::unload);
        created.forEach(Shard::load);
    }

    /**
     * Unloads {@code topic}-{@code partition}: its timers stop, waiting operations fail with
     * NOT_COORDINATOR, and later ones get NOT_COORDINATOR at once. Ignored when the partition is
     * loaded at a newer epoch than {@code leaderEpoch}.
     */
    public void unload(String topic, int partition, int leaderEpoch) {
        if (!topic.equals(this.topic)) {
            return;
        }
        List<Shard> removed = new ArrayList<>(1);
        shards.computeIfPresent(partition, (index, current) -> {
            if (current.leaderEpoch > leaderEpoch) {
                return current;
            }
            removed.add(current);
            return null;
        });
        removed.forEach(Shard::unload);
    }

    /**
     * Tell the runtime whenever a partition's high watermark moves (register it as a
     * {@code Partitions} high-watermark listener): writes waiting for their batch to be committed
     * complete, and a load waiting for its partition's log to be committed starts. Called on the
     * partition's writer; hands the work to the shard's executor.
     */
    public void highWatermarkMoved(Partition partition) {
        if (!partition.topic().equals(topic)) {
            return;
        }
        Shard shard = shards.get(partition.index());
        if (shard != null && shard.partition == partition && shard.awaitingCommit) {
            shard.executor.execute(shard::committed);
        }
    }

    // ------------------------------------------------------------------ state

    /** NONE when {@code partition} serves here, COORDINATOR_LOAD_IN_PROGRESS, or NOT_COORDINATOR. */
    public ErrorCode status(int partition) {
        Shard shard = shards.get(partition);
        if (shard == null) {
            return ErrorCode.NOT_COORDINATOR;
        }
        return shard.loaded ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    }

    /** The partitions loaded or loading here. */
    public Set<Integer> partitions() {
        return Set.copyOf(shards.keySet());
    }

    /**
     * Completes once {@code partition} has loaded, or has been unloaded before that; at once when
     * it is not here. Never completes exceptionally: ask {@link #status} afterwards.
     */
    public CompletableFuture<Void> whenLoaded(int partition) {
        Shard shard = shards.get(partition);
        return shard == null ? CompletableFuture.completedFuture(null) : shard.settled.copy();
    }

    /**
     * The state machines of the partitions here, for gauges they publish thread-safely (volatile
     * fields); anything else must go through an operation.
     */
    public List<S> stateMachines() {
        List<S> out = new ArrayList<>();
        for (Shard shard : shards.values()) {
            S machine = shard.machine;
            if (machine != null) {
                out.add(machine);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ operations

    /**
     * Runs {@code operation} on the partition's executor once it is loaded. Its future may complete
     * later (a request parked until a rebalance ends); the state machine writes through its
     * {@link CoordinatorContext}. Fails with a {@link CoordinatorException} of NOT_COORDINATOR or
     * COORDINATOR_LOAD_IN_PROGRESS when the partition does not serve.
     */
    public <T> CompletableFuture<T> call(int partition, Function<S, CompletableFuture<T>> operation) {
        Shard shard = shards.get(partition);
        if (shard == null) {
            return CompletableFuture.failedFuture(notCoordinator(partition));
        }
        return shard.call(operation);
    }

    /** Runs {@code operation} as {@link #call} does and writes its result before answering. */
    public <T> CompletableFuture<T> write(int partition, Function<S, CoordinatorResult<T>> operation) {
        Shard shard = shards.get(partition);
        if (shard == null) {
            return CompletableFuture.failedFuture(notCoordinator(partition));
        }
        return shard.call(machine -> shard.write(operation.apply(machine)));
    }

    /**
     * Writes a transaction marker (WriteTxnMarkers) to {@code partition}, in order with the
     * partition's other writes, through {@link Partition#appendMarker}. Once the marker is committed
     * the state machine learns of it ({@link CoordinatorStateMachine#replayEndTransaction}) and the
     * future completes. Fails with a {@link CoordinatorException}: NOT_COORDINATOR or
     * COORDINATOR_LOAD_IN_PROGRESS when the partition does not serve, or the partition's refusal
     * (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED, NOT_LEADER_OR_FOLLOWER...).
     */
    public CompletableFuture<Void> writeMarker(int partition, long producerId, short producerEpoch,
                                               int coordinatorEpoch, boolean commit, boolean epochPerTransaction) {
        Shard shard = shards.get(partition);
        if (shard == null) {
            return CompletableFuture.failedFuture(notCoordinator(partition));
        }
        return shard.call(machine -> shard.writeMarker(producerId, producerEpoch, coordinatorEpoch, commit,
            epochPerTransaction));
    }

    private CoordinatorException notCoordinator(int partition) {
        return new CoordinatorException(ErrorCode.NOT_COORDINATOR, topic + "-" + partition + " is not loaded here");
    }

    /** Unloads every partition (waiting a while for that) and stops the threads. */
    @Override
    public void close() {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (Integer index : List.copyOf(shards.keySet())) {
            Shard shard = shards.remove(index);
            if (shard != null) {
                closing.add(shard.unload());
            }
        }
        try {
            CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("The {} coordinator's partitions did not unload in time: {}", name, e.toString());
        }
        timer.shutdownNow();
        pool.shutdown();
    }

    // ------------------------------------------------------------------ one partition

    private record Timer(Object token, ScheduledFuture<?> future) {
    }

    /** A write appended at offsets below {@code requiredOffset}, done once the high watermark reaches it. */
    private final class Committing {
        final PendingWrite<?> write;
        final Partition.AppendOutcome outcome;
        final long requiredOffset;

        Committing(PendingWrite<?> write, Partition.AppendOutcome outcome, long requiredOffset) {
            this.write = write;
            this.outcome = outcome;
            this.requiredOffset = requiredOffset;
        }
    }

    /** A write whose append has not completed yet; unload fails it. */
    private final class PendingWrite<T> {
        final CoordinatorResult<T> result;
        final CompletableFuture<T> answer = new CompletableFuture<>();

        PendingWrite(CoordinatorResult<T> result) {
            this.result = result;
        }

        void succeed() {
            try {
                result.apply().run();
                answer.complete(result.response());
            } catch (RuntimeException e) {
                log.error("Cannot apply a written change of {}", name, e);
                answer.completeExceptionally(e);
            }
        }

        void fail(CoordinatorException e) {
            if (result.onFailure() == null) {
                answer.completeExceptionally(e);
                return;
            }
            try {
                answer.complete(result.onFailure().apply(e));
            } catch (RuntimeException failure) {
                answer.completeExceptionally(failure);
            }
        }
    }

    /**
     * One partition: its executor, timers, writes in flight and state machine. All fields but the
     * volatile ones are owned by the executor.
     */
    private final class Shard implements CoordinatorContext {
        final Partition partition;
        final int leaderEpoch;
        final SerialExecutor executor;
        final Map<String, Timer> timers = new HashMap<>();
        final Set<PendingWrite<?>> pending = new LinkedHashSet<>();
        /** The base offset of the write being applied, while it is; -1 otherwise. */
        long appliedOffset = -1;
        /** Operations and timers that arrived while {@link #pending} was not empty, in arrival order. */
        final java.util.ArrayDeque<Runnable> held = new java.util.ArrayDeque<>();
        /** Completes once loaded or unloaded, whichever comes first. */
        final CompletableFuture<Void> settled = new CompletableFuture<>();
        /** Writes appended but not committed yet, oldest first, each in {@link #pending} too. */
        final java.util.ArrayDeque<Committing> uncommitted = new java.util.ArrayDeque<>();
        /** The high watermark the load waits for, -1 when it does not wait. */
        long loadAt = -1;
        /** Whether anything waits for the high watermark: writes or the load. */
        volatile boolean awaitingCommit;
        volatile S machine;
        volatile boolean loaded;
        /** Set (before {@link #loaded} is cleared) once unloading: the shard never serves again. */
        volatile boolean closed;

        Shard(Partition partition, int leaderEpoch) {
            this.partition = partition;
            this.leaderEpoch = leaderEpoch;
            this.executor = new SerialExecutor(pool, name + "-coordinator-" + partition.index());
        }

        @Override
        public String partitionName() {
            return partition.topic() + "-" + partition.index();
        }

        @Override
        public int partition() {
            return partition.index();
        }

        @Override
        public int leaderEpoch() {
            return leaderEpoch;
        }

        @Override
        public long now() {
            return clock.millis();
        }

        <T> CompletableFuture<T> call(Function<S, CompletableFuture<T>> operation) {
            if (!loaded) {
                // Answered now rather than after the replay queued ahead of it: a load can take long.
                return CompletableFuture.failedFuture(closed ? notCoordinator(partition.index()) : loadInProgress());
            }
            CompletableFuture<T> result = new CompletableFuture<>();
            executor.execute(() -> runOrHold(() -> {
                if (!loaded) {
                    result.completeExceptionally(closed ? notCoordinator(partition.index()) : loadInProgress());
                    return;
                }
                try {
                    operation.apply(machine).whenComplete((v, e) -> {
                        if (e != null) {
                            result.completeExceptionally(e);
                        } else {
                            result.complete(v);
                        }
                    });
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }));
            return result;
        }

        /**
         * Runs {@code work} now, or after the writes in flight are done: the state changes of a
         * write are applied only once it succeeded, and whatever comes next must see them.
         */
        private void runOrHold(Runnable work) {
            if (pending.isEmpty() && held.isEmpty()) {
                work.run();
            } else {
                held.add(work);
            }
        }

        /** Runs what was held back, until it is empty or a held operation starts another write. */
        private void release() {
            while (pending.isEmpty() && !held.isEmpty()) {
                held.poll().run();
            }
        }

        private CoordinatorException loadInProgress() {
            return new CoordinatorException(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, partitionName() + " is loading");
        }

        // -------------------------------------------------------------- writing

        @Override
        public <T> CompletableFuture<T> write(CoordinatorResult<T> result) {
            PendingWrite<T> write = new PendingWrite<>(result);
            if (closed) {
                write.fail(notCoordinator(partition.index()));
                return write.answer;
            }
            if (result.records().isEmpty()) {
                write.succeed();
                return write.answer;
            }
            long now = now();
            RecordBatchBuilder builder = new RecordBatchBuilder(0).compression(compression);
            for (CoordinatorRecord r : result.records()) {
                builder.append(now, r.key(), r.value());
            }
            if (result.isTransactional()) {
                // No sequence: the coordinator writes for the producer, which numbers only its own batches.
                builder.producer(result.producerId(), result.producerEpoch(), RecordBatch.NO_SEQUENCE)
                    .transactional(true);
                MemoryRecords records = MemoryRecords.withBatches(builder.build());
                return submit(write, () -> partition.append(records, (short) 1, AppendOrigin.COORDINATOR, null));
            }
            MemoryRecords records = MemoryRecords.withBatches(builder.build());
            return submit(write, () -> partition.append(records));
        }

        /**
         * Writes a COMMIT or ABORT marker for {@code producerId}, in order with this partition's
         * other writes; once it is committed the state machine is told the transaction ended.
         */
        CompletableFuture<Void> writeMarker(long producerId, short producerEpoch, int coordinatorEpoch,
                                            boolean commit, boolean epochPerTransaction) {
            S target = machine;
            CoordinatorResult<Void> ended = new CoordinatorResult<>(List.of(), null,
                () -> target.replayEndTransaction(producerId, commit), null);
            PendingWrite<Void> write = new PendingWrite<>(ended);
            if (closed) {
                write.fail(notCoordinator(partition.index()));
                return write.answer;
            }
            return submit(write, () -> partition.appendMarker(producerId, producerEpoch, coordinatorEpoch, commit,
                epochPerTransaction));
        }

        private <T> CompletableFuture<T> submit(PendingWrite<T> write,
                                                Supplier<CompletableFuture<Partition.AppendOutcome>> append) {
            pending.add(write);
            append.get().whenComplete((outcome, failure) ->
                executor.execute(() -> appended(write, outcome, failure)));
            return write.answer;
        }

        /**
         * The one place where a write counts as done: once its batch is committed (the high
         * watermark passed it), so no answer ever rests on a write a new leader may not have. With
         * the leader the only in-sync replica that is as soon as the append returns. Until then the
         * write stays pending, and later operations wait behind it.
         */
        private void appended(PendingWrite<?> write, Partition.AppendOutcome outcome, Throwable failure) {
            if (!pending.contains(write)) {
                return; // unloaded meanwhile: already answered NOT_COORDINATOR
            }
            if (failure == null && outcome.error() == ErrorCode.NONE) {
                // Raised before the high watermark is read: a move after the read then finds it raised.
                awaitingCommit = true;
                if (partition.highWatermark() <= outcome.lastOffset()) {
                    uncommitted.add(new Committing(write, outcome, outcome.lastOffset() + 1));
                    return;
                }
                awaitingCommit = !uncommitted.isEmpty() || loadAt >= 0;
            }
            pending.remove(write);
            try {
                finish(write, outcome, failure);
            } finally {
                release();
            }
        }

        /** On the executor, after the high watermark moved: finishes what it committed, starts a waiting load. */
        void committed() {
            if (closed) {
                return;
            }
            long hw = partition.highWatermark();
            try {
                while (!uncommitted.isEmpty() && uncommitted.peek().requiredOffset <= hw) {
                    Committing done = uncommitted.poll();
                    pending.remove(done.write);
                    finish(done.write, done.outcome, null);
                }
                if (loadAt >= 0 && hw >= loadAt) {
                    loadAt = -1;
                    loadNow();
                }
            } finally {
                awaitingCommit = !uncommitted.isEmpty() || loadAt >= 0;
                release();
            }
        }

        private void finish(PendingWrite<?> write, Partition.AppendOutcome outcome, Throwable failure) {
            if (failure != null) {
                log.error("Cannot write {} coordinator state to {}", name, partition, failure);
                write.fail(new CoordinatorException(ErrorCode.UNKNOWN_SERVER_ERROR, failure.toString()));
            } else if (outcome.error() != ErrorCode.NONE) {
                log.error("Cannot write {} coordinator state to {}: {} {}", name, partition, outcome.error(),
                    outcome.message());
                write.fail(new CoordinatorException(outcome.error(), outcome.message()));
            } else {
                appliedOffset = outcome.baseOffset();
                try {
                    write.succeed();
                } finally {
                    appliedOffset = -1;
                }
            }
        }

        @Override
        public long appliedOffset() {
            return appliedOffset;
        }

        @Override
        public CompletableFuture<Long> deleteRecordsBefore(long offset) {
            CompletableFuture<Long> done = new CompletableFuture<>();
            partition.deleteRecordsBefore(Math.min(offset, partition.highWatermark())).whenComplete((start, failure) ->
                executor.execute(() -> {
                    if (failure != null) {
                        done.completeExceptionally(failure);
                    } else {
                        done.complete(start);
                    }
                }));
            return done;
        }

        // -------------------------------------------------------------- timers

        @Override
        public void schedule(String key, long delayMs, Runnable task) {
            if (closed) {
                return;
            }
            Object token = new Object();
            ScheduledFuture<?> future = timer.schedule(() -> executor.execute(() -> runOrHold(() -> {
                Timer current = timers.get(key);
                if (current != null && current.token() == token) {
                    timers.remove(key);
                    task.run();
                }
            })), Math.max(delayMs, 0), TimeUnit.MILLISECONDS);
            Timer old = timers.put(key, new Timer(token, future));
            if (old != null) {
                old.future().cancel(false);
            }
        }

        @Override
        public void execute(Runnable task) {
            if (closed) {
                return;
            }
            executor.execute(() -> runOrHold(() -> {
                if (loaded && !closed) {
                    task.run();
                }
            }));
        }

        @Override
        public void cancel(String key) {
            Timer old = timers.remove(key);
            if (old != null) {
                old.future().cancel(false);
            }
        }

        // -------------------------------------------------------------- load and unload

        /**
         * Replays the partition once everything in its log is committed: a new leader's log may end
         * with records the old one wrote and never committed, which become committed (or are
         * truncated away) only as the followers catch up, and the state must never hold what a
         * later leader may not have.
         */
        void load() {
            executor.execute(() -> {
                if (closed) {
                    return;
                }
                long end = partition.logEndOffset();
                if (partition.highWatermark() < end) {
                    loadAt = end;
                    awaitingCommit = true;
                    // The high watermark may have moved since it was read, with nobody told yet.
                    committed();
                    return;
                }
                loadNow();
            });
        }

        private void loadNow() {
            long started = System.nanoTime();
            S fresh = Objects.requireNonNull(factory.create(this));
            machine = fresh;
            int records;
            try {
                records = replay(fresh);
            } catch (RuntimeException e) {
                log.error("Cannot load {} coordinator state from {}; it stays unavailable", name, partition, e);
                return;
            }
            // Serving before the hook runs: what it starts (a transaction's markers, say) may ask
            // for the partition's status at once. Operations asked for meanwhile queue behind it.
            loaded = true;
            fresh.loaded();
            settled.complete(null);
            if (records > 0) {
                log.info("Loaded {} from {} ({} records) in {} ms", fresh, partition, records,
                    (System.nanoTime() - started) / 1_000_000);
            }
        }

        /** Replays the committed batches: those below the high watermark. */
        private int replay(S target) {
            int[] count = {0};
            long committed = partition.highWatermark();
            partition.scan(partition.logStartOffset(), batch -> {
                if (batch.lastOffset() < committed) {
                    count[0] += replay(target, batch);
                }
            });
            return count[0];
        }

        private int replay(S target, RecordBatch batch) {
            if (batch.isControlBatch()) {
                return replayControl(target, batch);
            }
            boolean transactional = batch.isTransactional() && batch.hasProducerId();
            int n = 0;
            Iterator<BatchRecord> it = batch.records(Integer.MAX_VALUE);
            while (it.hasNext()) {
                BatchRecord r = it.next();
                if (r.hasKey()) {
                    try {
                        ByteBuffer key = r.key().duplicate();
                        ByteBuffer value = r.hasValue() ? r.value().duplicate() : null;
                        if (transactional) {
                            target.replay(batch.producerId(), batch.producerEpoch(), key, value);
                        } else {
                            target.replay(r.offset(), key, value);
                        }
                        n++;
                    } catch (MalformedDataException | UnsupportedVersionException e) {
                        log.warn("Skipping an unreadable record at offset {} of {}: {}", r.offset(), partition,
                            e.getMessage());
                    }
                }
            }
            return n;
        }

        /** A control batch: a transaction marker ends its producer's pending records; others mean nothing here. */
        private int replayControl(S target, RecordBatch batch) {
            if (!batch.hasProducerId()) {
                return 0;
            }
            Iterator<BatchRecord> it = batch.records(Integer.MAX_VALUE);
            if (!it.hasNext()) {
                return 0;
            }
            BatchRecord r = it.next();
            EndTransactionMarker marker;
            try {
                marker = EndTransactionMarker.fromRecord(r);
            } catch (MalformedDataException e) {
                log.warn("Skipping an unreadable control record at offset {} of {}: {}", r.offset(), partition,
                    e.getMessage());
                return 0;
            }
            target.replayEndTransaction(batch.producerId(), marker.type() == ControlRecordType.COMMIT);
            return 1;
        }

        CompletableFuture<Void> unload() {
            CompletableFuture<Void> done = new CompletableFuture<>();
            executor.execute(() -> {
                try {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    loaded = false;
                    for (Timer t : timers.values()) {
                        t.future().cancel(false);
                    }
                    timers.clear();
                    CoordinatorException gone = notCoordinator(partition.index());
                    List<PendingWrite<?>> waiting = List.copyOf(pending);
                    pending.clear();
                    uncommitted.clear();
                    loadAt = -1;
                    awaitingCommit = false;
                    waiting.forEach(w -> w.fail(gone));
                    // Held operations now find the shard closed and answer NOT_COORDINATOR.
                    release();
                    S current = machine;
                    if (current != null) {
                        current.unloaded();
                    }
                } finally {
                    settled.complete(null);
                    done.complete(null);
                }
            });
            return done;
        }

        @Override
        public String toString() {
            return name + " coordinator of " + partition;
        }
    }
}
