package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * An ordinary acks=all producer that writes to one topic from its own thread for as long as it
 * runs, remembering every record the broker acknowledged (partition, offset, value). Afterwards
 * {@link #assertNothingAcknowledgedWasLost} reads the topic back and checks each one is still
 * there. It counts acknowledgements, so a test can compare its throughput with and without load
 * from other clients.
 */
final class AckedProducer implements AutoCloseable {
    private final String bootstrap;
    private final String topic;
    private final KafkaProducer<String, String> producer;
    /** Per partition, the acknowledged offsets and the sequence number in each record's value, as pairs. */
    private final Map<Integer, Acked> acknowledged = new ConcurrentHashMap<>();
    private final AtomicLong acks = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<Exception> lastFailure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean running = true;

    AckedProducer(String bootstrap, String topic) {
        this(bootstrap, topic, Map.of());
    }

    /** As {@link #AckedProducer(String, String)}, with {@code overrides} on top of its producer configs. */
    AckedProducer(String bootstrap, String topic, Map<String, Object> overrides) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        props.putAll(overrides);
        producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
        thread = new Thread(this::run, "acked-producer");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long n = 0;
        while (running) {
            long sequence = n++;
            String value = "acked-" + sequence;
            try {
                producer.send(new ProducerRecord<>(topic, value, value), (metadata, error) -> {
                    if (error != null) {
                        failures.incrementAndGet();
                        lastFailure.set(error);
                        return;
                    }
                    acknowledged.computeIfAbsent(metadata.partition(), p -> new Acked()).add(metadata.offset(), sequence);
                    acks.incrementAndGet();
                });
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                lastFailure.set(e);
            }
        }
    }

    /** Records acknowledged so far. */
    long acks() {
        return acks.get();
    }

    /** Records of {@code partition} acknowledged so far. */
    long acks(int partition) {
        Acked acked = acknowledged.get(partition);
        return acked == null ? 0 : acked.size();
    }

    long failures() {
        return failures.get();
    }

    String lastFailure() {
        Exception e = lastFailure.get();
        return e == null ? "none" : e.toString();
    }

    /** Stops sending and waits for every record sent to be acknowledged or to fail. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(30_000);
        producer.flush();
        producer.close(Duration.ofSeconds(30));
    }

    /** Reads the whole topic and checks every acknowledged record is at its offset with its value. */
    void assertNothingAcknowledgedWasLost() {
        readBack(false);
    }

    /**
     * As {@link #assertNothingAcknowledgedWasLost}, and more: the log of every partition written to
     * holds only this producer's records, none twice, in the order they were sent (what an
     * idempotent producer promises), so no offset holds a record that was written on one broker
     * and never replicated to the others.
     */
    void assertEachRecordOnceInOrderAndNothingAcknowledgedLost() {
        readBack(true);
    }

    /** Reads every partition that had acknowledgements from its start to its end, checking as it goes (a log may hold millions). */
    private void readBack(boolean eachOnceInOrder) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new StringDeserializer())) {
            for (Map.Entry<Integer, Acked> e : acknowledged.entrySet()) {
                TopicPartition partition = new TopicPartition(topic, e.getKey());
                long[][] pairs = e.getValue().sortedByOffset();
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                // Read at least past the last acknowledged offset: a broker that has just rejoined may
                // still answer from an image in which it leads, with the end it had when it was cut off.
                long acknowledgedEnd = pairs.length == 0 ? 0 : pairs[pairs.length - 1][0] + 1;
                long end = Math.max(consumer.endOffsets(List.of(partition)).get(partition), acknowledgedEnd);
                int next = 0;
                long previous = -1;
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                        if (next < pairs.length && pairs[next][0] < r.offset()) {
                            fail(partition + " offset " + pairs[next][0] + " was acknowledged but is not in the log");
                        }
                        if (next < pairs.length && pairs[next][0] == r.offset()) {
                            assertEquals("acked-" + pairs[next][1], r.value(), partition + " offset " + r.offset());
                            next++;
                        }
                        if (eachOnceInOrder) {
                            previous = assertSentAfter(partition, r, previous);
                        }
                    }
                }
                assertEquals(pairs.length, next, partition + ": acknowledged records past the log end "
                    + end + " or not read back in time");
            }
        }
    }

    /** Checks {@code r} is one of this producer's records, sent after record {@code previous}; returns its number. */
    private static long assertSentAfter(TopicPartition partition, ConsumerRecord<String, String> r, long previous) {
        if (!r.value().startsWith("acked-")) {
            fail(partition + " offset " + r.offset() + " holds a record this producer never sent: " + r.value());
        }
        long sequence = Long.parseLong(r.value().substring("acked-".length()));
        if (sequence <= previous) {
            fail(partition + " offset " + r.offset() + " holds record " + sequence + " after record " + previous
                + ": written twice or out of order");
        }
        return sequence;
    }

    /** Acknowledged (offset, sequence) pairs of one partition; appended by the producer's I/O thread. */
    private static final class Acked {
        private long[] offsets = new long[1024];
        private long[] sequences = new long[1024];
        private int size;

        synchronized void add(long offset, long sequence) {
            if (size == offsets.length) {
                offsets = Arrays.copyOf(offsets, size * 2);
                sequences = Arrays.copyOf(sequences, size * 2);
            }
            offsets[size] = offset;
            sequences[size++] = sequence;
        }

        synchronized int size() {
            return size;
        }

        synchronized long[][] sortedByOffset() {
            long[][] pairs = new long[size][];
            for (int i = 0; i < size; i++) {
                pairs[i] = new long[] {offsets[i], sequences[i]};
            }
            Arrays.sort(pairs, (a, b) -> Long.compare(a[0], b[0]));
            return pairs;
        }
    }
}
