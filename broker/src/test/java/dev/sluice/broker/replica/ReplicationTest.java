package dev.sluice.broker.replica;

import static dev.sluice.broker.replica.Eventually.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.cluster.InterBrokerClient;
import dev.sluice.broker.cluster.InterBrokerSettings;
import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.handler.FetchHandler;
import dev.sluice.broker.handler.HandlerTable;
import dev.sluice.broker.handler.OffsetForLeaderEpochHandler;
import dev.sluice.broker.handler.ProduceHandler;
import dev.sluice.broker.handler.RequestDispatcher;
import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.log.ReadPools;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.records.PartitionRecord;
import dev.sluice.broker.metadata.records.ProducerIdsRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.broker.metrics.RequestMetrics;
import dev.sluice.broker.metrics.TopicMetrics;
import dev.sluice.broker.network.NetworkServer;
import dev.sluice.storage.producer.ProducerEntry;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.AlterPartitionRequest;
import dev.sluice.wire.message.AlterPartitionResponse;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.message.Message;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication between brokers in one JVM: each node has its own metadata view, logs, replica
 * manager, fetchers and handlers behind a real network server, and followers fetch from leaders
 * over real sockets with the inter-broker client. Leadership moves by metadata records applied
 * to each node's view, as the metadata log would apply them.
 */
class ReplicationTest {
    private static final Uuid TOPIC_ID = new Uuid(31L, 32L);

