package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** Consumer groups on an in-process cluster: the group coordinator's internal topic and offsets. */
class ClusterGroupsTest {

    @Test
    void aBrokerThatIsNotTheControllerCreatesTheOffsetsTopicThroughIt() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3)
                .config("offsets.topic.replication.factor", "3").config("offsets.topic.num.partitions", "5").start()) {
            int controller = cluster.activeController();
            int other = cluster.running().stream().filter(id -> id != controller).findFirst().orElseThrow();
            assertNotEquals(controller, other);
            Properties adminProps = new Properties();
            adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            try (Admin admin = Admin.create(adminProps)) {
                admin.createTopics(List.of(new NewTopic("orders", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
                // Only the broker that is not the controller is asked, so its coordinator creates the topic.
                Properties props = new Properties();
                props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    cluster.broker(other).bootstrapServers());
                props.put(ConsumerConfig.GROUP_ID_CONFIG, "created-through-the-controller");
                props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
                TopicPartition tp = new TopicPartition("orders", 0);
                try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                    new StringDeserializer())) {
                    consumer.commitSync(Map.of(tp, new OffsetAndMetadata(7)), Duration.ofSeconds(30));
                    assertEquals(7, consumer.committed(Set.of(tp)).get(tp).offset());
                }
                TopicDescription offsets = admin.describeTopics(List.of("__consumer_offsets")).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get("__consumer_offsets");
                assertTrue(offsets.isInternal());
                assertEquals(5, offsets.partitions().size());
                for (TopicPartitionInfo p : offsets.partitions()) {
                    assertEquals(3, p.replicas().size(), "offsets.topic.replication.factor replicas of " + p);
                }
            }
        }
    }
}
