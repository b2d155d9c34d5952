package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three packaged cluster nodes, each in its own network namespace ({@link NamespaceNetwork}), under
 * an idempotent acks=all producer on a topic with replication factor 3 and
 * {@code min.insync.replicas=2}. The leader of a partition is cut off from the other two nodes
 * (packets dropped both ways, so connects and requests time out; the test still reaches it), first
 * a leader that is not the active controller, then the one that is, the metadata quorum's leader.
 *
 * <p>While it is cut off, the old leader must acknowledge no acks=all write: requests sent straight
 * to it (its image still says it leads) must fail, and once another leader is elected be refused as
 * by a broker that no longer leads (NOT_LEADER_OR_FOLLOWER); everything the producer had acknowledged must
 * later be found on the majority's side. The majority must elect another leader, and the producer
 * carry on, within bounded time; a cut-off active controller must give that role up (its quorum
 * member has no majority) while still cut off. Healed, the old leader must rejoin, drop what only it had written,
 * and lead its partition again; the whole topic is read back from the leaders it started with: each
 * acknowledged record at its offset, every record once and in order, nothing written only on the
 * isolated side.
 *
 * <p>Needs root and iproute2 ({@code ip netns}, {@code tc}); skipped otherwise.
 */
class ClusterPartitionTest {
    private static final String TOPIC = "partitioned";
    /** How long a probe write straight to the isolated leader may wait for its acknowledgement. */
    private static final int PROBE_TIMEOUT_MS = 2_000;

    @TempDir
    Path dir;

    @Test
    void leaderCutOffFromItsPeersAcknowledgesNoAcksAllWriteAndRejoinsWithoutASecondHistory() throws Exception {
        try (NamespaceNetwork network = NamespaceNetwork.create(3)) {
            try (ProcessCluster cluster = new ProcessCluster(dir, 3, network, "offsets.topic.replication.factor=3",
                    "default.replication.factor=3",
                    // The isolated leader finds its followers lagging within the cut and asks to shrink
                    // its ISR, which it must not get (or act on) without the quorum.
                    "replica.lag.time.max.ms=3000")) {
                try {
                    run(network, cluster);
                } catch (AssertionError | Exception e) {
                    throw new AssertionError(e.getMessage() + "\n" + cluster.output(), e);
                }
            }
        }
    }

    private static void run(NamespaceNetwork network, ProcessCluster cluster) throws Exception {
        cluster.admin().createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3)
            .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
        cluster.awaitFullIsr(TOPIC);
        // A stale leader answers a produce only when the request times out there: a shorter
        // timeout than the default 30 s moves the producer on sooner.
        try (AckedProducer producer = new AckedProducer(cluster.bootstrapServers(), TOPIC,
                Map.of(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000"))) {
            ProcessCluster.awaitAcks(producer, 300);
            int controller = controller(cluster);
            int other = controller % 3 + 1;
            cutOff(network, cluster, producer, other, false);
            cutOff(network, cluster, producer, controller(cluster), true);
            ProcessCluster.awaitAcks(producer, producer.acks() + 200);
            producer.close();
            assertEquals(0, producer.failures(), "the producer gave up on a record: " + producer.lastFailure());
            producer.assertEachRecordOnceInOrderAndNothingAcknowledgedLost();
        }
    }

    /** One round: cuts {@code node} off while it leads a partition, checks both sides, heals and checks it rejoined. */
    private static void cutOff(NamespaceNetwork network, ProcessCluster cluster, AckedProducer producer, int node,
                               boolean controller) throws Exception {
        String role = controller ? "the active controller" : "not the active controller";
        int partition = partitionLedByItsPreferredReplica(cluster, node);
        long acked = producer.acks(partition);
        long cut = System.nanoTime();
        network.isolate(node);
        List<Errors> answers = new ArrayList<>();
        answers.add(probeWrite(network, cluster, node, partition));

        ProcessCluster.poll(Duration.ofSeconds(45), "a leader of " + TOPIC + "-" + partition + " other than the "
            + "isolated broker " + node + " (" + role + ")", () -> {
                int leader = leaderOnMajoritySide(network, cluster, partition, node);
                return leader >= 0 && leader != node;
            });
        long elected = System.nanoTime();
        ProcessCluster.poll(Duration.ofSeconds(45), "200 more acknowledgements on " + TOPIC + "-" + partition
            + " (last failure: " + producer.lastFailure() + ")", () -> producer.acks(partition) >= acked + 200);
        long resumed = System.nanoTime();
        // The isolated leader has by now seen its followers lag past replica.lag.time.max.ms.
        answers.add(probeWrite(network, cluster, node, partition));
        if (controller) {
            // Its quorum member has no majority: it steps down, and says so while still cut off.
            ProcessCluster.poll(Duration.ofSeconds(30), "broker " + node + " saying it is no longer the active "
                + "controller", () -> cluster.node(node).output().contains("node " + node
                    + " is no longer the active controller"));
        }
        System.out.printf("broker %d (%s) cut off leading %s-%d: another leader after %d ms, 200 more acks after %d ms;"
                + " acks=all writes sent to it answered %s%n", node, role, TOPIC, partition, (elected - cut) / 1_000_000,
            (resumed - cut) / 1_000_000, answers);
        for (Errors answer : answers) {
            assertNotEquals(Errors.NONE, answer, "broker " + node + ", cut off from the quorum, acknowledged an "
                + "acks=all write to " + TOPIC + "-" + partition);
        }
        // By the time another leader was elected its session had lapsed, by its own reckoning too,
        // and its followers had left: it no longer acts as the leader.
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, answers.get(1), "broker " + node + ", cut off from the quorum "
            + "after another leader was elected, still answered as the leader of " + TOPIC + "-" + partition);

        network.heal(node);
        cluster.awaitBrokers(3);
        cluster.awaitFullIsr(TOPIC);
        // Leading again, the rejoined broker serves what it holds: the final read-back reads its log.
        TopicPartition tp = new TopicPartition(TOPIC, partition);
        ProcessCluster.poll(Duration.ofSeconds(60), "broker " + node + " leading " + TOPIC + "-" + partition
            + " again", () -> {
                cluster.admin().electLeaders(ElectionType.PREFERRED, Set.of(tp)).partitions().get(30, TimeUnit.SECONDS);
                TopicPartitionInfo p = cluster.partitions(TOPIC).get(partition);
                return p.leader() != null && p.leader().id() == node && p.isr().size() == 3;
            });
        ProcessCluster.awaitAcks(producer, producer.acks() + 200);
    }

