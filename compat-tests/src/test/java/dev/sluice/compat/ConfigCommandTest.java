package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka's tools that read or change configuration: {@code kafka-configs} (ConfigCommand) and
 * {@code kafka-topics --describe}, which shows each topic's configs (through DescribeConfigs and
 * IncrementalAlterConfigs).
 */
@SluiceTest
class ConfigCommandTest {
    static SluiceBroker broker;
    private static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        admin = KafkaClients.admin(broker);
    }

    @AfterAll
    static void stop() {
        admin.close();
    }


    private static KafkaTool.Result configs(String... args) {
        return KafkaTool.against(broker.bootstrapServers(), "org.apache.kafka.tools.ConfigCommand", args);
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static boolean hasEntry(String out, String entry) {
        return lines(out).stream().anyMatch(l -> l.startsWith(entry + " ") || l.equals(entry));
    }

    @Test
    void kafkaConfigsDescribesATopicsDynamicConfigs() throws Exception {
        String topic = "configs-describe";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("retention.ms", "3600000"))))
            .all().get();
        KafkaTool.Result described = configs("--entity-type", "topics", "--entity-name", topic, "--describe")
            .assertSuccess();
        assertTrue(described.out().contains("Dynamic configs for topic " + topic + " are:"), described.toString());
        assertTrue(hasEntry(described.out(), "retention.ms=3600000"), described.toString());
        assertFalse(hasEntry(described.out(), "max.message.bytes=1048588"), "defaults are not dynamic\n" + described);

        KafkaTool.Result all = configs("--entity-type", "topics", "--entity-name", topic, "--describe", "--all")
            .assertSuccess();
        assertTrue(all.out().contains("All configs for topic " + topic + " are:"), all.toString());
        assertTrue(hasEntry(all.out(), "retention.ms=3600000"), all.toString());
        assertTrue(hasEntry(all.out(), "cleanup.policy=delete"), all.toString());
        assertTrue(hasEntry(all.out(), "max.message.bytes=1048588"), all.toString());
    }

    @Test
    void kafkaConfigsAddsAndDeletesTopicConfigs() throws Exception {
        String topic = "configs-alter";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();

        KafkaTool.Result added = configs("--entity-type", "topics", "--entity-name", topic, "--alter",
            "--add-config", "retention.ms=7200000,max.message.bytes=2048").assertSuccess();
        assertTrue(added.out().contains("Completed updating config for topic " + topic + "."), added.toString());
        KafkaTool.Result afterAdd = configs("--entity-type", "topics", "--entity-name", topic, "--describe")
            .assertSuccess();
        assertTrue(hasEntry(afterAdd.out(), "retention.ms=7200000"), afterAdd.toString());
        assertTrue(hasEntry(afterAdd.out(), "max.message.bytes=2048"), afterAdd.toString());

        configs("--entity-type", "topics", "--entity-name", topic, "--alter", "--delete-config", "retention.ms")
            .assertSuccess();
        KafkaTool.Result afterDelete = configs("--entity-type", "topics", "--entity-name", topic, "--describe")
            .assertSuccess();
        assertFalse(afterDelete.out().contains("retention.ms="), afterDelete.toString());
        assertTrue(hasEntry(afterDelete.out(), "max.message.bytes=2048"), afterDelete.toString());

        KafkaTool.Result invalid = configs("--entity-type", "topics", "--entity-name", topic, "--alter",
            "--add-config", "retention.ms=soon");
        assertEquals(1, invalid.exitCode(), invalid.toString());
        KafkaTool.Result unchanged = configs("--entity-type", "topics", "--entity-name", topic, "--describe")
            .assertSuccess();
        assertFalse(unchanged.out().contains("retention.ms="), unchanged.toString());
    }

    @Test
    void kafkaConfigsDescribesTheBroker() {
        String id = String.valueOf(broker.nodeId());
        KafkaTool.Result dynamic = configs("--entity-type", "brokers", "--entity-name", id, "--describe")
            .assertSuccess();
        assertTrue(dynamic.out().contains("Dynamic configs for broker " + id + " are:"), dynamic.toString());

        KafkaTool.Result all = configs("--entity-type", "brokers", "--entity-name", id, "--describe", "--all")
            .assertSuccess();
        assertTrue(all.out().contains("All configs for broker " + id + " are:"), all.toString());
        assertTrue(hasEntry(all.out(), "log.retention.hours=168"), all.toString());
        assertTrue(hasEntry(all.out(), "num.partitions=1"), all.toString());
    }

    @Test
    void kafkaTopicsDescribeShowsPartitionsLeadersAndConfigs() throws Exception {
        String topic = "configs-topics-describe";
        admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(Map.of("retention.ms", "3600000"))))
            .all().get();
        KafkaTool.Result described = KafkaTool.run("org.apache.kafka.tools.TopicCommand", "--bootstrap-server",
            broker.bootstrapServers(), "--describe", "--topic", topic).assertSuccess();
        String out = described.out();
        assertTrue(out.contains("Topic: " + topic), described.toString());
        assertTrue(out.contains("PartitionCount: 3"), described.toString());
        assertTrue(out.contains("ReplicationFactor: 1"), described.toString());
        assertTrue(out.contains("retention.ms=3600000"), described.toString());
        for (int p = 0; p < 3; p++) {
            assertTrue(out.contains("Partition: " + p + "\tLeader: " + broker.nodeId()), described.toString());
        }

        KafkaTool.Result missing = KafkaTool.run("org.apache.kafka.tools.TopicCommand", "--bootstrap-server",
            broker.bootstrapServers(), "--describe", "--topic", "no-such-topic");
        assertEquals(1, missing.exitCode(), missing.toString());
    }
}
