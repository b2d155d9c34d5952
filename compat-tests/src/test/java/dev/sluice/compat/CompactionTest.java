package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Compaction end to end with the official clients: a compacted topic written with many updates of
 * a few hundred keys is read back from offset 0 with about one record per key, each key's latest
 * value among them.
 */
class CompactionTest {
    private static final String TOPIC = "compacted";
    private static final int KEYS = 300;
    private static final int ROUNDS = 30;

    @Test
    void aCompactedTopicKeepsAboutTheLatestValuePerKey() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().config("log.cleaner.backoff.ms", "100").start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of(
                "cleanup.policy", "compact",
                "min.cleanable.dirty.ratio", "0.01",
                "segment.bytes", "1048576",
                "segment.ms", "200")))).all().get();

            Map<String, String> latest = new HashMap<>();
            String padding = "x".repeat(150);
            try (KafkaProducer<String, String> producer = producer(broker)) {
                for (int round = 0; round < ROUNDS; round++) {
                    for (int k = 0; k < KEYS; k++) {
                        String key = "key-" + k;
                        String value = key + "-round-" + round + "-" + padding;
                        producer.send(new ProducerRecord<>(TOPIC, key, value));
                        latest.put(key, value);
                    }
                }
                producer.flush();

                // Each marker lets segment.ms roll the segment before it, so everything but the
                // markers becomes cleanable; the cleaner runs every 100 ms.
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                Map<String, String> seen;
                int records;
                List<ConsumerRecord<String, String>> all;
                do {
                    producer.send(new ProducerRecord<>(TOPIC, "marker", "m")).get();
                    all = readAll(broker);
                    records = all.size();
                    seen = new HashMap<>();
                    for (ConsumerRecord<String, String> r : all) {
                        seen.put(r.key(), r.value());
                    }
                    seen.remove("marker");
                } while (records > KEYS * 11 / 10 && System.nanoTime() < deadline);

                assertTrue(records <= KEYS * 11 / 10, records + " records left of " + (KEYS * ROUNDS) + " written: "
                    + describe(all));
                assertEquals(latest, seen);
            }
        }
    }

    @Test
    void tombstonesRemoveTheirKeysAndThemselvesAfterDeleteRetention() throws Exception {
        String topic = "compacted-deletes";
        try (SluiceBroker broker = SluiceBroker.builder().config("log.cleaner.backoff.ms", "100").start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
             KafkaProducer<String, String> producer = producer(broker)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
                "cleanup.policy", "compact",
                "min.cleanable.dirty.ratio", "0.01",
                "segment.ms", "200",
                "delete.retention.ms", "3000")))).all().get();
            for (int k = 0; k < 100; k++) {
                producer.send(new ProducerRecord<>(topic, "key-" + k, "value-" + k));
            }
            for (int k = 0; k < 50; k++) {
                producer.send(new ProducerRecord<>(topic, "key-" + k, null));
            }
            producer.flush();

            // First the old values of deleted keys go while their tombstones stay...
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<ConsumerRecord<String, String>> all;
            do {
                producer.send(new ProducerRecord<>(topic, "marker", "m")).get();
                all = readAll(broker, topic);
            } while (all.stream().anyMatch(r -> r.value() != null && r.key().startsWith("key-")
                && Integer.parseInt(r.key().substring(4)) < 50) && System.nanoTime() < deadline);
            long tombstones = all.stream().filter(r -> r.value() == null).count();
            assertTrue(tombstones > 0, "tombstones kept within delete.retention.ms: " + describe(all));

            // ...then, delete.retention.ms after their first cleaning, the tombstones too.
            do {
                producer.send(new ProducerRecord<>(topic, "marker", "m")).get();
                all = readAll(broker, topic);
            } while (all.stream().anyMatch(r -> r.value() == null) && System.nanoTime() < deadline);
            Map<String, String> seen = new HashMap<>();
            for (ConsumerRecord<String, String> r : all) {
                assertTrue(r.value() != null, "a tombstone outlived delete.retention.ms at " + r.offset());
                seen.put(r.key(), r.value());
            }
            seen.remove("marker");
            Map<String, String> expected = new HashMap<>();
            for (int k = 50; k < 100; k++) {
                expected.put("key-" + k, "value-" + k);
            }
            assertEquals(expected, seen);
        }
    }

    /** Offsets of the first records that are not their key's last, for a failure message. */
    private static String describe(List<ConsumerRecord<String, String>> all) {
        Map<String, Long> last = new HashMap<>();
        for (ConsumerRecord<String, String> r : all) {
            last.put(r.key(), r.offset());
        }
        StringBuilder out = new StringBuilder("superseded records at");
        int shown = 0;
        for (ConsumerRecord<String, String> r : all) {
            if (last.get(r.key()) != r.offset() && shown++ < 20) {
                out.append(' ').append(r.offset()).append('(').append(r.key()).append(')');
            }
        }
        return out.append(", last offset ").append(all.isEmpty() ? -1 : all.get(all.size() - 1).offset()).toString();
    }

    private static KafkaProducer<String, String> producer(SluiceBroker broker) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(props);
    }

    private static List<ConsumerRecord<String, String>> readAll(SluiceBroker broker) {
        return readAll(broker, TOPIC);
    }

    private static List<ConsumerRecord<String, String>> readAll(SluiceBroker broker, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            java.util.ArrayList<ConsumerRecord<String, String>> out = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r);
                }
            }
            assertTrue(consumer.position(tp) >= end, "read up to " + consumer.position(tp) + " of " + end);
            return out;
        }
    }
}
