package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Replication throttles set as {@code kafka-reassign-partitions --throttle} sets them, with the
 * official Admin client, on a running cluster: a throttled reassignment copies no faster than the
 * rate allows, an unthrottled one beside it is not held back, and lifting the throttle lets the
 * slow one finish.
 */
class ReplicationThrottleTest {
    /** Bytes per second each side may move for throttled replicas. */
    private static final long RATE = 50_000;
    private static final int WINDOWS = 2;
    private static final long WINDOW_SECONDS = 1;
    /** {@code replica.fetch.max.bytes}: the most one fetch carries for a partition. */
    private static final int FETCH_MAX = 16_384;

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    /** About a megabyte in batches of at most 16 KiB (the producer's default batch size). */
    private static void fill(SluiceCluster cluster, String topic) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("acks", "all");
        props.put("compression.type", "none");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
            new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, null, new byte[1000])));
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Until both first replicas hold the whole partition: on a loaded machine a replica may join
     * the ISR only after the records were acknowledged without it, and copy them afterwards.
     */
    private static void awaitInSync(SluiceCluster cluster, Admin admin, String topic) throws Exception {
        Polling.until(topic + " in sync on brokers 1 and 2", () -> get(admin.describeTopics(List.of(topic))
            .allTopicNames()).get(topic).partitions().get(0).isr().size() == 2
            && logBytes(cluster, 1, topic) == logBytes(cluster, 2, topic));
    }

    /** Bytes of the segment files of {@code topic}'s partition 0 on {@code broker}. */
    private static long logBytes(SluiceCluster cluster, int broker, String topic) throws IOException {
        Path dir = cluster.broker(broker).dataDir().resolve(topic + "-0");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            long bytes = 0;
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                bytes += Files.size(f);
            }
            return bytes;
        }
    }

    private static boolean moved(Admin admin, String topic) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        if (get(admin.listPartitionReassignments(java.util.Set.of(tp)).reassignments()).containsKey(tp)) {
            return false;
        }
        TopicDescription d = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
        return d.partitions().get(0).replicas().stream().map(Node::id).toList().equals(List.of(1, 2, 3));
    }

    /** What the reassignment tool's --throttle writes: both rates on each broker, and the replica lists. */
    private static void throttle(Admin admin, String topic, boolean on) throws Exception {
        Map<ConfigResource, Collection<AlterConfigOp>> changes = new LinkedHashMap<>();
        for (int broker = 1; broker <= 3; broker++) {
            List<AlterConfigOp> ops = new ArrayList<>();
            for (String key : List.of("leader.replication.throttled.rate", "follower.replication.throttled.rate")) {
                ops.add(on ? new AlterConfigOp(new ConfigEntry(key, Long.toString(RATE)), AlterConfigOp.OpType.SET)
                    : new AlterConfigOp(new ConfigEntry(key, null), AlterConfigOp.OpType.DELETE));
            }
            changes.put(new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(broker)), ops);
        }
        // The current replicas lead, the new one follows.
        changes.put(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(
            on ? new AlterConfigOp(new ConfigEntry("leader.replication.throttled.replicas", "0:1,0:2"),
                AlterConfigOp.OpType.SET)
                : new AlterConfigOp(new ConfigEntry("leader.replication.throttled.replicas", null),
                AlterConfigOp.OpType.DELETE),
            on ? new AlterConfigOp(new ConfigEntry("follower.replication.throttled.replicas", "0:3"),
                AlterConfigOp.OpType.SET)
                : new AlterConfigOp(new ConfigEntry("follower.replication.throttled.replicas", null),
                AlterConfigOp.OpType.DELETE)));
        get(admin.incrementalAlterConfigs(changes).all());
    }

    /**
     * The least time in which a throttle of {@link #RATE} can let {@code bytes} through: checked
     * before each fetch, it admits a window's worth at once plus the fetch that crosses the
     * bound, and then at most the rate plus one fetch per sample.
     */
    private static double leastSeconds(long bytes) {
        double burst = RATE * WINDOWS * WINDOW_SECONDS + 2.0 * FETCH_MAX;
        double steady = RATE + (double) FETCH_MAX / WINDOW_SECONDS;
        return Math.max(0, (bytes - burst) / steady);
    }

    @Test
    void aThrottledReassignmentCopiesNoFasterThanTheRateAndFinishesOnceTheThrottleIsLifted() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3)
                .config("replication.quota.window.num", Integer.toString(WINDOWS))
                .config("replication.quota.window.size.seconds", Long.toString(WINDOW_SECONDS))
                .config("replica.fetch.max.bytes", Integer.toString(FETCH_MAX))
                .start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            get(admin.createTopics(List.of(new NewTopic("slow", Map.of(0, List.of(1, 2))),
                new NewTopic("fast", Map.of(0, List.of(1, 2))))).all());
            fill(cluster, "slow");
            fill(cluster, "fast");
            awaitInSync(cluster, admin, "slow");
            awaitInSync(cluster, admin, "fast");
            long size = logBytes(cluster, 1, "slow");
            assertTrue(size > 1_000_000, "slow holds " + size + " bytes");
            throttle(admin, "slow", true);

            long start = System.nanoTime();
            get(admin.alterPartitionReassignments(Map.of(
                new TopicPartition("slow", 0), Optional.of(new NewPartitionReassignment(List.of(1, 2, 3))),
                new TopicPartition("fast", 0), Optional.of(new NewPartitionReassignment(List.of(1, 2, 3))))).all());

            // The topic the throttle does not name moves at the fetchers' own pace.
            Polling.until("the unthrottled partition moves", () -> moved(admin, "fast"));
            assertEquals(logBytes(cluster, 1, "fast"), logBytes(cluster, 3, "fast"));
            assertFalse(moved(admin, "slow"), "the throttled partition moved as fast as the unthrottled one");

            long half = size / 2;
            Polling.until("half of the throttled partition is copied", () -> logBytes(cluster, 3, "slow") >= half);
            double seconds = (System.nanoTime() - start) / 1e9;
            long copied = logBytes(cluster, 3, "slow");
            assertTrue(seconds >= leastSeconds(copied), String.format(
                "%d bytes copied in %.1f s; at %d bytes/s that takes at least %.1f s", copied, seconds, RATE,
                leastSeconds(copied)));
            assertFalse(moved(admin, "slow"));

            throttle(admin, "slow", false);
            Polling.until("the throttled partition moves once the throttle is lifted", () -> moved(admin, "slow"));
            Polling.until("the new replica joins the ISR", () -> get(admin.describeTopics(List.of("slow")).allTopicNames())
                .get("slow").partitions().get(0).isr().size() == 3);
            assertEquals(size, logBytes(cluster, 3, "slow"));
        }
    }
}
