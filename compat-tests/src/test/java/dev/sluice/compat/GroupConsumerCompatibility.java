package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import dev.sluice.compat.GroupConsumerProcess.Consumed;
import dev.sluice.compat.GroupConsumerProcess.Exit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Consumer groups as another Kafka client uses them, against an embedded broker (one per test
 * class): a subclass per client says how to run that client's group consumer program (see
 * {@link GroupConsumerProcess}), and skips itself where the client is not installed. Records are
 * produced, and committed offsets read back, with the official Java clients.
 *
 * <p>With the system property {@code sluice.compat.bootstrap} set to a broker's address, the
 * tests run against that broker instead, a reference Kafka for instance; topic and group names
 * are unique per run so that a long-lived broker can be reused.
 */
// No wait for more members before a new group's first rebalance: the tests start one member at a
// time, or two that may join in either order.
@SluiceTest(config = "group.initial.rebalance.delay.ms=0")
abstract class GroupConsumerCompatibility {
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration MEMBER_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration WAIT = Duration.ofSeconds(30);

    SluiceBroker broker;
    private Admin admin;
    private KafkaProducer<String, String> producer;
    private final List<GroupConsumerProcess> started = new ArrayList<>();

    /** The client's name in topic and group names. */
    abstract String client();

    /** The command that runs the client's program, before the shared arguments. */
    abstract List<String> program();

