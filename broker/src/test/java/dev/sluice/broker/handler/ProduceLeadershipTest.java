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
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.SingleNodeMetadata;
import dev.sluice.broker.metadata.Journals;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.metadata.records.ConfigRecord;
import dev.sluice.broker.metadata.records.PartitionRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.broker.metrics.TopicMetrics;
import dev.sluice.broker.replica.DelayedFetches;
import dev.sluice.broker.replica.DelayedProduces;
import dev.sluice.broker.replica.Replicas;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.message.Message;
import dev.sluice.wire.message.ProduceRequest;
import dev.sluice.wire.message.ProduceResponse;
import dev.sluice.wire.message.RequestHeader;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatchBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Produce and Fetch against partitions whose metadata this broker alone never writes: led by
 * another broker, or led here with followers in the ISR that never fetch, so the high watermark
 * stays where it is. The metadata journal is written directly; everything else is the real
 * controller, logs, replica manager and handlers.
 */
class ProduceLeadershipTest {
    private static final Uuid TOPIC_ID = new Uuid(21L, 22L);

    @TempDir
    Path dir;
    private SingleNodeMetadata metadata;
    private MetadataView view;
    private Partitions partitions;
    private Replicas replicas;
    private DelayedProduces produces;
    private DelayedFetches fetches;
    private ReadPools pools;

    private void start(int leader, int leaderEpoch, List<Integer> isr, Map<String, String> topicConfigs) throws Exception {
        List<Message> records = new ArrayList<>();
        records.add(new TopicRecord().setName("t").setTopicId(TOPIC_ID));
        records.add(new PartitionRecord().setTopicId(TOPIC_ID).setPartitionId(0).setReplicas(new ArrayList<>(List.of(1, 2)))
            .setIsr(new ArrayList<>(isr)).setLeader(leader).setLeaderEpoch(leaderEpoch).setPartitionEpoch(leaderEpoch));
        topicConfigs.forEach((k, v) -> records.add(new ConfigRecord().setResourceType(Controller.TOPIC_RESOURCE)
            .setResourceName("t").setName(k).setValue(v)));
        Path metadata = dir.resolve("__cluster_metadata-0");
        Journals.write(metadata, records);
        this.metadata = SingleNodeMetadata.open(metadata, "cluster", 1, new Controller.TopicDefaults(1, (short) 1, true));
        view = this.metadata.view();
        partitions = new Partitions(dir, 1, new ConfigResolver(BrokerConfig.parse(Map.of("log.dirs", dir.toString()))),
            2, 86_400_000L);
        partitions.load(view.image());
        pools = new ReadPools(1, 1, 10, 1000);
        fetches = new DelayedFetches(pools.local());
        produces = new DelayedProduces();
        replicas = new Replicas(partitions, fetches, produces);
        replicas.load(view.image());
        view.addListener(partitions);
        view.addListener(replicas);
    }

    @AfterEach
    void stop() {
        if (replicas != null) {
            replicas.close();
            pools.close();
            metadata.close();
            partitions.close();
        }
    }

    private Partition partition() {
        return partitions.get("t", 0).orElseThrow();
    }

    /** A plaintext request's context from client "test", for handler tests in this package. */
    static RequestContext context(ApiKey api, int version) {
        return new RequestContext(new RequestHeader().setRequestApiKey(api.id()).setRequestApiVersion((short) version)
            .setClientId("test"), api, (short) version, null, "PLAINTEXT", System.nanoTime(), new ConnectionLifetime());
    }

    private CompletableFuture<ProduceResponse> produce(int acks, int timeoutMs) {
        MemoryRecords records = MemoryRecords.withBatches(new RecordBatchBuilder(0)
            .append(System.currentTimeMillis(), null, new byte[] {1, 2, 3}).build());
        ProduceRequest request = new ProduceRequest().setAcks((short) acks).setTimeoutMs(timeoutMs)
            .setTopicData(List.of(new ProduceRequest.TopicProduceData().setName("t")
                .setPartitionData(List.of(new ProduceRequest.PartitionProduceData().setIndex(0).setRecords(records)))));
        return new ProduceHandler(view, partitions, produces).handle(context(ApiKey.PRODUCE, 11), request);
    }

    private static ProduceResponse.PartitionProduceResponse only(ProduceResponse response) {
        return response.responses().get(0).partitionResponses().get(0);
    }

    @Test
    void aFollowerRefusesProduceNamingTheCurrentLeader() throws Exception {
        start(2, 7, List.of(1, 2), Map.of());
        assertFalse(partition().isLeader());
        ProduceResponse.PartitionProduceResponse answer = only(produce(1, 30_000).get(10, TimeUnit.SECONDS));
        assertEquals(ErrorCode.NOT_LEADER_OR_FOLLOWER.code(), answer.errorCode());
        assertEquals(2, answer.currentLeader().leaderId());
        assertEquals(7, answer.currentLeader().leaderEpoch());
        assertEquals(0, partition().logEndOffset());
    }

