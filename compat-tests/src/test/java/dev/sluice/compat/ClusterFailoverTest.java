package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
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
    private static final String TOPIC = "failover";

    @TempDir
    Path dir;

    @Test
    void killingPartitionLeadersRepeatedlyLosesNoAcknowledgedRecord() throws Exception {
        int rounds = Integer.getInteger("sluice.failover.rounds", 3);
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, "offsets.topic.replication.factor=3",
                "default.replication.factor=3")) {
            cluster.admin().createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
            cluster.awaitFullIsr(TOPIC);
            try (AckedProducer producer = new AckedProducer(cluster.bootstrapServers(), TOPIC)) {
                ProcessCluster.awaitAcks(producer, 200);
                for (int round = 1; round <= rounds; round++) {
                    int leader = cluster.leaderOf(TOPIC, round % 3);
                    long before = producer.acks();
                    long killed = System.nanoTime();
                    cluster.kill(leader);
                    ProcessCluster.awaitAcks(producer, before + 200);
                    System.out.printf("round %d: broker %d killed; 200 more acks after %d ms%n", round, leader,
                        (System.nanoTime() - killed) / 1_000_000);
                    cluster.start(leader);
                    cluster.awaitBrokers(cluster.size());
                    cluster.awaitFullIsr(TOPIC);
                }
                producer.close();
                assertTrue(producer.acks() > 0);
                producer.assertNothingAcknowledgedWasLost();
            }
        }
    }
}
