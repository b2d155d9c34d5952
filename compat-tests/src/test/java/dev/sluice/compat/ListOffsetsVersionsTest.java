package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.wire.message.ListOffsetsRequest;
import dev.sluice.wire.message.ListOffsetsResponse;
import dev.sluice.wire.message.ProduceRequest;
import dev.sluice.wire.message.ProduceResponse;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ListOffsets at every version the broker serves, on a raw socket. librdkafka (kcat) asks for
 * earliest and latest with v2, whose response has no leader epoch field; a broker that fills in the
 * epoch regardless cannot encode the answer.
 */
class ListOffsetsVersionsTest {
    private static final String TOPIC = "list-offsets-versions";

    private static SluiceBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = SluiceBroker.builder().start();
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
        }
        RecordBatchBuilder batch = new RecordBatchBuilder(0);
        for (int i = 0; i < 3; i++) {
            batch.append(1_000L * (i + 1), null, ("r" + i).getBytes(StandardCharsets.UTF_8));
        }
        try (RawConnection connection = new RawConnection(broker.port())) {
            ProduceResponse produced = connection.roundTrip(new ProduceRequest().setAcks((short) -1).setTimeoutMs(5_000)
                .setTopicData(List.of(new ProduceRequest.TopicProduceData().setName(TOPIC).setPartitionData(List.of(
                    new ProduceRequest.PartitionProduceData().setIndex(0)
                        .setRecords(MemoryRecords.withBatches(batch.build())))))), 9, ProduceResponse.class);
            assertEquals(0, produced.responses().get(0).partitionResponses().get(0).errorCode());
        }
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static ListOffsetsResponse.ListOffsetsPartitionResponse listOffset(int version, long timestamp)
        throws Exception {
        try (RawConnection connection = new RawConnection(broker.port())) {
            ListOffsetsRequest request = new ListOffsetsRequest().setReplicaId(-1).setTopics(List.of(
                new ListOffsetsRequest.ListOffsetsTopic().setName(TOPIC).setPartitions(List.of(
                    new ListOffsetsRequest.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(timestamp)))));
            ListOffsetsResponse response = connection.roundTrip(request, version, ListOffsetsResponse.class);
            return response.topics().get(0).partitions().get(0);
        }
    }

    @ParameterizedTest(name = "v{0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void earliestLatestAndByTimestampAnswerAtEveryVersion(int version) throws Exception {
        ListOffsetsResponse.ListOffsetsPartitionResponse earliest = listOffset(version, -2);
        assertEquals(0, earliest.errorCode(), "earliest");
        assertEquals(0, earliest.offset());

        ListOffsetsResponse.ListOffsetsPartitionResponse latest = listOffset(version, -1);
        assertEquals(0, latest.errorCode(), "latest");
        assertEquals(3, latest.offset());

        ListOffsetsResponse.ListOffsetsPartitionResponse byTime = listOffset(version, 1_500);
        assertEquals(0, byTime.errorCode(), "by timestamp");
        assertEquals(1, byTime.offset());
        assertEquals(2_000, byTime.timestamp());
        assertEquals(version >= 4 ? 0 : -1, byTime.leaderEpoch(), "leader epoch, a field from v4");
    }
}
