package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's own command-line tools against three packaged brokers in their own processes, each a
 * combined broker and controller: what {@code kafka-topics}, {@code kafka-metadata-quorum},
 * {@code kafka-leader-election}, {@code kafka-configs} and {@code kafka-consumer-groups} print about
 * a cluster must match what the cluster is.
 */
class ClusterToolsTest {
    private static final int BROKERS = 3;
    private static final Pattern PARTITION_LINE = Pattern.compile(
        "Partition: (\\d+)\\s+Leader: (\\S+)\\s+Replicas: ([\\d,]+)\\s+Isr: ([\\d,]*)");

    @TempDir
    static Path dir;
    private static ProcessCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = new ProcessCluster(dir, BROKERS, "offsets.topic.replication.factor=3",
            "group.initial.rebalance.delay.ms=0");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static KafkaTool.Result tool(String mainClass, String... args) {
        String[] all = Arrays.copyOf(new String[] {"--bootstrap-server", cluster.bootstrapServers()}, args.length + 2);
        System.arraycopy(args, 0, all, 2, args.length);
        return KafkaTool.run(mainClass, all);
    }

    private static KafkaTool.Result topics(String... args) {
        return tool("org.apache.kafka.tools.TopicCommand", args);
    }

    /** One partition line of {@code kafka-topics --describe}. */
    private record DescribedPartition(int partition, String leader, List<Integer> replicas, Set<Integer> isr) {
    }

    private static Map<Integer, DescribedPartition> describe(String topic) {
        KafkaTool.Result described = topics("--describe", "--topic", topic).assertSuccess();
        Map<Integer, DescribedPartition> partitions = new HashMap<>();
        Matcher m = PARTITION_LINE.matcher(described.out());
        while (m.find()) {
            partitions.put(Integer.parseInt(m.group(1)), new DescribedPartition(Integer.parseInt(m.group(1)), m.group(2),
                ids(m.group(3)), new TreeSet<>(ids(m.group(4)))));
        }
        return partitions;
    }

    private static List<Integer> ids(String commaSeparated) {
        return commaSeparated.isEmpty() ? List.of()
            : Arrays.stream(commaSeparated.split(",")).map(Integer::parseInt).toList();
    }

    @Test
    void topicsToolCreatesAReplicatedTopicAndDescribesLeadersReplicasAndIsrAsTheAdminClientSeesThem() throws Exception {
        KafkaTool.Result created = topics("--create", "--topic", "tools-described", "--partitions", "3",
            "--replication-factor", "3").assertSuccess();
        assertTrue(created.out().contains("Created topic tools-described."), created.toString());
        cluster.awaitFullIsr("tools-described");

        Map<Integer, DescribedPartition> described = describe("tools-described");
        assertEquals(Set.of(0, 1, 2), described.keySet(), "partition lines of the description");
        Set<Integer> leaders = new TreeSet<>();
        for (TopicPartitionInfo p : cluster.partitions("tools-described")) {
            DescribedPartition d = described.get(p.partition());
            assertEquals(String.valueOf(p.leader().id()), d.leader(), "leader of partition " + p.partition());
            assertEquals(p.replicas().stream().map(n -> n.id()).toList(), d.replicas(), "replicas of " + p.partition());
            assertEquals(Set.of(1, 2, 3), Set.copyOf(d.replicas()), "every broker holds a replica of " + p.partition());
            assertEquals(Set.of(1, 2, 3), d.isr(), "ISR of " + p.partition());
            leaders.add(p.leader().id());
        }
        assertEquals(Set.of(1, 2, 3), leaders, "leadership of the three partitions is spread over the brokers");
        KafkaTool.Result summary = topics("--describe", "--topic", "tools-described").assertSuccess();
        assertTrue(summary.out().contains("PartitionCount: 3") && summary.out().contains("ReplicationFactor: 3"),
            summary.toString());

        KafkaTool.Result underReplicated = topics("--describe", "--under-replicated-partitions").assertSuccess();
        assertTrue(underReplicated.out().isBlank(), "no partition is under-replicated: " + underReplicated);
    }

