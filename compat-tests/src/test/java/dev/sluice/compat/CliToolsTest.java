package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's own command-line tools, run in-process through their {@code main} as their scripts run
 * them, against an embedded broker; each test asserts on what the tool prints.
 */
@SluiceTest
class CliToolsTest {
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

    private static KafkaTool.Result tool(String mainClass, String... args) {
        return KafkaTool.run(mainClass, args);
    }

    private static String[] withBootstrap(String... args) {
        String[] all = Arrays.copyOf(new String[] {"--bootstrap-server", broker.bootstrapServers()}, args.length + 2);
        System.arraycopy(args, 0, all, 2, args.length);
        return all;
    }

    private static KafkaTool.Result topics(String... args) {
        return tool("org.apache.kafka.tools.TopicCommand", withBootstrap(args));
    }

    private static KafkaTool.Result offsets(String... args) {
        return tool("org.apache.kafka.tools.GetOffsetShell", withBootstrap(args));
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** Produces {@code count} records to partition 0 of {@code topic}, record i with timestamp (i + 1) * 1000. */
    private static void produceTimestamped(String topic, int count) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, (i + 1) * 1000L, "key-" + i, "value-" + i));
            }
            producer.flush();
        }
    }

    private static TopicDescription describe(String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    }

    /** {@code kafka-topics --describe} also needs DescribeConfigs; it is in {@link ConfigCommandTest}. */
    @Test
    void kafkaTopicsCreatesListsAltersAndDeletes() throws Exception {
        String topic = "cli-topics";
        KafkaTool.Result created = topics("--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1",
            "--config", "retention.ms=3600000").assertSuccess();
        assertTrue(created.out().contains("Created topic " + topic + "."), created.toString());
        assertEquals(3, describe(topic).partitions().size());

        KafkaTool.Result duplicate = topics("--create", "--topic", topic, "--partitions", "1");
        assertEquals(1, duplicate.exitCode(), duplicate.toString());
        assertTrue(duplicate.out().contains("already exists"), duplicate.toString());
        topics("--create", "--if-not-exists", "--topic", topic, "--partitions", "1").assertSuccess();

        KafkaTool.Result listed = topics("--list").assertSuccess();
        assertTrue(lines(listed.out()).contains(topic), listed.toString());

        topics("--alter", "--topic", topic, "--partitions", "5").assertSuccess();
        TopicDescription grown = describe(topic);
        assertEquals(5, grown.partitions().size());
        assertEquals(broker.nodeId(), grown.partitions().get(4).leader().id());

        KafkaTool.Result shrink = topics("--alter", "--topic", topic, "--partitions", "2");
        assertEquals(1, shrink.exitCode(), shrink.toString());
        assertEquals(5, describe(topic).partitions().size());

        topics("--delete", "--topic", topic).assertSuccess();
        KafkaTool.Result after = topics("--list").assertSuccess();
        assertFalse(lines(after.out()).contains(topic), after.toString());

        KafkaTool.Result missing = topics("--delete", "--topic", topic);
        assertEquals(1, missing.exitCode(), missing.toString());
        assertTrue(missing.out().contains("does not exist"), missing.toString());
    }

    @Test
    void getOffsetShellFindsEarliestLatestMaxTimestampAndOffsetsByTime() throws Exception {
        String topic = "cli-offsets";
        admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        produceTimestamped(topic, 10);

        assertEquals(List.of(topic + ":0:0", topic + ":1:0"),
            lines(offsets("--topic", topic, "--time", "-2").assertSuccess().out()));
        assertEquals(List.of(topic + ":0:10", topic + ":1:0"),
            lines(offsets("--topic", topic, "--time", "latest").assertSuccess().out()));
        assertEquals(List.of(topic + ":0:9"),
            lines(offsets("--topic", topic, "--partitions", "0", "--time", "max-timestamp").assertSuccess().out()));
        // The first record at or after 5500 ms is the sixth (6000 ms), offset 5.
        assertEquals(List.of(topic + ":0:5"),
            lines(offsets("--topic", topic, "--partitions", "0", "--time", "5500").assertSuccess().out()));
        assertEquals(List.of(topic + ":0:0"),
            lines(offsets("--topic", topic, "--partitions", "0", "--time", "1000").assertSuccess().out()));
    }

    @Test
    void deleteRecordsCommandMovesTheLowWatermark(@TempDir Path dir) throws Exception {
        String topic = "cli-delete-records";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        produceTimestamped(topic, 10);
        Path json = dir.resolve("offsets.json");
        Files.writeString(json, "{\"version\": 1, \"partitions\": [{\"topic\": \"" + topic
            + "\", \"partition\": 0, \"offset\": 4}]}", StandardCharsets.UTF_8);

        KafkaTool.Result deleted = tool("org.apache.kafka.tools.DeleteRecordsCommand",
            withBootstrap("--offset-json-file", json.toString())).assertSuccess();
        assertTrue(deleted.out().contains("partition: " + topic + "-0\tlow_watermark: 4"), deleted.toString());

        TopicPartition tp = new TopicPartition(topic, 0);
        assertEquals(4, admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset());
        assertEquals(List.of(topic + ":0:4"), lines(offsets("--topic", topic, "--time", "-2").assertSuccess().out()));
    }

    @Test
    void brokerApiVersionsListsWhatTheBrokerServes() {
        KafkaTool.Result versions = tool("org.apache.kafka.tools.BrokerApiVersionsCommand", withBootstrap())
            .assertSuccess();
        String out = versions.out();
        assertTrue(out.contains(broker.bootstrapServers() + " (id: " + broker.nodeId()), versions.toString());
        assertTrue(out.contains("Produce(0): 0 to 13 [usable: 13]"), versions.toString());
        assertTrue(out.contains("Fetch(1): 4 to 18 [usable: 18]"), versions.toString());
        assertTrue(out.contains("ApiVersions(18): 0 to 5 [usable: 5]"), versions.toString());
        assertTrue(out.contains("Metadata(3): 0 to 13 [usable: 13]"), versions.toString());
        // Kafka 4.4's tool can use every API the broker advertises at the newest version it serves.
        Matcher api = Pattern.compile("(\\w+)\\(\\d+\\): (?:\\d+ to )?(\\d+) \\[usable: (\\d+)\\]").matcher(out);
        int listed = 0;
        while (api.find()) {
            listed++;
            assertEquals(api.group(2), api.group(3), api.group(1) + " is not usable at its newest version: " + out);
        }
        assertTrue(listed > 40, versions.toString());
        // Every API a Kafka 4.4 broker serves is served here, so the tool finds none unsupported.
        assertFalse(out.contains("UNSUPPORTED"), versions.toString());
    }

    @Test
    void producerPerformanceSendsEveryRecordAndReportsASummary() throws Exception {
        String topic = "cli-perf";
        admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        int count = 10_000;
        KafkaTool.Result perf = tool("org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
            "--num-records", String.valueOf(count), "--record-size", "100", "--throughput", "-1",
            "--producer-props", "bootstrap.servers=" + broker.bootstrapServers(), "acks=all", "linger.ms=5")
            .assertSuccess();
        List<String> out = lines(perf.out());
        String summary = out.get(out.size() - 1);
        Matcher m = Pattern.compile("^(\\d+) records sent, [\\d.]+ records/sec \\([\\d.]+ MB/sec\\), [\\d.]+ ms avg latency")
            .matcher(summary);
        assertTrue(m.find(), perf.toString());
        assertEquals(count, Integer.parseInt(m.group(1)));

        long total = 0;
        for (int p = 0; p < 2; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            total += admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
        }
        assertEquals(count, total);
    }

    @Test
    void consoleConsumerPrintsKeysAndValuesFromAnAssignedPartition() throws Exception {
        String topic = "cli-console";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        produceTimestamped(topic, 5);
        KafkaTool.Result consumed = tool("org.apache.kafka.tools.consumer.ConsoleConsumer", withBootstrap(
            "--topic", topic, "--partition", "0", "--offset", "earliest", "--max-messages", "5", "--timeout-ms", "20000",
            "--formatter-property", "print.key=true", "--formatter-property", "key.separator=|",
            "--command-property", "enable.auto.commit=false")).assertSuccess();
        assertEquals(List.of("key-0|value-0", "key-1|value-1", "key-2|value-2", "key-3|value-3", "key-4|value-4"),
            lines(consumed.out()));
        assertTrue(consumed.err().contains("Processed a total of 5 messages"), consumed.toString());
    }
}
