package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online migration between the group protocols (KIP-848, {@code group.consumer.migration.policy}
 * bidirectional by default): a KIP-848 consumer joining a classic group with a member turns it
 * into a consumer group in which the classic member goes on with JoinGroup, SyncGroup and
 * Heartbeat and gives up half its partitions; when the KIP-848 member leaves, the group becomes a
 * classic group again and the classic member takes every partition back. Records keep flowing and
 * no partition is held by two members at once.
 */
class GroupMigrationTest {
    private static final String TOPIC = "migrating";
    private static final String GROUP = "migrating-group";

    @TempDir
    Path dataDir;

    private static KafkaConsumer<String, String> consumer(SluiceBroker broker, String protocol, String assignor) {
        Properties props = new Properties();
        props.put("bootstrap.servers", broker.bootstrapServers());
        props.put("group.id", GROUP);
        props.put("group.protocol", protocol);
        if (assignor != null) {
            props.put("partition.assignment.strategy", assignor);
            props.put("heartbeat.interval.ms", "200");
        }
        props.put("auto.offset.reset", "earliest");
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        return new KafkaConsumer<>(props);
    }

    /** Polls both until {@code done} holds, failing after a minute; checks no partition is held twice. */
    private static void pollUntil(List<KafkaConsumer<String, String>> consumers, Set<String> seen, BooleanSupplier done,
                                  String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within a minute: " + what);
            Set<TopicPartition> held = new HashSet<>();
            for (KafkaConsumer<String, String> c : consumers) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                    seen.add(r.value());
                }
                for (TopicPartition tp : c.assignment()) {
                    assertTrue(held.add(tp), tp + " held by two members at once");
                }
            }
        }
    }

    private static void produce(SluiceBroker broker, int from, int count) {
        Properties props = new Properties();
        props.put("bootstrap.servers", broker.bootstrapServers());
        try (KafkaProducer<String, String> p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            for (int i = from; i < from + count; i++) {
                p.send(new ProducerRecord<>(TOPIC, i % 4, null, "v" + i));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"org.apache.kafka.clients.consumer.RangeAssignor",
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"})
    void aClassicGroupBecomesAConsumerGroupAndBackWhileItsMemberConsumes(String assignor) throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().dataDir(dataDir).port(0).start();
             Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 4, (short) 1))).all().get();
            produce(broker, 0, 100);
            Set<String> seen = new HashSet<>();
            try (KafkaConsumer<String, String> classic = consumer(broker, "classic", assignor)) {
                classic.subscribe(List.of(TOPIC));
                pollUntil(List.of(classic), seen, () -> seen.size() == 100 && classic.assignment().size() == 4,
                    "the classic member alone consumes everything");
                assertEquals(GroupType.CLASSIC, describe(admin).type());

                try (KafkaConsumer<String, String> modern = consumer(broker, "consumer", null)) {
                    modern.subscribe(List.of(TOPIC));
                    produce(broker, 100, 100);
                    pollUntil(List.of(classic, modern), seen, () -> seen.size() == 200
                        && classic.assignment().size() == 2 && modern.assignment().size() == 2,
                        "two members, two partitions each");
                    ConsumerGroupDescription upgraded = describe(admin);
                    assertEquals(GroupType.CONSUMER, upgraded.type(), upgraded.toString());
                    assertEquals(2, upgraded.members().size(), upgraded.toString());
                    classic.commitSync();
                    modern.commitSync();
                }

                produce(broker, 200, 100);
                pollUntil(List.of(classic), seen, () -> seen.size() == 300 && classic.assignment().size() == 4,
                    "the classic member takes every partition back");
                ConsumerGroupDescription downgraded = describe(admin);
                assertEquals(GroupType.CLASSIC, downgraded.type(), downgraded.toString());
                classic.commitSync();
                Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get();
                assertEquals(300, committed.values().stream().mapToLong(o -> o.offset()).sum(), committed.toString());
            }
        }
    }

    private static ConsumerGroupDescription describe(Admin admin) throws Exception {
        return admin.describeConsumerGroups(List.of(GROUP)).all().get().get(GROUP);
    }
}
