package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;

/**
 * Metadata and DescribeTopicPartitions, asked of a live broker of an in-process cluster, report a
 * dead broker's replicas as offline once the controller has fenced it, and agree on leaders and
 * ISR.
 */
class ReportedReplicasTest {
    private static final String TOPIC = "reported";

    @Test
    void aDeadBrokersReplicasAreReportedOfflineByBothApis() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start();
             Admin admin = KafkaClients.admin(cluster.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, List.of(1, 2, 3), 1, List.of(3, 1, 2)))))
                .all().get(30, TimeUnit.SECONDS);
            int dead = cluster.activeController() == 3 ? 2 : 3;
            cluster.kill(dead);
            ProcessCluster.poll(Duration.ofSeconds(30), "broker " + dead + " reported offline", () -> {
                MetadataResponseData metadata = metadata(cluster.broker(1).port());
                DescribeTopicPartitionsResponseData described = described(cluster.broker(1).port());
                List<MetadataResponseData.MetadataResponsePartition> m = metadata.topics().find(TOPIC).partitions();
                List<DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponsePartition> d =
                    described.topics().find(TOPIC).partitions();
                if (!m.stream().allMatch(p -> p.offlineReplicas().equals(List.of(dead)))) {
                    return false;
                }
                for (int i = 0; i < m.size(); i++) {
                    assertEquals(m.get(i).offlineReplicas(), d.get(i).offlineReplicas(), "partition " + i);
                    assertEquals(m.get(i).leaderId(), d.get(i).leaderId(), "partition " + i);
                    assertEquals(m.get(i).isrNodes(), d.get(i).isrNodes(), "partition " + i);
                    assertTrue(m.get(i).leaderId() != dead, "a live leader for partition " + i);
                }
                return true;
            });
        }
    }

    private static MetadataResponseData metadata(int port) throws Exception {
        try (RawKafkaConnection connection = new RawKafkaConnection("localhost", port)) {
            return connection.send(ApiKeys.METADATA, 12, new MetadataRequestData().setAllowAutoTopicCreation(false)
                .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(TOPIC))));
        }
    }

    private static DescribeTopicPartitionsResponseData described(int port) throws Exception {
        try (RawKafkaConnection connection = new RawKafkaConnection("localhost", port)) {
            return connection.send(ApiKeys.DESCRIBE_TOPIC_PARTITIONS, 0, new DescribeTopicPartitionsRequestData()
                .setTopics(List.of(new DescribeTopicPartitionsRequestData.TopicRequest().setName(TOPIC)))
                .setResponsePartitionLimit(100));
        }
    }
}
