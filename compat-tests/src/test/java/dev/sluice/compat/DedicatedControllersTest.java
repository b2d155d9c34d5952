package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's production layout in packaged processes: three controller-only nodes
 * ({@code process.roles=controller}) and three broker-only nodes, under an acks=all producer. The
 * active controller is killed with SIGKILL, then a partition leader; the quorum and the partition
 * fail over, both come back, and no acknowledged record is lost.
 */
class DedicatedControllersTest {
    private static final String TOPIC = "dedicated";

    @TempDir
    Path dir;

    @Test
    void quorumOnControllerOnlyNodesFailsOverUnderAcksAllLoadWithoutLosingARecord() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, 3, "offsets.topic.replication.factor=3",
                "default.replication.factor=3")) {
            cluster.admin().createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
            cluster.awaitFullIsr(TOPIC);
            try (AckedProducer producer = new AckedProducer(cluster.bootstrapServers(), TOPIC)) {
                ProcessCluster.awaitAcks(producer, 200);

                int controller = activeController(cluster);
                assertTrue(controller > ProcessCluster.CONTROLLER_IDS, "a controller-only node leads: " + controller);
                cluster.kill(controller);
                ProcessCluster.poll(Duration.ofSeconds(60), "another controller leads", () -> {
                    int now = activeController(cluster);
                    return now > ProcessCluster.CONTROLLER_IDS && now != controller;
                });
                cluster.admin().createTopics(List.of(new NewTopic("after-failover", 1, (short) 3))).all()
                    .get(60, TimeUnit.SECONDS);
                ProcessCluster.awaitAcks(producer, producer.acks() + 200);
                cluster.start(controller);

                int leader = cluster.leaderOf(TOPIC, 0);
                cluster.kill(leader);
                ProcessCluster.awaitAcks(producer, producer.acks() + 200);
                cluster.start(leader);
                cluster.awaitBrokers(3);
                cluster.awaitFullIsr(TOPIC);

                producer.close();
                producer.assertNothingAcknowledgedWasLost();
            }
        }
    }

    private static int activeController(ProcessCluster cluster) throws Exception {
        QuorumInfo quorum = cluster.admin().describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS);
        return quorum.leaderId();
    }
}
