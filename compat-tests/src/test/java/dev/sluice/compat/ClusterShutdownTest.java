package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A packaged cluster node stopped with SIGTERM, as an operator or an orchestrator stops it, while
 * it leads a partition under an acks=all producer: it moves its leaderships away before it exits
 * (a controlled shutdown), so the producer sees no error it does not retry and loses nothing, and
 * it exits with status 0 within seconds.
 */
class ClusterShutdownTest {
    private static final String TOPIC = "graceful";

    @TempDir
    Path dir;

    @Test
    void sigtermMovesLeadershipBeforeExitingAndTheProducerLosesNothing() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3)) {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            try (Admin admin = Admin.create(props)) {
                cluster.awaitBrokers(3);
                admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
                cluster.awaitFullIsr(TOPIC);
                try (AckedProducer producer = new AckedProducer(cluster.bootstrapServers(), TOPIC)) {
                    ProcessCluster.awaitAcks(producer, 200);
                    int leader = cluster.leaderOf(TOPIC, 0);
                    BrokerProcess stopping = cluster.remove(leader);
                    long before = producer.acks();
                    long sent = System.nanoTime();
                    int exit = stopping.terminate(Duration.ofSeconds(30));
                    long tookMs = (System.nanoTime() - sent) / 1_000_000;
                    System.out.printf("broker %d exited %d after %d ms of SIGTERM%n", leader, exit, tookMs);
                    assertEquals(0, exit, stopping.output());
                    assertTrue(tookMs < 10_000, "SIGTERM took " + tookMs + " ms to stop the broker");
                    assertTrue(stopping.output().contains("Controlled shutdown of broker " + leader + " completed"),
                        "the broker exited without handing its leaderships over:\n" + stopping.output());
                    for (int p = 0; p < 3; p++) {
                        assertNotEquals(leader, cluster.leaderOf(TOPIC, p), TOPIC + "-" + p);
                    }
                    ProcessCluster.awaitAcks(producer, before + 200);
                    producer.close();
                    assertEquals(0, producer.failures(), "the producer saw a failure: " + producer.lastFailure()
                        + "\nwhat the remaining nodes logged:\n" + cluster.output());
                    producer.assertNothingAcknowledgedWasLost();
                }
            }
        }
    }
}
