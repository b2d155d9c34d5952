package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka 4.4's share group tools against an embedded broker: {@code kafka-console-share-consumer}
 * (accepting, releasing, rejecting), {@code kafka-share-groups} listing, describing, resetting,
 * deleting offsets and deleting a group, and the {@code VerifiableShareConsumer}.
 */
@SluiceTest(config = {"group.share.heartbeat.interval.ms=200", "group.share.min.heartbeat.interval.ms=200",
    "group.share.assignment.interval.ms=0", "offsets.topic.num.partitions=5",
    "share.coordinator.state.topic.num.partitions=5"})
class ShareGroupToolsTest {
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

    private static void topicFromEarliest(String topic, String group, int records) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
            new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get();
        KafkaClients.produce(Map.of("bootstrap.servers", broker.bootstrapServers()), topic,
            IntStream.range(0, records).mapToObj(i -> "value-" + i).toList());
    }

    private static KafkaTool.Result console(String topic, String group, int max, String... extra) {
        String[] args = new String[] {"--topic", topic, "--group", group, "--max-messages", Integer.toString(max),
            "--timeout-ms", "20000"};
        String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        return KafkaTool.against(broker.bootstrapServers(), "org.apache.kafka.tools.consumer.ConsoleShareConsumer", all);
    }

    private static List<String> values(KafkaTool.Result r) {
        return r.out().lines().filter(l -> l.startsWith("value-")).toList();
    }

    private static KafkaTool.Result shareGroups(String... args) {
        return KafkaTool.against(broker.bootstrapServers(), "org.apache.kafka.tools.consumer.group.ShareGroupCommand",
            args);
    }

    @Test
    void consoleShareConsumerAndTheShareGroupsToolDescribeResetAndDelete() throws Exception {
        String topic = "tool-queue";
        String group = "tool-share";
        topicFromEarliest(topic, group, 10);
        KafkaTool.Result read = console(topic, group, 10).assertSuccess();
        assertEquals(10, values(read).size(), read.toString());

        assertTrue(shareGroups("--list").assertSuccess().out().lines().anyMatch(group::equals));
        KafkaTool.Result offsets = shareGroups("--describe", "--group", group).assertSuccess();
        Matcher row = Pattern.compile(group + "\\s+" + topic + "\\s+0\\s+(\\S+)\\s+(\\S+)").matcher(offsets.out());
        assertTrue(row.find(), offsets.toString());
        assertEquals("10", row.group(1), "start offset past the ten acknowledged: " + offsets);
        assertEquals("0", row.group(2), "no lag: " + offsets);
        KafkaTool.Result state = shareGroups("--describe", "--group", group, "--state").assertSuccess();
        assertTrue(state.out().contains("Empty"), state.toString());

        KafkaTool.Result reset = shareGroups("--reset-offsets", "--to-earliest", "--execute", "--topic", topic,
            "--group", group).assertSuccess();
        assertTrue(reset.out().contains(topic), reset.toString());
        KafkaTool.Result again = console(topic, group, 10).assertSuccess();
        assertEquals(10, values(again).size(), "read again after the reset: " + again);

        shareGroups("--delete-offsets", "--topic", topic, "--group", group).assertSuccess();
        KafkaTool.Result none = shareGroups("--describe", "--group", group).assertSuccess();
        assertTrue(none.out().contains("has no offset information"), none.toString());

        KafkaTool.Result deleted = shareGroups("--delete", "--group", group).assertSuccess();
        assertTrue(deleted.out().contains("successful") || deleted.out().contains("Successful"), deleted.toString());
        assertFalse(shareGroups("--list").assertSuccess().out().lines().anyMatch(group::equals));
    }

    @Test
    void releasedRecordsComeBackToTheConsoleAndRejectedOnesDoNot() throws Exception {
        String topic = "tool-release";
        String group = "tool-release-group";
        topicFromEarliest(topic, group, 5);
        KafkaTool.Result released = console(topic, group, 5, "--release").assertSuccess();
        assertEquals(5, values(released).size(), released.toString());
        KafkaTool.Result rejected = console(topic, group, 5, "--reject").assertSuccess();
        assertEquals(values(released), values(rejected), "the released records, delivered again");
        KafkaTool.Result nothing = KafkaTool.against(broker.bootstrapServers(),
            "org.apache.kafka.tools.consumer.ConsoleShareConsumer", "--topic", topic, "--group", group,
            "--timeout-ms", "3000");
        assertEquals(List.of(), values(nothing), "rejected records are never delivered again: " + nothing);
    }

    @Test
    void verifiableShareConsumerConsumesAndAcknowledgesEveryRecord() throws Exception {
        String topic = "tool-verifiable";
        String group = "tool-verifiable-group";
        topicFromEarliest(topic, group, 200);
        KafkaTool.Result run = KafkaTool.against(broker.bootstrapServers(), "org.apache.kafka.tools.VerifiableShareConsumer",
            "--topic", topic, "--group-id", group, "--max-messages", "200", "--acknowledgement-mode", "sync");
        int consumed = 0;
        int acknowledged = 0;
        Matcher count = Pattern.compile("\"name\":\"(records_consumed|offsets_acknowledged)\",\"count\":(\\d+)")
            .matcher(run.out());
        while (count.find()) {
            if (count.group(1).equals("records_consumed")) {
                consumed += Integer.parseInt(count.group(2));
            } else {
                acknowledged += Integer.parseInt(count.group(2));
            }
        }
        assertEquals(200, consumed, run.toString());
        assertEquals(200, acknowledged, run.toString());
        assertFalse(run.out().contains("\"success\":false"), run.toString());
    }
}
