package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams with {@code exactly_once_v2} against the embedded broker: a {@link WordCountApp}
 * process (repartition topic, state store with changelog) is killed with {@code kill -9} twice
 * while lines stream in. The first successor reuses the state directory, so it has the killed
 * instance's transactional id and fences it at once; the second starts on an empty state
 * directory, as on another machine: its predecessor's open transaction is ended only by the
 * broker's transaction timeout, and its state comes back from the changelog. Afterwards the output
 * topic, read with read_committed, must hold for each word exactly the counts 1, 2, ... N in order:
 * a lost or doubled update, or an aborted one showing through, breaks that sequence.
 *
 * <p>About a minute and a half: 15 s of input, two restarts that each wait for the dead member's
 * session (10 s) and, the second, for the transaction timeout Streams sets (10 s). With
 * {@code sluice.compat.bootstrap} set the test runs against that broker instead.
 */
@SluiceTest(config = {
    "group.initial.rebalance.delay.ms=0",
    "offsets.topic.replication.factor=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1"})
class KafkaStreamsEosTest {
    private static final int LINES = 1_500;
    private static final int WORDS_PER_LINE = 5;
    private static final int VOCABULARY = 30;
    /** Lines sent per tick of the feeder, one tick each 100 ms: 15 s of input. */
    private static final int LINES_PER_TICK = 10;
    private static final Duration WAIT = Duration.ofSeconds(120);

    SluiceBroker broker;

    @TempDir
    Path stateDirs;

    @AutoClose
    final Closer closer = new Closer();


    private String bootstrapServers() {
        return KafkaClients.bootstrapServers(broker::bootstrapServers);
    }

    @Test
    void wordCountsAreExactAfterTheAppIsKilledTwiceMidStream() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String applicationId = "wordcount-" + run;
        String input = "wc-lines-" + run;
        String output = "wc-counts-" + run;
        Admin admin = KafkaClients.admin(bootstrapServers());
        closer.add(admin);
        admin.createTopics(List.of(new NewTopic(input, 3, (short) 1), new NewTopic(output, 3, (short) 1))).all()
            .get(30, TimeUnit.SECONDS);

        List<String> lines = lines(new Random(42));
        Map<String, Long> expected = lines.stream().flatMap(l -> List.of(l.split(" ")).stream())
            .collect(Collectors.groupingBy(w -> w, TreeMap::new, Collectors.counting()));
        AtomicInteger fed = new AtomicInteger();
        CompletableFuture<Void> feeding = CompletableFuture.runAsync(() -> feed(input, lines, fed));
        closer.add(() -> feeding.cancel(true));

        Path firstDir = stateDirs.resolve("first");
        JavaProcess app = startApp(applicationId, input, output, firstDir);
        awaitFed(fed, LINES / 3, feeding);
        awaitCommittedOutput(admin, output, 1, app);
        app.kill();
        System.out.printf("word count killed with %d of %d lines fed, output LSOs summing to %d%n", fed.get(), LINES,
            committedOutput(admin, output));

        // Same state directory: same process id, so the same transactional id, which fences the dead one.
        app = startApp(applicationId, input, output, firstDir);
        long before = committedOutput(admin, output);
        awaitFed(fed, 2 * LINES / 3, feeding);
        awaitCommittedOutput(admin, output, before + 1, app);
        app.kill();
        System.out.printf("word count killed with %d of %d lines fed, output LSOs summing to %d%n", fed.get(), LINES,
            committedOutput(admin, output));

        // A fresh state directory: restored from the changelog, the old transaction left to time out.
        app = startApp(applicationId, input, output, stateDirs.resolve("second"));
        feeding.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        JavaProcess last = app;
        Map<String, List<Long>> counts = new TreeMap<>();
        try (KafkaConsumer<String, Long> consumer = countsConsumer()) {
            List<TopicPartition> partitions = IntStream.range(0, 3).mapToObj(p -> new TopicPartition(output, p)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!finalCounts(counts).equals(expected)) {
                assertTrue(System.nanoTime() < deadline, () -> "the output did not reach the expected counts within "
                    + WAIT.toSeconds() + " s; last counts " + finalCounts(counts) + ", expected " + expected
                    + last.describe());
                for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(200))) {
                    counts.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
                }
            }
        }
        for (Map.Entry<String, List<Long>> word : counts.entrySet()) {
            List<Long> oneByOne = LongStream.rangeClosed(1, expected.get(word.getKey())).boxed().toList();
            if (!word.getValue().equals(oneByOne)) {
                throw new AssertionError("the updates of '" + word.getKey() + "' are not 1.." + expected.get(word.getKey())
                    + " once each: " + word.getValue());
            }
        }
        app.kill();
    }

    private static List<String> lines(Random random) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < LINES; i++) {
            lines.add(IntStream.range(0, WORDS_PER_LINE).mapToObj(w -> String.format("w%02d", random.nextInt(VOCABULARY)))
                .collect(Collectors.joining(" ")));
        }
        return lines;
    }

    /** Sends the lines at a steady pace, so that the kills land while the app is working. */
    private void feed(String topic, List<String> lines, AtomicInteger fed) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < lines.size(); i += LINES_PER_TICK) {
                for (String line : lines.subList(i, Math.min(i + LINES_PER_TICK, lines.size()))) {
                    producer.send(new ProducerRecord<>(topic, null, line)).get(30, TimeUnit.SECONDS);
                }
                fed.set(Math.min(i + LINES_PER_TICK, lines.size()));
                Thread.sleep(100);
            }
        } catch (Exception e) {
            throw new IllegalStateException("feeding the input failed after " + fed.get() + " lines", e);
        }
    }

    private JavaProcess startApp(String applicationId, String input, String output, Path stateDir) throws Exception {
        JavaProcess app = JavaProcess.start(WordCountApp.class, bootstrapServers(), applicationId, input, output,
            stateDir.toString());
        closer.add(app);
        return app;
    }

    private static void awaitFed(AtomicInteger fed, int lines, CompletableFuture<Void> feeding) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (fed.get() < lines) {
            if (feeding.isDone()) {
                feeding.get();
            }
            assertTrue(System.nanoTime() < deadline, "only " + fed.get() + " lines fed");
            Thread.sleep(50);
        }
    }

    /** Waits until the app has committed output up to {@code count} records (and markers), so that the kill lands mid-stream. */
    private static void awaitCommittedOutput(Admin admin, String output, long count, JavaProcess app) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (committedOutput(admin, output) < count) {
            assertTrue(app.isAlive(), () -> "the word count exited" + app.describe());
            // Stream threads are replaced when they fail; a few failures may follow a kill, not a run of them.
            assertTrue(app.lines().stream().filter(l -> l.startsWith("error ")).count() < 5,
                () -> "the word count's stream threads keep failing" + app.describe());
            assertTrue(System.nanoTime() < deadline, () -> "no committed output within " + WAIT.toSeconds() + " s"
                + app.describe());
            Thread.sleep(100);
        }
    }

    /** The sum of the output partitions' LSOs. */
    private static long committedOutput(Admin admin, String output) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < 3; p++) {
            latest.put(new TopicPartition(output, p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
            .get(30, TimeUnit.SECONDS).values().stream().mapToLong(o -> o.offset()).sum();
    }

    private KafkaConsumer<String, Long> countsConsumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class.getName());
        return new KafkaConsumer<>(props);
    }

    private static Map<String, Long> finalCounts(Map<String, List<Long>> counts) {
        Map<String, Long> last = new TreeMap<>();
        counts.forEach((word, values) -> last.put(word, values.get(values.size() - 1)));
        return last;
    }
}
