package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import dev.sluice.compat.oldclient.IsolatedKafkaClient;
import dev.sluice.compat.oldclient.api.ClientDriver;
import dev.sluice.compat.oldclient.api.ClientDriver.Consumed;
import dev.sluice.compat.oldclient.api.ClientDriver.Consumer;
import dev.sluice.compat.oldclient.api.ClientDriver.Partition;
import dev.sluice.compat.oldclient.api.ClientDriver.Producer;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Older releases of the Java client (2.8 and 3.6, each on its own class loader, see
 * {@link IsolatedKafkaClient}) against an embedded broker: producing with every codec and reading
 * back with assigned partitions, at the newest API versions each release speaks; and, in
 * {@link ConsumerGroups}, a group that resumes from committed offsets and two members that split
 * a topic. Users upgrade brokers before clients, so these are the clients a new broker meets first.
 */
@SluiceTest(config = "group.initial.rebalance.delay.ms=0")
class OldClientTest {
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

    static List<String> releases() {
        return IsolatedKafkaClient.versions();
    }

    static List<Arguments> releasesAndCodecs() {
        List<Arguments> cases = new ArrayList<>();
        for (String release : releases()) {
            for (String codec : List.of("none", "gzip", "snappy", "lz4", "zstd")) {
                cases.add(Arguments.of(release, codec));
            }
        }
        return cases;
    }

    @Test
    void theBuildProvidesA2xAndA3xClient() {
        List<String> releases = releases();
        assertTrue(releases.stream().anyMatch(v -> v.startsWith("2.")), "releases: " + releases);
        assertTrue(releases.stream().anyMatch(v -> v.startsWith("3.")), "releases: " + releases);
    }

    @ParameterizedTest(name = "kafka-clients {0}")
    @MethodSource("releases")
    void theLoadedClientIsTheOldReleaseNotTheOneOnTheClasspath(String release) {
        ClientDriver client = IsolatedKafkaClient.load(release);
        assertEquals(release, client.version());
        assertNotEquals(release, AppInfoParser.getVersion(), "the test classpath's own kafka-clients");
    }

    @ParameterizedTest(name = "kafka-clients {0}, compression {1}")
    @MethodSource("releasesAndCodecs")
    void recordsProducedAreReadBackFromAssignedPartitions(String release, String codec) throws Exception {
        ClientDriver client = IsolatedKafkaClient.load(release);
        String topic = "old-" + release + "-" + codec;
        int partitions = 3;
        int perPartition = 50;
        createTopic(topic, partitions);
        try (Producer producer = client.producer(props("compression.type", codec, "linger.ms", "5"))) {
            for (int p = 0; p < partitions; p++) {
                assertEquals(offsetsUpTo(perPartition), producer.send(topic, p, values(p, 0, perPartition)));
            }
        }
        List<Partition> all = partitionsOf(topic, partitions);
        List<Consumed> read = new ArrayList<>();
        try (Consumer consumer = client.consumer(props("auto.offset.reset", "earliest", "enable.auto.commit", "false"))) {
            consumer.assign(all);
            pollUntil(consumer, read, partitions * perPartition);
        }
        assertEquals(partitions * perPartition, read.size());
        for (int p = 0; p < partitions; p++) {
            Partition partition = all.get(p);
            List<Consumed> of = read.stream().filter(r -> r.partition().equals(partition)).toList();
            assertEquals(offsetsUpTo(perPartition), of.stream().map(Consumed::offset).toList());
            assertEquals(values(p, 0, perPartition), of.stream().map(Consumed::value).toList());
        }
    }

    @ParameterizedTest(name = "kafka-clients {0}")
    @MethodSource("releases")
    void theBrokerServesTheNewestVersionsTheClientSpeaks(String release) throws Exception {
        ClientDriver client = IsolatedKafkaClient.load(release);
        List<String> apis = List.of("ApiVersions", "Metadata", "Produce", "ListOffsets", "Fetch");
        Map<String, Double> before = requestsAtClientVersions(client, apis);
        String topic = "versions-" + release;
        createTopic(topic, 1);
        try (Producer producer = client.producer(props())) {
            producer.send(topic, 0, List.of("one", "two"));
        }
        List<Consumed> read = new ArrayList<>();
        try (Consumer consumer = client.consumer(props("auto.offset.reset", "earliest", "enable.auto.commit", "false"))) {
            consumer.assign(partitionsOf(topic, 1));
            pollUntil(consumer, read, 2);
        }
        Map<String, Double> after = requestsAtClientVersions(client, apis);
        for (String api : apis) {
            assertTrue(after.get(api) > before.get(api),
                api + " v" + client.latestApiVersions().get(api) + " (kafka-clients " + release + "'s newest) was not served");
        }
    }

