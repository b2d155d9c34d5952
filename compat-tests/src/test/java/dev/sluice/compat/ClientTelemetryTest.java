package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListConfigResourcesOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.GetTelemetrySubscriptionsRequestData;
import org.apache.kafka.common.message.GetTelemetrySubscriptionsResponseData;
import org.apache.kafka.common.message.PushTelemetryRequestData;
import org.apache.kafka.common.message.PushTelemetryResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Client telemetry (KIP-714) and ListConfigResources (KIP-1142) with Kafka 4.4's clients: a producer
 * gets its client instance id from the broker (GetTelemetrySubscriptions), which asks it for no
 * metrics; a push on another subscription is UNKNOWN_SUBSCRIPTION_ID; the Admin client lists the
 * topics, brokers and configured groups configs can be described for.
 */
@SluiceTest
class ClientTelemetryTest {
    static SluiceBroker broker;

    @Test
    void aClientGetsAnInstanceIdAndIsAskedForNoMetrics() throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", broker.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            Uuid instance = producer.clientInstanceId(Duration.ofSeconds(30));
            assertNotEquals(Uuid.ZERO_UUID, instance);
        }
        int port = Integer.parseInt(broker.bootstrapServers().substring(broker.bootstrapServers().lastIndexOf(':') + 1));
        try (RawKafkaConnection c = new RawKafkaConnection("localhost", port)) {
            GetTelemetrySubscriptionsResponseData subscription = c.send(ApiKeys.GET_TELEMETRY_SUBSCRIPTIONS, 0,
                new GetTelemetrySubscriptionsRequestData().setClientInstanceId(Uuid.ZERO_UUID));
            assertEquals(Errors.NONE.code(), subscription.errorCode());
            assertNotEquals(Uuid.ZERO_UUID, subscription.clientInstanceId());
            assertTrue(subscription.requestedMetrics().isEmpty(), "no metrics asked for");
            PushTelemetryResponseData wrong = c.send(ApiKeys.PUSH_TELEMETRY, 0, new PushTelemetryRequestData()
                .setClientInstanceId(subscription.clientInstanceId()).setSubscriptionId(subscription.subscriptionId() + 1)
                .setMetrics(ByteBuffer.allocate(0)));
            assertEquals(Errors.UNKNOWN_SUBSCRIPTION_ID.code(), wrong.errorCode());
            PushTelemetryResponseData right = c.send(ApiKeys.PUSH_TELEMETRY, 0, new PushTelemetryRequestData()
                .setClientInstanceId(subscription.clientInstanceId()).setSubscriptionId(subscription.subscriptionId())
                .setTerminating(true).setMetrics(ByteBuffer.allocate(0)));
            assertEquals(Errors.NONE.code(), right.errorCode());
        }
    }

    @Test
    void theAdminListsTheResourcesConfigsCanBeDescribedFor() throws Exception {
        try (Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("listed-topic", 1, (short) 1))).all().get();
            ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, "listed-group");
            admin.incrementalAlterConfigs(Map.of(group, List.of(new AlterConfigOp(
                new ConfigEntry("consumer.heartbeat.interval.ms", "6000"), AlterConfigOp.OpType.SET)))).all().get();
            Collection<ConfigResource> all = admin.listConfigResources(Set.of(), new ListConfigResourcesOptions()).all().get();
            assertTrue(all.contains(new ConfigResource(ConfigResource.Type.TOPIC, "listed-topic")), all.toString());
            assertTrue(all.contains(group), all.toString());
            String node = Integer.toString(admin.describeCluster().controller().get().id());
            assertTrue(all.contains(new ConfigResource(ConfigResource.Type.BROKER, node)), all.toString());
            Collection<ConfigResource> topics = admin.listConfigResources(Set.of(ConfigResource.Type.TOPIC),
                new ListConfigResourcesOptions()).all().get();
            assertTrue(topics.stream().allMatch(r -> r.type() == ConfigResource.Type.TOPIC), topics.toString());
        }
    }
}
