package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three packaged brokers in their own processes, configured with Kafka's KRaft keys, under an
 * acks=all producer on a topic with replication factor 3 and {@code min.insync.replicas=2}: the
 * leader of a partition is killed with SIGKILL and restarted, round after round. No acknowledged
 * record may be lost, the producer must carry on after each kill, and the ISR must heal.
 *
 * <p>Rounds: {@code -Dsluice.failover.rounds} (3 by default; the long run uses 20 or more).
 */
class ClusterFailoverTest {
    private static final int BROKERS = 3;
    private static final String TOPIC = "failover";

    @TempDir
    Path dir;
    private final Map<Integer, BrokerProcess> nodes = new TreeMap<>();
    private final Map<Integer, Integer> brokerPorts = new TreeMap<>();
    private final Map<Integer, Integer> controllerPorts = new TreeMap<>();

    @AfterEach
    void stop() {
        nodes.values().forEach(BrokerProcess::close);
    }

    private void start(int id) throws Exception {
        nodes.put(id, BrokerProcess.startClusterNode(dir.resolve("node-" + id), id, brokerPorts.get(id), controllerPorts,
            "offsets.topic.replication.factor=3", "default.replication.factor=3"));
    }

    private String bootstrap() {
        StringBuilder b = new StringBuilder();
        brokerPorts.values().forEach(p -> b.append(b.isEmpty() ? "" : ",").append("localhost:").append(p));
        return b.toString();
    }

    @Test
    void killingPartitionLeadersRepeatedlyLosesNoAcknowledgedRecord() throws Exception {
        for (int id = 1; id <= BROKERS; id++) {
            brokerPorts.put(id, BrokerProcess.freePort());
            controllerPorts.put(id, BrokerProcess.freePort());
        }
        for (int id = 1; id <= BROKERS; id++) {
            start(id);
        }
        int rounds = Integer.getInteger("sluice.failover.rounds", 3);
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        try (Admin admin = Admin.create(props)) {
            awaitBrokers(admin, BROKERS);
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
            awaitFullIsr(admin);
            try (AckedProducer producer = new AckedProducer(bootstrap(), TOPIC)) {
                awaitAcks(producer, 200);
                for (int round = 1; round <= rounds; round++) {
                    int leader = leaderOf(admin, round % 3);
                    long before = producer.acks();
                    long killed = System.nanoTime();
                    nodes.remove(leader).kill();
                    awaitAcks(producer, before + 200);
                    System.out.printf("round %d: broker %d killed; 200 more acks after %d ms%n", round, leader,
                        (System.nanoTime() - killed) / 1_000_000);
                    start(leader);
                    awaitBrokers(admin, BROKERS);
                    awaitFullIsr(admin);
                }
                producer.close();
                assertTrue(producer.acks() > 0);
                producer.assertNothingAcknowledgedWasLost();
            }
        }
    }

    private static void awaitBrokers(Admin admin, int count) throws Exception {
        poll(Duration.ofSeconds(60), "all brokers registered and unfenced",
            () -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == count);
    }

    private static void awaitFullIsr(Admin admin) throws Exception {
        poll(Duration.ofSeconds(60), "every replica back in sync", () -> {
            for (TopicPartitionInfo p : admin.describeTopics(List.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(TOPIC).partitions()) {
                if (p.isr().size() != BROKERS) {
                    return false;
                }
            }
            return true;
        });
    }

    private static int leaderOf(Admin admin, int partition) throws Exception {
        TopicPartitionInfo p = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS)
            .get(TOPIC).partitions().get(partition);
        assertEquals(partition, p.partition());
        return p.leader().id();
    }

    private static void awaitAcks(AckedProducer producer, long count) throws Exception {
        poll(Duration.ofSeconds(60), count + " acknowledgements (last failure: " + producer.lastFailure() + ")",
            () -> producer.acks() >= count);
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void poll(Duration limit, String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                if (condition.holds()) {
                    return;
                }
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // A broker was just killed: ask again.
            }
            assertTrue(System.nanoTime() < deadline, "no " + what + " within " + limit.toSeconds() + " s");
            Thread.sleep(50);
        }
    }
}