    /** The {@code Name: value} lines of {@code kafka-metadata-quorum describe --status}. */
    private static Map<String, String> quorumStatus() {
        KafkaTool.Result status = tool("org.apache.kafka.tools.MetadataQuorumCommand", "describe", "--status")
            .assertSuccess();
        Map<String, String> fields = new HashMap<>();
        for (String line : status.out().lines().toList()) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }

    @Test
    void metadataQuorumToolDescribesTheLeaderEpochHighWatermarkAndEveryVotersProgress() throws Exception {
        // Quorum state settles (followers acknowledge, fetch times refresh) within a heartbeat or two.
        ProcessCluster.poll(Duration.ofSeconds(30), "a quorum whose followers have caught up",
            () -> "0".equals(quorumStatus().get("MaxFollowerLag")));
        Map<String, String> status = quorumStatus();
        String clusterId = cluster.admin().describeCluster().clusterId().get();
        assertEquals(clusterId, status.get("ClusterId"), status.toString());
        int controller = cluster.admin().describeCluster().controller().get().id();
        assertEquals(String.valueOf(controller), status.get("LeaderId"), "the quorum leader is the active controller");
        assertTrue(Integer.parseInt(status.get("LeaderEpoch")) >= 1, status.toString());
        long highWatermark = Long.parseLong(status.get("HighWatermark"));
        assertTrue(highWatermark > 0, "metadata records were committed: " + status);
        assertTrue(Long.parseLong(status.get("MaxFollowerLagTimeMs")) < 10_000,
            "followers fetched within the last seconds: " + status);
        for (int id = 1; id <= BROKERS; id++) {
            assertTrue(status.get("CurrentVoters").contains("\"id\": " + id), "voter " + id + " in " + status);
        }
        assertEquals("[]", status.get("CurrentObservers"), status.toString());

        KafkaTool.Result replication = tool("org.apache.kafka.tools.MetadataQuorumCommand", "describe",
            "--replication").assertSuccess();
        List<String> rows = replication.out().lines().filter(l -> !l.isBlank()).toList();
        assertTrue(rows.get(0).matches("NodeId\\s+DirectoryId\\s+LogEndOffset\\s+Lag\\s+LastFetchTimestamp\\s+"
            + "LastCaughtUpTimestamp\\s+Status\\s*"), replication.toString());
        long now = System.currentTimeMillis();
        Map<Integer, String> statuses = new HashMap<>();
        List<String> voterRows = new ArrayList<>(rows.subList(1, rows.size()));
        assertEquals(BROKERS, voterRows.size(), replication.toString());
        for (String row : voterRows) {
            String[] cells = row.strip().split("\\s+");
            int node = Integer.parseInt(cells[0]);
            long logEnd = Long.parseLong(cells[2]);
            long lag = Long.parseLong(cells[3]);
            long lastFetch = Long.parseLong(cells[4]);
            long lastCaughtUp = Long.parseLong(cells[5]);
            statuses.put(node, cells[6]);
            assertTrue(logEnd >= highWatermark - 1_000 && logEnd > 0, "log end offset of " + row);
            assertTrue(lag >= 0 && lag < 1_000, "lag of " + row);
            assertTrue(Math.abs(now - lastFetch) < 60_000, "last fetch of " + row + " is recent (now " + now + ")");
            assertTrue(Math.abs(now - lastCaughtUp) < 60_000, "last caught up of " + row + " is recent (now " + now + ")");
        }
        assertEquals("Leader", statuses.get(controller), replication.toString());
        assertEquals(2, statuses.values().stream().filter("Follower"::equals).count(), replication.toString());
    }

