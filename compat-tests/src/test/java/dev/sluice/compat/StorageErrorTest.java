package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition whose directory vanishes under the broker (as a failed disk's would) fails its next
 * segment roll with a real I/O error: the official producer gets KAFKA_STORAGE_ERROR for it, a
 * fetch of it answers the same, and another partition keeps working.
 */
class StorageErrorTest {
    @TempDir
    Path dataDir;

    @Test
    void storageErrorTakesOnePartitionOfflineAndTheOthersKeepWorking() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().dataDir(dataDir).start(); Admin admin = admin(broker)) {
            admin.createTopics(List.of(
                new NewTopic("failing", 1, (short) 1).configs(Map.of("segment.ms", "50")),
                new NewTopic("healthy", 1, (short) 1))).all().get();
            try (KafkaProducer<String, String> producer = producer(broker)) {
                producer.send(new ProducerRecord<>("failing", 0, "k", "before")).get();
                Files.move(dataDir.resolve("failing-0"), dataDir.resolve("failing-0-moved"));

                // Once the segment is older than segment.ms, an append must roll, and cannot.
                ExecutionException failure = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (failure == null && System.nanoTime() < deadline) {
                    try {
                        producer.send(new ProducerRecord<>("failing", 0, "k", "v")).get();
                    } catch (ExecutionException e) {
                        failure = e;
                    }
                }
                assertNotNull(failure, "no produce failed");
                assertInstanceOf(KafkaStorageException.class, failure.getCause());

                assertEquals(Errors.KAFKA_STORAGE_ERROR.code(), fetchError(broker, "failing"));
                assertEquals(1, producer.send(new ProducerRecord<>("healthy", 0, "k", "v")).get().offset() + 1);
                assertEquals(Errors.NONE.code(), fetchError(broker, "healthy"));
            }
        }
        // The disk comes back: everything acknowledged before the error is there.
        Files.move(dataDir.resolve("failing-0-moved"), dataDir.resolve("failing-0"));
        try (SluiceBroker broker = SluiceBroker.builder().dataDir(dataDir).start(); Admin admin = admin(broker)) {
            TopicPartition tp = new TopicPartition("failing", 0);
            assertEquals(0, admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get().offset());
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
            assertTrue(end >= 1, "the record written before the error survives");
            assertEquals(Errors.NONE.code(), fetchError(broker, "failing"));
            try (KafkaProducer<String, String> producer = producer(broker)) {
                assertEquals(end, producer.send(new ProducerRecord<>("failing", 0, "k", "after")).get().offset());
            }
        }
    }

    private static Admin admin(SluiceBroker broker) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return Admin.create(props);
    }

    private static KafkaProducer<String, String> producer(SluiceBroker broker) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.RETRIES_CONFIG, 0);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        return new KafkaProducer<>(props);
    }

    /** The error code a Fetch v12 from offset 0 of partition 0 of {@code topic} answers. */
    private static short fetchError(SluiceBroker broker, String topic) throws Exception {
        FetchRequestData request = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(0)
            .setMaxBytes(1 << 20).setSessionEpoch(-1)
            .setTopics(List.of(new FetchRequestData.FetchTopic().setTopic(topic).setPartitions(List.of(
                new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)))));
        try (RawKafkaConnection connection = new RawKafkaConnection("localhost", broker.port())) {
            FetchResponseData response = connection.send(ApiKeys.FETCH, 12, request);
            return response.responses().get(0).partitions().get(0).errorCode();
        }
    }
}
