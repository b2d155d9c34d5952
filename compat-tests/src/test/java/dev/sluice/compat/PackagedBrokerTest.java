package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code sluice.jar} in its own JVM, started the way an operator starts it: clients
 * work against it, SIGTERM stops it cleanly, and what it acknowledged survives both a clean stop and
 * {@code kill -9}.
 */
class PackagedBrokerTest {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dataDir;

    private final List<BrokerProcess> started = new ArrayList<>();

    @AfterEach
    void stopEveryBroker() throws InterruptedException {
        for (BrokerProcess broker : started) {
            broker.close();
        }
    }

    private BrokerProcess start() throws Exception {
        BrokerProcess broker = BrokerProcess.start(dataDir);
        started.add(broker);
        return broker;
    }

    static Admin admin(BrokerProcess broker) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return Admin.create(props);
    }

    private static KafkaProducer<String, String> producer(BrokerProcess broker) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        // A small buffer keeps the records in flight (and so the log to re-read) to a few thousand.
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 256 * 1024);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(props);
    }

    /** Every record of {@code tp} from offset 0 up to the partition's end offset. */
    static List<ConsumerRecord<String, String>> readAll(BrokerProcess broker, TopicPartition tp) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
            consumer.seek(tp, 0);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            assertEquals(end, consumer.position(tp), "read " + tp + " to its end offset in time");
        }
        return records;
    }

    static Map<Long, String> byOffset(List<ConsumerRecord<String, String>> records) {
        Map<Long, String> map = new TreeMap<>();
        for (ConsumerRecord<String, String> r : records) {
            map.put(r.offset(), r.key() + "=" + r.value());
        }
        return map;
    }

    @Test
    void servesClientsStopsCleanlyOnSigtermAndKeepsEverythingAcrossARestart() throws Exception {
        String topic = "durable";
        int partitions = 2;
        int count = 300;
        BrokerProcess first = start();
        try (Admin admin = admin(first)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
        Map<TopicPartition, Map<Long, String>> acknowledged = new HashMap<>();
        try (KafkaProducer<String, String> producer = producer(first)) {
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                sends.add(producer.send(new ProducerRecord<>(topic, i % partitions, "k" + i, "v" + i)));
            }
            for (int i = 0; i < count; i++) {
                RecordMetadata md = sends.get(i).get();
                acknowledged.computeIfAbsent(new TopicPartition(topic, md.partition()), p -> new TreeMap<>())
                    .put(md.offset(), "k" + i + "=v" + i);
            }
        }
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            assertEquals(acknowledged.get(tp), byOffset(readAll(first, tp)), "read back from the running broker");
        }

        assertEquals(0, first.terminate(STOP_TIMEOUT), "exit code after SIGTERM; output:\n" + first.output());

        BrokerProcess second = start();
        try (Admin admin = admin(second)) {
            TopicDescription described = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            assertNotNull(described);
            assertEquals(partitions, described.partitions().size());
        }
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            assertEquals(acknowledged.get(tp), byOffset(readAll(second, tp)), "read back after the restart");
        }
        // The restarted broker still takes writes, after the recovered records.
        try (KafkaProducer<String, String> producer = producer(second)) {
            RecordMetadata md = producer.send(new ProducerRecord<>(topic, 0, "after", "restart")).get();
            assertEquals(acknowledged.get(new TopicPartition(topic, 0)).size(), md.offset());
        }
        assertEquals(0, second.terminate(STOP_TIMEOUT), "exit code after SIGTERM; output:\n" + second.output());
    }

    @Test
    void everyAcknowledgedRecordSurvivesKillDashNineExactlyOnceAtItsOffset() throws Exception {
        String topic = "crashy";
        TopicPartition tp = new TopicPartition(topic, 0);
        int rounds = 3;
        int ackedPerRound = 2_000;
        ConcurrentMap<Long, String> acknowledged = new ConcurrentHashMap<>();
        BrokerProcess broker = start();
        try (Admin admin = admin(broker)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        for (int round = 0; round < rounds; round++) {
            int before = acknowledged.size();
            KafkaProducer<String, String> producer = producer(broker);
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                // Keep sending while the broker is killed, so some requests are in flight at the moment it dies.
                int i = 0;
                for (; acknowledged.size() - before < ackedPerRound && System.nanoTime() < deadline; i++) {
                    String value = "round" + round + "-" + i;
                    producer.send(new ProducerRecord<>(topic, 0, null, value), (md, error) -> {
                        if (error == null) {
                            String previous = acknowledged.putIfAbsent(md.offset(), value);
                            if (previous != null) {
                                acknowledged.put(-1L - md.offset(), "offset acknowledged twice: " + previous + ", " + value);
                            }
                        }
                    });
                }
                assertTrue(acknowledged.size() - before >= ackedPerRound,
                    "round " + round + " acknowledged only " + (acknowledged.size() - before) + " records");
                int unacknowledged = i - (acknowledged.size() - before);
                broker.kill();
                assertTrue(unacknowledged > 0, "no record was in flight when the broker was killed");
            } finally {
                producer.close(Duration.ZERO);
            }
            broker = start();
            assertEquals(List.of(), acknowledged.keySet().stream().filter(o -> o < 0).map(acknowledged::get).toList());

            Map<Long, String> log = byOffset(readAll(broker, tp));
            Map<String, Long> offsetOfValue = new HashMap<>();
            for (Map.Entry<Long, String> e : log.entrySet()) {
                Long duplicate = offsetOfValue.put(e.getValue(), e.getKey());
                if (duplicate != null) {
                    fail(e.getValue() + " is in the log twice, at " + duplicate + " and " + e.getKey());
                }
            }
            for (Map.Entry<Long, String> e : acknowledged.entrySet()) {
                assertEquals("null=" + e.getValue(), log.get(e.getKey()),
                    "record acknowledged at offset " + e.getKey() + " after kill -9 number " + (round + 1));
            }
        }
        assertEquals(0, broker.terminate(STOP_TIMEOUT), "exit code after SIGTERM; output:\n" + broker.output());
    }
}
