package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once copying through broker crashes, after Kafka's {@code transactions_test} system
 * test: a {@link TransactionalCopier} process copies a topic of numbered records to another, with
 * random aborts and its offsets sent to each transaction, while brokers are killed with
 * {@code kill -9} and restarted. A copier that dies of it is replaced by one with the same
 * transactional id. At the end a read_committed consumer must find in each output partition the
 * input partition's records, in order, each exactly once: a lost commit would leave a gap, an
 * aborted or replayed transaction showing through would repeat a record.
 *
 * <p>Rounds (kills): {@value #DEFAULT_ROUNDS} by default, about a minute per test; more with
 * {@code -Dsluice.txncopy.rounds=N}. Each round adds {@value #RECORDS_PER_ROUND} input records.
 */
class TransactionalCopyTest {
    private static final int DEFAULT_ROUNDS = 3;
    private static final int RECORDS_PER_ROUND = 1_000;
    private static final int PARTITIONS = 3;
    private static final int ABORT_PERCENT = 15;
    private static final long PAUSE_MS = 30;
    private static final String TRANSACTIONAL_ID = "copier";
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @AutoClose
    final Closer closer = new Closer();
    private String bootstrap;
    /** The brokers' warnings and errors, for a failure message. */
    private java.util.function.Supplier<String> brokerLog = () -> "";
    private JavaProcess copier;
    private int copiersStarted;

    @AfterEach
    void stopCopier() throws Exception {
        if (copier != null) {
            copier.close();
        }
    }

    private static int rounds() {
        return Integer.getInteger("sluice.txncopy.rounds", DEFAULT_ROUNDS);
    }

    /** Something done to the brokers in round {@code round} (from 1) of the copy. */
    interface Disruption {
        void disrupt(int round) throws Exception;
    }

    @Test
    void everyRecordIsCopiedExactlyOnceWhileTheOnlyBrokerIsKilledAndRestarted() throws Exception {
        int port = BrokerProcess.freePort();
        Path data = dir.resolve("broker");
        String[] overrides = {
            "group.initial.rebalance.delay.ms=0",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1"};
        BrokerProcess[] broker = {BrokerProcess.start(data, port, overrides)};
        closer.add(() -> broker[0].close());
        brokerLog = () -> broker[0].output();
        Admin admin = KafkaClients.admin(broker[0].bootstrapServers());
        closer.add(admin);
        copyWhile(broker[0].bootstrapServers(), admin, (short) 1, round -> {
            broker[0].kill();
            broker[0] = BrokerProcess.start(data, port, overrides);
        });
    }

    @Test
    void everyRecordIsCopiedExactlyOnceWhileLeadersAndTheTransactionCoordinatorAreKilled() throws Exception {
        ProcessCluster cluster = new ProcessCluster(dir, 3,
            "group.initial.rebalance.delay.ms=0",
            "offsets.topic.replication.factor=3",
            "transaction.state.log.replication.factor=3",
            "transaction.state.log.min.isr=2");
        closer.add(cluster);
        brokerLog = cluster::output;
        Admin admin = cluster.admin();
        String[] topics = {"input", "output"};
        copyWhile(cluster.bootstrapServers(), admin, (short) 3, round -> {
            // Odd rounds: the transaction coordinator; even rounds: a leader of the data.
            int victim = round % 2 == 1
                ? transactionCoordinator(admin, cluster)
                : cluster.leaderOf(topics[(round / 2) % 2], round % PARTITIONS);
            long before = committedTotal(admin);
            cluster.kill(victim);
            // The copy goes on without it: new leaders, a new coordinator, the copier's retries.
            awaitCopied(admin, Math.min(before + 1, total()));
            cluster.start(victim);
            cluster.awaitBrokers(3);
            cluster.awaitFullIsr("input");
            cluster.awaitFullIsr("output");
        });
    }

    /**
     * The broker coordinating {@link #TRANSACTIONAL_ID}: as DescribeTransactions names it, or
     * else the leader of the partition of {@code __transaction_state} the id hashes to (Kafka's
     * placement, with the default 50 partitions).
     */
    private static int transactionCoordinator(Admin admin, ProcessCluster cluster) throws Exception {
        try {
            return admin.describeTransactions(List.of(TRANSACTIONAL_ID)).description(TRANSACTIONAL_ID)
                .get(10, TimeUnit.SECONDS).coordinatorId();
        } catch (ExecutionException | TimeoutException e) {
            return cluster.leaderOf("__transaction_state", Utils.abs(TRANSACTIONAL_ID.hashCode()) % 50);
        }
    }

    /** Each kill may cost a copier or two; more than that means the broker fails them for another reason. */
    private static int maxCopiers() {
        return 5 + 2 * rounds();
    }

    private static int total() {
        return RECORDS_PER_ROUND * (rounds() + 1);
    }

    private void copyWhile(String bootstrap, Admin admin, short replicationFactor, Disruption disruption)
            throws Exception {
        this.bootstrap = bootstrap;
        Map<String, String> topicConfig = replicationFactor > 1 ? Map.of("min.insync.replicas", "2") : Map.of();
        admin.createTopics(List.of(
            new NewTopic("input", PARTITIONS, replicationFactor).configs(topicConfig),
            new NewTopic("output", PARTITIONS, replicationFactor).configs(topicConfig))).all().get(60, TimeUnit.SECONDS);
        List<List<String>> input = produceInput(bootstrap);

        copier = startCopier();
        for (int round = 1; round <= rounds(); round++) {
            awaitCopied(admin, (long) round * total() / (rounds() + 1));
            disruption.disrupt(round);
        }
        awaitCopied(admin, total());
        String copierOutput = copier.describe();
        copier.close();

        verify(bootstrap, admin, input, copierOutput);
    }

    /** A copier with the shared transactional id and group, and a seed of its own for its aborts. */
    private JavaProcess startCopier() throws java.io.IOException {
        copiersStarted++;
        return JavaProcess.start(TransactionalCopier.class, bootstrap, "input", "output", "copiers", TRANSACTIONAL_ID,
            Integer.toString(ABORT_PERCENT), Long.toString(PAUSE_MS), Integer.toString(copiersStarted));
    }

    /** Waits until the copiers' group has committed {@code count} input offsets, replacing a copier that died. */
    private void awaitCopied(Admin admin, long count) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (long done = committedTotal(admin); done < count; done = committedTotal(admin)) {
            if (!copier.isAlive()) {
                // A broker that fails every copier fails the test now, not after a storm of JVMs.
                assertTrue(copiersStarted < maxCopiers(), () -> copiersStarted + " copiers died, the last one so:"
                    + copier.describe());
                copier = startCopier();
            }
            long copied = done;
            assertTrue(System.nanoTime() < deadline, () -> "only " + copied + " of " + count + " records copied after "
                + WAIT.toSeconds() + " s (" + copiersStarted + " copiers started)" + copier.describe()
                + "\n--- where the copy stands\n" + standing(admin)
                + "\n--- broker warnings and errors\n" + warnings(brokerLog.get()));
            Thread.sleep(100);
        }
    }

    /**
     * For a failure message: the group's committed input offsets against the input's end, the
     * output's last stable and end offsets, and the copier's transaction as the coordinator
     * describes it, so that a stall shows what it waits on. Best effort: what cannot be asked
     * says why.
     */
    private static String standing(Admin admin) {
        StringBuilder out = new StringBuilder();
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("copiers")
                .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
            for (String topic : List.of("input", "output")) {
                Map<TopicPartition, OffsetSpec> ends = new java.util.HashMap<>();
                for (int p = 0; p < PARTITIONS; p++) {
                    ends.put(new TopicPartition(topic, p), OffsetSpec.latest());
                }
                var high = admin.listOffsets(ends).all().get(5, TimeUnit.SECONDS);
                var stable = admin.listOffsets(ends, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(5, TimeUnit.SECONDS);
                for (int p = 0; p < PARTITIONS; p++) {
                    TopicPartition tp = new TopicPartition(topic, p);
                    out.append(tp).append(": end ").append(high.get(tp).offset()).append(", last stable ")
                        .append(stable.get(tp).offset());
                    if (committed.containsKey(tp)) {
                        out.append(", committed ").append(committed.get(tp).offset());
                    }
                    out.append('\n');
                }
            }
            out.append(admin.describeTransactions(List.of(TRANSACTIONAL_ID)).description(TRANSACTIONAL_ID)
                .get(5, TimeUnit.SECONDS));
        } catch (Exception e) {
            out.append("(could not ask: ").append(e).append(')');
        }
        return out.toString();
    }

    /** The lines of {@code log} that are warnings or errors, and the node headers, at most the last 200. */
    private static String warnings(String log) {
        List<String> lines = log.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.startsWith("---"))
            .toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 200), lines.size()));
    }

    /** The sum of the copiers' committed offsets over the input's partitions; 0 while no broker answers. */
    private static long committedTotal(Admin admin) throws InterruptedException {
        try {
            return admin.listConsumerGroupOffsets("copiers").partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS)
                .values().stream().filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
        } catch (ExecutionException | TimeoutException e) {
            return 0;
        }
    }

    /** Writes the numbered input, partition {@code i % PARTITIONS} for record {@code i}, and returns each partition's values in order. */
    private static List<List<String>> produceInput(String bootstrap) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        List<List<String>> input = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            input.add(new ArrayList<>());
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < total(); i++) {
                String value = Integer.toString(i);
                sent.add(producer.send(new ProducerRecord<>("input", i % PARTITIONS, value, value)));
                input.get(i % PARTITIONS).add(value);
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        return input;
    }

    /** Each output partition, read to its end at {@code isolation}, once no transaction is open on it. */
    private static List<List<String>> readOutput(String bootstrap, Admin admin, IsolationLevel isolation)
            throws Exception {
        List<List<String>> output = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            TopicPartition tp = new TopicPartition("output", p);
            ProcessCluster.poll(Duration.ofSeconds(60), "no open transaction on " + tp,
                () -> endOffset(admin, tp, IsolationLevel.READ_COMMITTED)
                    == endOffset(admin, tp, IsolationLevel.READ_UNCOMMITTED));
            output.add(KafkaClients.readToEnd(bootstrap, tp, isolation, Duration.ofSeconds(60)));
        }
        return output;
    }

    private static long endOffset(Admin admin, TopicPartition tp, IsolationLevel isolation) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(isolation)).all()
            .get(10, TimeUnit.SECONDS).get(tp).offset();
    }

    private void verify(String bootstrap, Admin admin, List<List<String>> input, String copierOutput)
            throws Exception {
        List<List<String>> committed = readOutput(bootstrap, admin, IsolationLevel.READ_COMMITTED);
        for (int p = 0; p < PARTITIONS; p++) {
            List<String> got = committed.get(p);
            List<String> want = input.get(p);
            if (!got.equals(want)) {
                throw new AssertionError("output-" + p + " (read_committed) is not input-" + p + " exactly once, in order: "
                    + difference(want, got) + copierOutput);
            }
        }
        long written = readOutput(bootstrap, admin, IsolationLevel.READ_UNCOMMITTED).stream().mapToLong(List::size).sum();
        System.out.printf("transactional copy: %d records, %d rounds, %d copiers, %d records in the output log%n",
            total(), rounds(), copiersStarted, written);
        assertTrue(written > total(), "aborted copies are in the log (read_uncommitted sees " + written
            + " records) but not in what read_committed sees (" + total() + ")");
        assertEquals(total(), committedTotal(admin));
    }

    /** Where two lists of numbered values first differ, and the missing and repeated values. */
    private static String difference(List<String> want, List<String> got) {
        int i = 0;
        while (i < want.size() && i < got.size() && want.get(i).equals(got.get(i))) {
            i++;
        }
        List<String> missing = new ArrayList<>(want);
        got.forEach(missing::remove);
        List<String> repeated = new ArrayList<>(got);
        want.forEach(repeated::remove);
        return "first difference at index " + i + " of " + want.size() + " (got " + got.size() + "); missing "
            + head(missing) + ", repeated or foreign " + head(repeated);
    }

    private static List<String> head(List<String> values) {
        return values.size() <= 20 ? values : values.subList(0, 20);
    }
}
