package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Share groups when things die: a member killed with SIGKILL gives its records back at once (its
 * connection closes), and a broker killed with SIGKILL comes back with the group's progress:
 * acknowledged records never again, released ones with their delivery count, and acquired ones
 * (never written) delivered again.
 */
class ShareGroupRecoveryTest {
    private static final String[] FAST = {"group.share.heartbeat.interval.ms=200",
        "group.share.min.heartbeat.interval.ms=200", "group.share.assignment.interval.ms=0",
        "offsets.topic.num.partitions=3", "share.coordinator.state.topic.num.partitions=3"};

    @TempDir
    Path dataDir;

    private static void fromEarliest(Admin admin, String bootstrap, String topic, String group, int records)
            throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
            new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get();
        KafkaClients.produce(Map.of("bootstrap.servers", bootstrap), topic,
            IntStream.range(0, records).mapToObj(i -> "r" + i).toList());
    }

    private static KafkaShareConsumer<String, String> consumer(String bootstrap, String group, boolean explicit) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", group);
        props.put("share.acknowledgement.mode", explicit ? "explicit" : "implicit");
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        return new KafkaShareConsumer<>(props);
    }

    /** Every record a new member of {@code group} gets within {@code limit}, offset to delivery count, until {@code count}. */
    private static Map<Long, Integer> drain(String bootstrap, String group, int count, Duration limit) {
        Map<Long, Integer> got = new TreeMap<>();
        try (KafkaShareConsumer<String, String> c = consumer(bootstrap, group, false)) {
            c.subscribe(List.of("work"));
            long deadline = System.nanoTime() + limit.toNanos();
            while (got.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    got.put(r.offset(), r.deliveryCount().orElseThrow().intValue());
                }
            }
            c.commitSync();
        }
        return got;
    }

    @Test
    void aKilledMembersRecordsGoToAnotherMemberAtOnce() throws Exception {
        SluiceBroker.Builder builder = SluiceBroker.builder().dataDir(dataDir).port(0);
        for (String kv : FAST) {
            String[] p = kv.split("=", 2);
            builder.config(p[0], p[1]);
        }
        try (SluiceBroker broker = builder.start(); Admin admin = KafkaClients.admin(broker)) {
            fromEarliest(admin, broker.bootstrapServers(), "work", "killed", 20);
            List<Long> held;
            long killedAt;
            try (JavaProcess holder = JavaProcess.start(ShareRecordHolder.class, broker.bootstrapServers(), "work",
                    "killed")) {
                held = Arrays.stream(holder.await("holding", Duration.ofSeconds(60)).split(" "))
                    .filter(s -> !s.isBlank()).map(Long::parseLong).toList();
                assertFalse(held.isEmpty());
                holder.kill();
                killedAt = System.nanoTime();
            }
            Map<Long, Integer> got = drain(broker.bootstrapServers(), "killed", 20, Duration.ofSeconds(25));
            assertEquals(20, got.size(), "every record, the killed member's too: " + got);
            assertTrue(System.nanoTime() - killedAt < Duration.ofSeconds(25).toNanos(),
                "well before the 30 s record lock runs out");
            held.forEach(o -> assertEquals(2, got.get(o), "offset " + o + " was delivered to the killed member"));
        }
    }

    @Test
    void aBrokerKilledAndRestartedKeepsTheGroupsProgress() throws Exception {
        try (BrokerProcess first = BrokerProcess.start(dataDir, BrokerProcess.freePort(), FAST);
             Admin admin = KafkaClients.admin(first.bootstrapServers())) {
            fromEarliest(admin, first.bootstrapServers(), "work", "durable", 30);
            KafkaShareConsumer<String, String> c = consumer(first.bootstrapServers(), "durable", true);
            c.subscribe(List.of("work"));
            Map<Long, Integer> first30 = new TreeMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (first30.size() < 30 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    first30.put(r.offset(), r.deliveryCount().orElseThrow().intValue());
                    // 0-9 done, 10-19 back to the group, 20-29 kept acquired and never acknowledged.
                    if (r.offset() < 20) {
                        c.acknowledge(r, r.offset() < 10 ? AcknowledgeType.ACCEPT : AcknowledgeType.RELEASE);
                    }
                }
                if (first30.size() >= 30) {
                    break;
                }
            }
            assertEquals(30, first30.size(), first30.toString());
            c.commitSync(Duration.ofSeconds(10)).values().forEach(e -> assertFalse(e.isPresent(), e.toString()));
            first.kill();
            c.close(Duration.ZERO);
        }
        try (BrokerProcess second = BrokerProcess.start(dataDir, BrokerProcess.freePort(), FAST)) {
            Map<Long, Integer> got = drain(second.bootstrapServers(), "durable", 20, Duration.ofSeconds(60));
            Map<Long, Integer> expected = new TreeMap<>();
            for (long o = 10; o < 30; o++) {
                expected.put(o, o < 20 ? 2 : 1);
            }
            assertEquals(expected, got, "acknowledged records never again; released ones counted; acquired ones"
                + " (never written) as if new");
        }
    }
}