    /** Consumer groups through the old clients. */
    @Nested
    class ConsumerGroups {

        @ParameterizedTest(name = "kafka-clients {0}")
        @MethodSource("dev.sluice.compat.OldClientTest#releases")
        void theBrokerServesTheGroupApiVersionsTheClientSpeaks(String release) throws IOException {
            Map<String, Short> spoken = IsolatedKafkaClient.load(release).latestApiVersions();
            Map<Integer, String> served = CompatibilityLedgerTest.advertised(broker);
            Map<String, Integer> keys = Map.of("OffsetCommit", 8, "OffsetFetch", 9, "FindCoordinator", 10,
                "JoinGroup", 11, "Heartbeat", 12, "LeaveGroup", 13, "SyncGroup", 14);
            List<String> missing = new ArrayList<>();
            keys.forEach((api, key) -> {
                String range = served.get(key);
                short version = spoken.get(api);
                if (range == null || version < min(range) || version > max(range)) {
                    missing.add(api + " v" + version + " (served: " + range + ")");
                }
            });
            assertTrue(missing.isEmpty(), "kafka-clients " + release + " sends versions the broker does not serve: " + missing);
        }

        @ParameterizedTest(name = "kafka-clients {0}")
        @MethodSource("dev.sluice.compat.OldClientTest#releases")
        void aNewMemberResumesAfterTheOffsetsItsGroupCommitted(String release) throws Exception {
            ClientDriver client = IsolatedKafkaClient.load(release);
            String topic = "resume-" + release;
            String group = "resume-group-" + release;
            int partitions = 3;
            createTopic(topic, partitions);
            Set<Partition> all = Set.copyOf(partitionsOf(topic, partitions));
            try (Producer producer = client.producer(props())) {
                for (int p = 0; p < partitions; p++) {
                    producer.send(topic, p, values(p, 0, 20));
                }
            }
            List<Consumed> first = new ArrayList<>();
            try (Consumer consumer = client.consumer(groupMember(group))) {
                consumer.subscribe(List.of(topic));
                pollUntil(consumer, first, partitions * 20);
                consumer.commitSync();
                assertEquals(all, consumer.assignment());
                for (Partition p : all) {
                    assertEquals(20L, consumer.committed(all).get(p), "committed offset of " + p);
                }
            }
            assertEquals(partitions * 20, first.size());
            assertEquals(partitions * 20, first.stream().map(r -> r.partition() + "@" + r.offset()).distinct().count());

            try (Producer producer = client.producer(props())) {
                for (int p = 0; p < partitions; p++) {
                    producer.send(topic, p, values(p, 20, 10));
                }
            }
            List<Consumed> second = new ArrayList<>();
            try (Consumer consumer = client.consumer(groupMember(group))) {
                consumer.subscribe(List.of(topic));
                pollUntil(consumer, second, partitions * 10);
                consumer.commitSync();
                for (Partition p : all) {
                    assertEquals(30L, consumer.committed(all).get(p), "committed offset of " + p);
                }
            }
            assertEquals(partitions * 10, second.size());
            for (Consumed r : second) {
                assertTrue(r.offset() >= 20, "read again below the committed offset: " + r);
                assertEquals(value(r.partition().partition(), (int) r.offset()), r.value());
            }
        }

