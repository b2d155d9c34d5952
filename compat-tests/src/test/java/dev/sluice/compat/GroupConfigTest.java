package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group's dynamic configs (Kafka's GROUP config resource) with Kafka 4.4's {@code kafka-configs
 * --entity-type groups} and Admin client: every key described with the broker's value until the
 * group sets its own, Kafka's checks, a KIP-848 group's heartbeat interval and session timeout
 * taken from them, and the configs kept across a restart.
 */
class GroupConfigTest {
    private static final String GROUP = "configured-group";

    @TempDir
    Path dataDir;

    private SluiceBroker start() throws Exception {
        return SluiceBroker.builder().dataDir(dataDir).port(0).start();
    }

    private static Config describe(Admin admin, String group) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        return admin.describeConfigs(List.of(resource)).all().get().get(resource);
    }

    private static void alter(Admin admin, String key, String value) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, GROUP);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(new ConfigEntry(key, value),
            AlterConfigOp.OpType.SET)))).all().get();
    }

    private static void refused(Admin admin, String key, String value) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> alter(admin, key, value), key + "=" + value);
        assertInstanceOf(InvalidConfigurationException.class, e.getCause(), key + "=" + value);
    }

    @Test
    void groupsTakeTheirOwnConfigsWithKafkasChecks() throws Exception {
        try (SluiceBroker broker = start(); Admin admin = KafkaClients.admin(broker)) {
            Config defaults = describe(admin, "no-such-group");
            assertEquals("45000", defaults.get("consumer.session.timeout.ms").value());
            assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, defaults.get("consumer.session.timeout.ms").source());
            assertEquals("latest", defaults.get("share.auto.offset.reset").value());
            assertEquals(27, defaults.entries().size(), "every Kafka 4.4 group key");

            KafkaTool.Result set = KafkaTool.against(broker.bootstrapServers(), "org.apache.kafka.tools.ConfigCommand",
                "--entity-type", "groups", "--entity-name", GROUP, "--alter", "--add-config",
                "consumer.heartbeat.interval.ms=6000,consumer.session.timeout.ms=50000,share.auto.offset.reset=earliest")
                .assertSuccess();
            KafkaTool.Result shown = KafkaTool.against(broker.bootstrapServers(), "org.apache.kafka.tools.ConfigCommand",
                "--entity-type", "groups", "--entity-name", GROUP, "--describe").assertSuccess();
            assertTrue(shown.out().contains("consumer.heartbeat.interval.ms=6000"), set + "\n" + shown);
            assertTrue(shown.out().contains("share.auto.offset.reset=earliest"), shown.toString());
            assertEquals(ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG,
                describe(admin, GROUP).get("consumer.session.timeout.ms").source());

            refused(admin, "consumer.session.timeout.ms", "1000");
            refused(admin, "consumer.heartbeat.interval.ms", "60000");
            refused(admin, "no.such.key", "1");
            refused(admin, "share.auto.offset.reset", "sometime");
            refused(admin, "share.auto.offset.reset", "by_duration:-PT1H");
            refused(admin, "share.delivery.count.limit", "11");
            refused(admin, "errors.deadletterqueue.topic.name", "__dead");
            alter(admin, "share.auto.offset.reset", "by_duration:PT1H");

            admin.createTopics(List.of(new NewTopic("configured-topic", 1, (short) 1))).all().get();
            try (RawKafkaConnection c = new RawKafkaConnection("localhost", broker.port())) {
                // FindCoordinator creates __consumer_offsets; the join is retried until its partition serves.
                c.send(ApiKeys.FIND_COORDINATOR, 4, new FindCoordinatorRequestData().setKeyType((byte) 0)
                    .setCoordinatorKeys(List.of(GROUP)));
                java.util.concurrent.atomic.AtomicReference<ConsumerGroupHeartbeatResponseData> reply =
                    new java.util.concurrent.atomic.AtomicReference<>();
                ProcessCluster.poll(java.time.Duration.ofSeconds(30), "the group's coordinator serving", () -> {
                    reply.set(c.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 0, new ConsumerGroupHeartbeatRequestData()
                        .setGroupId(GROUP).setMemberId("member-1").setMemberEpoch(0).setRebalanceTimeoutMs(30_000)
                        .setSubscribedTopicNames(List.of("configured-topic")).setTopicPartitions(List.of())));
                    return !List.of(Errors.COORDINATOR_NOT_AVAILABLE.code(), Errors.COORDINATOR_LOAD_IN_PROGRESS.code(),
                        Errors.NOT_COORDINATOR.code()).contains(reply.get().errorCode());
                });
                ConsumerGroupHeartbeatResponseData joined = reply.get();
                assertEquals(Errors.NONE.code(), joined.errorCode());
                assertEquals(6000, joined.heartbeatIntervalMs(), "the group's own heartbeat interval");
            }
        }
        try (SluiceBroker again = start(); Admin admin = KafkaClients.admin(again)) {
            Config kept = describe(admin, GROUP);
            assertEquals("50000", kept.get("consumer.session.timeout.ms").value());
            assertEquals("by_duration:PT1H", kept.get("share.auto.offset.reset").value());
        }
    }
}
