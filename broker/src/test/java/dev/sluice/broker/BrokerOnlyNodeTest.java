package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.ConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A broker-only node ({@code process.roles=broker}) added to a running cluster: it follows the
 * metadata quorum as an observer, through a controller failover and its own restart, serves
 * clients that only know it, and holds replicas like any broker.
 */
class BrokerOnlyNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static Admin admin(String bootstrap) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(props);
    }

    private static String bootstrapOf(SluiceCluster cluster, int nodeId) {
        return "localhost:" + cluster.broker(nodeId).port();
    }

    private static void poll(String what, Polling.Condition condition) throws Exception {
        Polling.until(WAIT, what, condition);
    }

    @Test
    void brokerOnlyNodeFollowsTheQuorumThroughAControllerFailoverAndItsOwnRestart() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start()) {
            int added = cluster.addBroker();
            assertEquals(4, added);
            try (Admin viaObserver = admin(bootstrapOf(cluster, added))) {
                poll("the quorum lists broker 4 as an observer", () -> {
                    QuorumInfo quorum = viaObserver.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS);
                    return quorum.voters().size() == 3
                        && quorum.observers().stream().anyMatch(o -> o.replicaId() == added);
                });
                // What the observer is asked to decide goes to the active controller.
                viaObserver.createTopics(List.of(new NewTopic("placed", Map.of(0, List.of(added, 1, 2)))
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);

                int controller = cluster.activeController();
                killAndFollow(cluster, controller, added, viaObserver);
                cluster.restart(controller);
            }

            List<String> sent = produce(cluster, "placed", 100);
            cluster.kill(added);
            try (Admin admin = admin(cluster.bootstrapServers())) {
                poll("the killed broker-only node is fenced", () -> admin.describeCluster().nodes()
                    .get(10, TimeUnit.SECONDS).stream().map(Node::id).noneMatch(id -> id == added));
                cluster.restart(added);
                poll("broker 4 is back in the ISR", () -> admin.describeTopics(List.of("placed")).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get("placed").partitions().get(0).isr().size() == 3);
            }
            assertEquals(sent, consume(bootstrapOf(cluster, added), "placed", sent.size()));
        }
    }

    @Test
    void aBrokerOnlyNodeThatDiedWithTheActiveControllerIsFencedByTheNextOneLongBeforeItsSession() throws Exception {
        // With a session of a minute, only the detection of dead processes (peers' failed
        // connections reported, the new active controller probing a broker it has not heard from)
        // can fence the dead node within the wait below.
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).config("broker.session.timeout.ms", "60000")
                .start(); Admin admin = admin(cluster.bootstrapServers())) {
            int added = cluster.addBroker();
            int controller = cluster.activeController();
            cluster.kill(added);
            cluster.kill(controller);
            Polling.until(Duration.ofSeconds(30), "the dead broker-only node is fenced", () -> admin.describeCluster()
                .nodes().get(10, TimeUnit.SECONDS).stream().map(Node::id).noneMatch(id -> id == added));
        }
    }

    @Test
    void brokerOnlyNodeFindsTheQuorumThroughBootstrapServersAndFollowsAControllerFailover() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start()) {
            int leader = cluster.activeController();
            int follower = leader % 3 + 1;
            // Two of the three controllers, a follower first: it is the one asked for the quorum.
            int added = cluster.addBrokerWithBootstrapServers(follower, leader);
            assertEquals(4, added);
            assertEquals(cluster.broker(1).clusterId(), cluster.broker(added).clusterId());
            try (Admin viaObserver = admin(bootstrapOf(cluster, added))) {
                poll("the quorum lists broker 4 as an observer", () -> {
                    QuorumInfo quorum = viaObserver.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS);
                    return quorum.voters().size() == 3
                        && quorum.observers().stream().anyMatch(o -> o.replicaId() == added);
                });
                viaObserver.createTopics(List.of(new NewTopic("bootstrapped", Map.of(0, List.of(added, follower)))))
                    .all().get(30, TimeUnit.SECONDS);

                killAndFollow(cluster, leader, added, viaObserver);
            }
            List<String> sent = produce(cluster, "bootstrapped", 50);
            assertEquals(sent, consume(bootstrapOf(cluster, added), "bootstrapped", sent.size()));
            // Restarted, it looks for its own cluster's quorum by the id in its meta.properties.
            cluster.kill(added);
            cluster.restart(added);
            assertEquals(sent, consume(bootstrapOf(cluster, added), "bootstrapped", sent.size()));
        }
    }

    @Test
    void controllersWithOnlyBootstrapServersAreRefusedWithAClearMessage() {
        ConfigException refused = assertThrows(ConfigException.class, () -> SluiceBroker.builder().configs(Map.of(
            "process.roles", "broker,controller", "node.id", "1", "controller.quorum.bootstrap.servers", "localhost:1",
            "controller.listener.names", "CONTROLLER", "listeners", "PLAINTEXT://localhost:0,CONTROLLER://localhost:0"))
            .start());
        assertTrue(refused.getMessage().contains("dynamic quorums (KIP-853) are not served yet: a controller needs"
            + " controller.quorum.voters"), refused.getMessage());
    }

    /**
     * Kills the active controller {@code controller} and waits until the broker-only node
     * {@code observer} follows its successor, which creates a topic the observer asks for.
     */
    private static void killAndFollow(SluiceCluster cluster, int controller, int observer, Admin viaObserver)
            throws Exception {
        cluster.kill(controller);
        poll("broker " + observer + " follows the new active controller", () -> {
            int now = cluster.broker(observer).activeController();
            return now >= 0 && now != controller;
        });
        viaObserver.createTopics(List.of(new NewTopic("after-failover", 2, (short) 2))).all().get(30, TimeUnit.SECONDS);
        poll("broker " + observer + " knows the topic created after the failover",
            () -> cluster.broker(observer).partitionLeader("after-failover", 1) >= 0);
    }

    static List<String> produce(SluiceCluster cluster, String topic, int count) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("acks", "all");
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
            new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                String value = "record-" + i;
                producer.send(new ProducerRecord<>(topic, 0, null, value)).get(30, TimeUnit.SECONDS);
                sent.add(value);
            }
        }
        return sent;
    }

    static List<String> consume(String bootstrap, String topic, int count) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (read.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    read.add(r.value());
                }
            }
        }
        return read;
    }
}
