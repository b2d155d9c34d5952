package dev.sluice.broker.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.SingleNodeMetadata;
import dev.sluice.wire.message.ErrorCode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transaction coordinator on a real single-node controller and real {@code __transaction_state}
 * logs, with the markers' writer played by the test: what a coordinator that stops halfway through
 * a transaction's end leaves for the next one.
 */
class TransactionCoordinatorTest {
    private static final TransactionConfig CONFIG = new TransactionConfig(3, (short) 1, 1, 1 << 20, 900_000,
        604_800_000L, 10_000, 3_600_000, true, 20, 100);
    private static final String ID = "copier";

    @TempDir
    Path dir;
    private SingleNodeMetadata metadata;
    private Partitions partitions;

    /** The markers' writer: records each call, and answers NONE unless told to hang. */
    private static final class Writer implements MarkerWriter {
        final List<Set<TopicPartition>> calls = new CopyOnWriteArrayList<>();
        final boolean hang;

        Writer(boolean hang) {
            this.hang = hang;
        }

        @Override
        public CompletableFuture<Map<TopicPartition, ErrorCode>> write(long producerId, short producerEpoch,
                                                                     int coordinatorEpoch, boolean commit,
                                                                     boolean epochPerTransaction,
                                                                     Set<TopicPartition> partitions) {
            calls.add(partitions);
            if (hang) {
                return new CompletableFuture<>();
            }
            Map<TopicPartition, ErrorCode> done = new java.util.HashMap<>();
            partitions.forEach(tp -> done.put(tp, ErrorCode.NONE));
            return CompletableFuture.completedFuture(done);
        }
    }

    @BeforeEach
    void start() throws Exception {
        metadata = SingleNodeMetadata.open(dir.resolve("__cluster_metadata-0"), "txn-cluster", 1,
            new Controller.TopicDefaults(1, (short) 1, true));
        BrokerConfig config = BrokerConfig.parse(Map.of("log.dirs", dir.toString()));
        partitions = new Partitions(dir, 1, new ConfigResolver(config), 2, 86_400_000L);
        partitions.load(metadata.view().image());
        metadata.view().addListener(partitions);
        metadata.controller().createTopics(List.of(new Controller.NewTopic("t", 2, (short) 1, null, Map.of())), false)
            .get();
    }

    @AfterEach
    void stop() {
        metadata.close();
        partitions.close();
    }

    private TransactionCoordinator coordinator(MarkerWriter markers) throws Exception {
        TransactionCoordinator coordinator = new TransactionCoordinator(CONFIG, metadata.view(), metadata.controller(),
            partitions, new ProducerIds(metadata.controller()), markers, null);
        metadata.view().addListener(coordinator);
        coordinator.start();
        assertEquals(ErrorCode.NONE, coordinator.locate(ID).get(10, TimeUnit.SECONDS).error());
        await(() -> coordinator.status(ID) == ErrorCode.NONE, "the coordinator's partition did not load");
        return coordinator;
    }

    private static TransactionState state(TransactionCoordinator coordinator) throws Exception {
        return coordinator.describe(ID).get(10, TimeUnit.SECONDS).getValue().orElseThrow().state();
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(10);
        }
    }

    @Test
    void aCommitLeftPreparingByTheLastCoordinatorIsFinishedByTheNextOneAsItLoads() throws Exception {
        Writer stuck = new Writer(true);
        TransactionCoordinator first = coordinator(stuck);
        TransactionShard.InitOutcome init = first.initProducerId(ID, 60_000, -1, (short) -1).get(10, TimeUnit.SECONDS);
        assertEquals(ErrorCode.NONE, init.error());
        assertEquals(ErrorCode.NONE, first.addPartitions(ID, init.producerId(), init.producerEpoch(),
            Map.of("t", Set.of(0, 1)), (short) 0).get(10, TimeUnit.SECONDS));
        assertEquals(ErrorCode.NONE, first.endTransaction(ID, init.producerId(), init.producerEpoch(), true, false)
            .get(10, TimeUnit.SECONDS).error());
        await(() -> !stuck.calls.isEmpty(), "the first coordinator never sent the markers");
        assertEquals(TransactionState.PREPARE_COMMIT, state(first));
        // The broker stops before any marker is written.
        first.close();

        Writer working = new Writer(false);
        TransactionCoordinator second = coordinator(working);
        try {
            await(() -> state(second) == TransactionState.COMPLETE_COMMIT,
                "the transaction is still " + state(second) + " after the reload; markers sent " + working.calls);
            assertEquals(Set.of(new TopicPartition("t", 0), new TopicPartition("t", 1)), working.calls.get(0));
        } finally {
            second.close();
        }
    }
}
