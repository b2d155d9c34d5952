package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A consumer group of the Java client on a three-process cluster while the broker coordinating it
 * (the leader of the group's {@code __consumer_offsets} partition) is killed with SIGKILL: the
 * group finds the new coordinator, goes on consuming, and no committed offset is lost. Run with
 * both group protocols: the classic one and KIP-848's {@code consumer}.
 */
class ClusterGroupFailoverTest {
    private static final String TOPIC = "orders";
    private static final int PARTITIONS = 3;
    private static final int RECORDS = 600;
    private static final int OFFSETS_PARTITIONS = 5;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void groupFollowsItsCoordinatorToAnotherBrokerAndKeepsEveryCommittedOffset(String protocol) throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, "offsets.topic.replication.factor=3",
            "offsets.topic.num.partitions=" + OFFSETS_PARTITIONS, "group.initial.rebalance.delay.ms=0")) {
            followsItsCoordinator(cluster, protocol);
        }
    }

    private static void followsItsCoordinator(ProcessCluster cluster, String protocol) throws Exception {
        cluster.admin().createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3))).all().get(60, TimeUnit.SECONDS);
        cluster.awaitFullIsr(TOPIC);
        produce(cluster);
        String group = "failover-" + protocol;
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10");
        Map<TopicPartition, Long> consumedUpTo = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            consumeAndCommit(consumer, consumedUpTo, RECORDS / 3, Map.of());
            cluster.awaitFullIsr("__consumer_offsets");

            int coordinator = cluster.admin().describeConsumerGroups(List.of(group)).describedGroups().get(group)
                .get(10, TimeUnit.SECONDS).coordinator().id();
            int offsetsPartition = Utils.abs(group.hashCode()) % OFFSETS_PARTITIONS;
            assertEquals(cluster.leaderOf("__consumer_offsets", offsetsPartition), coordinator,
                "FindCoordinator answers the leader of __consumer_offsets-" + offsetsPartition);
            Map<TopicPartition, Long> committedBefore = committed(cluster, group);
            assertEquals(consumedUpTo, committedBefore, "what the group committed before the kill");

            cluster.kill(coordinator);
            consumeAndCommit(consumer, consumedUpTo, RECORDS, committedBefore);

            int next = cluster.admin().describeConsumerGroups(List.of(group)).describedGroups().get(group)
                .get(10, TimeUnit.SECONDS).coordinator().id();
            assertNotEquals(coordinator, next, "the group moved to another coordinator");
            assertEquals(cluster.leaderOf("__consumer_offsets", offsetsPartition), next,
                "the new coordinator leads __consumer_offsets-" + offsetsPartition);
            Map<TopicPartition, Long> committedAfter = committed(cluster, group);
            for (int p = 0; p < PARTITIONS; p++) {
                TopicPartition tp = new TopicPartition(TOPIC, p);
                assertEquals(RECORDS / PARTITIONS, committedAfter.get(tp), "committed offset of " + tp + " at the end");
            }
        }
    }

    private static void produce(ProcessCluster cluster) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
            new StringSerializer())) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, "k" + i, "v" + i));
            }
            producer.flush();
        }
    }

    /**
     * Polls and commits what each poll returned until {@code total} records have been consumed.
     * Every record must come at or after what was committed for its partition in {@code floor}: a
     * group that lost its offsets would start again from the earliest offset.
     */
    private static void consumeAndCommit(KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> consumedUpTo,
                                         int total, Map<TopicPartition, Long> floor) throws Exception {
        ProcessCluster.poll(Duration.ofSeconds(120), total + " records consumed (so far " + consumedUpTo + ")", () -> {
            ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
            for (ConsumerRecord<String, String> r : records) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                assertTrue(r.offset() >= floor.getOrDefault(tp, 0L),
                    tp + " offset " + r.offset() + " consumed again below the committed " + floor.get(tp));
                consumedUpTo.merge(tp, r.offset() + 1, Math::max);
            }
            if (!records.isEmpty()) {
                Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
                consumedUpTo.forEach((tp, offset) -> commit.put(tp, new OffsetAndMetadata(offset)));
                try {
                    consumer.commitSync(commit, Duration.ofSeconds(30));
                } catch (KafkaException e) {
                    // The coordinator died under the commit: everything consumed is committed again next time.
                    return false;
                }
            }
            return consumedUpTo.values().stream().mapToLong(Long::longValue).sum() >= total;
        });
    }

    private static Map<TopicPartition, Long> committed(ProcessCluster cluster, String group) throws Exception {
        Map<TopicPartition, Long> offsets = new TreeMap<>((a, b) -> Integer.compare(a.partition(), b.partition()));
        cluster.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
            .forEach((tp, o) -> offsets.put(tp, o.offset()));
        return new HashMap<>(offsets);
    }
}
