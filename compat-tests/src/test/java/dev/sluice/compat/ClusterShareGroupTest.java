package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A share group on a three-process cluster, where the group coordinator, the partitions' leaders
 * and the share coordinators are different brokers talking over the inter-broker share-state APIs:
 * two members receive every record of a three-partition topic, and after the leader of a partition
 * is killed with SIGKILL they go on with the new leaders; a record whose acknowledgement was
 * confirmed is never delivered again.
 */
class ClusterShareGroupTest {
    private static final String TOPIC = "cluster-queue";
    private static final String GROUP = "cluster-share";

    @TempDir
    Path dir;

    private record Key(int partition, long offset) {
    }

    /** Both members' deliveries, and the records whose acknowledgement each member saw confirmed. */
    private static final class Deliveries {
        final Map<Key, Integer> seen = new HashMap<>();
        final Set<Key> acknowledged = new HashSet<>();
        final List<String> againAfterAcknowledged = new ArrayList<>();
    }

    private static KafkaShareConsumer<String, String> member(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", GROUP);
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        return new KafkaShareConsumer<>(props);
    }

    private static void produce(String bootstrap, int from, int count) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        try (KafkaProducer<String, String> p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            for (int i = from; i < from + count; i++) {
                p.send(new ProducerRecord<>(TOPIC, i % 3, null, "v" + i));
            }
            p.flush();
        }
    }

    /** Polls both members and confirms each batch's acknowledgement, until {@code total} records were seen. */
    private static void consume(List<KafkaShareConsumer<String, String>> members, Deliveries d, int total,
                                Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (d.seen.size() < total && System.nanoTime() < deadline) {
            for (KafkaShareConsumer<String, String> m : members) {
                ConsumerRecords<String, String> records = m.poll(Duration.ofMillis(100));
                List<Key> got = new ArrayList<>();
                for (ConsumerRecord<String, String> r : records) {
                    Key k = new Key(r.partition(), r.offset());
                    if (d.acknowledged.contains(k)) {
                        d.againAfterAcknowledged.add(k + " delivery " + r.deliveryCount().orElse((short) -1));
                    }
                    d.seen.merge(k, 1, Integer::sum);
                    got.add(k);
                }
                if (got.isEmpty()) {
                    continue;
                }
                Map<TopicIdPartition, java.util.Optional<KafkaException>> result;
                try {
                    result = m.commitSync(Duration.ofSeconds(10));
                } catch (KafkaException e) {
                    continue;
                }
                for (Key k : got) {
                    boolean confirmed = result.entrySet().stream().anyMatch(e ->
                        e.getKey().partition() == k.partition() && e.getValue().isEmpty());
                    if (confirmed) {
                        d.acknowledged.add(k);
                    }
                }
            }
        }
    }

    @Test
    void aShareGroupReadsEveryRecordAcrossALeaderFailover() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, "group.share.heartbeat.interval.ms=500",
            "group.share.min.heartbeat.interval.ms=500", "group.share.assignment.interval.ms=0",
            "share.coordinator.state.topic.num.partitions=3", "offsets.topic.num.partitions=3")) {
            cluster.admin().createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3))).all().get(60, TimeUnit.SECONDS);
            cluster.admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, GROUP),
                List.of(new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"),
                    AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitTopicOnEveryBroker(TOPIC);
            produce(cluster.bootstrapServers(), 0, 300);

            Deliveries d = new Deliveries();
            try (KafkaShareConsumer<String, String> a = member(cluster.bootstrapServers());
                 KafkaShareConsumer<String, String> b = member(cluster.bootstrapServers())) {
                a.subscribe(List.of(TOPIC));
                b.subscribe(List.of(TOPIC));
                consume(List.of(a, b), d, 300, Duration.ofSeconds(90));
                assertEquals(300, d.seen.size(), "every record before the failover");

                int leader = cluster.leaderOf(TOPIC, 0);
                cluster.awaitFullIsr(TOPIC);
                cluster.awaitFullIsr("__share_group_state");
                cluster.kill(leader);
                produce(cluster.bootstrapServers(), 300, 300);
                consume(List.of(a, b), d, 600, Duration.ofSeconds(120));
            }
            assertEquals(600, d.seen.size(), "every record, before and after the leader of partition 0 died");
            assertTrue(d.againAfterAcknowledged.isEmpty(),
                "delivered again after its acknowledgement was confirmed: " + d.againAfterAcknowledged);
        }
    }
}