    /** The active controller: the metadata quorum's leader, once one has been elected. */
    private static int controller(ProcessCluster cluster) throws Exception {
        int[] leader = {-1};
        ProcessCluster.poll(Duration.ofSeconds(30), "a metadata quorum leader", () -> {
            leader[0] = cluster.admin().describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS).leaderId();
            return leader[0] > 0;
        });
        return leader[0];
    }

    /** A partition {@code node} leads as its preferred replica, moving leadership back by preferred election if need be. */
    private static int partitionLedByItsPreferredReplica(ProcessCluster cluster, int node) throws Exception {
        int[] found = {-1};
        ProcessCluster.poll(Duration.ofSeconds(60), "a partition of " + TOPIC + " led by broker " + node, () -> {
            for (TopicPartitionInfo p : cluster.partitions(TOPIC)) {
                if (p.leader() != null && p.leader().id() == node && p.replicas().get(0).id() == node
                        && p.isr().size() == 3) {
                    found[0] = p.partition();
                    return true;
                }
            }
            cluster.admin().electLeaders(ElectionType.PREFERRED, null).partitions().get(30, TimeUnit.SECONDS);
            return false;
        });
        return found[0];
    }

    /**
     * The leader of {@code partition} as a node other than {@code isolated} has it, asked directly:
     * the isolated node keeps answering Metadata from the image it had when it was cut off, and a
     * client bootstrapped elsewhere may still ask it.
     */
    private static int leaderOnMajoritySide(NamespaceNetwork network, ProcessCluster cluster, int partition,
                                            int isolated) throws IOException {
        int asked = isolated % 3 + 1;
        MetadataRequestData request = new MetadataRequestData().setAllowAutoTopicCreation(false)
            .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(TOPIC)));
        try (RawKafkaConnection connection = new RawKafkaConnection(network.host(asked), cluster.brokerPort(asked))) {
            MetadataResponseData response = connection.send(ApiKeys.METADATA, 12, request);
            return response.topics().find(TOPIC).partitions().stream().filter(p -> p.partitionIndex() == partition)
                .mapToInt(MetadataResponseData.MetadataResponsePartition::leaderId).findFirst().orElse(-1);
        }
    }

    /**
     * Sends one acks=all write of a record no producer sends straight to {@code node} and returns
     * its answer; an answer that does not come at all counts as a timeout.
     */
    private static Errors probeWrite(NamespaceNetwork network, ProcessCluster cluster, int node, int partition)
            throws IOException {
        ProduceRequestData request = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(PROBE_TIMEOUT_MS);
        request.topicData().add(new ProduceRequestData.TopicProduceData().setName(TOPIC).setPartitionData(List.of(
            new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(MemoryRecords.withRecords(
                Compression.NONE, new SimpleRecord("probe".getBytes(StandardCharsets.UTF_8),
                    ("probe-" + System.nanoTime()).getBytes(StandardCharsets.UTF_8)))))));
        try (RawKafkaConnection connection = new RawKafkaConnection(network.host(node), cluster.brokerPort(node))) {
            ProduceResponseData response = connection.send(ApiKeys.PRODUCE, 9, request);
            return Errors.forCode(response.responses().iterator().next().partitionResponses().get(0).errorCode());
        } catch (java.net.SocketTimeoutException e) {
            return Errors.REQUEST_TIMED_OUT;
        }
    }
}