        @ParameterizedTest(name = "kafka-clients {0}")
        @MethodSource("dev.sluice.compat.OldClientTest#releases")
        void twoMembersSplitATopicsPartitionsBetweenThem(String release) throws Exception {
            ClientDriver client = IsolatedKafkaClient.load(release);
            String topic = "split-" + release;
            String group = "split-group-" + release;
            int partitions = 4;
            createTopic(topic, partitions);
            Set<Partition> all = Set.copyOf(partitionsOf(topic, partitions));
            try (Consumer a = client.consumer(groupMember(group)); Consumer b = client.consumer(groupMember(group))) {
                a.subscribe(List.of(topic));
                b.subscribe(List.of(topic));
                List<Consumed> readByA = new ArrayList<>();
                List<Consumed> readByB = new ArrayList<>();
                // One thread polls both members in turn: each poll advances that member's join
                // without waiting for the other's.
                awaitWhilePolling(a, readByA, b, readByB, () -> {
                    Set<Partition> ofA = a.assignment();
                    Set<Partition> ofB = b.assignment();
                    Set<Partition> union = new HashSet<>(ofA);
                    union.addAll(ofB);
                    return !ofA.isEmpty() && !ofB.isEmpty() && ofA.size() + ofB.size() == partitions && union.equals(all);
                }, "both members assigned a share of " + all);
                assertTrue(readByA.isEmpty() && readByB.isEmpty(), "nothing was produced yet");

                try (Producer producer = client.producer(props())) {
                    for (int p = 0; p < partitions; p++) {
                        producer.send(topic, p, values(p, 0, 10));
                    }
                }
                awaitWhilePolling(a, readByA, b, readByB, () -> readByA.size() + readByB.size() >= partitions * 10,
                    "every record read by one of the members");
                Set<Partition> ofA = a.assignment();
                Set<Partition> ofB = b.assignment();
                assertEquals(2, ofA.size(), "range assignment of 4 partitions to 2 members");
                assertTrue(readByA.stream().allMatch(r -> ofA.contains(r.partition())), "A read only its own: " + ofA);
                assertTrue(readByB.stream().allMatch(r -> ofB.contains(r.partition())), "B read only its own: " + ofB);
                assertEquals(partitions * 10, readByA.size() + readByB.size());
                assertFalse(readByA.isEmpty() || readByB.isEmpty());
            }
        }

        private Properties groupMember(String group) {
            return props("group.id", group, "enable.auto.commit", "false", "auto.offset.reset", "earliest",
                "heartbeat.interval.ms", "500");
        }

        private void awaitWhilePolling(Consumer a, List<Consumed> readByA, Consumer b, List<Consumed> readByB,
                                       BooleanSupplier done, String what) {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline) {
                    fail("timed out waiting for " + what + "; A has " + a.assignment() + ", B has " + b.assignment());
                }
                readByA.addAll(a.poll(Duration.ofMillis(100)));
                readByB.addAll(b.poll(Duration.ofMillis(100)));
            }
        }
    }

    private static void createTopic(String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }

    private static List<Partition> partitionsOf(String topic, int partitions) {
        return IntStream.range(0, partitions).mapToObj(p -> new Partition(topic, p)).toList();
    }

    private static Properties props(String... keysAndValues) {
        Properties props = new Properties();
        props.put("bootstrap.servers", broker.bootstrapServers());
        for (int i = 0; i < keysAndValues.length; i += 2) {
            props.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return props;
    }

    private static String value(int partition, int index) {
        return "p" + partition + "-r" + index;
    }

    private static List<String> values(int partition, int from, int count) {
        return IntStream.range(from, from + count).mapToObj(i -> value(partition, i)).toList();
    }

    private static List<Long> offsetsUpTo(int count) {
        return IntStream.range(0, count).mapToObj(i -> (long) i).toList();
    }

    private static void pollUntil(Consumer consumer, List<Consumed> into, int count) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (into.size() < count) {
            if (System.nanoTime() > deadline) {
                fail("read " + into.size() + " of " + count + " records in " + TIMEOUT);
            }
            into.addAll(consumer.poll(Duration.ofMillis(200)));
        }
    }

    /** Requests the broker has answered, per API, at the newest version the client speaks. */
    private static Map<String, Double> requestsAtClientVersions(ClientDriver client, List<String> apis) {
        Map<String, Short> versions = client.latestApiVersions();
        Map<String, Double> counts = new HashMap<>();
        for (String api : apis) {
            Counter counter = broker.meterRegistry().find("sluice.requests").tag("api", api)
                .tag("version", Short.toString(versions.get(api))).counter();
            counts.put(api, counter == null ? 0.0 : counter.count());
        }
        return counts;
    }

    private static int min(String range) {
        return Integer.parseInt(range.split("-")[0]);
    }

    private static int max(String range) {
        String[] bounds = range.split("-");
        return Integer.parseInt(bounds[bounds.length - 1]);
    }
}