    @TempDir
    Path dir;
    private final List<Node> nodes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
    }

    private static PartitionRecord partition(List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                                             int partitionEpoch) {
        return new PartitionRecord().setTopicId(TOPIC_ID).setPartitionId(0).setReplicas(new ArrayList<>(replicas))
            .setIsr(new ArrayList<>(isr)).setLeader(leader).setLeaderEpoch(leaderEpoch).setPartitionEpoch(partitionEpoch);
    }

    private static List<Message> topic(PartitionRecord partition) {
        return List.of(new TopicRecord().setName("t").setTopicId(TOPIC_ID), partition,
            new ProducerIdsRecord().setNextProducerId(1000));
    }

    /** One broker: everything replication touches, with its own view of the metadata. */
    private final class Node implements AutoCloseable {
        final int id;
        final MetadataView view = new MetadataView("cluster");
        final Partitions partitions;
        final ReadPools pools = new ReadPools(1, 1, 10, 1000);
        final DelayedFetches fetches = new DelayedFetches(pools.local());
        final DelayedProduces produces = new DelayedProduces();
        final InterBrokerClient client;
        final ReplicaFetchers fetchers;
        final Replicas replicas;
        final IsrChanges isr;
        final NetworkServer network;
        final int port;

        Node(int id, List<Message> records, IsrChannel channel, long lagTimeMs) throws Exception {
            this.id = id;
            Path data = dir.resolve("node-" + id);
            java.nio.file.Files.createDirectories(data);
            view.load(records, 0);
            BrokerConfig config = BrokerConfig.parse(Map.of("log.dirs", data.toString(),
                "listeners", "PLAINTEXT://127.0.0.1:0"));
            partitions = new Partitions(data, id, new ConfigResolver(config), 2, 86_400_000L);
            partitions.load(view.image());
            view.addListener(partitions);
            client = new InterBrokerClient(InterBrokerSettings.defaults(id)
                .withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(100)));
            fetchers = new ReplicaFetchers(client, id, () -> 1L,
                new ReplicaFetchers.Settings(1, 100, 1, 10 << 20, 1 << 20, 50, 30_000));
            replicas = new Replicas(partitions, fetches, produces, fetchers);
            isr = channel == null ? null : new IsrChanges(partitions, channel, id, () -> 1L, broker -> 1L, lagTimeMs);
            TopicMetrics metrics = new TopicMetrics(new SimpleMeterRegistry(), name -> true);
            RequestDispatcher dispatcher = new RequestDispatcher(new HandlerTable(List.of(
                new FetchHandler(view, partitions, fetches, pools, 10, 50 << 20, metrics),
                new OffsetForLeaderEpochHandler(view, partitions),
                new ProduceHandler(view, partitions, produces))), new RequestMetrics(new SimpleMeterRegistry()));
            network = new NetworkServer(config, dispatcher);
            port = network.start().get(0).port();
        }

        /** Takes the roles of the current image; followers start fetching. */
        void start(Node... peers) {
            for (Node peer : peers) {
                client.updateNode(peer.id, "127.0.0.1", peer.port);
            }
            replicas.load(view.image());
            view.addListener(replicas);
        }

        Partition partition() {
            return partitions.get("t", 0).orElseThrow();
        }

        private long offset;

        void change(PartitionRecord record) {
            view.apply(List.of(record), ++offset);
        }

        @Override
        public void close() {
            if (isr != null) {
                isr.close();
            }
            fetchers.close();
            network.close();
            client.close();
            replicas.close();
            pools.close();
            partitions.close();
        }
    }

    private Node node(int id, PartitionRecord partition) throws Exception {
        return node(id, partition, null, 30_000);
    }

    private Node node(int id, PartitionRecord partition, IsrChannel channel, long lagTimeMs) throws Exception {
        Node node = new Node(id, topic(partition), channel, lagTimeMs);
        nodes.add(node);
        return node;
    }

    /** Nodes 1 and 2 with the same metadata, each knowing where the other listens, roles taken. */
    private List<Node> startedPair(PartitionRecord partition) throws Exception {
        Node one = node(1, partition);
        Node two = node(2, partition);
        one.start(two);
        two.start(one);
        return List.of(one, two);
    }

    private static MemoryRecords batch(int records, String prefix) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0);
        for (int i = 0; i < records; i++) {
            builder.append(System.currentTimeMillis(), (prefix + i).getBytes(StandardCharsets.UTF_8), new byte[50]);
        }
        return MemoryRecords.withBatches(builder.build());
    }

    private static MemoryRecords idempotent(long producerId, int sequence, int records) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0).producer(producerId, (short) 0, sequence);
        for (int i = 0; i < records; i++) {
            builder.append(System.currentTimeMillis(), null, ("p" + producerId + "-" + (sequence + i))
                .getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withBatches(builder.build());
    }

    /** Every batch of the log, as (base offset, last offset, leader epoch, crc). */
    private static List<String> batches(Partition p) {
        List<String> all = new ArrayList<>();
        p.scan(p.logStartOffset(), b -> all.add(b.baseOffset() + "-" + b.lastOffset() + "@" + b.partitionLeaderEpoch()
            + "#" + b.checksum()));
        return all;
    }

    private static String producers(Partition p) {
        StringBuilder s = new StringBuilder();
        for (ProducerEntry e : p.producers().join()) {
            s.append(e.producerId()).append('/').append(e.epoch()).append('/').append(e.lastSequence()).append('/')
                .append(e.lastOffset()).append(';');
        }
        return s.toString();
    }

    private static void caughtUp(Partition follower, Partition leader) throws InterruptedException {
        await(() -> follower.logEndOffset() == leader.logEndOffset()
            && follower.highWatermark() == leader.highWatermark()
            && leader.highWatermark() == leader.logEndOffset(), "the follower did not catch up: follower LEO "
            + follower.logEndOffset() + " HW " + follower.highWatermark() + ", leader LEO " + leader.logEndOffset()
            + " HW " + leader.highWatermark());
    }

    @Test
    void aFollowerCatchesUpKeepingOffsetsEpochsAndProducerState() throws Exception {
        List<Node> pair = startedPair(partition(List.of(1, 2), List.of(1, 2), 1, 3, 3));
        Node leader = pair.get(0);
        Node follower = pair.get(1);
        Partition l = leader.partition();
        assertEquals(ErrorCode.NONE, l.append(batch(5, "a")).join().error());
        assertEquals(ErrorCode.NONE, l.append(idempotent(7, 0, 3)).join().error());
        assertEquals(ErrorCode.NONE, l.append(idempotent(7, 3, 2)).join().error());
        assertEquals(ErrorCode.NONE, l.append(batch(4, "b")).join().error());

        Partition f = follower.partition();
        caughtUp(f, l);
        assertEquals(14, f.logEndOffset());
        assertEquals(batches(l), batches(f), "the same batches at the same offsets, epochs and bytes");
        assertEquals(3, f.latestEpoch());
        assertEquals(l.endOffsetForEpoch(3), f.endOffsetForEpoch(3));
        assertEquals(producers(l), producers(f));
        assertTrue(producers(f).startsWith("7/0/4/9;"), producers(f));
        assertEquals(Map.of(2, 14L), l.followerLogEndOffsets());
    }

    @Test
    void anAcksAllProduceCompletesOnlyOnceTheFollowerFetched() throws Exception {
        PartitionRecord led = partition(List.of(1, 2), List.of(1, 2), 1, 0, 0);
        Node leader = node(1, led);
        Node follower = node(2, led);
        leader.start(follower);
        ProduceHandlerCalls produce = new ProduceHandlerCalls(leader);
        CompletableFuture<ErrorCode> written = produce.acksAll(batch(3, "x"));
        await(() -> leader.partition().logEndOffset() == 3, "the records were not appended");
        assertEquals(0, leader.partition().highWatermark());
        assertFalse(written.isDone(), "no follower has fetched the records");

        follower.start(leader);
        assertEquals(ErrorCode.NONE, written.get(10, TimeUnit.SECONDS));
        assertTrue(follower.partition().logEndOffset() >= 3, "acknowledged before the follower had the records");
    }

    @Test
    void withThreeReplicasAnAcksAllWriteCommitsOnceBothFollowersHaveIt() throws Exception {
        PartitionRecord led = partition(List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0);
        Node leader = node(1, led);
        Node second = node(2, led);
        Node third = node(3, led);
        leader.start(second, third);
        second.start(leader, third);
        CompletableFuture<ErrorCode> written = new ProduceHandlerCalls(leader).acksAll(batch(6, "x"));
        await(() -> second.partition().logEndOffset() == 6, "replica 2 did not fetch the records");
        assertEquals(0, leader.partition().highWatermark(), "replica 3 has not fetched yet");
        assertFalse(written.isDone(), "answered before every in-sync replica had the records");

        third.start(leader, second);
        assertEquals(ErrorCode.NONE, written.get(10, TimeUnit.SECONDS));
        caughtUp(third.partition(), leader.partition());
        caughtUp(second.partition(), leader.partition());
        assertEquals(Map.of(2, 6L, 3, 6L), leader.partition().followerLogEndOffsets());
    }

    @Test
    void aFollowerWithADivergentTailTruncatesAndConverges() throws Exception {
        List<Node> pair = startedPair(partition(List.of(1, 2), List.of(1, 2), 1, 1, 1));
        Node one = pair.get(0);
        Node two = pair.get(1);
        one.partition().append(batch(5, "common")).join();
        caughtUp(two.partition(), one.partition());

        // Node 2 takes over at epoch 2 while node 1 has not heard of it and writes on at epoch 1.
        PartitionRecord second = partition(List.of(1, 2), List.of(2), 2, 2, 2);
        two.change(second);
        await(() -> two.partition().isLeader(), "node 2 did not take the leadership");
        // The lost tail ends inside the new leader's batch: only the diverging epoch tells the follower where to cut.
        assertEquals(ErrorCode.NONE, one.partition().append(batch(2, "lost")).join().error());
        assertEquals(ErrorCode.NONE, two.partition().append(batch(4, "kept")).join().error());
        assertEquals(7, one.partition().logEndOffset());

        one.change(second);
        Partition f = one.partition();
        Partition l = two.partition();
        await(() -> f.logEndOffset() == 9 && f.latestEpoch() == 2, "node 1 did not converge: log end "
            + f.logEndOffset() + " at epoch " + f.latestEpoch());
        assertEquals(batches(l), batches(f), "the tail written at the old epoch is gone");
        assertEquals(new dev.sluice.storage.LeaderEpochCheckpoint.EpochEnd(1, 5), f.endOffsetForEpoch(1));
    }

    @Test
    void aFollowerBehindTheLeadersLogStartRestartsFromIt() throws Exception {
        PartitionRecord led = partition(List.of(1, 2), List.of(1), 1, 0, 0);
        Node leader = node(1, led);
        leader.start();
        Partition l = leader.partition();
        for (int i = 0; i < 3; i++) {
            l.append(batch(5, "r" + i)).join();
        }
        assertEquals(10, l.deleteRecordsBefore(10).join());

        Node follower = node(2, led);
        leader.client.updateNode(2, "127.0.0.1", follower.port);
        follower.start(leader);
        Partition f = follower.partition();
        await(() -> f.logEndOffset() == 15, "the follower did not catch up from the leader's log start");
        assertEquals(10, f.logStartOffset());
        assertEquals(batches(l), batches(f));
    }

    private static FetchResponse.PartitionData replicaFetch(InterBrokerClient client, int replicaId) throws Exception {
        FetchResponse response = client.<FetchResponse>send(1, new FetchRequest().setReplicaState(
                new FetchRequest.ReplicaState().setReplicaId(replicaId).setReplicaEpoch(1)).setMaxWaitMs(0)
            .setMinBytes(1).setMaxBytes(1 << 20).setTopics(List.of(new FetchRequest.FetchTopic().setTopicId(TOPIC_ID)
                .setPartitions(List.of(new FetchRequest.FetchPartition().setPartition(0).setCurrentLeaderEpoch(0)
                    .setFetchOffset(0).setPartitionMaxBytes(1 << 20)))))).get(10, TimeUnit.SECONDS);
        return response.responses().get(0).partitions().get(0);
    }

    @Test
    void aReplicaFetchReadsPastTheHighWatermarkAndOnlyForABrokerAmongTheReplicas() throws Exception {
        Node leader = node(1, partition(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        leader.start();
        leader.partition().append(batch(4, "u")).join();
        assertEquals(0, leader.partition().highWatermark(), "replica 2 has not fetched");
        try (InterBrokerClient stranger = new InterBrokerClient(InterBrokerSettings.defaults(3))) {
            stranger.updateNode(1, "127.0.0.1", leader.port);
            FetchResponse.PartitionData refused = replicaFetch(stranger, 3);
            assertEquals(ErrorCode.NOT_LEADER_OR_FOLLOWER.code(), refused.errorCode(), "broker 3 holds no replica");
            assertEquals(0, refused.records().sizeInBytes());

            FetchResponse.PartitionData served = replicaFetch(stranger, 2);
            assertEquals(ErrorCode.NONE.code(), served.errorCode());
            assertTrue(served.records().sizeInBytes() > 0, "a follower reads what is not committed yet");
            assertEquals(0, served.highWatermark(), "fetching from offset 0 says replica 2 holds nothing yet");
            assertEquals(Map.of(2, 0L), leader.partition().followerLogEndOffsets());
        }
    }

    @Test
    void aFollowerBehindOnTheHighWatermarkIsAnsweredWithoutWaiting() throws Exception {
        Node leader = node(1, partition(List.of(1, 2), List.of(1), 1, 0, 0));
        leader.start();
        leader.partition().append(batch(4, "w")).join();
        try (InterBrokerClient follower = new InterBrokerClient(InterBrokerSettings.defaults(2))) {
            follower.updateNode(1, "127.0.0.1", leader.port);
            FetchRequest.FetchPartition atTheEnd = new FetchRequest.FetchPartition().setPartition(0)
                .setCurrentLeaderEpoch(0).setFetchOffset(4).setLastFetchedEpoch(0).setPartitionMaxBytes(1 << 20);
            FetchRequest request = new FetchRequest().setReplicaState(new FetchRequest.ReplicaState().setReplicaId(2)
                    .setReplicaEpoch(1)).setMaxWaitMs(20_000).setMinBytes(1).setMaxBytes(1 << 20)
                .setTopics(List.of(new FetchRequest.FetchTopic().setTopicId(TOPIC_ID).setPartitions(List.of(
                    atTheEnd.setHighWatermark(0)))));
            FetchResponse response = follower.<FetchResponse>send(1, request, (short) -1, Duration.ofSeconds(60))
                .get(10, TimeUnit.SECONDS);
            assertEquals(4, response.responses().get(0).partitions().get(0).highWatermark(),
                "nothing new to read, but a newer high watermark than the follower's");
        }
    }

    @Test
    void aFollowerWhoseLeaderHasNotSeenItsLeadershipYetRetriesUntilItHas() throws Exception {
        Node leader = node(1, partition(List.of(1, 2), List.of(1), 1, 0, 0));
        leader.start();
        leader.partition().append(batch(3, "early")).join();
        PartitionRecord newer = partition(List.of(1, 2), List.of(1), 1, 1, 1);
        Node follower = node(2, newer);
        leader.client.updateNode(2, "127.0.0.1", follower.port);
        follower.start(leader);
        // Broker 1 answers UNKNOWN_LEADER_EPOCH for epoch 1 until it applies the image that has it.
        assertEquals(0, follower.partition().logEndOffset());

        leader.change(newer);
        leader.partition().append(batch(2, "late")).join();
        caughtUp(follower.partition(), leader.partition());
        assertEquals(batches(leader.partition()), batches(follower.partition()));
    }

    /** A controller stand-in: takes every change, answering with the next partition epoch, and records it. */
    private static final class Controller implements IsrChannel {
        final LinkedBlockingQueue<AlterPartitionRequest.PartitionData> asked = new LinkedBlockingQueue<>();

        @Override
        public CompletableFuture<AlterPartitionResponse> alterPartition(AlterPartitionRequest request) {
            AlterPartitionRequest.TopicData topic = request.topics().get(0);
            AlterPartitionRequest.PartitionData p = topic.partitions().get(0);
            asked.add(p);
            List<Integer> isr = p.newIsrWithEpochs().stream().map(AlterPartitionRequest.BrokerState::brokerId).toList();
            return CompletableFuture.completedFuture(new AlterPartitionResponse().setTopics(List.of(
                new AlterPartitionResponse.TopicData().setTopicId(topic.topicId()).setPartitions(List.of(
                    new AlterPartitionResponse.PartitionData().setPartitionIndex(p.partitionIndex()).setLeaderId(1)
                        .setLeaderEpoch(p.leaderEpoch()).setIsr(new ArrayList<>(isr))
                        .setPartitionEpoch(p.partitionEpoch() + 1))))));
        }

        AlterPartitionRequest.PartitionData next() throws InterruptedException {
            AlterPartitionRequest.PartitionData p = asked.poll(10, TimeUnit.SECONDS);
            assertTrue(p != null, "no AlterPartition was sent");
            return p;
        }
    }

    private static List<Integer> isrOf(AlterPartitionRequest.PartitionData p) {
        return p.newIsrWithEpochs().stream().map(AlterPartitionRequest.BrokerState::brokerId).toList();
    }

    @Test
    void theIsrExpandsWhenAFollowerCatchesUpAndShrinksAfterTheLagTime() throws Exception {
        PartitionRecord led = partition(List.of(1, 2), List.of(1), 1, 4, 6);
        Controller controller = new Controller();
        Node leader = node(1, led, controller, 600);
        Node follower = node(2, led);
        leader.start(follower);
        Partition l = leader.partition();
        l.append(batch(5, "a")).join();
        follower.start(leader);

        AlterPartitionRequest.PartitionData expand = controller.next();
        assertEquals(List.of(1, 2), isrOf(expand));
        assertEquals(4, expand.leaderEpoch());
        assertEquals(6, expand.partitionEpoch());
        assertEquals(List.of(1L, 1L), expand.newIsrWithEpochs().stream()
            .map(AlterPartitionRequest.BrokerState::brokerEpoch).toList());
        await(() -> l.role().isr().equals(List.of(1, 2)) && l.role().partitionEpoch() == 7,
            "the controller's answer was not installed: " + l.role());

        follower.fetchers.stop(follower.partition());
        l.append(batch(5, "b")).join();
        AlterPartitionRequest.PartitionData shrink = controller.next();
        assertEquals(List.of(1), isrOf(shrink));
        assertEquals(7, shrink.partitionEpoch());
        await(() -> l.role().isr().equals(List.of(1)) && l.highWatermark() == 10,
            "the shrink did not let the high watermark move on: " + l.role() + " HW " + l.highWatermark());
    }

    @Test
    void theHighWatermarkCountsTheMaximalIsrWhileAChangeIsPending() throws Exception {
        List<CompletableFuture<AlterPartitionResponse>> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<AlterPartitionRequest> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        IsrChannel unanswered = request -> {
            CompletableFuture<AlterPartitionResponse> answer = new CompletableFuture<>();
            // The answer first: the test waits on the requests, then completes the answer of each.
            answers.add(answer);
            asked.add(request);
            return answer;
        };
        Node leader = node(1, partition(List.of(1, 2, 3), List.of(1), 1, 0, 0), unanswered, 200);
        leader.start();
        Partition l = leader.partition();
        l.append(batch(10, "a")).join();
        assertEquals(10, l.highWatermark());

        l.followerFetched(2, 10).join();
        assertEquals(1, asked.size(), "replica 2 caught up: an expansion is asked for");
        assertEquals(List.of(1, 2), l.pendingIsrChange().orElseThrow().isr());
        l.append(batch(5, "b")).join();
        assertEquals(10, l.highWatermark(), "replica 2 counts while it is being added");
        l.followerFetched(3, 15).join();
        assertEquals(1, asked.size(), "one change in flight at a time");
        l.followerFetched(2, 15).join();
        assertEquals(15, l.highWatermark());

        answers.get(0).complete(new AlterPartitionResponse().setTopics(List.of(new AlterPartitionResponse.TopicData()
            .setTopicId(TOPIC_ID).setPartitions(List.of(new AlterPartitionResponse.PartitionData().setPartitionIndex(0)
                .setLeaderId(1).setLeaderEpoch(0).setIsr(new ArrayList<>(List.of(1, 2))).setPartitionEpoch(1))))));
        await(() -> l.role().isr().equals(List.of(1, 2)), "the expansion was not installed");
        // Replica 2 stops fetching and falls behind: the lag check asks for it to go, but it holds the
        // high watermark until it went.
        l.append(batch(5, "c")).join();
        await(() -> asked.size() == 2, "no shrink was asked for");
        assertEquals(List.of(1), isrOf(asked.get(1).topics().get(0).partitions().get(0)));
        assertEquals(15, l.highWatermark(), "a shrink counts only once committed");
        answers.get(1).complete(new AlterPartitionResponse().setTopics(List.of(new AlterPartitionResponse.TopicData()
            .setTopicId(TOPIC_ID).setPartitions(List.of(new AlterPartitionResponse.PartitionData().setPartitionIndex(0)
                .setLeaderId(1).setLeaderEpoch(0).setIsr(new ArrayList<>(List.of(1))).setPartitionEpoch(2))))));
        await(() -> l.highWatermark() == 20, "the committed shrink did not release the high watermark");
        assertEquals(2, l.role().partitionEpoch());
    }

    /** Produce through the leader's real handler. */
    private static final class ProduceHandlerCalls {
        private final Node node;

        ProduceHandlerCalls(Node node) {
            this.node = node;
        }

        CompletableFuture<ErrorCode> acksAll(MemoryRecords records) {
            dev.sluice.wire.message.ProduceRequest request = new dev.sluice.wire.message.ProduceRequest()
                .setAcks((short) -1).setTimeoutMs(30_000).setTopicData(List.of(
                    new dev.sluice.wire.message.ProduceRequest.TopicProduceData().setName("t").setPartitionData(List.of(
                        new dev.sluice.wire.message.ProduceRequest.PartitionProduceData().setIndex(0)
                            .setRecords(records)))));
            dev.sluice.broker.handler.RequestContext context = new dev.sluice.broker.handler.RequestContext(
                new dev.sluice.wire.message.RequestHeader().setRequestApiKey(dev.sluice.wire.message.ApiKey.PRODUCE.id())
                    .setRequestApiVersion((short) 11).setClientId("test"), dev.sluice.wire.message.ApiKey.PRODUCE,
                (short) 11, null, "PLAINTEXT", System.nanoTime(), new dev.sluice.broker.handler.ConnectionLifetime());
            return new ProduceHandler(node.view, node.partitions, node.produces).handle(context, request)
                .thenApply(r -> ErrorCode.forCode(r.responses().get(0).partitionResponses().get(0).errorCode()));
        }
    }
}
