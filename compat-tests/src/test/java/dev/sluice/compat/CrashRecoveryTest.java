package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged broker is killed with {@code kill -9} at a random moment of heavy {@code acks=all}
 * production by several idempotent producers to several partitions, and restarted on the same
 * port and data. The producers live through the restart: what they had in flight when the broker
 * died they retry against its successor, whose producer state (snapshot plus replay) must
 * recognise what it already holds. After every restart each acknowledged record is in the log
 * exactly once, at the offset it was acknowledged with, and no offset was acknowledged twice.
 *
 * <p>Rounds: {@value #DEFAULT_ROUNDS} by default; more with {@code -Dsluice.crash.rounds=N}
 * (see docs/durability.md). The seed is printed; {@code -Dsluice.crash.seed=S} repeats the same
 * amounts of traffic before each kill.
 */
class CrashRecoveryTest {
    private static final int DEFAULT_ROUNDS = 3;
    private static final String TOPIC = "crash-recovery";
    private static final int PARTITIONS = 4;
    private static final int PRODUCERS = 3;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dataDir;

    private final List<BrokerProcess> started = new ArrayList<>();
    /** Per partition: acknowledged offset to value. */
    private final Map<Integer, ConcurrentMap<Long, String>> acknowledged = new HashMap<>();
    private final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger acks = new AtomicInteger();

    @AfterEach
    void stopEveryBroker() {
        for (BrokerProcess broker : started) {
            broker.close();
        }
    }

    private BrokerProcess start(int port) throws Exception {
        BrokerProcess broker = BrokerProcess.start(dataDir, port);
        started.add(broker);
        return broker;
    }

    private static KafkaProducer<String, String> producer(BrokerProcess broker, int index) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "crash-producer-" + index);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 8 * 1024);
        // Long enough to outlive a restart of the broker, so in-flight batches are retried, not failed.
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 256 * 1024);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(props);
    }

    private void send(KafkaProducer<String, String> producer, int partition, String value) {
        producer.send(new ProducerRecord<>(TOPIC, partition, null, value), (md, error) -> {
            if (error != null) {
                // Unacknowledged: it may or may not be in the log, and must not be there twice.
                return;
            }
            acks.incrementAndGet();
            String previous = acknowledged.get(partition).putIfAbsent(md.offset(), value);
            if (previous != null) {
                violations.add("offset " + md.offset() + " of partition " + partition + " acknowledged for "
                    + previous + " and for " + value);
            }
        });
    }

    @Test
    void everyAcknowledgedRecordIsPresentExactlyOnceAtItsOffsetAfterEachKill() throws Exception {
        int rounds = Integer.getInteger("sluice.crash.rounds", DEFAULT_ROUNDS);
        long seed = Long.getLong("sluice.crash.seed", System.nanoTime());
        System.out.println("CrashRecoveryTest: " + rounds + " rounds, seed " + seed);
        Random random = new Random(seed);
        for (int p = 0; p < PARTITIONS; p++) {
            acknowledged.put(p, new ConcurrentHashMap<>());
        }
        BrokerProcess broker = start(BrokerProcess.freePort());
        try (Admin admin = PackagedBrokerTest.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get();
        }
        int[] sequence = new int[PRODUCERS];
        // Records the producers had to retry against the restarted broker, over all rounds.
        int acknowledgedAfterRestart = 0;
        for (int round = 0; round < rounds; round++) {
            List<KafkaProducer<String, String>> producers = new ArrayList<>();
            for (int i = 0; i < PRODUCERS; i++) {
                producers.add(producer(broker, i));
            }
            try {
                // Kill after a random amount of traffic, while sends keep coming.
                int killAfter = 1_000 + random.nextInt(6_000);
                int acksBefore = acks.get();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                int sent = 0;
                // ...and only while some of it is unacknowledged, so requests are in flight at the kill.
                while ((sent < killAfter || acks.get() - acksBefore < 200 || acks.get() - acksBefore >= sent)
                    && System.nanoTime() < deadline) {
                    int p = sent % PRODUCERS;
                    send(producers.get(p), random.nextInt(PARTITIONS), "p" + p + "-" + sequence[p]++);
                    sent++;
                }
                assertTrue(acks.get() - acksBefore >= 200, "round " + round + " got only "
                    + (acks.get() - acksBefore) + " acknowledgements in 30 s");
                broker.kill();
                int ackedAtKill = acks.get() - acksBefore;
                broker = start(broker.port());
                for (KafkaProducer<String, String> producer : producers) {
                    producer.flush();
                }
                System.out.printf("round %d: %d sent, %d acknowledged before kill -9, %d after restart%n",
                    round + 1, sent, ackedAtKill, acks.get() - acksBefore);
                acknowledgedAfterRestart += sent - ackedAtKill;
            } finally {
                for (KafkaProducer<String, String> producer : producers) {
                    producer.close(Duration.ofSeconds(5));
                }
            }
            verify(broker, round + 1);
        }
        assertTrue(acknowledgedAfterRestart > 0, "every record was acknowledged before its kill: no retry"
            + " across a restart was tested");
        assertEquals(0, broker.terminate(STOP_TIMEOUT), "exit code after SIGTERM; output:\n" + broker.output());
    }

    private void verify(BrokerProcess broker, int round) {
        assertEquals(List.of(), violations, "acknowledgements after kill -9 number " + round);
        for (int p = 0; p < PARTITIONS; p++) {
            List<ConsumerRecord<String, String>> records = PackagedBrokerTest.readAll(broker,
                new TopicPartition(TOPIC, p));
            Map<String, Long> offsetOfValue = new HashMap<>();
            Map<Long, String> log = new HashMap<>();
            for (ConsumerRecord<String, String> r : records) {
                Long earlier = offsetOfValue.put(r.value(), r.offset());
                assertEquals(null, earlier, r.value() + " is in partition " + p + " twice, at " + earlier + " and "
                    + r.offset() + " after kill -9 number " + round);
                log.put(r.offset(), r.value());
            }
            for (Map.Entry<Long, String> e : acknowledged.get(p).entrySet()) {
                assertEquals(e.getValue(), log.get(e.getKey()), "record acknowledged at offset " + e.getKey()
                    + " of partition " + p + ", after kill -9 number " + round);
            }
        }
    }
}
