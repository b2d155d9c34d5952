package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.ApiVersionsRequest;
import dev.sluice.wire.message.ApiVersionsResponse;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.ListOffsetsRequest;
import dev.sluice.wire.message.ListOffsetsResponse;
import dev.sluice.wire.message.MetadataRequest;
import dev.sluice.wire.message.MetadataResponse;
import dev.sluice.wire.message.ProduceRequest;
import dev.sluice.wire.message.ProduceResponse;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile and malformed input on raw sockets. Each case checks what the broker does with the bad
 * connection, and that a healthy connection opened before it (and a fresh one opened after it) are
 * still answered correctly: one client's bad bytes must never affect another's.
 */
class BadInputTest {
    private static final int MAX_REQUEST_BYTES = 1024 * 1024;
    private static final String TOPIC = "bad-input";
    private static final String SMALL_TOPIC = "bad-input-small";
    private static final int SMALL_MAX_MESSAGE_BYTES = 1024;
    private static final short METADATA_VERSION = 12;
    private static final short PRODUCE_VERSION = 11;
    private static final short LIST_OFFSETS_VERSION = 7;
    private static final short FETCH_VERSION = 12;

    private static SluiceBroker broker;
    private RawConnection healthy;

    @BeforeAll
    static void start() throws Exception {
        broker = SluiceBroker.builder().config("socket.request.max.bytes", String.valueOf(MAX_REQUEST_BYTES)).start();
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1), new NewTopic(SMALL_TOPIC, 1, (short) 1)
                .configs(Map.of("max.message.bytes", String.valueOf(SMALL_MAX_MESSAGE_BYTES))))).all().get();
        }
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @BeforeEach
    void openHealthyConnection() throws IOException {
        healthy = new RawConnection(broker.port());
        assertMetadataAnswered(healthy);
    }

    @AfterEach
    void closeHealthyConnection() throws IOException {
        healthy.close();
    }

    /** The connection opened before the bad input, and a new one, both still get correct answers. */
    private void assertOthersUnaffected() throws IOException {
        assertMetadataAnswered(healthy);
        try (RawConnection fresh = new RawConnection(broker.port())) {
            assertMetadataAnswered(fresh);
            ApiVersionsResponse versions = fresh.roundTrip(apiVersionsRequest(), 3, ApiVersionsResponse.class);
            assertEquals(0, versions.errorCode());
        }
    }

    private static void assertMetadataAnswered(RawConnection connection) throws IOException {
        MetadataResponse metadata = connection.roundTrip(new MetadataRequest().setTopics(
            List.of(new MetadataRequest.MetadataRequestTopic().setName(TOPIC))), METADATA_VERSION, MetadataResponse.class);
        assertEquals(1, metadata.topics().size());
        assertEquals(0, metadata.topics().get(0).errorCode());
        assertEquals(TOPIC, metadata.topics().get(0).name());
        assertEquals(broker.port(), metadata.brokers().get(0).port());
    }

    private static ApiVersionsRequest apiVersionsRequest() {
        return new ApiVersionsRequest().setClientSoftwareName("raw-test").setClientSoftwareVersion("1.0");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static ByteBuffer frameOf(ByteBuffer body) {
        ByteBuffer frame = ByteBuffer.allocate(4 + body.remaining());
        frame.putInt(body.remaining()).put(body.duplicate());
        return frame.flip();
    }

    /** A request header written by hand, for keys and versions the codec refuses to encode. */
    private static ByteBuffer handWrittenHeader(int apiKey, int version, int correlationId, boolean flexible) {
        ByteBuffer header = ByteBuffer.allocate(32);
        header.putShort((short) apiKey).putShort((short) version).putInt(correlationId);
        header.putShort((short) 4).put(bytes("evil"));
        if (flexible) {
            header.put((byte) 0);
        }
        return header.flip();
    }

    /** The batch's bytes with its last byte flipped, so its CRC no longer matches. */
    private static ByteBuffer withBadCrc(RecordBatch batch) {
        ByteBuffer corrupt = MemoryRecords.withBatches(batch).buffer();
        int lastByte = corrupt.limit() - 1;
        corrupt.put(lastByte, (byte) (corrupt.get(lastByte) ^ 0x5a));
        return corrupt;
    }

    private static ProduceRequest produce(String topic, short acks, MemoryRecords records) {
        return new ProduceRequest().setAcks(acks).setTimeoutMs(5_000).setTopicData(List.of(
            new ProduceRequest.TopicProduceData().setName(topic).setPartitionData(List.of(
                new ProduceRequest.PartitionProduceData().setIndex(0).setRecords(records)))));
    }

    private static RecordBatch batch(String... values) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0);
        for (String v : values) {
            builder.append(System.currentTimeMillis(), null, bytes(v));
        }
        return builder.build();
    }

    private static ProduceResponse.PartitionProduceResponse onlyPartition(ProduceResponse response) {
        assertEquals(1, response.responses().size());
        assertEquals(1, response.responses().get(0).partitionResponses().size());
        return response.responses().get(0).partitionResponses().get(0);
    }

    private static ListOffsetsRequest latestOffset(String topic) {
        return new ListOffsetsRequest().setReplicaId(-1).setTopics(List.of(new ListOffsetsRequest.ListOffsetsTopic()
            .setName(topic).setPartitions(List.of(new ListOffsetsRequest.ListOffsetsPartition().setPartitionIndex(0)
                .setCurrentLeaderEpoch(-1).setTimestamp(-1L)))));
    }

    private static long logEndOffset(RawConnection connection, String topic) throws IOException {
        ListOffsetsResponse response = connection.roundTrip(latestOffset(topic), LIST_OFFSETS_VERSION,
            ListOffsetsResponse.class);
        ListOffsetsResponse.ListOffsetsPartitionResponse p = response.topics().get(0).partitions().get(0);
        assertEquals(0, p.errorCode());
        return p.offset();
    }

    @Test
    void httpRequestOnTheKafkaPortClosesThatConnectionOnly() throws IOException {
        try (RawConnection bad = new RawConnection(broker.port())) {
            bad.sendBytes(bytes("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"));
            bad.assertClosedByBroker("an HTTP request read as a 1.2 GB size prefix");
        }
        assertOthersUnaffected();
    }

    @Test
    void frameTooShortForARequestHeaderClosesTheConnection() throws IOException {
        try (RawConnection bad = new RawConnection(broker.port())) {
            bad.sendBytes(new byte[] {0, 0, 0, 3, 0x12, 0x34, 0x56});
            bad.assertClosedByBroker("a 3-byte frame cannot hold a request header");
        }
        assertOthersUnaffected();
    }

    @Test
    void sizePrefixAboveSocketRequestMaxBytesClosesTheConnectionWithoutWaitingForTheBody() throws IOException {
        try (RawConnection bad = new RawConnection(broker.port())) {
            ByteBuffer prefix = ByteBuffer.allocate(16).putInt(MAX_REQUEST_BYTES + 1).putShort((short) 3);
            bad.sendBytes(prefix.flip());
            bad.assertClosedByBroker("a frame one byte over socket.request.max.bytes");
        }
        assertOthersUnaffected();
    }

    @Test
    void sizePrefixAtSocketRequestMaxBytesIsNotRejectedForItsSize() throws IOException {
        // The limit is inclusive, so this frame is read in full; it is then an unknown API and closed,
        // but only after all of it arrived, which the healthy connection's answer proves was not a hang.
        try (RawConnection big = new RawConnection(broker.port())) {
            ByteBuffer frame = ByteBuffer.allocate(4 + MAX_REQUEST_BYTES);
            frame.putInt(MAX_REQUEST_BYTES).put(handWrittenHeader(32_000, 0, 99, false));
            big.sendBytes(frame.position(frame.capacity()).flip());
            big.assertClosedByBroker("an unknown API key in a frame exactly at the limit");
        }
        assertOthersUnaffected();
    }

    @Test
    void negativeSizePrefixClosesTheConnection() throws IOException {
        for (int size : new int[] {-1, Integer.MIN_VALUE}) {
            try (RawConnection bad = new RawConnection(broker.port())) {
                bad.sendBytes(ByteBuffer.allocate(8).putInt(size).putInt(0).flip());
                bad.assertClosedByBroker("size prefix " + size);
            }
        }
        assertOthersUnaffected();
    }

    @Test
    void unknownApiKeyClosesTheConnection() throws IOException {
        try (RawConnection bad = new RawConnection(broker.port())) {
            bad.sendBytes(frameOf(handWrittenHeader(32_000, 0, 5, false)));
            bad.assertClosedByBroker("API key 32000");
        }
        assertOthersUnaffected();
    }

    @Test
    void versionOfMetadataThatDoesNotExistClosesTheConnection() throws IOException {
        try (RawConnection bad = new RawConnection(broker.port())) {
            bad.sendBytes(frameOf(handWrittenHeader(ApiKey.METADATA.id(), 99, 6, true)));
            bad.assertClosedByBroker("Metadata v99");
        }
        assertOthersUnaffected();
    }

    @Test
    void aClientThatMeansAnotherClusterOrNodeIsToldToRebootstrap() throws IOException {
        try (RawConnection client = new RawConnection(broker.port())) {
            ApiVersionsResponse right = client.roundTrip(apiVersionsRequest().setClusterId(broker.clusterId())
                .setNodeId(broker.nodeId()), 5, ApiVersionsResponse.class);
            assertEquals(0, right.errorCode());
            assertTrue(right.apiKeys().size() > 10);
            ApiVersionsResponse otherCluster = client.roundTrip(apiVersionsRequest().setClusterId("another-cluster-id0000")
                .setNodeId(broker.nodeId()), 5, ApiVersionsResponse.class);
            assertEquals(129, otherCluster.errorCode(), "REBOOTSTRAP_REQUIRED (KIP-1242)");
            ApiVersionsResponse otherNode = client.roundTrip(apiVersionsRequest().setClusterId(broker.clusterId())
                .setNodeId(broker.nodeId() + 7), 5, ApiVersionsResponse.class);
            assertEquals(129, otherNode.errorCode(), "REBOOTSTRAP_REQUIRED (KIP-1242)");
            ApiVersionsResponse v4 = client.roundTrip(apiVersionsRequest().setClusterId("another-cluster-id0000"), 4,
                ApiVersionsResponse.class);
            assertEquals(0, v4.errorCode(), "v4 cannot carry the cluster id");
        }
        assertOthersUnaffected();
    }

    @Test
    void apiVersionsAtAnUnknownVersionGetsAV0AnswerListingTheRanges() throws IOException {
        try (RawConnection client = new RawConnection(broker.port())) {
            ByteBuffer body = ByteBuffer.allocate(16);
            // What a newer client's ApiVersions might carry: fields this broker cannot know about.
            body.put((byte) 5).put(bytes("next")).put((byte) 2).put(bytes("9")).put((byte) 0);
            ByteBuffer header = handWrittenHeader(ApiKey.API_VERSIONS.id(), 99, 41, true);
            ByteBuffer request = ByteBuffer.allocate(header.remaining() + body.flip().remaining());
            client.sendBytes(frameOf(request.put(header).put(body).flip()));

            ApiVersionsResponse response = client.receive(41, ApiKey.API_VERSIONS, 0, ApiVersionsResponse.class);
            assertEquals(35, response.errorCode(), "UNSUPPORTED_VERSION");
            ApiVersionsResponse.ApiVersion apiVersions = response.apiKeys().stream()
                .filter(v -> v.apiKey() == ApiKey.API_VERSIONS.id()).findFirst().orElseThrow();
            assertEquals(0, apiVersions.minVersion());
            assertTrue(apiVersions.maxVersion() >= 3, "ApiVersions max version " + apiVersions.maxVersion());
            assertTrue(response.apiKeys().stream().anyMatch(v -> v.apiKey() == ApiKey.PRODUCE.id()));
            assertTrue(response.apiKeys().stream().anyMatch(v -> v.apiKey() == ApiKey.METADATA.id()));

            // The client then retries with a version from the list, on the same connection.
            ApiVersionsResponse retry = client.roundTrip(apiVersionsRequest(), apiVersions.maxVersion(),
                ApiVersionsResponse.class);
            assertEquals(0, retry.errorCode());
            assertEquals(response.apiKeys().size(), retry.apiKeys().size());
        }
        assertOthersUnaffected();
    }

    @Test
    void requestBodyCutShortClosesTheConnection() throws IOException {
        MetadataRequest request = new MetadataRequest().setTopics(List.of(
            new MetadataRequest.MetadataRequestTopic().setName("a-topic-name-long-enough-to-cut-in-half")));
        try (RawConnection bad = new RawConnection(broker.port())) {
            ByteBuffer whole = Frames.writeRequest(bad.header(request, METADATA_VERSION), request);
            int cut = whole.remaining() / 2;
            ByteBuffer truncated = ByteBuffer.allocate(cut);
            truncated.putInt(cut - 4).put(whole.slice(4, cut - 4));
            bad.sendBytes(truncated.flip());
            bad.assertClosedByBroker("a Metadata body that ends inside a topic name");
        }
        assertOthersUnaffected();
    }

    @Test
    void batchWithABadCrcIsRejectedAsCorruptAndNotAppended() throws IOException {
        long before = logEndOffset(healthy, TOPIC);
        ByteBuffer corrupt = withBadCrc(batch("one", "two", "three"));
        try (RawConnection client = new RawConnection(broker.port())) {
            ProduceResponse response = client.roundTrip(produce(TOPIC, (short) 1, MemoryRecords.readableRecords(corrupt)),
                PRODUCE_VERSION, ProduceResponse.class);
            assertEquals(2, onlyPartition(response).errorCode(), "CORRUPT_MESSAGE");
            assertEquals(before, logEndOffset(client, TOPIC));
        }
        assertOthersUnaffected();
    }

    @Test
    void batchOverTheTopicsMaxMessageBytesIsRejectedAsTooLarge() throws IOException {
        RecordBatch big = new RecordBatchBuilder(0).append(System.currentTimeMillis(), null,
            new byte[SMALL_MAX_MESSAGE_BYTES * 4]).build();
        try (RawConnection client = new RawConnection(broker.port())) {
            ProduceResponse response = client.roundTrip(produce(SMALL_TOPIC, (short) 1, MemoryRecords.withBatches(big)),
                PRODUCE_VERSION, ProduceResponse.class);
            assertEquals(10, onlyPartition(response).errorCode(), "MESSAGE_TOO_LARGE");
            assertEquals(0, logEndOffset(client, SMALL_TOPIC));

            ProduceResponse small = client.roundTrip(produce(SMALL_TOPIC, (short) 1,
                MemoryRecords.withBatches(batch("fits"))), PRODUCE_VERSION, ProduceResponse.class);
            assertEquals(0, onlyPartition(small).errorCode());
        }
        assertOthersUnaffected();
    }

    @Test
    void twoBatchesForOnePartitionAreAnInvalidRecord() throws IOException {
        long before = logEndOffset(healthy, TOPIC);
        try (RawConnection client = new RawConnection(broker.port())) {
            MemoryRecords two = MemoryRecords.withBatches(batch("first"), batch("second"));
            ProduceResponse response = client.roundTrip(produce(TOPIC, (short) -1, two), PRODUCE_VERSION,
                ProduceResponse.class);
            assertEquals(87, onlyPartition(response).errorCode(), "INVALID_RECORD");
            assertEquals(before, logEndOffset(client, TOPIC));
        }
        assertOthersUnaffected();
    }

    @Test
    void acksOtherThanMinusOneZeroOrOneIsInvalidRequiredAcks() throws IOException {
        long before = logEndOffset(healthy, TOPIC);
        try (RawConnection client = new RawConnection(broker.port())) {
            ProduceResponse response = client.roundTrip(produce(TOPIC, (short) 5, MemoryRecords.withBatches(batch("x"))),
                PRODUCE_VERSION, ProduceResponse.class);
            assertEquals(21, onlyPartition(response).errorCode(), "INVALID_REQUIRED_ACKS");
            assertEquals(before, logEndOffset(client, TOPIC));
        }
        assertOthersUnaffected();
    }

    @Test
    void acksZeroProduceIsNotAnsweredButTheNextRequestIs() throws IOException {
        long before = logEndOffset(healthy, TOPIC);
        try (RawConnection client = new RawConnection(broker.port())) {
            client.send(produce(TOPIC, (short) 0, MemoryRecords.withBatches(batch("fire", "and", "forget"))),
                PRODUCE_VERSION);
            // If the broker answered the acks=0 produce, this read would see its correlation id instead.
            int next = client.send(latestOffset(TOPIC), LIST_OFFSETS_VERSION);
            ListOffsetsResponse offsets = client.receive(next, ApiKey.LIST_OFFSETS, LIST_OFFSETS_VERSION,
                ListOffsetsResponse.class);
            assertEquals(0, offsets.topics().get(0).partitions().get(0).errorCode());
            // Sluice orders responses, not processing: a read pipelined behind an acks=0 write may run
            // before the append (Kafka would have appended first), so wait for the records to land.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long end = logEndOffset(client, TOPIC);
            while (end < before + 3 && System.nanoTime() < deadline) {
                end = logEndOffset(client, TOPIC);
            }
            assertEquals(before + 3, end, "the three acks=0 records were appended");
        }
        assertOthersUnaffected();
    }

    @Test
    void aFailedAcksZeroWriteClosesTheConnection() throws IOException {
        long before = logEndOffset(healthy, TOPIC);
        ByteBuffer corrupt = withBadCrc(batch("lost", "on", "purpose"));
        try (RawConnection client = new RawConnection(broker.port())) {
            // Without a response, closing the connection is how an acks=0 producer learns of the failure.
            client.send(produce(TOPIC, (short) 0, MemoryRecords.readableRecords(corrupt)), PRODUCE_VERSION);
            client.assertClosedByBroker("a CRC-corrupt acks=0 batch");
        }
        assertEquals(before, logEndOffset(healthy, TOPIC), "nothing was appended");
        assertOthersUnaffected();
    }

    /** One request of the pipeline: what was sent, at which version, under which correlation id. */
    private record Sent(int correlationId, ApiKey key, short version) {
    }

    @Test
    void pipelinedRequestsAreAnsweredInRequestOrder() throws IOException {
        long before = logEndOffset(healthy, TOPIC);
        int count = 50;
        List<Sent> sent = new ArrayList<>();
        int produced = 0;
        try (RawConnection client = new RawConnection(broker.port())) {
            for (int i = 0; i < count; i++) {
                ApiMessage request;
                short version;
                switch (i % 5) {
                    case 0 -> {
                        request = apiVersionsRequest();
                        version = 3;
                    }
                    case 1 -> {
                        request = new MetadataRequest().setTopics(null);
                        version = METADATA_VERSION;
                    }
                    case 2 -> {
                        request = produce(TOPIC, (short) -1, MemoryRecords.withBatches(batch("pipelined-" + i)));
                        version = PRODUCE_VERSION;
                        produced++;
                    }
                    case 3 -> {
                        // A long-poll past the end of the log: it waits while faster requests behind it finish.
                        request = new FetchRequest().setReplicaId(-1).setMaxWaitMs(100).setMinBytes(1 << 20)
                            .setMaxBytes(1 << 20).setIsolationLevel((byte) 0).setSessionId(0).setSessionEpoch(-1)
                            .setTopics(List.of(new FetchRequest.FetchTopic().setTopic(TOPIC).setPartitions(List.of(
                                new FetchRequest.FetchPartition().setPartition(0).setFetchOffset(before)
                                    .setCurrentLeaderEpoch(-1).setLastFetchedEpoch(-1).setLogStartOffset(-1)
                                    .setPartitionMaxBytes(1 << 20)))))
                            .setForgottenTopicsData(List.of()).setRackId("");
                        version = FETCH_VERSION;
                    }
                    default -> {
                        request = latestOffset(TOPIC);
                        version = LIST_OFFSETS_VERSION;
                    }
                }
                sent.add(new Sent(client.send(request, version), request.apiKey(), version));
            }
            for (Sent s : sent) {
                ApiMessage response = client.receive(s.correlationId(), s.key(), s.version(), ApiMessage.class);
                List<Integer> errors = new ArrayList<>();
                response.forEachErrorCode(errors::add);
                assertTrue(errors.stream().allMatch(e -> e == 0), s + " answered with errors " + errors);
                if (response instanceof FetchResponse fetch) {
                    assertEquals(1, fetch.responses().size());
                }
            }
            assertEquals(before + produced, logEndOffset(client, TOPIC));
        }
        assertOthersUnaffected();
    }
}
