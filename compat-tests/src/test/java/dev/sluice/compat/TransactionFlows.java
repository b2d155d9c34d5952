package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Kafka transactions as the official Java client uses them, against whatever broker or cluster a
 * subclass provides: what read_committed and read_uncommitted consumers see of committed and
 * aborted transactions, fencing of a producer by its successor, the broker aborting a transaction
 * that outlives its timeout, offsets committed through a transaction, the last stable offset
 * (LSO) holding consumers and ListOffsets back, and the Admin client's view of producers and
 * transactions.
 *
 * <p>Topic names and transactional ids are unique per test, so one broker serves every test of a
 * class; with the system property {@code sluice.compat.bootstrap} set to a broker's address the
 * tests run against that broker instead (a reference Kafka, to check the tests themselves).
 * Waits are polls with a deadline; the only fixed waits are those that prove something does
 * <em>not</em> happen for a while.
 */
abstract class TransactionFlows {
    /** How long a read_committed consumer is watched to show it stays behind an open transaction. */
    private static final Duration HELD_BACK = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(30);
    /**
     * Kafka checks for timed-out transactions every 10 s
     * ({@code transaction.abort.timed.out.transaction.cleanup.interval.ms}), so an abort on timeout
     * may come that much after the timeout itself.
     */
    private static final Duration TIMEOUT_ABORT_WAIT = Duration.ofSeconds(60);

    private final List<AutoCloseable> opened = new ArrayList<>();
    private Admin admin;

    /** The address of the broker or cluster the subclass runs. */
    abstract String brokerBootstrapServers();

    /** The replication factor of the topics the tests create. */
    abstract short replicationFactor();

    final String bootstrapServers() {
        return KafkaClients.bootstrapServers(this::brokerBootstrapServers);
    }