    @Test
    void aFollowerRefusesConsumerFetchesOlderThanKip392AndServesNewerOnesUpToItsHighWatermark() throws Exception {
        start(2, 7, List.of(1, 2), Map.of());
        FetchHandler handler = new FetchHandler(view, partitions, fetches, pools, 10, 50 << 20,
            new TopicMetrics(new SimpleMeterRegistry(), name -> true));
        FetchRequest request = new FetchRequest().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1 << 20)
            .setSessionEpoch(-1).setTopics(List.of(new FetchRequest.FetchTopic().setTopic("t")
                .setPartitions(List.of(new FetchRequest.FetchPartition().setPartition(0).setFetchOffset(0)
                    .setPartitionMaxBytes(1 << 20).setCurrentLeaderEpoch(-1)))));
        FetchResponse old = handler.handle(context(ApiKey.FETCH, 10), request).get(10, TimeUnit.SECONDS);
        assertEquals(ErrorCode.NOT_LEADER_OR_FOLLOWER.code(), old.responses().get(0).partitions().get(0).errorCode());

        FetchResponse.PartitionData served = handler.handle(context(ApiKey.FETCH, 12), request)
            .get(10, TimeUnit.SECONDS).responses().get(0).partitions().get(0);
        assertEquals(ErrorCode.NONE.code(), served.errorCode());
        assertEquals(0, served.highWatermark());
        assertEquals(0, served.records().sizeInBytes());
    }

    @Test
    void acksAllTimesOutAfterTimeoutMsWhileTheHighWatermarkIsHeldBack() throws Exception {
        start(1, 0, List.of(1, 2), Map.of());
        long started = System.nanoTime();
        ProduceResponse.PartitionProduceResponse answer = only(produce(-1, 200).get(10, TimeUnit.SECONDS));
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertEquals(ErrorCode.REQUEST_TIMED_OUT.code(), answer.errorCode());
        assertTrue(tookMs >= 200, "answered after " + tookMs + " ms");
        assertEquals(1, partition().logEndOffset(), "the records stay in the leader's log");
        assertEquals(0, partition().highWatermark());
        assertEquals(0, produces.waitingCount());
    }

    @Test
    void acksOneIsAnsweredOnAppendWhileTheHighWatermarkIsHeldBack() throws Exception {
        start(1, 0, List.of(1, 2), Map.of());
        ProduceResponse.PartitionProduceResponse answer = only(produce(1, 60_000).get(10, TimeUnit.SECONDS));
        assertEquals(ErrorCode.NONE.code(), answer.errorCode());
        assertEquals(0, answer.baseOffset());
    }

    @Test
    void acksAllIsAnsweredOnceTheFollowerHasTheRecords() throws Exception {
        start(1, 0, List.of(1, 2), Map.of());
        CompletableFuture<ProduceResponse> pending = produce(-1, 60_000);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (partition().logEndOffset() < 1) {
            assertTrue(System.nanoTime() < deadline, "never appended");
            Thread.sleep(1);
        }
        assertFalse(pending.isDone());
        partition().followerFetched(2, 1).join();
        ProduceResponse.PartitionProduceResponse answer = only(pending.get(10, TimeUnit.SECONDS));
        assertEquals(ErrorCode.NONE.code(), answer.errorCode());
        assertEquals(0, answer.baseOffset());
    }

    @Test
    void acksAllIsRefusedWithoutAppendingWhenTheIsrIsSmallerThanMinInsyncReplicas() throws Exception {
        start(1, 0, List.of(1, 2), Map.of("min.insync.replicas", "3"));
        ProduceResponse.PartitionProduceResponse answer = only(produce(-1, 60_000).get(10, TimeUnit.SECONDS));
        assertEquals(ErrorCode.NOT_ENOUGH_REPLICAS.code(), answer.errorCode());
        assertEquals(0, partition().logEndOffset());
        assertEquals(ErrorCode.NONE.code(), only(produce(1, 60_000).get(10, TimeUnit.SECONDS)).errorCode(),
            "acks=1 does not ask for in-sync replicas");
    }

    @Test
    void acksAllGetsNotEnoughReplicasAfterAppendWhenTheIsrShrinksWhileItWaits() throws Exception {
        start(1, 0, List.of(1, 2), Map.of("min.insync.replicas", "2"));
        CompletableFuture<ProduceResponse> pending = produce(-1, 60_000);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (produces.waitingCount() == 0) {
            assertTrue(System.nanoTime() < deadline, "never waited");
            Thread.sleep(1);
        }
        MetadataImage before = view.image();
        TopicImage topic = before.topic("t").orElseThrow();
        TopicImage shrunk = topic.withPartitions(List.of(new PartitionImage(0, List.of(1, 2), List.of(1), 1, 0, 1)));
        replicas.onChange(before, new MetadataImage(before.clusterId(), before.version() + 1, Map.of("t", shrunk),
            Map.of(TOPIC_ID, shrunk), before.brokerConfigs(), before.nextProducerId()));
        ProduceResponse.PartitionProduceResponse answer = only(pending.get(10, TimeUnit.SECONDS));
        assertEquals(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND.code(), answer.errorCode());
        assertEquals(1, partition().highWatermark(), "with the ISR the leader alone, its records are committed");
    }
}
