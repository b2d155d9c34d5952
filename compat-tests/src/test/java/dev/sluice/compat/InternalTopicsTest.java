package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code __consumer_offsets} holds every group's committed offsets: no client request may delete,
 * trim, grow or write it, nor create a topic in its place, and the offsets survive every attempt.
 */
@SluiceTest(config = {"offsets.topic.num.partitions=2"})
class InternalTopicsTest {
    private static final String OFFSETS = "__consumer_offsets";
    private static final TopicPartition COMMITTED = new TopicPartition("internal-data", 0);

    static SluiceBroker broker;

    @BeforeAll
    static void commitAnOffset() throws Exception {
        try (Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(COMMITTED.topic(), 1, (short) 1))).all().get();
            admin.alterConsumerGroupOffsets("internal-group", Map.of(COMMITTED, new OffsetAndMetadata(0))).all().get();
        }
    }

    private static void assertInvalidTopic(Future<?> result) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> result.get(10, TimeUnit.SECONDS));
        assertInstanceOf(InvalidTopicException.class, e.getCause());
    }

    private static void assertOffsetsKept(Admin admin) throws Exception {
        assertEquals(0, admin.listConsumerGroupOffsets("internal-group").partitionsToOffsetAndMetadata().get()
            .get(COMMITTED).offset());
        assertEquals(2, admin.describeTopics(List.of(OFFSETS)).allTopicNames().get().get(OFFSETS).partitions().size());
    }

    @Test
    void deleteRecordsCreatePartitionsAndDeleteTopicsOfTheOffsetsTopicAreRefused() throws Exception {
        try (Admin admin = KafkaClients.admin(broker)) {
            assertInvalidTopic(admin.deleteRecords(Map.of(new TopicPartition(OFFSETS, 0),
                RecordsToDelete.beforeOffset(-1L), new TopicPartition(OFFSETS, 1), RecordsToDelete.beforeOffset(-1L)))
                .all());
            assertInvalidTopic(admin.createPartitions(Map.of(OFFSETS, NewPartitions.increaseTo(10))).all());
            assertInvalidTopic(admin.deleteTopics(List.of(OFFSETS)).all());
            Uuid id = admin.describeTopics(List.of(OFFSETS)).allTopicNames().get().get(OFFSETS).topicId();
            assertInvalidTopic(admin.deleteTopics(TopicCollection.ofTopicIds(List.of(id))).all());
            assertOffsetsKept(admin);
        }
    }

    @Test
    void namesOfOrCollidingWithInternalTopicsCannotBeCreated() throws Exception {
        try (Admin admin = KafkaClients.admin(broker)) {
            assertInvalidTopic(admin.createTopics(List.of(new NewTopic("__consumer.offsets", 1, (short) 1))).all());
            assertInvalidTopic(admin.createTopics(List.of(new NewTopic("__transaction_state", 1, (short) 1))).all());
            assertInvalidTopic(admin.createTopics(List.of(new NewTopic("__transaction.state", 1, (short) 1))).all());
            assertEquals(Set.of(COMMITTED.topic()), admin.listTopics().names().get());
        }
    }

    @Test
    void produceToTheOffsetsTopicIsRefusedWhateverTheClientId() throws Exception {
        for (String clientId : List.of("ordinary", "__admin_client")) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                assertInvalidTopic(producer.send(new ProducerRecord<>(OFFSETS, 0, new byte[] {0, 1}, null)));
            }
        }
        try (Admin admin = KafkaClients.admin(broker)) {
            assertOffsetsKept(admin);
        }
    }
}
