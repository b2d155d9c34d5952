package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The official clients, pointed at a broker under test. */
final class KafkaClients {
    private KafkaClients() {
    }

    /**
     * The address of the broker under test: the system property {@code sluice.compat.bootstrap}
     * where it is set (a reference Kafka, to check what a test expects), else {@code embedded}'s.
     */
    static String bootstrapServers(Supplier<String> embedded) {
        return Optional.ofNullable(System.getProperty("sluice.compat.bootstrap")).orElseGet(embedded);
    }

    static Admin admin(SluiceBroker broker) {
        return admin(broker.bootstrapServers());
    }

    static Admin admin(String bootstrapServers) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }

    /**
     * The values of {@code tp} as a consumer at {@code isolation} reads them, from the partition's
     * start to the end offset it sees when it starts (the LSO for read_committed, the high
     * watermark otherwise), failing if that takes longer than {@code limit}.
     */
    static List<String> readToEnd(String bootstrapServers, TopicPartition tp, IsolationLevel isolation, Duration limit) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + limit.toNanos();
            while (consumer.position(tp) < end) {
                assertTrue(System.nanoTime() < deadline, () -> "could not read " + tp + " (" + isolation + ") to " + end
                    + " within " + limit.toSeconds() + " s; read " + values);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }

    /** Sends {@code values} to partition 0 of {@code topic} with a client configured by {@code client}, and waits for all. */
    static void produce(java.util.Map<String, Object> client, String topic, List<String> values) {
        java.util.Map<String, Object> props = new java.util.HashMap<>(client);
        props.put(org.apache.kafka.clients.producer.ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            org.apache.kafka.common.serialization.StringSerializer.class.getName());
        props.put(org.apache.kafka.clients.producer.ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            org.apache.kafka.common.serialization.StringSerializer.class.getName());
        props.put(org.apache.kafka.clients.producer.ProducerConfig.LINGER_MS_CONFIG, "5");
        try (org.apache.kafka.clients.producer.KafkaProducer<String, String> producer =
                 new org.apache.kafka.clients.producer.KafkaProducer<>(props)) {
            for (String value : values) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, null, value));
            }
            producer.flush();
        }
    }

    /** The first {@code count} values of partition 0 of {@code topic}, read from its start within a minute (fewer if they are not there). */
    static List<String> consume(java.util.Map<String, Object> client, String topic, int count) {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> values = new ArrayList<>();
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (values.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }
}