    @AfterEach
    void closeClients() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            AutoCloseable client = opened.get(i);
            if (client instanceof KafkaProducer<?, ?> producer) {
                producer.close(Duration.ofSeconds(5));
            } else if (client instanceof KafkaConsumer<?, ?> consumer) {
                consumer.close(Duration.ofSeconds(5));
            } else {
                client.close();
            }
        }
        opened.clear();
        admin = null;
    }

    final Admin admin() {
        if (admin == null) {
            admin = KafkaClients.admin(bootstrapServers());
            opened.add(admin);
        }
        return admin;
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    final String createTopic(String prefix, int partitions) throws Exception {
        String topic = unique(prefix);
        NewTopic newTopic = new NewTopic(topic, partitions, replicationFactor());
        if (replicationFactor() > 1) {
            newTopic.configs(Map.of("min.insync.replicas", "2"));
        }
        admin().createTopics(List.of(newTopic)).all().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return topic;
    }

    final KafkaProducer<String, String> transactionalProducer(String transactionalId, Map<String, Object> overrides) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) WAIT.toMillis());
        props.putAll(overrides);
        KafkaProducer<String, String> producer = new KafkaProducer<>(props);
        opened.add(producer);
        producer.initTransactions();
        return producer;
    }

    final KafkaProducer<String, String> transactionalProducer(String transactionalId) {
        return transactionalProducer(transactionalId, Map.of());
    }

    /** An idempotent producer outside any transaction. */
    final KafkaProducer<String, String> plainProducer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        KafkaProducer<String, String> producer = new KafkaProducer<>(props);
        opened.add(producer);
        return producer;
    }

    final KafkaConsumer<String, String> consumer(IsolationLevel isolation, Map<String, Object> overrides) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString());
        props.putAll(overrides);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
        opened.add(consumer);
        return consumer;
    }

    final KafkaConsumer<String, String> consumer(IsolationLevel isolation) {
        return consumer(isolation, Map.of());
    }

    private List<TopicPartition> partitions(String topic) throws Exception {
        int count = admin().describeTopics(List.of(topic)).allTopicNames().get(WAIT.toSeconds(), TimeUnit.SECONDS)
            .get(topic).partitions().size();
        return IntStream.range(0, count).mapToObj(p -> new TopicPartition(topic, p)).toList();
    }

    /**
     * Every record of {@code topic}, once no transaction is open on it, as a consumer with
     * {@code isolation} reads it: each partition from the start until its position reaches its end
     * offset. A producer's commitTransaction and abortTransaction return once the coordinator has
     * decided, before the markers are written, so this first waits for each partition's LSO to
     * reach its high watermark.
     */
    final List<ConsumerRecord<String, String>> readAll(String topic, IsolationLevel isolation) throws Exception {
        List<TopicPartition> partitions = partitions(topic);
        awaitNoOpenTransaction(partitions);
        KafkaConsumer<String, String> consumer = consumer(isolation);
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!reached(consumer, end)) {
            assertTrue(System.nanoTime() < deadline, "did not reach the end offsets " + end + " of " + topic
                + " (" + isolation + ") within " + WAIT.toSeconds() + " s; read " + values(records));
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        }
        return records;
    }

    final void awaitNoOpenTransaction(Collection<TopicPartition> partitions) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (TopicPartition tp : partitions) {
            while (endOffset(tp, IsolationLevel.READ_COMMITTED) < endOffset(tp, IsolationLevel.READ_UNCOMMITTED)) {
                assertTrue(System.nanoTime() < deadline, tp + " still has an open transaction after "
                    + WAIT.toSeconds() + " s: LSO " + endOffset(tp, IsolationLevel.READ_COMMITTED) + ", high watermark "
                    + endOffset(tp, IsolationLevel.READ_UNCOMMITTED));
                Thread.sleep(50);
            }
        }
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    static List<String> values(Collection<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::value).toList();
    }

    static List<String> numbered(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    }

    /** Sends {@code values} to {@code tp} and waits for every acknowledgement. */
    static List<RecordMetadata> sendAll(KafkaProducer<String, String> producer, TopicPartition tp, List<String> values)
            throws Exception {
        List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
        for (String value : values) {
            sent.add(producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), value, value)));
        }
        producer.flush();
        List<RecordMetadata> acks = new ArrayList<>();
        for (java.util.concurrent.Future<RecordMetadata> f : sent) {
            acks.add(f.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        return acks;
    }

    /** Whether {@code failure} or one of its causes is how Kafka clients report a fenced producer. */
    static boolean isFencing(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    final long endOffset(TopicPartition tp, IsolationLevel isolation) throws Exception {
        return admin().listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(isolation)).all()
            .get(WAIT.toSeconds(), TimeUnit.SECONDS).get(tp).offset();
    }

    final TransactionDescription describe(String transactionalId) throws Exception {
        return admin().describeTransactions(List.of(transactionalId)).description(transactionalId)
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    final Optional<ProducerState> producerState(TopicPartition tp, long producerId) throws Exception {
        return admin().describeProducers(List.of(tp)).partitionResult(tp).get(WAIT.toSeconds(), TimeUnit.SECONDS)
            .activeProducers().stream().filter(p -> p.producerId() == producerId).findFirst();
    }

    @Test
    void committedTransactionIsReadByReadCommittedConsumers() throws Exception {
        String topic = createTopic("txn-commit", 2);
        KafkaProducer<String, String> producer = transactionalProducer(unique("commit"));
        producer.beginTransaction();
        sendAll(producer, new TopicPartition(topic, 0), numbered("a", 3));
        sendAll(producer, new TopicPartition(topic, 1), numbered("b", 2));
        producer.commitTransaction();

        List<String> committed = values(readAll(topic, IsolationLevel.READ_COMMITTED));
        assertEquals(Set.of("a0", "a1", "a2", "b0", "b1"), Set.copyOf(committed), "read_committed");
        assertEquals(5, committed.size(), "read_committed, each record once: " + committed);
        // Three records and a commit marker: the marker takes an offset of its own.
        assertEquals(4, endOffset(new TopicPartition(topic, 0), IsolationLevel.READ_COMMITTED));
        assertEquals(4, endOffset(new TopicPartition(topic, 0), IsolationLevel.READ_UNCOMMITTED));
    }

    @Test
    void abortedTransactionIsSkippedByReadCommittedAndReadByReadUncommitted() throws Exception {
        String topic = createTopic("txn-abort", 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        KafkaProducer<String, String> producer = transactionalProducer(unique("abort"));
        producer.beginTransaction();
        sendAll(producer, tp, numbered("aborted-", 5));
        producer.abortTransaction();
        producer.beginTransaction();
        sendAll(producer, tp, numbered("committed-", 2));
        producer.commitTransaction();

        List<ConsumerRecord<String, String>> committed = readAll(topic, IsolationLevel.READ_COMMITTED);
        assertEquals(numbered("committed-", 2), values(committed));
        // 0-4 aborted, 5 the abort marker, 6-7 committed, 8 the commit marker.
        assertEquals(List.of(6L, 7L), committed.stream().map(ConsumerRecord::offset).toList());
        List<String> uncommitted = values(readAll(topic, IsolationLevel.READ_UNCOMMITTED));
        List<String> everything = new ArrayList<>(numbered("aborted-", 5));
        everything.addAll(numbered("committed-", 2));
        assertEquals(everything, uncommitted, "read_uncommitted sees aborted records too, never the markers");
    }

    @Test
    void readCommittedPositionMovesPastAbortedRecordsAndTheirMarker() throws Exception {
        String topic = createTopic("txn-skip", 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        KafkaProducer<String, String> producer = transactionalProducer(unique("skip"));
        producer.beginTransaction();
        sendAll(producer, tp, numbered("aborted-", 5));
        producer.abortTransaction();
        awaitNoOpenTransaction(List.of(tp));
        assertEquals(6, endOffset(tp, IsolationLevel.READ_COMMITTED), "five records and the abort marker");

        KafkaConsumer<String, String> consumer = consumer(IsolationLevel.READ_COMMITTED);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        List<ConsumerRecord<String, String>> seen = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (consumer.position(tp) < 6) {
            assertTrue(System.nanoTime() < deadline, "the position stayed at " + consumer.position(tp));
            consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
        }
        assertEquals(List.of(), values(seen));
        assertEquals(6, consumer.position(tp), "past the marker, not beyond the log end");
    }

    @Test
    void secondProducerWithTheSameTransactionalIdFencesTheFirstAndAbortsItsTransaction() throws Exception {
        String topic = createTopic("txn-fence", 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        String transactionalId = unique("fence");
        KafkaProducer<String, String> first = transactionalProducer(transactionalId);
        first.beginTransaction();
        sendAll(first, tp, numbered("zombie-", 3));

        KafkaProducer<String, String> second = transactionalProducer(transactionalId);
        KafkaException fenced = assertThrows(KafkaException.class, () -> {
            first.send(new ProducerRecord<>(topic, 0, "late", "late"));
            first.commitTransaction();
        });
        assertTrue(isFencing(fenced), "expected ProducerFencedException or InvalidProducerEpochException, got " + fenced);

        second.beginTransaction();
        sendAll(second, tp, numbered("successor-", 2));
        second.commitTransaction();

        assertEquals(numbered("successor-", 2), values(readAll(topic, IsolationLevel.READ_COMMITTED)),
            "the fenced producer's open transaction was aborted when its successor initialised");
        assertTrue(values(readAll(topic, IsolationLevel.READ_UNCOMMITTED)).containsAll(numbered("zombie-", 3)));
    }

    @Test
    void brokerAbortsATransactionThatOutlivesItsTimeout() throws Exception {
        String topic = createTopic("txn-timeout", 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        String stalledId = unique("stalled");
        KafkaProducer<String, String> stalled = transactionalProducer(stalledId,
            Map.of(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 2_000));
        stalled.beginTransaction();
        sendAll(stalled, tp, numbered("stalled-", 3));
        assertEquals(0, endOffset(tp, IsolationLevel.READ_COMMITTED), "the open transaction holds the LSO");

        KafkaProducer<String, String> other = transactionalProducer(unique("after"));
        other.beginTransaction();
        sendAll(other, tp, numbered("later-", 2));
        other.commitTransaction();

        // Nothing more from the stalled producer: only the broker can end its transaction.
        long deadline = System.nanoTime() + TIMEOUT_ABORT_WAIT.toNanos();
        while (endOffset(tp, IsolationLevel.READ_COMMITTED) < endOffset(tp, IsolationLevel.READ_UNCOMMITTED)) {
            assertTrue(System.nanoTime() < deadline, "the LSO stayed at " + endOffset(tp, IsolationLevel.READ_COMMITTED)
                + " for " + TIMEOUT_ABORT_WAIT.toSeconds() + " s after a transaction timeout of 2 s");
            Thread.sleep(200);
        }
        assertEquals(numbered("later-", 2), values(readAll(topic, IsolationLevel.READ_COMMITTED)));
        awaitState(stalledId, TransactionState.COMPLETE_ABORT);
        assertThrows(KafkaException.class, stalled::commitTransaction,
            "a transaction the broker aborted cannot be committed");
    }

    @Test
    void offsetsSentToATransactionAreCommittedOnlyWithIt() throws Exception {
        String input = createTopic("txn-ctp-in", 1);
        String output = createTopic("txn-ctp-out", 1);
        TopicPartition in = new TopicPartition(input, 0);
        sendAll(plainProducer(), in, numbered("in-", 10));
        String group = unique("ctp-group");
        KafkaConsumer<String, String> consumer = consumer(IsolationLevel.READ_COMMITTED,
            Map.of(ConsumerConfig.GROUP_ID_CONFIG, group));
        consumer.subscribe(List.of(input));
        String transactionalId = unique("ctp");
        KafkaProducer<String, String> producer = transactionalProducer(transactionalId);

        // First pass: transform everything, send the offsets, abort.
        List<ConsumerRecord<String, String>> batch = pollUntil(consumer, 10);
        producer.beginTransaction();
        for (ConsumerRecord<String, String> r : batch) {
            producer.send(new ProducerRecord<>(output, 0, r.key(), r.value().toUpperCase()));
        }
        producer.sendOffsetsToTransaction(Map.of(in, new OffsetAndMetadata(10)), consumer.groupMetadata());
        producer.flush();
        assertEquals(Map.of(), committedOffsets(group), "offsets of an open transaction are not committed yet");
        producer.abortTransaction();
        awaitState(transactionalId, TransactionState.COMPLETE_ABORT);
        assertEquals(Map.of(), committedOffsets(group), "offsets of an aborted transaction are never committed");
        assertEquals(List.of(), values(readAll(output, IsolationLevel.READ_COMMITTED)));

        // Second pass, from the last committed position (none: the start), committed.
        consumer.seek(in, 0);
        batch = pollUntil(consumer, 10);
        producer.beginTransaction();
        for (ConsumerRecord<String, String> r : batch) {
            producer.send(new ProducerRecord<>(output, 0, r.key(), r.value().toUpperCase()));
        }
        producer.sendOffsetsToTransaction(Map.of(in, new OffsetAndMetadata(10)), consumer.groupMetadata());
        producer.commitTransaction();

        awaitCommitted(group, Map.of(in, 10L));
        assertEquals(numbered("IN-", 10), values(readAll(output, IsolationLevel.READ_COMMITTED)));

        // And an abort after a commit leaves the committed offset where it was.
        sendAll(plainProducer(), in, numbered("more-", 5));
        batch = pollUntil(consumer, 5);
        producer.beginTransaction();
        producer.sendOffsetsToTransaction(Map.of(in, new OffsetAndMetadata(15)), consumer.groupMetadata());
        producer.abortTransaction();
        awaitState(transactionalId, TransactionState.COMPLETE_ABORT);
        assertEquals(Map.of(in, 10L), committedOffsets(group), "an aborted transaction's offsets are dropped");
    }

    /** Waits for the commit marker to reach the group coordinator, which then shows the offsets. */
    private void awaitCommitted(String group, Map<TopicPartition, Long> expected) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!committedOffsets(group).equals(expected)) {
            assertTrue(System.nanoTime() < deadline, "group " + group + " has committed " + committedOffsets(group)
                + ", not " + expected + ", " + WAIT.toSeconds() + " s after the transaction's commit");
            Thread.sleep(50);
        }
    }

    private static List<ConsumerRecord<String, String>> pollUntil(KafkaConsumer<String, String> consumer, int count) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (records.size() < count) {
            assertTrue(System.nanoTime() < deadline, "only " + records.size() + " of " + count + " records within "
                + WAIT.toSeconds() + " s: " + values(records));
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        }
        assertEquals(count, records.size(), "more records than expected: " + values(records));
        return records;
    }

    private Map<TopicPartition, Long> committedOffsets(String group) throws Exception {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(WAIT.toSeconds(), TimeUnit.SECONDS)
            .forEach((tp, offset) -> {
                if (offset != null) {
                    offsets.put(tp, offset.offset());
                }
            });
        return offsets;
    }

    @Test
    void readCommittedConsumerStopsAtTheLastStableOffsetUntilTheTransactionCommits() throws Exception {
        String topic = createTopic("txn-lso", 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        KafkaProducer<String, String> plain = plainProducer();
        sendAll(plain, tp, numbered("before-", 2));
        KafkaProducer<String, String> producer = transactionalProducer(unique("lso"));
        producer.beginTransaction();
        long start = sendAll(producer, tp, numbered("open-", 3)).get(0).offset();
        assertEquals(2, start);
        sendAll(plain, tp, numbered("after-", 2));

        assertEquals(2, endOffset(tp, IsolationLevel.READ_COMMITTED), "ListOffsets read_committed: the LSO");
        assertEquals(7, endOffset(tp, IsolationLevel.READ_UNCOMMITTED), "ListOffsets read_uncommitted: the high watermark");
        KafkaConsumer<String, String> consumer = consumer(IsolationLevel.READ_COMMITTED);
        assertEquals(2L, consumer.endOffsets(List.of(tp)).get(tp), "a read_committed consumer's endOffsets: the LSO");

        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        List<ConsumerRecord<String, String>> seen = new ArrayList<>();
        long until = System.nanoTime() + HELD_BACK.toNanos();
        while (System.nanoTime() < until) {
            consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
        }
        assertEquals(numbered("before-", 2), values(seen), "nothing at or beyond the LSO while the transaction is open");
        assertEquals(2, consumer.position(tp));

        producer.commitTransaction();
        List<String> expected = new ArrayList<>(numbered("before-", 2));
        expected.addAll(numbered("open-", 3));
        expected.addAll(numbered("after-", 2));
        seen.addAll(pollUntil(consumer, 5));
        assertEquals(expected, values(seen));
        // The commit marker is the last offset: 0-1, 2-4 transactional, 5-6, marker 7.
        assertEquals(8, endOffset(tp, IsolationLevel.READ_COMMITTED));
        assertEquals(8L, consumer.endOffsets(List.of(tp)).get(tp));
    }

    @Test
    void describeProducersShowsTheOpenTransactionsStartOffset() throws Exception {
        String topic = createTopic("txn-producers", 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        sendAll(plainProducer(), tp, numbered("plain-", 4));
        String transactionalId = unique("producers");
        KafkaProducer<String, String> producer = transactionalProducer(transactionalId);
        producer.beginTransaction();
        sendAll(producer, tp, numbered("open-", 2));
        long producerId = describe(transactionalId).producerId();

        ProducerState open = producerState(tp, producerId).orElseThrow(
            () -> new AssertionError("describeProducers does not list producer " + producerId));
        assertEquals(OptionalLong.of(4), open.currentTransactionStartOffset());
        assertEquals(1, open.lastSequence(), "two records, sequences 0 and 1");

        producer.commitTransaction();
        // commitTransaction returns once the coordinator has decided; the marker follows.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (producerState(tp, producerId).orElseThrow().currentTransactionStartOffset().isPresent()) {
            assertTrue(System.nanoTime() < deadline, "the partition still has the transaction open " + WAIT.toSeconds()
                + " s after its commit: " + producerState(tp, producerId));
            Thread.sleep(50);
        }
    }

    @Test
    void listAndDescribeTransactionsFollowATransactionFromOngoingToCompleteCommit() throws Exception {
        String topic = createTopic("txn-describe", 2);
        String transactionalId = unique("describe");
        KafkaProducer<String, String> producer = transactionalProducer(transactionalId,
            Map.of(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 45_000));
        producer.beginTransaction();
        sendAll(producer, new TopicPartition(topic, 0), List.of("x"));
        sendAll(producer, new TopicPartition(topic, 1), List.of("y"));

        TransactionDescription ongoing = describe(transactionalId);
        assertEquals(TransactionState.ONGOING, ongoing.state());
        assertEquals(Set.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1)), ongoing.topicPartitions());
        assertEquals(45_000, ongoing.transactionTimeoutMs());
        assertTrue(ongoing.producerId() >= 0, "producer id " + ongoing.producerId());
        assertTrue(ongoing.producerEpoch() >= 0, "producer epoch " + ongoing.producerEpoch());
        assertTrue(ongoing.transactionStartTimeMs().isPresent(), "an ongoing transaction has a start time");
        assertTrue(admin().describeCluster().nodes().get(WAIT.toSeconds(), TimeUnit.SECONDS).stream()
            .anyMatch(n -> n.id() == ongoing.coordinatorId()), "coordinator " + ongoing.coordinatorId() + " is a broker");
        assertEquals(OptionalLong.of(0), producerState(new TopicPartition(topic, 1), ongoing.producerId())
            .orElseThrow().currentTransactionStartOffset());

        Map<String, TransactionListing> listed = listTransactions(new ListTransactionsOptions());
        assertTrue(listed.containsKey(transactionalId), "listTransactions: " + listed.keySet());
        assertEquals(TransactionState.ONGOING, listed.get(transactionalId).state());
        assertEquals(ongoing.producerId(), listed.get(transactionalId).producerId());
        assertTrue(listTransactions(new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING)))
            .containsKey(transactionalId), "filtered on ONGOING");

        producer.commitTransaction();
        TransactionDescription done = awaitState(transactionalId, TransactionState.COMPLETE_COMMIT);
        assertEquals(Set.of(), done.topicPartitions(), "a completed transaction holds no partitions");
        assertEquals(ongoing.producerId(), done.producerId());
        assertTrue(done.producerEpoch() >= ongoing.producerEpoch());
        assertTrue(!listTransactions(new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING)))
            .containsKey(transactionalId), "no longer listed as ONGOING");
        assertEquals(TransactionState.COMPLETE_COMMIT,
            listTransactions(new ListTransactionsOptions()).get(transactionalId).state());

        producer.beginTransaction();
        sendAll(producer, new TopicPartition(topic, 0), List.of("z"));
        producer.abortTransaction();
        awaitState(transactionalId, TransactionState.COMPLETE_ABORT);
    }

    private Map<String, TransactionListing> listTransactions(ListTransactionsOptions options) throws Exception {
        return admin().listTransactions(options).all().get(WAIT.toSeconds(), TimeUnit.SECONDS).stream()
            .collect(Collectors.toMap(TransactionListing::transactionalId, l -> l));
    }

    /** Waits through the short PREPARE_ states a transaction passes on its way to {@code state}. */
    private TransactionDescription awaitState(String transactionalId, TransactionState state) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            TransactionDescription description = describe(transactionalId);
            if (description.state() == state) {
                return description;
            }
            if (System.nanoTime() > deadline) {
                fail(transactionalId + " is " + description + ", not " + state + ", after " + WAIT.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }
}
