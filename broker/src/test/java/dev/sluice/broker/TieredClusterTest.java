package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.LeaderEpochCheckpoint;
import dev.sluice.storage.producer.ProducerSnapshotFile;
import dev.sluice.storage.remote.RemoteManifest;
import dev.sluice.storage.remote.RemoteSegment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiered storage in a three-broker cluster whose brokers share one object store (a directory all
 * of them point at): only the leader uploads, a new leader continues from the store's manifest,
 * followers delete local copies only below what the store holds, and a follower that fell behind
 * the leader's local log start rebuilds from the tier.
 */
class TieredClusterTest {
    private static final String TOPIC = "tiered";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final String PADDING = "x".repeat(1000);

    @TempDir
    Path store;

    private SluiceCluster start() {
        return SluiceCluster.builder().brokers(3)
            .config("remote.log.storage.system.enable", "true")
            .config("sluice.remote.storage.uri", store.toUri().toString())
            .config("remote.log.manager.task.interval.ms", "100")
            .start();
    }

    private static Admin admin(SluiceCluster cluster) {
        return Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()));
    }

    private static void createTopic(Admin admin) throws Exception {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3).configs(Map.of("remote.storage.enable", "true",
            "segment.bytes", "1048576", "local.retention.bytes", "1048576", "min.insync.replicas", "2"))))
            .all().get(30, TimeUnit.SECONDS);
    }

    private static KafkaProducer<String, String> producer(SluiceCluster cluster) {
        Properties props = new Properties();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("acks", "all");
        props.put("linger.ms", "5");
        props.put("delivery.timeout.ms", "120000");
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private static void produce(KafkaProducer<String, String> producer, int from, int to) throws Exception {
        // The first record alone: a new producer id may reach the leader's metadata a moment
        // after InitProducerId handed it out, and one batch in flight retries that cleanly.
        producer.send(new ProducerRecord<>(TOPIC, value(from))).get(60, TimeUnit.SECONDS);
        List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
        for (int i = from + 1; i < to; i++) {
            sent.add(producer.send(new ProducerRecord<>(TOPIC, value(i))));
        }
        for (java.util.concurrent.Future<?> f : sent) {
            f.get(120, TimeUnit.SECONDS);
        }
    }

    private static String value(int i) {
        return i + "-" + PADDING;
    }

    /** The partition's manifest as the store holds it now (empty before the first upload). */
    private RemoteManifest manifest() throws IOException {
        Optional<Path> dir;
        try (Stream<Path> dirs = Files.list(store)) {
            dir = dirs.filter(d -> d.getFileName().toString().startsWith(TOPIC + "-0-")).findFirst();
        }
        Path file = dir.map(d -> d.resolve("manifest")).orElse(null);
        return file == null || !Files.exists(file) ? RemoteManifest.EMPTY : RemoteManifest.decode(Files.readAllBytes(file));
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        await(condition, () -> what);
    }

    private static void await(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "timed out waiting until " + what.get());
            Thread.sleep(50);
        }
    }

    private interface Check {
        boolean test() throws Exception;
    }

    private static BooleanSupplier quietly(Check check) {
        return () -> {
            try {
                return check.test();
            } catch (Exception e) {
                return false;
            }
        };
    }

    private static int awaitLeader(SluiceCluster cluster, int not) throws InterruptedException {
        int[] leader = {-1};
        await(() -> {
            leader[0] = cluster.leaderOf(TOPIC, 0);
            return leader[0] > 0 && leader[0] != not;
        }, "the partition has a leader other than " + not);
        return leader[0];
    }

    private static long offset(Admin admin, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(TP, spec)).partitionResult(TP).get(10, TimeUnit.SECONDS).offset();
    }

    private static TopicDescription describe(Admin admin) throws Exception {
        return admin.describeTopics(List.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS).get(TOPIC);
    }

    @Test
    void newLeaderTiersOnFromTheManifestWithoutCopyingAgainOrSkippingAndConsumersReadEverything() throws Exception {
        try (SluiceCluster cluster = start(); Admin admin = admin(cluster)) {
            createTopic(admin);
            int first = awaitLeader(cluster, -1);
            try (KafkaProducer<String, String> producer = producer(cluster)) {
                produce(producer, 0, 4000);
                await(quietly(() -> manifest().segments().size() >= 2), "the leader tiered two segments");
                for (int id : cluster.running()) {
                    if (id != first) {
                        assertEquals(0.0, uploads(cluster, id), "follower " + id + " uploaded nothing");
                    }
                }
                cluster.kill(first);
                // Read once the first leader has stopped: it may have finished uploads until then.
                RemoteManifest before = manifest();
                int second = awaitLeader(cluster, first);
                produce(producer, 4000, 8000);
                // Settled: past offset 6500, and the new leader's upload count matches the
                // entries the first leader's manifest did not have (so nothing was copied twice).
                RemoteManifest[] settled = {null};
                await(quietly(() -> {
                    RemoteManifest now = manifest();
                    settled[0] = now;
                    long fresh = now.segments().stream().filter(s -> !before.segments().contains(s)).count();
                    return now.endOffset() >= 6500 && uploads(cluster, second) == fresh;
                }), () -> "the new leader tiered past offset 6500, each segment the first had not: " + before
                    + " then " + settled[0] + " with " + uploads(cluster, second) + " uploads");
                RemoteManifest after = settled[0];

                List<RemoteSegment> segments = after.segments();
                assertEquals(0, segments.get(0).baseOffset(), after.toString());
                for (int i = 1; i < segments.size(); i++) {
                    RemoteSegment previous = segments.get(i - 1);
                    RemoteSegment s = segments.get(i);
                    assertTrue(s.baseOffset() <= previous.nextOffset(), "no gap before " + s + " in " + after);
                    assertTrue(s.baseOffset() > previous.baseOffset() && s.nextOffset() > previous.nextOffset(),
                        "each segment tiered once, in order: " + after);
                }
                // What the first leader copied stays as it was (but its last segment, which the
                // new leader's first one replaces when it starts at the same offset).
                List<RemoteSegment> kept = before.segments().subList(0, before.segments().size() - 1);
                assertEquals(kept, segments.subList(0, kept.size()), "before " + before + ", after " + after);
                assertTrue(uploads(cluster, second) > 0, after.toString());

                // The follower left deletes its local copies too, but only what the store holds.
                int third = cluster.running().stream().filter(id -> id != second).findFirst().orElseThrow();
                Path thirdDir = cluster.broker(third).dataDir().resolve(TOPIC + "-0");
                await(quietly(() -> firstSegment(thirdDir) > 2000), "follower " + third + " applied local retention");
                assertTrue(firstSegment(thirdDir) <= manifest().endOffset(), "follower " + third
                    + " deleted nothing the store lacks: local start " + firstSegment(thirdDir) + ", " + manifest());
                await(quietly(() -> offset(admin, OffsetSpec.earliestLocal()) > 2000),
                    "the new leader's local retention deleted what the store holds");
                assertEquals(0, offset(admin, OffsetSpec.earliest()));
            }
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                Map.of("bootstrap.servers", cluster.bootstrapServers()), new StringDeserializer(), new StringDeserializer())) {
                consumer.assign(List.of(TP));
                consumer.seekToBeginning(List.of(TP));
                Map<Long, String> read = new TreeMap<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (read.size() < 8000 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        read.put(r.offset(), r.value());
                    }
                }
                assertEquals(8000, read.size(), "every record, from the tier and from local disk");
                for (long o = 0; o < 8000; o++) {
                    assertEquals(value((int) o), read.get(o), "offset " + o);
                }
            }
        }
    }

    private static double uploads(SluiceCluster cluster, int nodeId) {
        var counter = cluster.broker(nodeId).meterRegistry().find("sluice.remote.upload.segments").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void followerBehindTheLeadersLocalStartRebuildsFromTheTierWithEpochsAndProducerState() throws Exception {
        try (SluiceCluster cluster = start(); Admin admin = admin(cluster)) {
            createTopic(admin);
            int leader = awaitLeader(cluster, -1);
            int follower = cluster.running().stream().filter(id -> id != leader).findFirst().orElseThrow();
            Path followerDir = cluster.broker(follower).dataDir().resolve(TOPIC + "-0");
            long early;
            try (KafkaProducer<String, String> producer = producer(cluster)) {
                // A producer that writes only below where the follower will restart: its state
                // can reach the follower only with the tiered segment's producer snapshot.
                produce(producer, 0, 500);
                early = admin.describeProducers(List.of(TP)).partitionResult(TP).get(10, TimeUnit.SECONDS)
                    .activeProducers().get(0).producerId();
            }
            try (KafkaProducer<String, String> producer = producer(cluster)) {
                cluster.kill(follower);
                produce(producer, 500, 5000);
                await(quietly(() -> offset(admin, OffsetSpec.earliestLocal()) > 1000),
                    "the leader deleted local segments the store holds");
                long leaderLocalStart = offset(admin, OffsetSpec.earliestLocal());
                cluster.restart(follower);
                await(quietly(() -> describe(admin).partitions().get(0).isr().stream()
                    .anyMatch(n -> n.id() == follower)), "the restarted follower rejoined the ISR");

                long followerStart = firstSegment(followerDir);
                assertTrue(followerStart >= leaderLocalStart, "the follower's local log starts at "
                    + followerStart + ", not below the leader's local start " + leaderLocalStart);
                // What lies below came from the store: the epoch history starts at offset 0, and
                // the producer state knows the producer that wrote only there.
                List<LeaderEpochCheckpoint.Entry> epochs = LeaderEpochCheckpoint.parse(
                    Files.readAllLines(followerDir.resolve(LeaderEpochCheckpoint.FILE_NAME))).orElseThrow();
                assertEquals(0, epochs.get(0).startOffset(), epochs.toString());
                boolean known = false;
                for (long snapshot : ProducerSnapshotFile.list(followerDir)) {
                    known |= ProducerSnapshotFile.read(followerDir, snapshot).stream()
                        .anyMatch(p -> p.producerId() == early);
                }
                assertTrue(known, "producer " + early + " is in the follower's producer state");
            }
        }
    }

    private static long firstSegment(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".log"))
                .mapToLong(n -> Long.parseLong(n.substring(0, n.length() - 4))).min().orElse(-1);
        }
    }
}
