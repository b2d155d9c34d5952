package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged broker killed with {@code kill -9} while it copies segments to the directory object
 * store: after each restart every acknowledged record is read back from offset 0, and every object
 * the store shows is whole (a segment object is a sequence of complete batches).
 */
class TieredCrashTest {
    private static final String TOPIC = "tiered-crash";

    @TempDir
    Path dataDir;
    @TempDir
    Path storeDir;

    private BrokerProcess start(int port) throws Exception {
        return BrokerProcess.start(dataDir, port, "remote.log.storage.system.enable=true",
            "sluice.remote.storage.uri=" + storeDir.toUri(), "remote.log.manager.task.interval.ms=20",
            "log.retention.check.interval.ms=100");
    }

    @Test
    void killingTheBrokerDuringUploadsLosesNoAcknowledgedRecordAndLeavesNoPartialObject() throws Exception {
        int port = BrokerProcess.freePort();
        Random random = new Random();
        Map<Long, String> acknowledged = new ConcurrentHashMap<>();
        BrokerProcess broker = start(port);
        try {
            try (Admin admin = KafkaClients.admin(broker.bootstrapServers())) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of("remote.storage.enable",
                    "true", "segment.bytes", "1048576", "local.retention.bytes", "1048576")))).all().get();
            }
            for (int round = 0; round < 3; round++) {
                produceUntilKilled(broker, round, random.nextInt(1500) + 1000, acknowledged);
                List<Path> cutShort = files(name -> name.endsWith(".tmp"));
                broker = start(port);
                checkStore(cutShort);
                replay(broker.bootstrapServers(), acknowledged);
            }
            try (Admin admin = KafkaClients.admin(broker.bootstrapServers())) {
                TopicPartition tp = new TopicPartition(TOPIC, 0);
                long earliestLocal = admin.listOffsets(Map.of(tp, OffsetSpec.earliestLocal())).all().get().get(tp).offset();
                assertTrue(earliestLocal > 0, "the replays above read segments from the store");
            }
        } finally {
            broker.close();
        }
    }

    private void produceUntilKilled(BrokerProcess broker, int round, int killAfterMs, Map<Long, String> acknowledged)
            throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "5000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        AtomicBoolean stop = new AtomicBoolean();
        String padding = "y".repeat(900);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
            new StringSerializer())) {
            Thread killer = new Thread(() -> {
                try {
                    Thread.sleep(killAfterMs);
                    broker.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                stop.set(true);
            });
            killer.start();
            for (int i = 0; !stop.get(); i++) {
                String value = round + "-" + i + "-" + padding;
                producer.send(new ProducerRecord<>(TOPIC, 0, null, value), (metadata, error) -> {
                    if (error == null) {
                        acknowledged.put(metadata.offset(), value);
                    }
                });
                if (i % 200 == 0) {
                    Thread.sleep(1);
                }
            }
            killer.join();
            producer.close(Duration.ofSeconds(6));
        }
    }

    /** The store's files whose name passes {@code name}, listed again if an upload moved one mid-walk. */
    private List<Path> files(Predicate<String> name) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (Stream<Path> files = Files.walk(storeDir)) {
                return files.filter(Files::isRegularFile).filter(f -> name.test(f.getFileName().toString())).toList();
            } catch (UncheckedIOException e) {
                if (attempt == 5) {
                    throw e.getCause();
                }
            }
        }
    }

    /**
     * The puts the kill cut short were cleared away when the store was opened again (the
     * restarted broker's own uploads may be under way), and every visible segment object parses as
     * whole batches to its last byte.
     */
    private void checkStore(List<Path> cutShort) throws IOException {
        for (Path partial : cutShort) {
            assertFalse(Files.exists(partial), "a partial upload was left behind: " + partial);
        }
        for (Path object : files(name -> name.endsWith(".log"))) {
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(object));
            while (bytes.remaining() >= 12) {
                int size = 12 + bytes.getInt(bytes.position() + 8);
                assertTrue(size <= bytes.remaining(), "a cut batch in " + object);
                bytes.position(bytes.position() + size);
            }
            assertEquals(0, bytes.remaining(), "trailing bytes in " + object);
        }
    }

    private static void replay(String bootstrap, Map<Long, String> acknowledged) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        long last = acknowledged.keySet().stream().mapToLong(Long::longValue).max().orElse(-1);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            long next = 0;
            int matched = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (next <= last) {
                assertTrue(System.nanoTime() < deadline, "replayed only up to offset " + next + " of " + last);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    assertEquals(next, r.offset(), "offsets are contiguous from 0");
                    String expected = acknowledged.get(r.offset());
                    if (expected != null) {
                        assertEquals(expected, r.value(), "acknowledged record at offset " + r.offset());
                        matched++;
                    }
                    next++;
                }
            }
            assertEquals(acknowledged.size(), matched, "every acknowledged record was read back");
        }
    }
}
