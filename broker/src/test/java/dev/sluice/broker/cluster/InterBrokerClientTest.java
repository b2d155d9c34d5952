package dev.sluice.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.ApiVersionsRequest;
import dev.sluice.wire.message.ApiVersionsResponse;
import dev.sluice.wire.message.CreateTopicsRequest;
import dev.sluice.wire.message.CreateTopicsResponse;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.MetadataRequest;
import dev.sluice.wire.message.MetadataResponse;
import dev.sluice.wire.message.ProduceRequest;
import dev.sluice.wire.message.ProduceResponse;
import dev.sluice.wire.message.RequestHeader;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import io.netty.handler.codec.TooLongFrameException;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inter-broker client against real brokers on real sockets, and against sockets that misbehave. */
class InterBrokerClientTest {
    private static final int PEER = 1;
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<AutoCloseable> closeLast = new ArrayList<>();
    private final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final PeerListener recorder = new PeerListener() {
        @Override
        public void connected(int nodeId) {
            events.add("connected " + nodeId);
        }

        @Override
        public void disconnected(int nodeId, Throwable cause) {
            events.add("disconnected " + nodeId + " " + cause.getClass().getSimpleName());
        }
    };

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeLast.size() - 1; i >= 0; i--) {
            closeLast.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        closeLast.add(resource);
        return resource;
    }

    private InterBrokerClient client(InterBrokerSettings settings) {
        return closing(new InterBrokerClient(settings, recorder));
    }

    private SluiceBroker broker() {
        return closing(SluiceBroker.builder().start());
    }

    private static <R> R await(CompletableFuture<R> future) throws Exception {
        return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The failure a future ends with, within the test's patience. */
    private static Throwable failureOf(CompletableFuture<?> future) throws Exception {
        try {
            future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        return fail("expected a failure, got " + future.join());
    }

    private String nextEvent() throws InterruptedException {
        String event = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(event, "no connection event within " + WAIT);
        return event;
    }

    /** Partition 0 of a topic from offset 0, named as the version the peer will be sent needs (ids from Fetch v13). */
    private static FetchRequest.FetchTopic fetchTopic(InterBrokerClient client, String name, Uuid id) throws Exception {
        short version = await(client.usableVersion(PEER, ApiKey.FETCH)).orElseThrow();
        FetchRequest.FetchTopic topic = new FetchRequest.FetchTopic().setPartitions(List.of(
            new FetchRequest.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)));
        return version >= 13 ? topic.setTopicId(id) : topic.setTopic(name);
    }

    @Test
    void negotiatesVersionsOnceAndAnswersApiVersionsAtTheHighestSharedVersion() throws Exception {
        SluiceBroker broker = broker();
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "localhost", broker.port());

        ApiVersionsResponse response = await(client.send(PEER, new ApiVersionsRequest()
            .setClientSoftwareName("sluice-broker").setClientSoftwareVersion("test")));

        assertEquals(0, response.errorCode());
        assertTrue(response.apiKeys().stream().anyMatch(k -> k.apiKey() == ApiKey.FETCH.id()), "Fetch is advertised");
        assertEquals("connected " + PEER, nextEvent());
        short fetch = await(client.usableVersion(PEER, ApiKey.FETCH)).orElseThrow();
        ApiVersionsResponse.ApiVersion advertised = response.apiKeys().stream()
            .filter(k -> k.apiKey() == ApiKey.FETCH.id()).findFirst().orElseThrow();
        assertEquals(Math.min(advertised.maxVersion(), new FetchRequest().highestSupportedVersion()), fetch);
    }

    @Test
    void metadataNamesThePeerBroker() throws Exception {
        SluiceBroker broker = broker();
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "localhost", broker.port());

        MetadataResponse metadata = await(client.send(PEER, new MetadataRequest().setTopics(null)));

        assertEquals(broker.clusterId(), metadata.clusterId());
        assertEquals(List.of(broker.port()), metadata.brokers().stream().map(MetadataResponse.MetadataResponseBroker::port).toList());
    }

    @Test
    void pipelinedRequestsAllGetTheirOwnAnswers() throws Exception {
        SluiceBroker broker = broker();
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "localhost", broker.port());
        List<CompletableFuture<ApiMessage>> answers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            answers.add(i % 2 == 0 ? client.send(PEER, new MetadataRequest().setTopics(null))
                : client.send(PEER, new ApiVersionsRequest()));
        }
        for (int i = 0; i < answers.size(); i++) {
            ApiMessage answer = await(answers.get(i));
            assertEquals(i % 2 == 0 ? ApiKey.METADATA : ApiKey.API_VERSIONS, answer.apiKey());
        }
    }

    @Test
    void producedRecordsComeBackInAFetch() throws Exception {
        SluiceBroker broker = broker();
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "localhost", broker.port());
        CreateTopicsResponse created = await(client.send(PEER, new CreateTopicsRequest().setTimeoutMs(10_000)
            .setTopics(List.of(new CreateTopicsRequest.CreatableTopic().setName("replicated")
                .setNumPartitions(1).setReplicationFactor((short) 1)))));
        assertEquals(0, created.topics().get(0).errorCode());
        Uuid topicId = created.topics().get(0).topicId();

        RecordBatch batch = new RecordBatchBuilder(0)
            .append(1L, null, "a".getBytes(StandardCharsets.UTF_8))
            .append(2L, null, "b".getBytes(StandardCharsets.UTF_8))
            .append(3L, null, "c".getBytes(StandardCharsets.UTF_8))
            .build();
        short produceVersion = await(client.usableVersion(PEER, ApiKey.PRODUCE)).orElseThrow();
        ProduceRequest.TopicProduceData topic = new ProduceRequest.TopicProduceData()
            .setPartitionData(List.of(new ProduceRequest.PartitionProduceData().setIndex(0)
                .setRecords(MemoryRecords.withBatches(batch))));
        if (produceVersion >= 13) {
            topic.setTopicId(topicId);
        } else {
            topic.setName("replicated");
        }
        ProduceResponse produced = await(client.send(PEER, new ProduceRequest().setAcks((short) -1).setTimeoutMs(10_000)
            .setTopicData(List.of(topic))));
        ProduceResponse.PartitionProduceResponse written = produced.responses().get(0).partitionResponses().get(0);
        assertEquals(0, written.errorCode());
        assertEquals(0, written.baseOffset());

        FetchResponse fetched = await(client.send(PEER, new FetchRequest().setMaxWaitMs(0).setMinBytes(1)
            .setMaxBytes(1 << 20).setTopics(List.of(fetchTopic(client, "replicated", topicId)))));

        FetchResponse.PartitionData partition = fetched.responses().get(0).partitions().get(0);
        assertEquals(0, partition.errorCode());
        assertEquals(3, partition.highWatermark());
        MemoryRecords records = (MemoryRecords) partition.records();
        List<RecordBatch> batches = new ArrayList<>();
        records.batches().forEach(batches::add);
        assertEquals(1, batches.size());
        assertEquals(0, batches.get(0).baseOffset());
        assertEquals(2, batches.get(0).lastOffset());
        assertEquals(batch.checksum(), batches.get(0).checksum(), "the batch comes back as it was written");
    }

    @Test
    void aBrokerThatStopsIsReportedAndReconnectedToOnceItIsBackOnItsPort(@TempDir Path data) throws Exception {
        SluiceBroker first = SluiceBroker.builder().dataDir(data).start();
        int port = first.port();
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "localhost", port);
        await(client.send(PEER, new MetadataRequest().setTopics(null)));
        assertEquals("connected " + PEER, nextEvent());

        first.close();

        assertTrue(nextEvent().startsWith("disconnected " + PEER), "the listener hears of the closed connection");
        SluiceBroker second = closing(SluiceBroker.builder().dataDir(data).port(port).start());
        long deadline = System.nanoTime() + WAIT.toNanos();
        MetadataResponse answer = null;
        while (answer == null && System.nanoTime() < deadline) {
            try {
                answer = await(client.send(PEER, new MetadataRequest().setTopics(null)));
            } catch (ExecutionException e) {
                assertInstanceOf(PeerDisconnectedException.class, e.getCause(), "only a refused connection may fail");
            }
        }
        assertNotNull(answer, "the client reconnects to the restarted broker");
        assertEquals(second.clusterId(), answer.clusterId());
        assertEquals(List.of(port), answer.brokers().stream().map(MetadataResponse.MetadataResponseBroker::port).toList());
    }

    /** A broker whose only listener is SASL_PLAINTEXT with PLAIN for user {@code broker}, sessions of {@code reauthMs}. */
    private SluiceBroker saslBroker(long reauthMs) {
        return closing(SluiceBroker.builder()
            .config("listeners", "SASL_PLAINTEXT://localhost:0")
            .config("sasl.enabled.mechanisms", "PLAIN")
            .config("connections.max.reauth.ms", Long.toString(reauthMs))
            .config("listener.name.sasl_plaintext.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_broker=\"s3cret\";")
            .start());
    }

    private static InterBrokerSettings plainAs(String password) {
        return InterBrokerSettings.defaults(2).withSecurity(new PeerSecurity(null, false,
            () -> new dev.sluice.broker.security.sasl.PlainClient("broker", password)));
    }

    @Test
    void aSaslListenerIsAuthenticatedToAndItsSessionsAreRenewedBeforeTheyEnd() throws Exception {
        SluiceBroker peer = saslBroker(1_000);
        InterBrokerClient client = client(plainAs("s3cret"));
        client.updateNode(PEER, "localhost", peer.port());
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3_000);
        int answered = 0;
        while (System.nanoTime() < until) {
            MetadataResponse answer = await(client.send(PEER, new MetadataRequest().setTopics(null)));
            assertEquals(peer.clusterId(), answer.clusterId());
            answered++;
        }
        assertTrue(answered > 10, answered + " requests answered");
        List<String> seen = new ArrayList<>();
        events.drainTo(seen);
        // A session of 1 s renewed at 85%: at least three connections in 3 s, none reported down.
        assertTrue(seen.stream().filter(e -> e.startsWith("connected")).count() >= 3, seen.toString());
        assertTrue(seen.stream().noneMatch(e -> e.startsWith("disconnected")), seen.toString());
    }

    @Test
    void aWrongPasswordFailsTheRequestWithThePeersRefusalAndIsReported() throws Exception {
        SluiceBroker peer = saslBroker(0);
        InterBrokerClient client = client(plainAs("wrong"));
        client.updateNode(PEER, "localhost", peer.port());
        Throwable failure = failureOf(client.send(PEER, new MetadataRequest().setTopics(null)));
        assertInstanceOf(PeerDisconnectedException.class, failure);
        assertTrue(failure.getMessage().contains("SASL_AUTHENTICATION_FAILED"), failure.getMessage());
        assertTrue(nextEvent().startsWith("disconnected " + PEER));
    }

    @Test
    void requestsInFlightFailWhenThePeerClosesTheConnection() throws Exception {
        ScriptedPeer peer = closing(new ScriptedPeer());
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "127.0.0.1", peer.port());
        List<CompletableFuture<MetadataResponse>> sent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sent.add(client.send(PEER, new MetadataRequest().setTopics(null)));
        }
        peer.awaitRequests(4);

        peer.dropConnections();

        for (CompletableFuture<MetadataResponse> future : sent) {
            Throwable failure = failureOf(future);
            assertInstanceOf(PeerDisconnectedException.class, failure);
            assertEquals(PEER, ((PeerDisconnectedException) failure).nodeId());
        }
        assertEquals("connected " + PEER, nextEvent());
        assertTrue(nextEvent().startsWith("disconnected " + PEER));
        assertEquals(List.of("ApiVersions v5", "Metadata v13", "Metadata v13", "Metadata v13"), peer.requests());
        assertEquals(List.of("sluice-broker-2"), peer.clientIds().stream().distinct().toList());
    }

    @Test
    void aReplicaFetchGoesOutWithItsReplicaStateAtTheHighestSharedVersion() throws Exception {
        ScriptedPeer peer = closing(new ScriptedPeer());
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "127.0.0.1", peer.port());
        Uuid topicId = new Uuid(12L, 34L);

        client.send(PEER, new FetchRequest().setReplicaState(new FetchRequest.ReplicaState().setReplicaId(2).setReplicaEpoch(7))
            .setMaxWaitMs(500).setMinBytes(1).setMaxBytes(1 << 20).setTopics(List.of(new FetchRequest.FetchTopic()
                .setTopicId(topicId).setPartitions(List.of(new FetchRequest.FetchPartition().setPartition(3)
                    .setCurrentLeaderEpoch(5).setFetchOffset(42).setLastFetchedEpoch(4).setPartitionMaxBytes(1 << 20))))));
        peer.awaitRequests(2);

        // The client speaks Fetch up to v18; the peer only up to v16.
        assertEquals(List.of("ApiVersions v5", "Fetch v16"), peer.requests());
        FetchRequest sent = (FetchRequest) peer.bodies().get(1);
        assertEquals(2, sent.replicaState().replicaId());
        assertEquals(7, sent.replicaState().replicaEpoch());
        FetchRequest.FetchPartition partition = sent.topics().get(0).partitions().get(0);
        assertEquals(topicId, sent.topics().get(0).topicId());
        assertEquals(42, partition.fetchOffset());
        assertEquals(4, partition.lastFetchedEpoch());
    }

    @Test
    void aRequestWithoutAnswerTimesOutAndTakesTheConnectionDown() throws Exception {
        ScriptedPeer peer = closing(new ScriptedPeer());
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "127.0.0.1", peer.port());

        Throwable failure = failureOf(client.send(PEER, new MetadataRequest().setTopics(null), (short) -1,
            Duration.ofMillis(300)));

        assertInstanceOf(TimeoutException.class, failure);
        assertTrue(failure.getMessage().contains("got no response within 300 ms"), failure.getMessage());
        assertEquals("connected " + PEER, nextEvent());
        assertEquals("disconnected " + PEER + " TimeoutException", nextEvent());
    }

    @Test
    void aNodeThatMovesIsReachedAtItsNewAddressWithoutBeingReportedDown() throws Exception {
        SluiceBroker before = broker();
        SluiceBroker after = broker();
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "localhost", before.port());
        assertEquals(before.clusterId(), ((MetadataResponse) await(client.send(PEER, new MetadataRequest().setTopics(null))))
            .clusterId());

        client.updateNode(PEER, "localhost", after.port());

        // Updates and requests for a node are handled in order, so this one already goes to the new address.
        assertEquals(after.clusterId(), ((MetadataResponse) await(client.send(PEER, new MetadataRequest().setTopics(null))))
            .clusterId());
        assertEquals(List.of("connected " + PEER, "connected " + PEER), List.of(nextEvent(), nextEvent()));
    }

    @Test
    void aRefusedConnectionFailsTheRequestAndIsReported() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        InterBrokerClient client = client(InterBrokerSettings.defaults(2));
        client.updateNode(PEER, "127.0.0.1", port);

        Throwable failure = failureOf(client.send(PEER, new ApiVersionsRequest()));

        assertInstanceOf(PeerDisconnectedException.class, failure);
        assertInstanceOf(ConnectException.class, failure.getCause());
        assertTrue(nextEvent().startsWith("disconnected " + PEER), "the listener hears of the refusal");
    }

    @Test
    void aPeerThatNeverAnswersTimesTheRequestOutAndLosesItsConnection() throws Exception {
        ServerSocket silent = closing(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
        List<Socket> accepted = new ArrayList<>();
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket s = silent.accept();
                    synchronized (accepted) {
                        accepted.add(s);
                    }
                }
            } catch (IOException closed) {
                // the test is over
            }
        }, "silent-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        closing(() -> {
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        });
        InterBrokerClient client = client(InterBrokerSettings.defaults(2).withRequestTimeout(Duration.ofMillis(500)));
        client.updateNode(PEER, "127.0.0.1", silent.getLocalPort());

        long started = System.nanoTime();
        Throwable shortCall = failureOf(client.send(PEER, new MetadataRequest(), (short) -1, Duration.ofMillis(200)));
        assertInstanceOf(TimeoutException.class, shortCall);
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "the call's own timeout applies");

        // The connection's own ApiVersions goes unanswered past the request timeout: it is dropped.
        String event = nextEvent();
        assertEquals("disconnected " + PEER + " TimeoutException", event);
    }

    @Test
    void aResponseOverTheFrameLimitClosesTheConnection() throws Exception {
        SluiceBroker broker = broker();
        InterBrokerClient client = client(InterBrokerSettings.defaults(2).withMaxResponseBytes(64));
        client.updateNode(PEER, "localhost", broker.port());

        Throwable failure = failureOf(client.send(PEER, new ApiVersionsRequest()));

        assertInstanceOf(PeerDisconnectedException.class, failure);
        assertInstanceOf(TooLongFrameException.class, failure.getCause());
        assertEquals("disconnected " + PEER + " TooLongFrameException", nextEvent());
    }

    @Test
    void aNodeWithoutAddressOrAfterCloseFailsAtOnce() throws Exception {
        InterBrokerClient client = new InterBrokerClient(InterBrokerSettings.defaults(2));
        assertInstanceOf(PeerDisconnectedException.class, failureOf(client.send(7, new ApiVersionsRequest())));
        client.updateNode(7, "localhost", 1);
        client.close();
        assertInstanceOf(PeerDisconnectedException.class, failureOf(client.send(7, new ApiVersionsRequest())));
    }

    /**
     * A peer on a real socket that answers ApiVersions (ApiVersions 0-4, Metadata 0-13, Fetch 4-16)
     * and nothing else, recording what it is sent, until told to drop its connections.
     */
    private static final class ScriptedPeer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final List<String> requests = new CopyOnWriteArrayList<>();
        private final List<String> clientIds = new CopyOnWriteArrayList<>();
        private final Semaphore received = new Semaphore(0);
        private final List<ApiMessage> bodies = new CopyOnWriteArrayList<>();

        ScriptedPeer() throws IOException {
            Thread acceptor = new Thread(this::serve, "scripted-peer");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        List<String> requests() {
            return requests;
        }

        List<String> clientIds() {
            return clientIds;
        }

        List<ApiMessage> bodies() {
            return bodies;
        }

        void awaitRequests(int count) throws InterruptedException {
            assertTrue(received.tryAcquire(count, WAIT.toMillis(), TimeUnit.MILLISECONDS), "requests received: " + requests);
        }

        void dropConnections() throws IOException {
            for (Socket s : sockets) {
                s.close();
            }
        }

        private void serve() {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                DataInputStream in = new DataInputStream(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                while (true) {
                    byte[] frame = new byte[in.readInt()];
                    in.readFully(frame);
                    ByteBuffer buffer = ByteBuffer.wrap(frame);
                    RequestHeader header = Frames.readRequestHeader(buffer);
                    ApiKey key = Frames.apiKey(header).orElseThrow();
                    requests.add(key.displayName() + " v" + header.requestApiVersion());
                    clientIds.add(header.clientId());
                    bodies.add(Frames.readRequestBody(header, buffer));
                    received.release();
                    if (key == ApiKey.API_VERSIONS) {
                        ApiVersionsResponse versions = new ApiVersionsResponse().setApiKeys(List.of(
                            new ApiVersionsResponse.ApiVersion().setApiKey(ApiKey.API_VERSIONS.id())
                                .setMinVersion((short) 0).setMaxVersion((short) 4),
                            new ApiVersionsResponse.ApiVersion().setApiKey(ApiKey.METADATA.id())
                                .setMinVersion((short) 0).setMaxVersion((short) 13),
                            new ApiVersionsResponse.ApiVersion().setApiKey(ApiKey.FETCH.id())
                                .setMinVersion((short) 4).setMaxVersion((short) 16)));
                        ByteBuffer response = Frames.writeResponse(header.correlationId(), versions,
                            header.requestApiVersion());
                        out.write(response.array(), response.arrayOffset() + response.position(), response.remaining());
                        out.flush();
                    }
                }
            } catch (IOException closed) {
                // the connection or the test is over
            }
        }

        @Override
        public void close() throws IOException {
            dropConnections();
            server.close();
        }
    }
}
