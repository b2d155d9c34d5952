package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The official producer and consumer (manual assignment) against an embedded broker: every acks
 * setting, idempotence on and off, every compression codec, seek and offsetsForTimes, headers and
 * tombstones, record deletion, and oversized records.
 */
@SluiceTest
class ProduceConsumeTest {
    static SluiceBroker broker;
    private static Admin admin;

    @BeforeAll
    static void start() {
        admin = KafkaClients.admin(broker);
    }

    @AfterAll
    static void stop() {
        admin.close();
    }

    static KafkaProducer<byte[], byte[]> producer(Map<String, Object> overrides) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.putAll(overrides);
        return new KafkaProducer<>(props);
    }

    static KafkaConsumer<byte[], byte[]> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(props);
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(TopicPartition tp, long from, int expected) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "acks={0} idempotence={1} compression={2}")
    @CsvSource({
        "all, true, none", "all, true, gzip", "all, true, snappy", "all, true, lz4", "all, true, zstd",
        "1, false, none", "1, false, lz4", "0, false, none", "0, false, zstd", "all, false, gzip"})
    void everyRecordSentIsReadBackInOrder(String acks, boolean idempotence, String compression) throws Exception {
        String topic = "produce-" + acks + "-" + idempotence + "-" + compression;
        admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        int count = 500;
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = producer(Map.of(ProducerConfig.ACKS_CONFIG, acks,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence, ProducerConfig.COMPRESSION_TYPE_CONFIG, compression))) {
            for (int i = 0; i < count; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, bytes("k" + i), bytes("value-" + i))));
            }
            producer.flush();
        }
        for (int i = 0; i < count; i++) {
            RecordMetadata md = sent.get(i).get();
            if (!acks.equals("0")) {
                assertEquals(i, md.offset(), "offset of record " + i);
            }
        }
        List<ConsumerRecord<byte[], byte[]>> read = readAll(new TopicPartition(topic, 0), 0, count);
        assertEquals(count, read.size());
        for (int i = 0; i < count; i++) {
            assertEquals(i, read.get(i).offset());
            assertArrayEquals(bytes("k" + i), read.get(i).key());
            assertArrayEquals(bytes("value-" + i), read.get(i).value());
        }
    }

    @Test
    void headersNullKeysTombstonesAndTimestampsRoundTrip() throws Exception {
        String topic = "shapes";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        try (KafkaProducer<byte[], byte[]> producer = producer(Map.of())) {
            ProducerRecord<byte[], byte[]> withHeaders = new ProducerRecord<>(topic, 0, 1_000L, bytes("k"), bytes("v"),
                List.of(new RecordHeader("h1", bytes("x")), new RecordHeader("h2", null)));
            producer.send(withHeaders).get();
            producer.send(new ProducerRecord<>(topic, 0, 2_000L, null, bytes("no key"))).get();
            producer.send(new ProducerRecord<>(topic, 0, 3_000L, bytes("gone"), (byte[]) null)).get();
        }
        List<ConsumerRecord<byte[], byte[]>> read = readAll(new TopicPartition(topic, 0), 0, 3);
        assertEquals(3, read.size());
        assertEquals(1_000L, read.get(0).timestamp());
        assertArrayEquals(bytes("x"), read.get(0).headers().lastHeader("h1").value());
        assertNull(read.get(0).headers().lastHeader("h2").value());
        assertNull(read.get(1).key());
        assertNull(read.get(2).value());

        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(Map.of(tp, 1_500L));
            assertEquals(1, found.get(tp).offset());
            assertEquals(2_000L, found.get(tp).timestamp());
            assertNull(consumer.offsetsForTimes(Map.of(tp, 9_000L)).get(tp));
            assertEquals(0L, consumer.beginningOffsets(List.of(tp)).get(tp));
            assertEquals(3L, consumer.endOffsets(List.of(tp)).get(tp));
        }
        assertEquals(2, admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.maxTimestamp())).all().get()
            .get(new TopicPartition(topic, 0)).offset());
    }

    @Test
    void deleteRecordsMovesTheStartOffset() throws Exception {
        String topic = "trimmed";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        try (KafkaProducer<byte[], byte[]> producer = producer(Map.of())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, bytes("r" + i)));
            }
            producer.flush();
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        assertEquals(6, admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(6))).lowWatermarks().get(tp).get()
            .lowWatermark());
        assertEquals(6, admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset());
        List<ConsumerRecord<byte[], byte[]>> read = readAll(tp, 6, 4);
        assertEquals(4, read.size());
        assertEquals(6, read.get(0).offset());
    }

    @Test
    void recordsOverMaxMessageBytesAreRejected() throws Exception {
        String topic = "small-messages";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "2048"))))
            .all().get();
        try (KafkaProducer<byte[], byte[]> producer = producer(Map.of(ProducerConfig.RETRIES_CONFIG, 0))) {
            ExecutionException tooBig = assertThrows(ExecutionException.class,
                () -> producer.send(new ProducerRecord<>(topic, 0, null, new byte[4096])).get());
            assertInstanceOf(RecordTooLargeException.class, tooBig.getCause());
            assertTrue(producer.send(new ProducerRecord<>(topic, 0, null, new byte[100])).get().offset() >= 0);
        }
    }
}
