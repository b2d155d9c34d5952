package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaling a running three-process cluster out and back in, with Kafka's KRaft keys and tools,
 * under an acks=all producer: a fourth packaged broker ({@code process.roles=broker}) joins,
 * {@code kafka-reassign-partitions} moves a partition onto it, it is killed with SIGKILL and
 * restarted and catches up, then the partition moves back, the broker stops and is unregistered;
 * and a broker that knows the controllers only by bootstrap addresses joins and follows a
 * controller failover. No acknowledged record may be lost.
 */
class ClusterScaleOutTest {
    private static final String TOPIC = "scaled";
    private static final String REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aFourthBrokerJoinsTakesAPartitionOnlineSurvivesSigkillAndLeavesWithoutLosingARecord() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, "offsets.topic.replication.factor=3",
                "default.replication.factor=3")) {
            cluster.admin().createTopics(List.of(new NewTopic(TOPIC, 2, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
            cluster.awaitFullIsr(TOPIC);
            try (AckedProducer producer = new AckedProducer(cluster.bootstrapServers(), TOPIC)) {
                ProcessCluster.awaitAcks(producer, 200);

                int added = cluster.addBroker();
                assertEquals(4, added);
                cluster.awaitBrokers(4);
                ProcessCluster.poll(WAIT, "kafka-metadata-quorum lists broker 4 as an observer", () -> {
                    KafkaTool.Result replication = KafkaTool.run("org.apache.kafka.tools.MetadataQuorumCommand",
                        "--bootstrap-server", cluster.bootstrapServers(), "describe", "--replication");
                    return replication.exitCode() == 0 && replication.out().lines()
                        .anyMatch(l -> l.strip().startsWith("4 ") && l.contains("Observer"));
                });

                move(cluster, List.of(added, 2, 3));
                awaitReplicas(cluster, List.of(2, 3, added));
                long before = producer.acks();
                ProcessCluster.awaitAcks(producer, before + 200);

                cluster.kill(added);
                ProcessCluster.awaitAcks(producer, producer.acks() + 200);
                cluster.start(added);
                cluster.awaitBrokers(4);
                cluster.awaitFullIsr(TOPIC);

                move(cluster, List.of(1, 2, 3));
                awaitReplicas(cluster, List.of(1, 2, 3));
                assertEquals(0, cluster.remove(added).terminate(WAIT), "broker 4 stops cleanly");
                cluster.admin().unregisterBroker(added).all().get(30, TimeUnit.SECONDS);
                cluster.awaitBrokers(3);
                ProcessCluster.awaitAcks(producer, producer.acks() + 200);

                producer.close();
                producer.assertNothingAcknowledgedWasLost();
            }
        }
    }

    /**
     * A packaged broker-only node that names the controllers only by address
     * ({@code controller.quorum.bootstrap.servers} with two of the three, as KIP-853 allows, and no
     * {@code controller.quorum.voters}) joins, leads a partition under an acks=all producer, and
     * goes on through a SIGKILL of the active controller: nothing acknowledged is lost.
     */
    @Test
    void aBrokerThatKnowsTwoControllerAddressesJoinsAndFollowsAControllerFailover() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, "offsets.topic.replication.factor=3",
                "default.replication.factor=3")) {
            int leader = activeController(cluster.admin());
            int follower = leader % 3 + 1;
            int added = cluster.addBroker("controller.quorum.voters=", "controller.quorum.bootstrap.servers="
                + cluster.controllerAddress(follower) + "," + cluster.controllerAddress(leader));
            assertEquals(4, added);
            cluster.awaitBrokers(4);
            String topic = "bootstrapped";
            cluster.admin().createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(added, 1, 2, 3)))
                .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
            cluster.awaitFullIsr(topic);

            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + cluster.brokerPort(added));
            try (Admin viaAdded = Admin.create(props);
                 AckedProducer producer = new AckedProducer(cluster.bootstrapServers(), topic)) {
                ProcessCluster.awaitAcks(producer, 200);
                cluster.kill(leader);
                ProcessCluster.poll(WAIT, "broker 4 follows the new active controller", () -> {
                    int now = activeController(viaAdded);
                    return now >= 0 && now != leader;
                });
                // The ISR shrinks through the new controller, which broker 4, leading, has to reach.
                ProcessCluster.poll(WAIT, "the killed controller out of the ISR", () -> cluster.partitions(topic)
                    .get(0).isr().stream().noneMatch(n -> n.id() == leader));
                ProcessCluster.awaitAcks(producer, producer.acks() + 200);
                producer.close();
                producer.assertNothingAcknowledgedWasLost();
            }
        }
    }

    /** Moves partition 0 onto {@code replicas} with Kafka's tool and waits until --verify says it is done. */
    private void move(ProcessCluster cluster, List<Integer> replicas) throws Exception {
        Path plan = Files.writeString(dir.resolve("plan-" + replicas + ".json"),
            "{\"version\":1,\"partitions\":[{\"topic\":\"" + TOPIC + "\",\"partition\":0,\"replicas\":"
                + replicas + "}]}");
        KafkaTool.run(REASSIGN, "--bootstrap-server", cluster.bootstrapServers(), "--execute",
            "--reassignment-json-file", plan.toString()).assertSuccess();
        ProcessCluster.poll(WAIT, "--verify reports the move of " + TOPIC + "-0 complete", () -> {
            KafkaTool.Result verified = KafkaTool.run(REASSIGN, "--bootstrap-server", cluster.bootstrapServers(),
                "--verify", "--reassignment-json-file", plan.toString());
            return verified.exitCode() == 0 && verified.out().contains("Reassignment of partition " + TOPIC
                + "-0 is completed");
        });
    }

    private static void awaitReplicas(ProcessCluster cluster, List<Integer> sorted) throws Exception {
        ProcessCluster.poll(WAIT, TOPIC + "-0 on " + sorted + " and all in sync", () -> {
            TopicPartitionInfo p = cluster.partitions(TOPIC).get(0);
            List<Integer> replicas = p.replicas().stream().map(Node::id).sorted().toList();
            return replicas.equals(sorted) && p.isr().size() == sorted.size();
        });
        assertTrue(cluster.partitions(TOPIC).get(0).leader() != null);
    }

    private static int activeController(Admin admin) throws Exception {
        return admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS).leaderId();
    }
}