    @Test
    void leaderElectionToolMovesLeadershipBackToThePreferredReplicaAfterABrokerRestart() throws Exception {
        String topic = "tools-preferred";
        topics("--create", "--topic", topic, "--partitions", "3", "--replication-factor", "3").assertSuccess();
        cluster.awaitFullIsr(topic);
        int preferred = cluster.partitions(topic).get(0).replicas().get(0).id();
        assertEquals(preferred, cluster.leaderOf(topic, 0), "a new partition is led by its preferred replica");

        cluster.kill(preferred);
        ProcessCluster.poll(Duration.ofSeconds(60), "a new leader of " + topic + "-0", () -> {
            TopicPartitionInfo p = cluster.partitions(topic).get(0);
            return p.leader() != null && p.leader().id() >= 0 && p.leader().id() != preferred;
        });
        cluster.start(preferred);
        cluster.awaitBrokers(BROKERS);
        cluster.awaitFullIsr(topic);
        assertNotEquals(preferred, cluster.leaderOf(topic, 0), "leadership stays off the restarted broker");

        KafkaTool.Result elected = tool("org.apache.kafka.tools.LeaderElectionCommand", "--election-type", "PREFERRED",
            "--all-topic-partitions").assertSuccess();
        assertTrue(elected.out().contains("Successfully completed leader election (PREFERRED) for partitions")
            && elected.out().contains(topic + "-0"), elected.toString());
        for (TopicPartitionInfo p : cluster.partitions(topic)) {
            assertEquals(p.replicas().get(0).id(), p.leader().id(), "partition " + p.partition() + " led by its preferred replica");
        }
        // kafka-topics asks whichever broker it likes; one that has just restarted may answer a moment
        // behind the election.
        ProcessCluster.poll(Duration.ofSeconds(30), "kafka-topics describing " + topic + "-0 led by " + preferred,
            () -> String.valueOf(preferred).equals(describe(topic).get(0).leader()));

        KafkaTool.Result again = tool("org.apache.kafka.tools.LeaderElectionCommand", "--election-type", "PREFERRED",
            "--topic", topic, "--partition", "0").assertSuccess();
        assertTrue(again.out().contains("Valid replica already elected for partitions " + topic + "-0"), again.toString());
    }

    @Test
    void configsToolAltersATopicConfigThroughAnyBrokerAndEveryBrokerDescribesIt() throws Exception {
        String topic = "tools-configs";
        topics("--create", "--topic", topic, "--partitions", "1", "--replication-factor", "3").assertSuccess();
        cluster.awaitTopicOnEveryBroker(topic);
        KafkaTool.Result altered = tool("org.apache.kafka.tools.ConfigCommand", "--entity-type", "topics", "--entity-name", topic,
            "--alter", "--add-config", "retention.ms=3600000,min.insync.replicas=2").assertSuccess();
        assertTrue(altered.out().contains("Completed updating config for topic " + topic), altered.toString());
        for (int id = 1; id <= BROKERS; id++) {
            int node = id;
            ProcessCluster.poll(Duration.ofSeconds(30), "broker " + node + " describing the new config", () -> {
                KafkaTool.Result d = KafkaTool.run("org.apache.kafka.tools.ConfigCommand", "--bootstrap-server",
                    "localhost:" + cluster.brokerPort(node), "--entity-type", "topics", "--entity-name", topic, "--describe");
                return d.exitCode() == 0 && d.out().contains("retention.ms=3600000") && d.out().contains("min.insync.replicas=2");
            });
        }
        KafkaTool.Result brokers = tool("org.apache.kafka.tools.ConfigCommand", "--entity-type", "brokers", "--entity-name", "2",
            "--describe", "--all").assertSuccess();
        assertTrue(brokers.out().contains("All configs for broker 2 are:") && brokers.out().contains("node.id=2"),
            brokers.toString());
    }

    @Test
    void consumerGroupsToolDescribesCommittedOffsetsAndLagOfAGroupOnTheCluster() throws Exception {
        String topic = "tools-groups";
        topics("--create", "--topic", topic, "--partitions", "2", "--replication-factor", "3").assertSuccess();
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
            new StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "v" + i));
            }
            producer.flush();
        }
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "tools-group");
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
            new StringDeserializer())) {
            consumer.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(3),
                new TopicPartition(topic, 1), new OffsetAndMetadata(5)));
        }
        KafkaTool.Result described = tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--describe",
            "--group", "tools-group").assertSuccess();
        Pattern row = Pattern.compile("tools-group\\s+" + topic + "\\s+(\\d)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)");
        Map<Integer, long[]> rows = new HashMap<>();
        Matcher m = row.matcher(described.out());
        while (m.find()) {
            rows.put(Integer.parseInt(m.group(1)), new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4))});
        }
        assertEquals(2, rows.size(), described.toString());
        assertTrue(Arrays.equals(new long[] {3, 5, 2}, rows.get(0)), "offset, end, lag of partition 0: " + described);
        assertTrue(Arrays.equals(new long[] {5, 5, 0}, rows.get(1)), "offset, end, lag of partition 1: " + described);
    }
}
