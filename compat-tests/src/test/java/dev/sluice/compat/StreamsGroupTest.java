package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.StreamsGroupDescription;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams 4.4 with {@code group.protocol=streams} (KIP-1071) against an embedded broker: a
 * word count whose repartition topic and changelog the broker creates from the topology, through a
 * rebalance (a second instance joins and takes half the tasks, then the first one leaves and the
 * second takes them all), with exactly-once processing, so that the final count of every word is
 * exactly right; and {@code kafka-streams-groups} describing the group.
 */
class StreamsGroupTest {
    private static final String APP = "streams-wordcount";
    private static final String INPUT = "streams-plaintext-input";
    private static final String OUTPUT = "streams-wordcount-output";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private KafkaStreams wordCount(SluiceBroker broker, String stateDir) {
        return wordCount(broker, stateDir, null);
    }

    /** The word count, a static member when {@code instanceId} is set ({@code group.instance.id}). */
    private KafkaStreams wordCount(SluiceBroker broker, String stateDir, String instanceId) {
        Properties props = new Properties();
        if (instanceId != null) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        props.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "streams");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve(stateDir).toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(INPUT, Consumed.with(Serdes.String(), Serdes.String()))
            .flatMapValues(line -> Arrays.asList(line.split(" ")))
            .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
            .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("counts-store")
                .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
            .toStream()
            .to(OUTPUT, Produced.with(Serdes.String(), Serdes.Long()));
        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        streams.start();
        return streams;
    }

    /** A broker whose streams groups heartbeat every half second and assign at once. */
    private SluiceBroker quickBroker() throws Exception {
        return SluiceBroker.builder().dataDir(dir.resolve("data")).port(0)
            .config("group.streams.heartbeat.interval.ms", "500")
            .config("group.streams.min.heartbeat.interval.ms", "500")
            .config("group.streams.initial.rebalance.delay.ms", "0")
            .config("group.streams.assignment.interval.ms", "0")
            .start();
    }

    private static void feed(SluiceBroker broker, List<String> lines) {
        Properties props = new Properties();
        props.put("bootstrap.servers", broker.bootstrapServers());
        try (KafkaProducer<String, String> p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            lines.forEach(l -> p.send(new ProducerRecord<>(INPUT, null, l)));
        }
    }

    private static int activeTasks(KafkaStreams s) {
        return s.metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum();
    }

    private static void await(String what, BooleanSupplier condition) throws Exception {
        ProcessCluster.poll(WAIT, what, condition::getAsBoolean);
    }

    @Test
    void wordCountWithTheStreamsProtocolRunsThroughARebalance() throws Exception {
        List<String> lines = IntStream.range(0, 300).mapToObj(i -> "w" + (i % 7) + " w" + (i % 11) + " common")
            .toList();
        Map<String, Long> expected = lines.stream().flatMap(l -> Arrays.stream(l.split(" ")))
            .collect(Collectors.groupingBy(w -> w, TreeMap::new, Collectors.counting()));
        try (SluiceBroker broker = quickBroker();
             Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(INPUT, 3, (short) 1), new NewTopic(OUTPUT, 3, (short) 1))).all().get();
            Map<String, Long> counts = new ConcurrentHashMap<>();
            Properties cp = new Properties();
            cp.put("bootstrap.servers", broker.bootstrapServers());
            cp.put("isolation.level", "read_committed");
            try (KafkaConsumer<String, Long> out = new KafkaConsumer<>(cp, new StringDeserializer(), new LongDeserializer());
                 KafkaStreams first = wordCount(broker, "first")) {
                List<TopicPartition> parts = IntStream.range(0, 3).mapToObj(p -> new TopicPartition(OUTPUT, p)).toList();
                out.assign(parts);
                out.seekToBeginning(parts);
                Runnable read = () -> {
                    for (ConsumerRecord<String, Long> r : out.poll(Duration.ofMillis(50))) {
                        counts.merge(r.key(), r.value(), Math::max);
                    }
                };
                feed(broker, lines.subList(0, 100));
                await("the first instance counts the first lines", () -> {
                    read.run();
                    return counts.getOrDefault("common", 0L) == 100;
                });
                // A stream thread lists its tasks once it runs them all, which may be after it has counted:
                // all six tasks (3 partitions, 2 subtopologies) on the one instance.
                await("the first instance lists all six tasks", () -> activeTasks(first) == 6);

                // The broker made the internal topics from the topology, partitioned like the input.
                Map<String, TopicDescription> internal = admin.describeTopics(List.of(
                    APP + "-counts-store-repartition", APP + "-counts-store-changelog")).allTopicNames().get();
                internal.values().forEach(t -> assertEquals(3, t.partitions().size(), t.toString()));
                ConfigResource changelog = new ConfigResource(ConfigResource.Type.TOPIC, APP + "-counts-store-changelog");
                Config config = admin.describeConfigs(List.of(changelog)).all().get().get(changelog);
                assertEquals("compact", config.get("cleanup.policy").value());

                try (KafkaStreams second = wordCount(broker, "second")) {
                    await("the tasks split over both instances", () -> {
                        read.run();
                        return activeTasks(first) == 3 && activeTasks(second) == 3;
                    });
                    feed(broker, lines.subList(100, 200));
                    await("both instances count the next lines", () -> {
                        read.run();
                        return counts.getOrDefault("common", 0L) == 200;
                    });
                    StreamsGroupDescription group = admin.describeStreamsGroups(List.of(APP)).all().get().get(APP);
                    assertEquals(2, group.members().size(), group.toString());
                    assertEquals(GroupState.STABLE, group.groupState(), group.toString());

                    KafkaTool.Result described = KafkaTool.against(broker.bootstrapServers(),
                        "org.apache.kafka.tools.streams.StreamsGroupCommand", "--describe", "--group", APP, "--members");
                    assertTrue(described.out().contains(APP), described.toString());
                    first.close(Duration.ofSeconds(30));
                    await("the second instance takes every task", () -> {
                        read.run();
                        return activeTasks(second) == 6;
                    });
                    feed(broker, lines.subList(200, 300));
                    await("the second instance counts the last lines", () -> {
                        read.run();
                        return counts.equals(expected);
                    });
                }
            }
            assertEquals(expected, new TreeMap<>(counts), "every word counted exactly");
            assertTrue(admin.listGroups().all().get().stream().anyMatch(g -> g.groupId().equals(APP)
                && g.type().map(t -> t.toString().equalsIgnoreCase("streams")).orElse(false)));
        }
    }

    @Test
    void aStaticInstanceThatClosesTakesItsTasksBackWithoutARebalance() throws Exception {
        try (SluiceBroker broker = quickBroker();
             Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(INPUT, 3, (short) 1), new NewTopic(OUTPUT, 3, (short) 1))).all().get();
            try (KafkaStreams b = wordCount(broker, "b", "instance-b")) {
                int epoch;
                try (KafkaStreams a = wordCount(broker, "a", "instance-a")) {
                    await("the tasks split over both static instances", () -> activeTasks(a) == 3 && activeTasks(b) == 3);
                    StreamsGroupDescription group = admin.describeStreamsGroups(List.of(APP)).all().get().get(APP);
                    assertEquals(GroupState.STABLE, group.groupState(), group.toString());
                    assertTrue(group.members().stream().allMatch(m -> m.instanceId().isPresent()), group.toString());
                    epoch = group.groupEpoch();
                }
                // Closed without leaving the group: its member stays, epoch -2, its tasks wait for it.
                StreamsGroupDescription away = admin.describeStreamsGroups(List.of(APP)).all().get().get(APP);
                assertEquals(2, away.members().size(), away.toString());
                assertTrue(away.members().stream().anyMatch(m -> m.memberEpoch() == -2), away.toString());
                assertEquals(3, activeTasks(b));
                try (KafkaStreams again = wordCount(broker, "a", "instance-a")) {
                    await("the instance back with its tasks", () -> activeTasks(again) == 3 && activeTasks(b) == 3);
                    StreamsGroupDescription back = admin.describeStreamsGroups(List.of(APP)).all().get().get(APP);
                    assertEquals(epoch, back.groupEpoch(), "no rebalance: " + back);
                    assertEquals(2, back.members().size(), back.toString());
                }
            }
        }
    }

    @Test
    void theGroupOutlivesABrokerRestartAndTheToolListsDescribesAndDeletesIt() throws Exception {
        java.util.function.Supplier<SluiceBroker> start = () -> {
            try {
                return SluiceBroker.builder().dataDir(dir.resolve("data")).port(0)
                    .config("group.streams.heartbeat.interval.ms", "500")
                    .config("group.streams.min.heartbeat.interval.ms", "500")
                    .config("group.streams.initial.rebalance.delay.ms", "0").start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        try (SluiceBroker broker = start.get(); Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(INPUT, 2, (short) 1), new NewTopic(OUTPUT, 2, (short) 1))).all().get();
            try (KafkaStreams app = wordCount(broker, "only")) {
                await("the app runs all four tasks", () -> activeTasks(app) == 4);
            }
        }
        try (SluiceBroker broker = start.get(); Admin admin = KafkaClients.admin(broker)) {
            String tool = "org.apache.kafka.tools.streams.StreamsGroupCommand";
            KafkaTool.Result listed = KafkaTool.against(broker.bootstrapServers(), tool, "--list").assertSuccess();
            assertTrue(listed.out().lines().anyMatch(APP::equals), listed.toString());
            KafkaTool.Result state = KafkaTool.against(broker.bootstrapServers(), tool, "--describe", "--group", APP,
                "--state").assertSuccess();
            assertTrue(state.out().contains("Empty") || state.out().contains("no active members"), state.toString());
            StreamsGroupDescription group = admin.describeStreamsGroups(List.of(APP)).all().get().get(APP);
            assertEquals(GroupState.EMPTY, group.groupState(), "the topology and epochs came back: " + group);
            assertEquals(2, group.subtopologies().size(), group.toString());
            KafkaTool.Result deleted = KafkaTool.against(broker.bootstrapServers(), tool, "--delete", "--group", APP)
                .assertSuccess();
            assertTrue(admin.listGroups().all().get().stream().noneMatch(g -> g.groupId().equals(APP)),
                deleted.toString());
        }
    }
}
