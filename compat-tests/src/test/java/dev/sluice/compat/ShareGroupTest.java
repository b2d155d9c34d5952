package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Share groups (KIP-932) with Kafka 4.4's {@link KafkaShareConsumer}: several members on one
 * partition each get their own records, acknowledged records never come back, released ones do
 * with a higher delivery count, a member that goes away gives its records back, a record is
 * archived after the delivery count limit, and the group's progress survives a restart.
 */
class ShareGroupTest {
    @TempDir
    Path dataDir;

    /** A broker whose share groups heartbeat quickly, so that members get their partitions within a second. */
    private SluiceBroker start() throws Exception {
        return SluiceBroker.builder().dataDir(dataDir).port(0)
            .config("group.share.heartbeat.interval.ms", "200")
            .config("group.share.min.heartbeat.interval.ms", "200")
            .config("group.share.assignment.interval.ms", "0")
            .config("group.share.min.record.lock.duration.ms", "1000")
            .start();
    }

    private static void groupConfig(Admin admin, String group, Map<String, String> values) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        List<AlterConfigOp> ops = new ArrayList<>();
        values.forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
        admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get();
    }

    private static KafkaShareConsumer<String, String> consumer(SluiceBroker broker, String group, boolean explicit) {
        Properties props = new Properties();
        props.put("bootstrap.servers", broker.bootstrapServers());
        props.put("group.id", group);
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        props.put("share.acknowledgement.mode", explicit ? "explicit" : "implicit");
        return new KafkaShareConsumer<>(props);
    }

    private static List<String> values(int n) {
        return IntStream.range(0, n).mapToObj(i -> "v" + i).toList();
    }

    @Test
    void twoMembersOfOneGroupShareAPartitionAndEachRecordIsAcknowledgedOnce() throws Exception {
        try (SluiceBroker broker = start(); Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("queue", 1, (short) 1))).all().get();
            groupConfig(admin, "workers", Map.of("share.auto.offset.reset", "earliest"));
            KafkaClients.produce(Map.of("bootstrap.servers", broker.bootstrapServers()), "queue", values(2000));

            Map<Long, String> seen = new ConcurrentHashMap<>();
            List<Long> twice = java.util.Collections.synchronizedList(new ArrayList<>());
            Map<String, Integer> perMember = new ConcurrentHashMap<>();
            try (KafkaShareConsumer<String, String> a = consumer(broker, "workers", false);
                 KafkaShareConsumer<String, String> b = consumer(broker, "workers", false)) {
                a.subscribe(List.of("queue"));
                b.subscribe(List.of("queue"));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (seen.size() < 2000 && System.nanoTime() < deadline) {
                    for (var entry : Map.of("a", a, "b", b).entrySet()) {
                        for (ConsumerRecord<String, String> r : entry.getValue().poll(Duration.ofMillis(100))) {
                            if (seen.putIfAbsent(r.offset(), r.value()) != null) {
                                twice.add(r.offset());
                            }
                            assertEquals(1, r.deliveryCount().orElseThrow().intValue(), "record " + r.offset());
                            perMember.merge(entry.getKey(), 1, Integer::sum);
                        }
                    }
                }
                // Implicit acknowledgement takes effect at the next poll or commit, not at close:
                // the last records each member got are acknowledged here.
                a.commitSync();
                b.commitSync();
                Map<String, ShareGroupDescription> described = admin.describeShareGroups(List.of("workers")).all().get();
                ShareGroupDescription d = described.get("workers");
                assertEquals(GroupState.STABLE, d.groupState());
                assertEquals(2, d.members().size());
                d.members().forEach(m -> assertEquals(1, m.assignment().topicPartitions().size(), m.toString()));
            }
            assertEquals(2000, seen.size(), "every record delivered");
            assertTrue(twice.isEmpty(), "delivered twice: " + twice);
            assertEquals(values(2000), new ArrayList<>(new TreeMap<>(seen).values()));
            assertTrue(perMember.getOrDefault("a", 0) > 0 && perMember.getOrDefault("b", 0) > 0,
                "both members got records: " + perMember);

            // All acknowledged: the group, now empty, has nothing left to hand out.
            try (KafkaShareConsumer<String, String> c = consumer(broker, "workers", false)) {
                c.subscribe(List.of("queue"));
                long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (System.nanoTime() < until) {
                    List<String> back = new ArrayList<>();
                    c.poll(Duration.ofMillis(200)).forEach(r -> back.add(r.offset() + "/" + r.deliveryCount().orElse((short) -1)));
                    assertTrue(back.isEmpty(), "acknowledged records came back: " + back);
                }
            }
            ShareGroupDescription empty = admin.describeShareGroups(List.of("workers")).all().get().get("workers");
            assertEquals(GroupState.EMPTY, empty.groupState());
        }
    }

    @Test
    void releasedRecordsComeBackWithAHigherDeliveryCountAndRejectedOnesNever() throws Exception {
        try (SluiceBroker broker = start(); Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("jobs", 1, (short) 1))).all().get();
            groupConfig(admin, "explicit", Map.of("share.auto.offset.reset", "earliest"));
            KafkaClients.produce(Map.of("bootstrap.servers", broker.bootstrapServers()), "jobs", values(10));
            Map<Long, List<Integer>> deliveries = new TreeMap<>();
            try (KafkaShareConsumer<String, String> c = consumer(broker, "explicit", true)) {
                c.subscribe(List.of("jobs"));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                boolean threw = false;
                while (System.nanoTime() < deadline && !done(deliveries)) {
                    var records = c.poll(Duration.ofMillis(200));
                    for (ConsumerRecord<String, String> r : records) {
                        int count = r.deliveryCount().orElseThrow();
                        deliveries.computeIfAbsent(r.offset(), k -> new ArrayList<>()).add(count);
                        // Even offsets accepted at once; odd ones released once, then accepted;
                        // offset 9 rejected.
                        AcknowledgeType type = r.offset() == 9 ? AcknowledgeType.REJECT
                            : r.offset() % 2 == 0 || count > 1 ? AcknowledgeType.ACCEPT : AcknowledgeType.RELEASE;
                        if (!records.isEmpty() && !threw && r.offset() == 0) {
                            // Polling with a record unacknowledged is refused in explicit mode.
                            threw = true;
                            assertThrows(IllegalStateException.class, () -> c.poll(Duration.ZERO));
                        }
                        c.acknowledge(r, type);
                    }
                    if (!records.isEmpty()) {
                        Map<?, ?> result = c.commitSync();
                        result.values().forEach(o -> assertFalse(((java.util.Optional<?>) o).isPresent(), result.toString()));
                    }
                }
            }
            for (long offset = 0; offset < 9; offset++) {
                assertEquals(offset % 2 == 0 ? List.of(1) : List.of(1, 2), deliveries.get(offset), "offset " + offset);
            }
            assertEquals(List.of(1), deliveries.get(9L), "a rejected record is never delivered again");
        }
    }

    private static boolean done(Map<Long, List<Integer>> deliveries) {
        if (deliveries.size() < 10) {
            return false;
        }
        for (long offset = 1; offset < 9; offset += 2) {
            if (deliveries.get(offset).size() < 2) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aClosedMembersRecordsGoToAnotherAtOnceAndThePoisonRecordStopsAtTheLimit() throws Exception {
        try (SluiceBroker broker = start(); Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("tasks", 1, (short) 1))).all().get();
            groupConfig(admin, "limited", Map.of("share.auto.offset.reset", "earliest",
                "share.delivery.count.limit", "3"));
            KafkaClients.produce(Map.of("bootstrap.servers", broker.bootstrapServers()), "tasks", List.of("poison"));
            List<Integer> counts = new ArrayList<>();
            try (KafkaShareConsumer<String, String> c = consumer(broker, "limited", true)) {
                c.subscribe(List.of("tasks"));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < deadline && counts.size() < 3) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                        counts.add(r.deliveryCount().orElseThrow().intValue());
                        c.acknowledge(r, AcknowledgeType.RELEASE);
                    }
                    c.commitSync();
                }
                assertEquals(List.of(1, 2, 3), counts);
                long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < until) {
                    assertTrue(c.poll(Duration.ofMillis(200)).isEmpty(), "archived after 3 deliveries");
                }
            }

            // A member holding records without acknowledging them closes: the next member gets them
            // at once (its session closed), long before the 30 s lock would run out.
            KafkaClients.produce(Map.of("bootstrap.servers", broker.bootstrapServers()), "tasks", values(5));
            Set<Long> held = new java.util.HashSet<>();
            try (KafkaShareConsumer<String, String> first = consumer(broker, "limited", true)) {
                first.subscribe(List.of("tasks"));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (held.isEmpty() && System.nanoTime() < deadline) {
                    first.poll(Duration.ofMillis(200)).forEach(r -> held.add(r.offset()));
                }
                assertFalse(held.isEmpty());
            }
            Map<Long, Integer> redelivered = new HashMap<>();
            long started = System.nanoTime();
            try (KafkaShareConsumer<String, String> second = consumer(broker, "limited", false)) {
                second.subscribe(List.of("tasks"));
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (redelivered.size() < 5 && System.nanoTime() < deadline) {
                    second.poll(Duration.ofMillis(200)).forEach(r ->
                        redelivered.put(r.offset(), r.deliveryCount().orElseThrow().intValue()));
                }
            }
            assertEquals(5, redelivered.size(), "all five delivered to the second member: " + redelivered);
            assertTrue(System.nanoTime() - started < Duration.ofSeconds(20).toNanos());
            held.forEach(o -> assertEquals(2, redelivered.get(o), "offset " + o + " was delivered before"));
        }
    }

    @Test
    void recordsAHungMemberHoldsGoToAnotherWhenTheirLockRunsOut() throws Exception {
        try (SluiceBroker broker = start(); Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("locks", 1, (short) 1))).all().get();
            groupConfig(admin, "locking", Map.of("share.auto.offset.reset", "earliest",
                "share.record.lock.duration.ms", "2000"));
            KafkaClients.produce(Map.of("bootstrap.servers", broker.bootstrapServers()), "locks", values(5));
            try (KafkaShareConsumer<String, String> hung = consumer(broker, "locking", true);
                 KafkaShareConsumer<String, String> other = consumer(broker, "locking", false)) {
                hung.subscribe(List.of("locks"));
                List<ConsumerRecord<String, String>> held = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (held.isEmpty() && System.nanoTime() < deadline) {
                    hung.poll(Duration.ofMillis(200)).forEach(held::add);
                }
                assertEquals(5, held.size(), "the first member takes all five");
                long acquiredAt = System.nanoTime();
                // It keeps its connection and neither acknowledges nor polls: only the lock frees the records.
                other.subscribe(List.of("locks"));
                Map<Long, Integer> got = new HashMap<>();
                deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (got.size() < 5 && System.nanoTime() < deadline) {
                    other.poll(Duration.ofMillis(200)).forEach(r -> got.put(r.offset(), r.deliveryCount().orElseThrow()
                        .intValue()));
                }
                assertEquals(Map.of(0L, 2, 1L, 2, 2L, 2, 3L, 2, 4L, 2), got, "redelivered once the 2 s lock ran out");
                assertTrue(System.nanoTime() - acquiredAt >= Duration.ofMillis(1900).toNanos(), "not before the lock ran out");
                // The records are the other member's now: the first one's late acknowledgement is refused.
                held.forEach(r -> hung.acknowledge(r, AcknowledgeType.ACCEPT));
                Map<?, ?> result = hung.commitSync();
                assertTrue(result.values().stream().anyMatch(o -> ((java.util.Optional<?>) o).isPresent()),
                    "the first member's late acknowledgement is refused: " + result);
                other.commitSync();
            }
        }
    }

    @Test
    void inRecordLimitModeAMemberHoldsNoMoreThanItPollsAndTheRestOfABatchGoesToOthers() throws Exception {
        try (SluiceBroker broker = start(); Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("bulk", 1, (short) 1))).all().get();
            groupConfig(admin, "bulk", Map.of("share.auto.offset.reset", "earliest"));
            // One log batch of 100 records.
            Properties pp = new Properties();
            pp.put("bootstrap.servers", broker.bootstrapServers());
            pp.put("linger.ms", "60000");
            pp.put("batch.size", "1048576");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(),
                    new StringSerializer())) {
                values(100).forEach(v -> producer.send(new ProducerRecord<>("bulk", v)));
                producer.flush();
            }
            Properties limited = new Properties();
            limited.put("bootstrap.servers", broker.bootstrapServers());
            limited.put("group.id", "bulk");
            limited.put("key.deserializer", StringDeserializer.class.getName());
            limited.put("value.deserializer", StringDeserializer.class.getName());
            limited.put("share.acknowledgement.mode", "explicit");
            limited.put("share.acquire.mode", "record_limit");
            limited.put("max.poll.records", "10");
            try (KafkaShareConsumer<String, String> a = new KafkaShareConsumer<>(limited);
                 KafkaShareConsumer<String, String> b = consumer(broker, "bulk", false)) {
                a.subscribe(List.of("bulk"));
                List<ConsumerRecord<String, String>> held = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (held.isEmpty() && System.nanoTime() < deadline) {
                    a.poll(Duration.ofMillis(200)).forEach(held::add);
                }
                assertEquals(10, held.size(), "max.poll.records of a batch of 100");
                // The first member neither acknowledges nor polls again: it holds its ten only.
                b.subscribe(List.of("bulk"));
                Set<Long> got = new HashSet<>();
                deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (got.size() < 90 && System.nanoTime() < deadline) {
                    b.poll(Duration.ofMillis(200)).forEach(r -> assertTrue(got.add(r.offset()), "twice: " + r));
                }
                assertEquals(90, got.size(), "the other 90 records of the batch, well before the 30 s lock");
                held.forEach(r -> assertFalse(got.contains(r.offset()), "held by both: " + r));
                held.forEach(r -> a.acknowledge(r, AcknowledgeType.ACCEPT));
                a.commitSync();
            }
        }
    }
}
