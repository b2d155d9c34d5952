package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Kafka's {@code kafka-transactions} tool ({@code org.apache.kafka.tools.TransactionsCommand}),
 * run in-process, on a transaction left open by a producer killed with {@code kill -9}: list,
 * describe, describe-producers and find-hanging report it, and {@code abort --start-offset}
 * ends it on the partition, which lets read_committed consumers past it. The producer's
 * transaction timeout is ten minutes, so the coordinator does not end the transaction itself
 * during the test (Kafka's {@code transaction.max.timeout.ms} default, 15 minutes, allows it).
 * With {@code sluice.compat.bootstrap} set the test runs against that broker instead.
 */
@SluiceTest(config = {
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1"})
class TransactionsCommandTest {
    private static final String TOOL = "org.apache.kafka.tools.TransactionsCommand";
    private static final int TEN_MINUTES_MS = 600_000;
    private static final Duration WAIT = Duration.ofSeconds(30);

    SluiceBroker broker;
    @AutoClose
    final Closer closer = new Closer();


    private String bootstrapServers() {
        return KafkaClients.bootstrapServers(broker::bootstrapServers);
    }

    private KafkaTool.Result transactions(String... args) {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", bootstrapServers()));
        all.addAll(Arrays.asList(args));
        return KafkaTool.run(TOOL, all.toArray(new String[0])).assertSuccess();
    }

    /** The rows of a table the tool printed, split on its tab separators, header first. */
    private static List<List<String>> table(KafkaTool.Result result) {
        return result.out().lines().filter(l -> !l.isBlank())
            .map(l -> Arrays.stream(l.split("\t")).map(String::trim).toList()).toList();
    }

    /** The row whose column {@code column} (by header name) is {@code value}, failing if there is none. */
    private static List<String> row(KafkaTool.Result result, String column, String value) {
        List<List<String>> table = table(result);
        int index = table.get(0).indexOf(column);
        assertTrue(index >= 0, "no column " + column + " in\n" + result.out());
        return table.stream().skip(1).filter(r -> r.size() > index && r.get(index).equals(value)).findFirst()
            .orElseThrow(() -> new AssertionError("no row with " + column + " " + value + " in\n" + result.out()));
    }

    private static String cell(KafkaTool.Result result, List<String> row, String column) {
        return row.get(table(result).get(0).indexOf(column));
    }

    @Test
    void toolReportsAndAbortsATransactionLeftOpenByAKilledProducer() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String topic = "cli-txn-" + run;
        String transactionalId = "cli-killed-" + run;
        TopicPartition tp = new TopicPartition(topic, 0);
        Admin admin = KafkaClients.admin(bootstrapServers());
        closer.add(admin);
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        int brokerId = admin.describeCluster().nodes().get(WAIT.toSeconds(), TimeUnit.SECONDS).iterator().next().id();
        produce(topic, "before-0", "before-1", "before-2");

        JavaProcess holder = JavaProcess.start(OpenTransactionHolder.class, bootstrapServers(), topic, "0",
            transactionalId, "2", Integer.toString(TEN_MINUTES_MS));
        closer.add(holder);
        long start = Long.parseLong(holder.await("open ", WAIT));
        assertEquals(3, start);
        holder.kill();
        produce(topic, "after-0");
        assertEquals(3, endOffset(admin, tp, IsolationLevel.READ_COMMITTED), "the killed producer's transaction holds the LSO");

        KafkaTool.Result list = transactions("list");
        List<String> listed = row(list, "TransactionalId", transactionalId);
        assertEquals("Ongoing", cell(list, listed, "TransactionState"), list.toString());
        String producerId = cell(list, listed, "ProducerId");

        KafkaTool.Result describe = transactions("describe", "--transactional-id", transactionalId);
        List<String> described = row(describe, "TransactionalId", transactionalId);
        assertEquals("Ongoing", cell(describe, described, "TransactionState"), describe.toString());
        assertEquals(producerId, cell(describe, described, "ProducerId"));
        assertEquals(Integer.toString(TEN_MINUTES_MS), cell(describe, described, "TransactionTimeoutMs"));
        assertEquals(tp.toString(), cell(describe, described, "TopicPartitions"));

        KafkaTool.Result producers = transactions("describe-producers", "--topic", topic, "--partition", "0");
        List<String> holderRow = row(producers, "ProducerId", producerId);
        assertEquals("3", cell(producers, holderRow, "CurrentTransactionStartOffset"), producers.toString());
        assertEquals("1", cell(producers, holderRow, "LastSequence"), "two records, sequences 0 and 1");

        // Open for more than 0 minutes, but its coordinator still tracks it on this partition: not hanging.
        KafkaTool.Result hanging = transactions("find-hanging", "--broker-id", Integer.toString(brokerId),
            "--max-transaction-timeout", "0");
        assertEquals(1, table(hanging).size(), "only the header expected:\n" + hanging);
        assertEquals("Topic", table(hanging).get(0).get(0), hanging.toString());

        transactions("abort", "--topic", topic, "--partition", "0", "--start-offset", Long.toString(start));

        long deadline = System.nanoTime() + WAIT.toNanos();
        while (endOffset(admin, tp, IsolationLevel.READ_COMMITTED) < endOffset(admin, tp, IsolationLevel.READ_UNCOMMITTED)) {
            assertTrue(System.nanoTime() < deadline, "the LSO did not move after the abort");
            Thread.sleep(50);
        }
        assertEquals(List.of("before-0", "before-1", "before-2", "after-0"), KafkaClients.readToEnd(bootstrapServers(), tp,
            IsolationLevel.READ_COMMITTED, WAIT));
        KafkaTool.Result afterAbort = transactions("describe-producers", "--topic", topic, "--partition", "0");
        assertEquals("None", cell(afterAbort, row(afterAbort, "ProducerId", producerId), "CurrentTransactionStartOffset"),
            afterAbort.toString());
    }

    private void produce(String topic, String... values) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, 0, null, value)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    private static long endOffset(Admin admin, TopicPartition tp, IsolationLevel isolation) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(isolation)).all()
            .get(WAIT.toSeconds(), TimeUnit.SECONDS).get(tp).offset();
    }
}
