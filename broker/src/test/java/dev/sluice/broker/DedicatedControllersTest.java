package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.Test;

/**
 * Kafka's production layout: the metadata quorum on three controller-only nodes
 * ({@code process.roles=controller}) and the data on broker-only nodes. The controllers bind only
 * their quorum address, hold no partitions and are never named to clients; the quorum fails over
 * between them while the brokers carry on.
 */
class DedicatedControllersTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void controllerOnlyQuorumServesBrokerOnlyNodesThroughAControllerFailover() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().controllers(3).brokers(3).start();
             Admin admin = admin(cluster)) {
            assertEquals(List.of(1001, 1002, 1003), cluster.runningControllers());
            assertEquals(List.of(1, 2, 3), admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                .map(Node::id).sorted().toList(), "clients are told of the brokers only");
            int named = admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id();
            assertTrue(Set.of(1, 2, 3).contains(named), "clients are given a broker as the controller, not " + named);
            Polling.until(WAIT, "the quorum lists its three voters and every broker as an observer", () -> {
                QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS);
                return quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId).collect(Collectors.toSet())
                    .equals(Set.of(1001, 1002, 1003))
                    && quorum.observers().stream().map(QuorumInfo.ReplicaState::replicaId).collect(Collectors.toSet())
                    .equals(Set.of(1, 2, 3))
                    && quorum.leaderId() >= 1001;
            });

            admin.createTopics(List.of(new NewTopic("data", 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                .all().get(30, TimeUnit.SECONDS);
            List<String> sent = BrokerOnlyNodeTest.produce(cluster, "data", 50);

            int controller = cluster.activeController();
            assertTrue(controller >= 1001, "a controller-only node leads: " + controller);
            cluster.kill(controller);
            Polling.until(WAIT, "another controller leads", () -> {
                int now = cluster.activeController();
                return now >= 1001 && now != controller;
            });
            admin.createTopics(List.of(new NewTopic("after-failover", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            cluster.restart(controller);

            int leader = cluster.leaderOf("data", 0);
            cluster.kill(leader);
            Polling.until(WAIT, "data-0 gets another leader", () -> {
                int now = cluster.leaderOf("data", 0);
                return now >= 0 && now != leader;
            });
            sent.addAll(BrokerOnlyNodeTest.produce(cluster, "data", 50));
            cluster.restart(leader);
            assertEquals(sent, BrokerOnlyNodeTest.consume(cluster.bootstrapServers(), "data", sent.size()));
        }
    }

    @Test
    void aControllerOnlyConfigurationIsNotStartedAsABroker() {
        ConfigException refused = assertThrows(ConfigException.class, () -> SluiceBroker.builder().configs(Map.of(
            "process.roles", "controller", "node.id", "1", "controller.quorum.voters", "1@localhost:1",
            "controller.listener.names", "CONTROLLER", "listeners", "CONTROLLER://localhost:0")).start());
        assertTrue(refused.getMessage().contains("start it as a SluiceController"), refused.getMessage());
    }

    private static Admin admin(SluiceCluster cluster) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        return Admin.create(props);
    }
}