    /** The module directory, where {@code src/test/clients} and {@code target} are. */
    static Path moduleDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    }

    /** How a setup command (a check that a client is installed, an install, a build) ended. */
    record SetupRun(boolean succeeded, String output) {
    }

    /** Runs a setup command in {@code dir}; a command that cannot start, or outlives {@code timeout}, has failed. */
    static SetupRun setup(Path dir, Map<String, String> environment, Duration timeout, String... command) {
        String name = String.join(" ", command);
        try {
            Path log = Files.createTempFile("setup", ".log");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
                builder.environment().putAll(environment);
                Process process = builder.start();
                process.getOutputStream().close();
                boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (!finished) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
                String output = Files.readString(log, StandardCharsets.UTF_8);
                return finished
                    ? new SetupRun(process.exitValue() == 0, output)
                    : new SetupRun(false, name + " did not finish within " + timeout.toSeconds() + " s\n" + output);
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            return new SetupRun(false, name + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new SetupRun(false, name + ": interrupted");
        }
    }

    /** Whether {@code command} runs and exits 0 within ten seconds. */
    static boolean runs(String... command) {
        return setup(moduleDir(), Map.of(), Duration.ofSeconds(10), command).succeeded();
    }

    private String bootstrapServers() {
        return Optional.ofNullable(System.getProperty("sluice.compat.bootstrap")).orElse(broker.bootstrapServers());
    }

    @BeforeEach
    void connect() {
        admin = KafkaClients.admin(bootstrapServers());
        producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()));
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        for (GroupConsumerProcess process : started) {
            process.close();
        }
        if (producer != null) {
            producer.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    /** A topic (and group) name unique to this client, test and run. */
    private String name(String what) {
        return client() + "-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private void createTopic(String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }

    /** Produces {@code counts.get(p)} records to each partition {@code p}; returns them with their offsets. */
    private List<Consumed> produce(String topic, Map<Integer, Integer> counts, String prefix) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<String> values = new ArrayList<>();
        counts.forEach((partition, count) -> {
            for (int i = 0; i < count; i++) {
                String value = prefix + "-" + partition + "-" + i;
                values.add(value);
                sent.add(producer.send(new ProducerRecord<>(topic, partition, null, value)));
            }
        });
        producer.flush();
        List<Consumed> records = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            RecordMetadata metadata = sent.get(i).get();
            records.add(new Consumed(metadata.partition(), metadata.offset(), values.get(i)));
        }
        return records;
    }

    private static Map<Integer, Integer> perPartition(int partitions, int count) {
        return IntStream.range(0, partitions).boxed().collect(Collectors.toMap(p -> p, p -> count));
    }

    private GroupConsumerProcess start(String topic, String group, String mode, int count, Duration timeout)
        throws Exception {
        GroupConsumerProcess process = GroupConsumerProcess.start(program(), moduleDir(),
            bootstrapServers(), topic, group, mode, count, timeout);
        started.add(process);
        return process;
    }

    private Exit drain(String topic, String group, int count) throws Exception {
        return start(topic, group, "drain", count, DRAIN_TIMEOUT).awaitExit().assertSucceeded();
    }

    /** The group's committed offset of each partition of {@code topic}. */
    private Map<Integer, Long> committed(String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<Integer, Long> committed = new TreeMap<>();
        offsets.forEach((tp, offset) -> {
            if (tp.topic().equals(topic) && offset != null) {
                committed.put(tp.partition(), offset.offset());
            }
        });
        return committed;
    }

    /** One past the last offset of each partition among {@code records}. */
    private static Map<Integer, Long> nextOffsets(List<Consumed> records) {
        Map<Integer, Long> next = new TreeMap<>();
        for (Consumed r : records) {
            next.merge(r.partition(), r.offset() + 1, Math::max);
        }
        return next;
    }

    private static List<Consumed> sorted(List<Consumed> records) {
        return records.stream()
            .sorted(Comparator.comparingInt(Consumed::partition).thenComparingLong(Consumed::offset))
            .toList();
    }

    /** Each partition's records appear in offset order. */
    private static void assertInOffsetOrder(List<Consumed> records) {
        Map<Integer, Long> last = new LinkedHashMap<>();
        for (Consumed r : records) {
            Long previous = last.put(r.partition(), r.offset());
            assertTrue(previous == null || previous < r.offset(), "partition " + r.partition() + " went from offset "
                + previous + " to " + r.offset() + " in " + records);
        }
    }

    private static void await(BooleanSupplier condition, String what, GroupConsumerProcess... processes)
        throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            for (GroupConsumerProcess process : processes) {
                if (!process.isAlive()) {
                    fail("a member exited while waiting for " + what + process.describe());
                }
            }
            if (System.nanoTime() > deadline) {
                StringBuilder message = new StringBuilder("timed out waiting for " + what);
                for (GroupConsumerProcess process : processes) {
                    message.append('\n').append(process.describe());
                }
                fail(message.toString());
            }
            Thread.sleep(50);
        }
    }

    @Test
    void aNewGroupReadsEveryRecordFromTheEarliestOffsetAndCommitsWhereItStopped() throws Exception {
        String topic = name("earliest");
        String group = name("earliest-group");
        createTopic(topic, 3);
        List<Consumed> produced = produce(topic, perPartition(3, 10), "first");

        Exit run = drain(topic, group, produced.size());

        assertEquals(sorted(produced), sorted(run.records()));
        assertInOffsetOrder(run.records());
        assertEquals(nextOffsets(produced), committed(group, topic));
    }

    @Test
    void aGroupThatComesBackResumesRightAfterItsCommittedOffsets() throws Exception {
        String topic = name("resume");
        String group = name("resume-group");
        createTopic(topic, 3);
        List<Consumed> first = produce(topic, perPartition(3, 10), "first");
        drain(topic, group, first.size());

        // Uneven on purpose: one partition gets nothing new, so its committed offset must hold.
        List<Consumed> later = produce(topic, Map.of(0, 3, 2, 4), "later");
        Exit again = drain(topic, group, later.size());

        assertEquals(sorted(later), sorted(again.records()));
        assertInOffsetOrder(again.records());
        assertEquals(Map.of(0, 13L, 1, 10L, 2, 14L), committed(group, topic));
    }

    @Test
    void twoMembersSplitThePartitionsAndTogetherReadEveryRecordOnce() throws Exception {
        String topic = name("split");
        String group = name("split-group");
        int partitions = 4;
        createTopic(topic, partitions);
        Set<Integer> all = IntStream.range(0, partitions).boxed().collect(Collectors.toSet());

        GroupConsumerProcess first = start(topic, group, "member", 0, MEMBER_TIMEOUT);
        GroupConsumerProcess second = start(topic, group, "member", 0, MEMBER_TIMEOUT);
        // Produce only once the split is settled, so no record can be read before a rebalance and
        // again after it.
        await(() -> {
            Set<Integer> a = first.assignment().orElse(Set.of());
            Set<Integer> b = second.assignment().orElse(Set.of());
            Set<Integer> union = new HashSet<>(a);
            union.addAll(b);
            return !a.isEmpty() && !b.isEmpty() && a.size() + b.size() == partitions && union.equals(all);
        }, "both members to hold some of the " + partitions + " partitions", first, second);

        List<Consumed> produced = produce(topic, perPartition(partitions, 10), "shared");
        await(() -> first.records().size() + second.records().size() >= produced.size(),
            produced.size() + " records between the two members", first, second);
        // Taken before either member leaves: the one that stays may then be given every partition.
        Set<Integer> heldByFirst = first.assignment().orElseThrow();
        Set<Integer> heldBySecond = second.assignment().orElseThrow();
        first.closeInput();
        second.closeInput();
        Exit a = first.awaitExit().assertSucceeded();
        Exit b = second.awaitExit().assertSucceeded();

        List<Consumed> together = new ArrayList<>(a.records());
        together.addAll(b.records());
        assertEquals(sorted(produced), sorted(together), "every record exactly once");
        Set<Integer> readByFirst = a.records().stream().map(Consumed::partition).collect(Collectors.toSet());
        Set<Integer> readBySecond = b.records().stream().map(Consumed::partition).collect(Collectors.toSet());
        assertEquals(heldByFirst, readByFirst, "partitions the first member read");
        assertEquals(heldBySecond, readBySecond, "partitions the second member read");
        assertInOffsetOrder(a.records());
        assertInOffsetOrder(b.records());
        assertEquals(nextOffsets(produced), committed(group, topic));
    }
}
