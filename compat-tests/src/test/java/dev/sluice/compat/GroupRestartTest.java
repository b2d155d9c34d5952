package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group state across a broker restart: committed offsets and groups of both protocols are loaded
 * back from {@code __consumer_offsets}, and a consumer that stays up through the restart carries on
 * after its committed offsets without reading anything twice.
 */
class GroupRestartTest {
    @TempDir
    Path dataDir;

    private static int freePort() {
        return dev.sluice.broker.SluiceCluster.freePort();
    }

    private SluiceBroker start(int port) {
        return SluiceBroker.builder().dataDir(dataDir).port(port).config("group.initial.rebalance.delay.ms", "0")
            .config("offsets.topic.num.partitions", "4").start();
    }

    private static void produce(String bootstrap, String topic, int from, int count) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
            new StringSerializer())) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "v" + i));
            }
        }
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap, String group, String protocol) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    private static List<String> read(KafkaConsumer<String, String> consumer, int count) {
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (values.size() < count) {
            assertTrue(System.nanoTime() < deadline, "read only " + values.size() + " of " + count);
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                values.add(r.value());
            }
        }
        return values;
    }

    @Test
    void committedOffsetsAndGroupsSurviveARestartAndALiveConsumerCarriesOn() throws Exception {
        int port = freePort();
        String topic = "restart-groups";
        SluiceBroker broker = start(port);
        String bootstrap = broker.bootstrapServers();
        KafkaConsumer<String, String> live = null;
        try {
            try (Admin admin = KafkaClients.admin(bootstrap)) {
                admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
            }
            produce(bootstrap, topic, 0, 20);
            for (String protocol : List.of("classic", "consumer")) {
                try (KafkaConsumer<String, String> c = consumer(bootstrap, "closed-" + protocol, protocol)) {
                    c.subscribe(List.of(topic));
                    assertEquals(20, read(c, 20).size());
                    c.commitSync();
                }
            }
            live = consumer(bootstrap, "live", "classic");
            live.subscribe(List.of(topic));
            assertEquals(20, read(live, 20).size());
            live.commitSync();

            broker.close();
            broker = start(port);

            try (Admin admin = KafkaClients.admin(bootstrap)) {
                for (String group : List.of("closed-classic", "closed-consumer", "live")) {
                    Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get();
                    assertEquals(10, offsets.get(new TopicPartition(topic, 0)).offset(), group);
                    assertEquals(10, offsets.get(new TopicPartition(topic, 1)).offset(), group);
                }
                Set<String> listed = new HashSet<>();
                for (GroupListing g : admin.listGroups().all().get()) {
                    listed.add(g.groupId());
                }
                assertTrue(listed.containsAll(Set.of("closed-classic", "closed-consumer", "live")), listed.toString());
            }
            produce(bootstrap, topic, 20, 10);
            List<String> after = read(live, 10);
            assertEquals(10, after.size(), "the live consumer reads only what came after the restart: " + after);
            for (String v : after) {
                assertTrue(Integer.parseInt(v.substring(1)) >= 20, v);
            }
            live.commitSync();
            try (KafkaConsumer<String, String> c = consumer(bootstrap, "closed-consumer", "consumer")) {
                c.subscribe(List.of(topic));
                List<String> resumed = read(c, 10);
                assertEquals(10, resumed.size());
                for (String v : resumed) {
                    assertTrue(Integer.parseInt(v.substring(1)) >= 20, v);
                }
            }
        } finally {
            if (live != null) {
                live.close();
            }
            broker.close();
        }
    }
}
