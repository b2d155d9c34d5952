package dev.sluice.broker.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.log.ReadPools;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.Journals;
import dev.sluice.broker.metadata.SingleNodeMetadata;
import dev.sluice.broker.metadata.records.PartitionRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.broker.metrics.TopicMetrics;
import dev.sluice.broker.replica.DelayedFetches;
import dev.sluice.broker.replica.DelayedProduces;
import dev.sluice.broker.replica.Replicas;
import dev.sluice.storage.producer.AppendOrigin;
import dev.sluice.storage.producer.VerificationGuard;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.message.ListOffsetsRequest;
import dev.sluice.wire.message.Message;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatchBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fetch and ListOffsets with isolation_level 1 (read_committed) on a single-replica partition led here. */
class ReadCommittedTest {
    private static final Uuid TOPIC_ID = new Uuid(31L, 32L);

    @TempDir
    Path dir;
    private SingleNodeMetadata metadata;
    private Partitions partitions;
    private ReadPools pools;
    private DelayedFetches fetches;
    private Replicas replicas;
    private FetchHandler fetch;
    private ListOffsetsHandler listOffsets;

    @BeforeEach
    void start() throws Exception {
        List<Message> records = List.of(new TopicRecord().setName("t").setTopicId(TOPIC_ID),
            new PartitionRecord().setTopicId(TOPIC_ID).setPartitionId(0).setReplicas(List.of(1)).setIsr(List.of(1))
                .setLeader(1).setLeaderEpoch(0).setPartitionEpoch(0));
        Path journal = dir.resolve("__cluster_metadata-0");
        Journals.write(journal, records);
        metadata = SingleNodeMetadata.open(journal, "cluster", 1, new Controller.TopicDefaults(1, (short) 1, true));
        partitions = new Partitions(dir, 1, new ConfigResolver(BrokerConfig.parse(Map.of("log.dirs", dir.toString()))),
            2, 86_400_000L);
        partitions.load(metadata.view().image());
        pools = new ReadPools(1, 1, 10, 1000);
        fetches = new DelayedFetches(pools.local());
        replicas = new Replicas(partitions, fetches, new DelayedProduces());
        replicas.load(metadata.view().image());
        fetch = new FetchHandler(metadata.view(), partitions, fetches, pools, 10, 50 << 20,
            new TopicMetrics(new SimpleMeterRegistry(), name -> true));
        listOffsets = new ListOffsetsHandler(metadata.view(), partitions, pools);
    }

    @AfterEach
    void stop() {
        replicas.close();
        pools.close();
        metadata.close();
        partitions.close();
    }

    private Partition partition() {
        return partitions.get("t", 0).orElseThrow(() -> new AssertionError("t-0 is not loaded"));
    }

    private void write(long producerId, int sequence) {
        Partition p = partition();
        VerificationGuard guard = p.startVerification(producerId, (short) 0).join();
        MemoryRecords records = MemoryRecords.withBatches(new RecordBatchBuilder(0).producer(producerId, (short) 0,
            sequence).transactional(true).append(System.currentTimeMillis(), null, new byte[100]).build());
        assertEquals(ErrorCode.NONE, p.append(records, (short) 1, AppendOrigin.CLIENT, guard).join().error());
    }

    private CompletableFuture<FetchResponse.PartitionData> fetch(int isolation, int minBytes, int maxWaitMs) {
        FetchRequest request = new FetchRequest().setReplicaId(-1).setMaxWaitMs(maxWaitMs).setMinBytes(minBytes)
            .setMaxBytes(1 << 20).setIsolationLevel((byte) isolation).setSessionEpoch(-1)
            .setTopics(List.of(new FetchRequest.FetchTopic().setTopic("t").setPartitions(List.of(
                new FetchRequest.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)
                    .setCurrentLeaderEpoch(-1)))));
        return fetch.handle(ProduceLeadershipTest.context(ApiKey.FETCH, 12), request)
            .thenApply(response -> response.responses().get(0).partitions().get(0));
    }

    private long latest(int isolation) throws Exception {
        ListOffsetsRequest request = new ListOffsetsRequest().setReplicaId(-1).setIsolationLevel((byte) isolation)
            .setTopics(List.of(new ListOffsetsRequest.ListOffsetsTopic().setName("t").setPartitions(List.of(
                new ListOffsetsRequest.ListOffsetsPartition().setPartitionIndex(0).setCurrentLeaderEpoch(-1)
                    .setTimestamp(-1)))));
        return listOffsets.handle(ProduceLeadershipTest.context(ApiKey.LIST_OFFSETS, 7), request).get(10, TimeUnit.SECONDS)
            .topics().get(0).partitions().get(0).offset();
    }

    @Test
    void readCommittedStopsAtTheLastStableOffsetAndListsTheAbortedTransactions() throws Exception {
        write(1, 0); // 0, aborted below
        write(2, 0); // 1, still open
        partition().appendMarker(1, (short) 0, 0, false, false).join(); // 2
        assertEquals(1, partition().lastStableOffset());

        FetchResponse.PartitionData committed = fetch(1, 1, 0).get(10, TimeUnit.SECONDS);
        assertEquals(3, committed.highWatermark());
        assertEquals(1, committed.lastStableOffset());
        assertTrue(committed.records().sizeInBytes() > 0);
        assertEquals(1, committed.abortedTransactions().size());
        assertEquals(1, committed.abortedTransactions().get(0).producerId());
        assertEquals(0, committed.abortedTransactions().get(0).firstOffset());

        FetchResponse.PartitionData uncommitted = fetch(0, 1, 0).get(10, TimeUnit.SECONDS);
        assertEquals(1, uncommitted.lastStableOffset());
        assertTrue(uncommitted.records().sizeInBytes() > committed.records().sizeInBytes());

        assertEquals(1, latest(1));
        assertEquals(3, latest(0));
    }

    /** Data committed above the last stable offset must not hold a parked read_committed fetch, nor spin it. */
    @Test
    void aParkedReadCommittedFetchWakesWhenTheLastStableOffsetMoves() throws Exception {
        write(1, 0);
        CompletableFuture<FetchResponse.PartitionData> parked = fetch(1, 1, 20_000);
        Thread.sleep(100);
        assertFalse(parked.isDone(), "nothing is stable yet");
        long started = System.nanoTime();
        partition().appendMarker(1, (short) 0, 0, true, false).join();
        FetchResponse.PartitionData answer = parked.get(10, TimeUnit.SECONDS);
        assertTrue((System.nanoTime() - started) / 1_000_000 < 10_000);
        assertEquals(2, answer.lastStableOffset());
        assertTrue(answer.records().sizeInBytes() > 0);
        assertTrue(answer.abortedTransactions().isEmpty());
    }
}
