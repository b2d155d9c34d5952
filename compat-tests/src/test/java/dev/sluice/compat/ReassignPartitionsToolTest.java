package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's own {@code kafka-reassign-partitions} ({@code --generate}, {@code --execute} with a
 * throttle, {@code --verify}) against three packaged brokers in their own processes, under an
 * acks=all producer: a topic on brokers 1 and 2 moves to brokers 2 and 3 and no acknowledged
 * record is lost.
 */
class ReassignPartitionsToolTest {
    private static final String TOOL = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
    private static final String TOPIC = "moved";

    @TempDir
    Path dir;
    private final Map<Integer, BrokerProcess> nodes = new TreeMap<>();
    private final Map<Integer, Integer> brokerPorts = new TreeMap<>();
    private final Map<Integer, Integer> controllerPorts = new TreeMap<>();

    @AfterEach
    void stop() {
        nodes.values().forEach(BrokerProcess::close);
    }

    private String bootstrap() {
        StringBuilder b = new StringBuilder();
        brokerPorts.values().forEach(p -> b.append(b.isEmpty() ? "" : ",").append("localhost:").append(p));
        return b.toString();
    }

    private KafkaTool.Result tool(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--bootstrap-server";
        all[1] = bootstrap();
        System.arraycopy(args, 0, all, 2, args.length);
        return KafkaTool.run(TOOL, all);
    }

    @Test
    void generateExecuteWithAThrottleAndVerifyMoveATopicWithoutLosingAcknowledgedRecords() throws Exception {
        for (int id = 1; id <= 3; id++) {
            brokerPorts.put(id, BrokerProcess.freePort());
            controllerPorts.put(id, BrokerProcess.freePort());
        }
        for (int id = 1; id <= 3; id++) {
            nodes.put(id, BrokerProcess.startClusterNode(dir.resolve("node-" + id), id, brokerPorts.get(id),
                controllerPorts));
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        try (Admin admin = Admin.create(props)) {
            poll("three brokers", () -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == 3);
            admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, List.of(1, 2), 1, List.of(2, 1)))))
                .all().get(60, TimeUnit.SECONDS);
            ProcessCluster.awaitTopicOnEveryBroker(TOPIC, brokerPorts.values());
            try (AckedProducer producer = new AckedProducer(bootstrap(), TOPIC)) {
                poll("acknowledgements before the move", () -> producer.acks() >= 200);

                Path topics = Files.writeString(dir.resolve("topics.json"),
                    "{\"version\":1,\"topics\":[{\"topic\":\"" + TOPIC + "\"}]}");
                KafkaTool.Result generated = tool("--generate", "--topics-to-move-json-file", topics.toString(),
                    "--broker-list", "2,3").assertSuccess();
                String out = generated.out();
                String marker = "Proposed partition reassignment configuration";
                assertTrue(out.contains(marker), generated.toString());
                String proposal = out.substring(out.indexOf(marker) + marker.length()).trim().lines().findFirst()
                    .orElseThrow();
                assertTrue(proposal.startsWith("{") && proposal.contains("\"replicas\""), generated.toString());
                Path plan = Files.writeString(dir.resolve("plan.json"), proposal, StandardCharsets.UTF_8);

                KafkaTool.Result executed = tool("--execute", "--reassignment-json-file", plan.toString(),
                    "--throttle", "50000000").assertSuccess();
                assertTrue(executed.out().contains("Successfully started partition reassignment"), executed.toString());

                poll("--verify reports every move complete", () -> {
                    KafkaTool.Result verified = tool("--verify", "--reassignment-json-file", plan.toString());
                    return verified.exitCode() == 0 && !verified.out().contains("still in progress")
                        && verified.out().contains("Reassignment of partition " + TOPIC + "-0 is completed")
                        && verified.out().contains("Reassignment of partition " + TOPIC + "-1 is completed");
                });
                long before = producer.acks();
                poll("acknowledgements after the move", () -> producer.acks() >= before + 200);
                producer.close();
                producer.assertNothingAcknowledgedWasLost();
            }
            assertTrue(admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS).isEmpty());
            poll("every replica of the moved topic in sync on brokers 2 and 3", () -> {
                for (TopicPartitionInfo p : admin.describeTopics(List.of(TOPIC)).allTopicNames()
                        .get(10, TimeUnit.SECONDS).get(TOPIC).partitions()) {
                    List<Integer> replicas = p.replicas().stream().map(Node::id).sorted().toList();
                    if (!replicas.equals(List.of(2, 3)) || p.isr().size() != 2) {
                        return false;
                    }
                }
                return true;
            });
            // --verify cleared the throttles --execute set.
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, TOPIC);
            Config topicConfig = admin.describeConfigs(List.of(topic)).all().get(10, TimeUnit.SECONDS).get(topic);
            assertEquals("", topicConfig.get("leader.replication.throttled.replicas").value());
            assertEquals("", topicConfig.get("follower.replication.throttled.replicas").value());
            ConfigResource broker2 = new ConfigResource(ConfigResource.Type.BROKER, "2");
            assertFalse(admin.describeConfigs(List.of(broker2)).all().get(10, TimeUnit.SECONDS).get(broker2)
                .get("leader.replication.throttled.rate").source()
                .equals(org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG));
        }
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void poll(String what, Condition condition) throws Exception {
        Duration limit = Duration.ofSeconds(60);
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < deadline, "no " + what + " within " + limit.toSeconds() + " s");
            Thread.sleep(100);
        }
    }
}
