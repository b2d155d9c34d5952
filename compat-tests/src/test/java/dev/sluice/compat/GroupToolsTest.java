package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka's group tools against an embedded broker: the console consumer in a group, the
 * verifiable consumer, and {@code kafka-consumer-groups} listing, describing, resetting and
 * deleting a group.
 */
@SluiceTest(config = {"group.initial.rebalance.delay.ms=0", "offsets.topic.num.partitions=5"})
class GroupToolsTest {
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

    private static String[] withBootstrap(String... args) {
        String[] all = Arrays.copyOf(new String[] {"--bootstrap-server", broker.bootstrapServers()}, args.length + 2);
        System.arraycopy(args, 0, all, 2, args.length);
        return all;
    }

    private static void produce(String topic, int count) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
            new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, "key-" + i, "value-" + i));
            }
        }
    }

    private static KafkaTool.Result groups(String... args) {
        return KafkaTool.run("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", withBootstrap(args));
    }

    @Test
    void consoleConsumerInAGroupCommitsAndConsumerGroupsToolDescribesResetsAndDeletesIt() throws Exception {
        String topic = "tools-group";
        String group = "tools-console-group";
        admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        produce(topic, 10);
        KafkaTool.Result consumed = KafkaTool.run("org.apache.kafka.tools.consumer.ConsoleConsumer", withBootstrap(
            "--topic", topic, "--group", group, "--from-beginning", "--max-messages", "10", "--timeout-ms", "30000"))
            .assertSuccess();
        assertEquals(10, consumed.out().lines().filter(l -> l.startsWith("value-")).count(), consumed.toString());

        assertTrue(groups("--list").assertSuccess().out().lines().anyMatch(group::equals));
        String described = groups("--describe", "--group", group).assertSuccess().out();
        // Two partitions, each read to its end (5 records) and committed: lag 0.
        List<String> rows = described.lines().filter(l -> l.startsWith(group + " ")).toList();
        assertEquals(2, rows.size(), described);
        for (String row : rows) {
            List<String> cells = Arrays.stream(row.trim().split("\\s+")).toList();
            assertEquals(List.of(group, topic), cells.subList(0, 2), row);
            assertEquals(List.of("5", "5", "0"), cells.subList(3, 6), row);
        }

        groups("--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute").assertSuccess();
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata().get();
        assertEquals(0, offsets.get(new TopicPartition(topic, 0)).offset());
        assertEquals(0, offsets.get(new TopicPartition(topic, 1)).offset());

        String deleted = groups("--delete", "--group", group).assertSuccess().out();
        assertTrue(deleted.contains("Deletion of requested consumer groups ('" + group + "') was successful"), deleted);
        Set<String> listed = new HashSet<>();
        for (GroupListing g : admin.listGroups().all().get()) {
            listed.add(g.groupId());
        }
        assertFalse(listed.contains(group));
    }

    @Test
    void verifiableConsumerReadsAndCommitsEveryRecord() throws Exception {
        String topic = "tools-verifiable";
        String group = "tools-verifiable-group";
        admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        produce(topic, 20);
        KafkaTool.Result run = KafkaTool.run("org.apache.kafka.tools.VerifiableConsumer", withBootstrap(
            "--topic", topic, "--group-id", group, "--max-messages", "20", "--reset-policy", "earliest"))
            .assertSuccess();
        assertTrue(run.out().contains("\"name\":\"partitions_assigned\""), run.toString());
        assertTrue(run.out().contains("\"name\":\"offsets_committed\""), run.toString());
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata().get();
        assertEquals(10, offsets.get(new TopicPartition(topic, 0)).offset());
        assertEquals(10, offsets.get(new TopicPartition(topic, 1)).offset());
    }
}
