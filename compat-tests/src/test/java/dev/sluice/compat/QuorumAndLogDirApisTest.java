package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.SluiceCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AddRaftVoterOptions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.RaftVoterEndpoint;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionReplica;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.ControllerIdNotRegisteredException;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.InconsistentClusterIdException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.LogDirNotFoundException;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import org.apache.kafka.common.errors.ReplicaNotAvailableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The APIs a Kafka 4.4 broker serves for moving replicas between log directories and for changing
 * the metadata quorum, with the official Admin client and tools, answered as a Kafka broker with
 * one log directory and a quorum of fixed voters (kraft.version 0) answers them: a replica asked
 * into the directory it is in stays there, other paths are not log directories, adding or removing
 * a voter is unsupported, and only a controller that is not the active one can be unregistered.
 */
class QuorumAndLogDirApisTest {
    @TempDir
    Path dir;

    private static Throwable failure(KafkaFuture<?> future) {
        return assertThrows(ExecutionException.class, () -> future.get(30, TimeUnit.SECONDS)).getCause();
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    @Test
    void aReplicaStaysInItsOneLogDirectoryAndOtherPathsAreNotLogDirectories() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().dataDir(dir.resolve("data")).start();
             Admin admin = admin(broker.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic("moved", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            int node = broker.nodeId();
            String logDir = admin.describeLogDirs(List.of(node)).allDescriptions().get(30, TimeUnit.SECONDS)
                .get(node).keySet().iterator().next();

            Map<TopicPartitionReplica, String> moves = new LinkedHashMap<>();
            moves.put(new TopicPartitionReplica("moved", 0, node), logDir);
            moves.put(new TopicPartitionReplica("moved", 1, node), logDir + "/");
            moves.put(new TopicPartitionReplica("moved", 7, node), logDir);
            moves.put(new TopicPartitionReplica("absent", 0, node), logDir);
            moves.put(new TopicPartitionReplica("x".repeat(214), 0, node), logDir);
            Map<TopicPartitionReplica, KafkaFuture<Void>> results = admin.alterReplicaLogDirs(moves).values();
            results.get(new TopicPartitionReplica("moved", 0, node)).get(30, TimeUnit.SECONDS);
            assertInstanceOf(LogDirNotFoundException.class, failure(results.get(new TopicPartitionReplica("moved", 1, node))));
            assertInstanceOf(UnknownTopicOrPartitionException.class,
                failure(results.get(new TopicPartitionReplica("moved", 7, node))));
            assertInstanceOf(UnknownTopicOrPartitionException.class,
                failure(results.get(new TopicPartitionReplica("absent", 0, node))));
            assertInstanceOf(InvalidTopicException.class,
                failure(results.get(new TopicPartitionReplica("x".repeat(214), 0, node))));

            // kafka-reassign-partitions with log_dirs: the replica is already where it is asked to be.
            Path plan = dir.resolve("plan.json");
            Files.writeString(plan, "{\"version\":1,\"partitions\":[{\"topic\":\"moved\",\"partition\":0,\"replicas\":["
                + node + "],\"log_dirs\":[\"" + logDir + "\"]}]}");
            String tool = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
            KafkaTool.against(broker.bootstrapServers(), tool, "--reassignment-json-file", plan.toString(), "--execute")
                .assertSuccess();
            KafkaTool.Result verified = KafkaTool.against(broker.bootstrapServers(), tool, "--reassignment-json-file",
                plan.toString(), "--verify").assertSuccess();
            assertTrue(verified.out().contains("Reassignment of replica moved-0-" + node + " completed successfully"),
                verified.out());
        }
    }

    @Test
    void aSingleNodeAnswersTheClusterAdministrationApisAsItsOwnOneBrokerCluster() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().dataDir(dir.resolve("alone")).start();
             Admin admin = admin(broker.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic("alone", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            int node = broker.nodeId();
            TopicPartition p0 = new TopicPartition("alone", 0);
            assertInstanceOf(ElectionNotNeededException.class, admin.electLeaders(ElectionType.PREFERRED, Set.of(p0))
                .partitions().get(30, TimeUnit.SECONDS).get(p0).orElseThrow());
            assertInstanceOf(ElectionNotNeededException.class, admin.electLeaders(ElectionType.UNCLEAN, Set.of(p0))
                .partitions().get(30, TimeUnit.SECONDS).get(p0).orElseThrow());
            assertTrue(admin.electLeaders(ElectionType.PREFERRED, null).partitions().get(30, TimeUnit.SECONDS).isEmpty());

            admin.alterPartitionReassignments(Map.of(p0, java.util.Optional.of(new NewPartitionReassignment(
                List.of(node))))).all().get(30, TimeUnit.SECONDS);
            assertInstanceOf(InvalidReplicaAssignmentException.class, failure(admin.alterPartitionReassignments(Map.of(
                p0, java.util.Optional.of(new NewPartitionReassignment(List.of(node, node + 1))))).all()));
            assertInstanceOf(NoReassignmentInProgressException.class, failure(admin.alterPartitionReassignments(
                Map.of(p0, java.util.Optional.empty())).all()));
            assertTrue(admin.listPartitionReassignments().reassignments().get(30, TimeUnit.SECONDS).isEmpty());

            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS);
            assertEquals(node, quorum.leaderId());
            assertEquals(List.of(node), quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId).toList());
            KafkaTool.Result status = KafkaTool.against(broker.bootstrapServers(),
                "org.apache.kafka.tools.MetadataQuorumCommand", "describe", "--status").assertSuccess();
            assertTrue(status.out().contains("LeaderId:               " + node), status.out());

            admin.unregisterBroker(node).all().get(30, TimeUnit.SECONDS);
            assertInstanceOf(BrokerIdNotRegisteredException.class, failure(admin.unregisterBroker(node + 1).all()));
            assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
        }
    }

    @Test
    void aFixedQuorumRefusesNewAndRemovedVotersAndKeepsItsActiveController() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().dataDir(dir.resolve("single")).start();
             Admin admin = admin(broker.bootstrapServers())) {
            Set<RaftVoterEndpoint> endpoints = Set.of(new RaftVoterEndpoint("CONTROLLER", "localhost", 19093));
            Throwable add = failure(admin.addRaftVoter(7, Uuid.randomUuid(), endpoints).all());
            assertInstanceOf(UnsupportedVersionException.class, add);
            assertTrue(add.getMessage().contains("kraft.version is 0"), add.getMessage());
            assertInstanceOf(InvalidRequestException.class, failure(admin.addRaftVoter(7, Uuid.randomUuid(),
                Set.of(new RaftVoterEndpoint("OTHER", "localhost", 19093))).all()));
            assertInstanceOf(InvalidRequestException.class, failure(admin.addRaftVoter(7, Uuid.ZERO_UUID, endpoints).all()));
            assertInstanceOf(InconsistentClusterIdException.class, failure(admin.addRaftVoter(7, Uuid.randomUuid(),
                endpoints, new AddRaftVoterOptions().setClusterId(java.util.Optional.of("another-cluster"))).all()));
            assertInstanceOf(UnsupportedVersionException.class,
                failure(admin.removeRaftVoter(broker.nodeId(), Uuid.randomUuid()).all()));
            assertInstanceOf(InvalidRequestException.class, failure(admin.unregisterController(broker.nodeId()).all()));
            assertInstanceOf(ControllerIdNotRegisteredException.class, failure(admin.unregisterController(42).all()));

            KafkaTool.Result removed = KafkaTool.against(broker.bootstrapServers(),
                "org.apache.kafka.tools.MetadataQuorumCommand", "remove-controller", "--controller-id", "1",
                "--controller-directory-id", Uuid.randomUuid().toString());
            assertEquals(1, removed.exitCode(), removed.out() + removed.err());
            assertTrue(removed.err().contains("UnsupportedVersionException"), removed.err());
        }
    }

    @Test
    void onAClusterTheActiveControllerAnswersThroughAnyBroker() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start()) {
            int active = cluster.activeController();
            int other = cluster.running().stream().filter(id -> id != active).findFirst().orElseThrow();
            try (Admin admin = admin(cluster.broker(other).bootstrapServers())) {
                assertInstanceOf(UnsupportedVersionException.class, failure(admin.addRaftVoter(9, Uuid.randomUuid(),
                    Set.of(new RaftVoterEndpoint("CONTROLLER", "localhost", 19093))).all()));
                // Another voter unregisters (and, running, stays a controller); the active one cannot; a
                // node that is not a controller is not registered.
                admin.unregisterController(other).all().get(30, TimeUnit.SECONDS);
                assertInstanceOf(InvalidRequestException.class, failure(admin.unregisterController(active).all()));
                assertInstanceOf(ControllerIdNotRegisteredException.class, failure(admin.unregisterController(4).all()));

                // A partition the cluster has but this broker does not hold.
                admin.createTopics(List.of(new NewTopic("elsewhere", Map.of(0, List.of(active))))).all()
                    .get(30, TimeUnit.SECONDS);
                String logDir = admin.describeLogDirs(List.of(other)).allDescriptions().get(30, TimeUnit.SECONDS)
                    .get(other).keySet().iterator().next();
                TopicPartitionReplica replica = new TopicPartitionReplica("elsewhere", 0, other);
                ProcessCluster.poll(java.time.Duration.ofSeconds(30), "node " + other + " knowing the topic", () -> {
                    Throwable e = failure(admin.alterReplicaLogDirs(Map.of(replica, logDir)).values().get(replica));
                    if (e instanceof UnknownTopicOrPartitionException) {
                        return false;
                    }
                    assertInstanceOf(ReplicaNotAvailableException.class, e);
                    return true;
                });
            }
        }
    }
}
