package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official Java client's group consumer against an embedded broker: classic groups (eager
 * and cooperative rebalancing, static membership, a member that vanishes without leaving) and
 * KIP-848 consumer groups, committed offsets and the Admin client's group operations.
 */
@SluiceTest(config = {"group.initial.rebalance.delay.ms=0", "offsets.topic.num.partitions=10"})
class GroupConsumerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    static SluiceBroker broker;
    private static Admin admin;

    @BeforeAll
    static void start() {
        admin = KafkaClients.admin(broker);
    }

    @AfterAll
    static void stop() {
        admin.close();
    }

    private static void createTopic(String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }

    private static void produce(String topic, int partitions, int from, int count) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
            new StringSerializer())) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, i % partitions, "k" + i, "v" + i));
            }
            producer.flush();
        }
    }

    private static KafkaConsumer<String, String> consumer(String group, Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.putAll(extra);
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    private static Map<String, Object> classic(Class<?> assignor) {
        return Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
            ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.getName(),
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000", ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    }

    private static final Map<String, Object> CONSUMER_PROTOCOL = Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");

    /** Polls until {@code values} holds {@code count} records; returns those read in this call. */
    private static List<ConsumerRecord<String, String>> readAtLeast(KafkaConsumer<String, String> consumer, int count) {
        List<ConsumerRecord<String, String>> read = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (read.size() < count) {
            assertTrue(System.nanoTime() < deadline, "read only " + read.size() + " of " + count + " records");
            consumer.poll(Duration.ofMillis(100)).forEach(read::add);
        }
        return read;
    }

    private static void pollUntil(BooleanSupplier done, String what, List<KafkaConsumer<String, String>> consumers) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            for (KafkaConsumer<String, String> c : consumers) {
                c.poll(Duration.ofMillis(50));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void groupReadsEverythingThenResumesAfterItsCommittedOffsets(String protocol) throws Exception {
        String topic = "resume-" + protocol;
        String group = "resume-group-" + protocol;
        createTopic(topic, 3);
        produce(topic, 3, 0, 90);
        Map<String, Object> props = protocol.equals("classic") ? classic(RangeAssignor.class) : CONSUMER_PROTOCOL;
        try (KafkaConsumer<String, String> consumer = consumer(group, props)) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> read = readAtLeast(consumer, 90);
            assertEquals(90, read.size());
            consumer.commitSync();
        }
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata().get();
        for (int p = 0; p < 3; p++) {
            assertEquals(30, committed.get(new TopicPartition(topic, p)).offset());
        }
        produce(topic, 3, 90, 30);
        try (KafkaConsumer<String, String> consumer = consumer(group, props)) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> read = readAtLeast(consumer, 30);
            Set<String> values = new HashSet<>();
            read.forEach(r -> values.add(r.value()));
            assertEquals(30, read.size(), "only the records after the committed offsets");
            for (int i = 90; i < 120; i++) {
                assertTrue(values.contains("v" + i));
            }
            consumer.commitSync();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"eager", "cooperative", "consumer"})
    void membersSplitThePartitionsAndTheSurvivorTakesThemAllWhenOneLeaves(String mode) throws Exception {
        String topic = "split-" + mode;
        String group = "split-group-" + mode;
        createTopic(topic, 4);
        Map<String, Object> props = switch (mode) {
            case "eager" -> classic(RangeAssignor.class);
            case "cooperative" -> classic(CooperativeStickyAssignor.class);
            default -> CONSUMER_PROTOCOL;
        };
        KafkaConsumer<String, String> a = consumer(group, props);
        KafkaConsumer<String, String> b = consumer(group, props);
        try {
            a.subscribe(List.of(topic));
            b.subscribe(List.of(topic));
            pollUntil(() -> a.assignment().size() == 2 && b.assignment().size() == 2, "each member has two partitions",
                List.of(a, b));
            Set<TopicPartition> union = new HashSet<>(a.assignment());
            union.addAll(b.assignment());
            assertEquals(4, union.size(), "the members own disjoint partitions");

            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            assertEquals(2, description.members().size());
            assertEquals(GroupState.STABLE, description.groupState());

            b.close();
            pollUntil(() -> a.assignment().size() == 4, "the survivor owns every partition", List.of(a));
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void aStaticMemberThatVanishesLosesItsPartitionsAfterTheSessionTimeoutAndNoRecordIsLost() throws Exception {
        String topic = "vanish";
        String group = "vanish-group";
        createTopic(topic, 2);
        produce(topic, 2, 0, 40);
        Map<String, Object> a = new HashMap<>(classic(RangeAssignor.class));
        a.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-a");
        Map<String, Object> b = new HashMap<>(classic(RangeAssignor.class));
        b.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-b");
        KafkaConsumer<String, String> first = consumer(group, a);
        KafkaConsumer<String, String> second = consumer(group, b);
        Set<String> seen = new HashSet<>();
        try {
            first.subscribe(List.of(topic));
            second.subscribe(List.of(topic));
            pollUntil(() -> first.assignment().size() == 1 && second.assignment().size() == 1, "one partition each",
                List.of(first, second));
            // The first member reads its partition and commits half of it, then vanishes: a static
            // member sends no LeaveGroup when it closes, so only its session timeout frees the partition.
            TopicPartition lost = first.assignment().iterator().next();
            first.seek(lost, 0);
            first.commitSync(Map.of(lost, new OffsetAndMetadata(10)));
            first.close();
            long closed = System.nanoTime();
            pollUntil(() -> second.assignment().size() == 2, "the survivor owns both partitions", List.of(second));
            assertTrue(System.nanoTime() - closed >= Duration.ofSeconds(4).toNanos(),
                "the partition moved only after the session timeout");
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            int fromLost = 0;
            while (fromLost < 10 || seen.size() < 30) {
                assertTrue(System.nanoTime() < deadline, "records missing: " + seen.size());
                for (ConsumerRecord<String, String> r : second.poll(Duration.ofMillis(100))) {
                    seen.add(r.value());
                    if (r.partition() == lost.partition()) {
                        fromLost++;
                        assertTrue(r.offset() >= 10, "the survivor starts at the vanished member's commit");
                    }
                }
            }
            assertEquals(10, fromLost);
        } finally {
            first.close();
            second.close();
        }
    }

    @Test
    void aStaticMemberRestartingWithTheSameInstanceIdKeepsItsAssignmentWithoutARebalance() throws Exception {
        String topic = "static-restart";
        String group = "static-restart-group";
        createTopic(topic, 2);
        Map<String, Object> props = new HashMap<>(classic(RangeAssignor.class));
        props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-1");
        Map<String, Object> other = new HashMap<>(classic(RangeAssignor.class));
        other.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-2");
        KafkaConsumer<String, String> stays = consumer(group, other);
        KafkaConsumer<String, String> restarts = consumer(group, props);
        try {
            stays.subscribe(List.of(topic));
            restarts.subscribe(List.of(topic));
            pollUntil(() -> stays.assignment().size() == 1 && restarts.assignment().size() == 1, "one partition each",
                List.of(stays, restarts));
            Set<TopicPartition> before = Set.copyOf(restarts.assignment());
            restarts.close();
            KafkaConsumer<String, String> again = consumer(group, props);
            try {
                again.subscribe(List.of(topic));
                pollUntil(() -> !again.assignment().isEmpty(), "the restarted instance has its partition", List.of(again));
                assertEquals(before, again.assignment());
                stays.poll(Duration.ofMillis(200));
                assertEquals(1, stays.assignment().size(), "the other member kept its partition");
                Set<String> ids = new HashSet<>();
                admin.describeConsumerGroups(List.of(group)).all().get().get(group).members()
                    .forEach(m -> ids.add(m.groupInstanceId().orElseThrow()));
                assertEquals(Set.of("instance-1", "instance-2"), ids);
            } finally {
                again.close();
            }
        } finally {
            stays.close();
            restarts.close();
        }
    }

    @Test
    void aStaticLeaderRestartingGetsItsAssignmentBackWithoutARebalance() throws Exception {
        String topic = "static-leader-restart";
        String group = "static-leader-restart-group";
        createTopic(topic, 2);
        Map<String, Object> leaderProps = new HashMap<>(classic(RangeAssignor.class));
        leaderProps.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "leader-instance");
        Map<String, Object> followerProps = new HashMap<>(classic(RangeAssignor.class));
        followerProps.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "follower-instance");
        KafkaConsumer<String, String> leader = consumer(group, leaderProps);
        KafkaConsumer<String, String> follower = consumer(group, followerProps);
        try {
            leader.subscribe(List.of(topic));
            pollUntil(() -> leader.assignment().size() == 2, "the first member, the leader, has both partitions",
                List.of(leader));
            follower.subscribe(List.of(topic));
            pollUntil(() -> leader.assignment().size() == 1 && follower.assignment().size() == 1, "one partition each",
                List.of(leader, follower));
            Set<TopicPartition> before = Set.copyOf(leader.assignment());
            int generation = follower.groupMetadata().generationId();
            leader.close();
            KafkaConsumer<String, String> again = consumer(group, leaderProps);
            try {
                again.subscribe(List.of(topic));
                pollUntil(() -> !again.assignment().isEmpty(), "the restarted leader has its partition",
                    List.of(again, follower));
                assertEquals(before, again.assignment(), "JoinGroup v9 SkipAssignment (KIP-814)");
                // Several heartbeats of the follower: a rebalance would show in them.
                long until = System.nanoTime() + Duration.ofMillis(2_000).toNanos();
                while (System.nanoTime() < until) {
                    follower.poll(Duration.ofMillis(100));
                    again.poll(Duration.ofMillis(100));
                }
                assertEquals(generation, follower.groupMetadata().generationId(), "no new generation");
                assertEquals(generation, again.groupMetadata().generationId());
                assertEquals(1, follower.assignment().size(), "the follower kept its partition");
            } finally {
                again.close();
            }
        } finally {
            follower.close();
            leader.close();
        }
    }

    @Test
    void aConsumerGroupStaticMemberThatLeavesKeepsItsPartitionsForItsInstanceToTakeBack() throws Exception {
        String topic = "static-848";
        String group = "static-848-group";
        createTopic(topic, 4);
        Map<String, Object> props = new HashMap<>(CONSUMER_PROTOCOL);
        props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-848");
        KafkaConsumer<String, String> stays = consumer(group, CONSUMER_PROTOCOL);
        KafkaConsumer<String, String> restarts = consumer(group, props);
        try {
            stays.subscribe(List.of(topic));
            restarts.subscribe(List.of(topic));
            pollUntil(() -> stays.assignment().size() == 2 && restarts.assignment().size() == 2, "two partitions each",
                List.of(stays, restarts));
            Set<TopicPartition> kept = Set.copyOf(stays.assignment());
            Set<TopicPartition> before = Set.copyOf(restarts.assignment());
            int epoch = admin.describeConsumerGroups(List.of(group)).all().get().get(group).groupEpoch().orElseThrow();
            // A static member leaves with epoch -2: it keeps its place and partitions for its instance.
            restarts.close();
            ConsumerGroupDescription away = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            assertEquals(epoch, away.groupEpoch().orElseThrow(), "a static member's leave is no rebalance");
            assertTrue(away.members().stream().anyMatch(m -> m.groupInstanceId().equals(Optional.of("instance-848"))
                && m.memberEpoch().equals(Optional.of(-2))), "the departed static member keeps its place: " + away);
            stays.poll(Duration.ofMillis(200));
            assertEquals(kept, stays.assignment(), "the other member's assignment while the instance is away");
            KafkaConsumer<String, String> again = consumer(group, props);
            try {
                again.subscribe(List.of(topic));
                pollUntil(() -> !again.assignment().isEmpty(), "the instance has its partitions back", List.of(again));
                assertEquals(before, again.assignment());
                stays.poll(Duration.ofMillis(200));
                assertEquals(kept, stays.assignment(), "the other member saw no rebalance");
                assertEquals(epoch, admin.describeConsumerGroups(List.of(group)).all().get().get(group).groupEpoch()
                    .orElseThrow(), "the instance took its place back without a rebalance");
            } finally {
                again.close();
            }
        } finally {
            stays.close();
            restarts.close();
        }
    }

    @Test
    void adminListsDescribesAltersAndDeletesGroupsAndOffsets() throws Exception {
        String topic = "admin-groups";
        String group = "admin-group";
        createTopic(topic, 2);
        produce(topic, 2, 0, 20);
        try (KafkaConsumer<String, String> consumer = consumer(group, classic(RangeAssignor.class))) {
            consumer.subscribe(List.of(topic));
            readAtLeast(consumer, 20);
            consumer.commitSync();
            Set<String> listed = new HashSet<>();
            for (GroupListing g : admin.listGroups().all().get()) {
                listed.add(g.groupId());
            }
            assertTrue(listed.contains(group));
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> admin.deleteConsumerGroups(List.of(group)).all().get());
            assertTrue(refused.getCause() instanceof GroupNotEmptyException, refused.toString());
        }
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        admin.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(3, "reset by admin"))).all().get();
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata().get();
        assertEquals(3, offsets.get(p0).offset());
        assertEquals("reset by admin", offsets.get(p0).metadata());
        assertEquals(10, offsets.get(p1).offset());
        admin.deleteConsumerGroupOffsets(group, Set.of(p1)).all().get();
        offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        assertFalse(offsets.containsKey(p1) && offsets.get(p1) != null, "offset of partition 1 deleted: " + offsets);
        admin.deleteConsumerGroups(List.of(group)).all().get();
        Set<String> listed = new HashSet<>();
        for (GroupListing g : admin.listGroups().all().get()) {
            listed.add(g.groupId());
        }
        assertFalse(listed.contains(group));
    }
}
