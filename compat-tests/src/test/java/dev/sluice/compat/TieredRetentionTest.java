package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
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
 * What removes data from a tiered topic removes it from the object store too: total retention
 * ({@code retention.bytes}), DeleteRecords below the local log start, and topic deletion.
 */
class TieredRetentionTest {
    @TempDir
    Path dataDir;
    @TempDir
    Path storeDir;

    private static void produce(String bootstrap, String topic, int count) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        String padding = "r".repeat(1000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
            new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, i + "-" + padding));
            }
        }
    }

    private static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).all().get().get(tp).offset();
    }

    /** Segment objects in the store; the walk is retried when the broker deletes what it is looking at. */
    private long segmentObjects() throws IOException {
        while (true) {
            try (Stream<Path> files = Files.walk(storeDir)) {
                return files.filter(p -> p.toString().endsWith(".log")).count();
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException)) {
                    throw e;
                }
            }
        }
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(100);
        }
    }

    private static boolean check(Checked condition) {
        try {
            return condition.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @FunctionalInterface
    private interface Checked {
        boolean get() throws Exception;
    }

    @Test
    void totalRetentionDeleteRecordsAndTopicDeletionReachTheStore() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().dataDir(dataDir)
                .config("remote.log.storage.system.enable", "true")
                .config("sluice.remote.storage.uri", storeDir.toUri().toString())
                .config("remote.log.manager.task.interval.ms", "100")
                .config("log.retention.check.interval.ms", "100")
                .start();
             Admin admin = KafkaClients.admin(broker)) {
            TopicPartition tp = new TopicPartition("tiered-retention", 0);
            admin.createTopics(List.of(new NewTopic(tp.topic(), 1, (short) 1).configs(Map.of("remote.storage.enable",
                "true", "segment.bytes", "1048576", "local.retention.bytes", "1048576",
                "retention.bytes", "6291456")))).all().get();
            produce(broker.bootstrapServers(), tp.topic(), 15_000);

            // About 15 MB written, 6 MiB kept in all: the oldest tiered segments go from the store.
            await(() -> check(() -> offset(admin, tp, OffsetSpec.earliest()) > 0), "total retention moved the start");
            await(() -> check(() -> segmentObjects() <= 7), "retention deleted segment objects");
            long earliest = offset(admin, tp, OffsetSpec.earliest());
            long earliestLocal = offset(admin, tp, OffsetSpec.earliestLocal());
            assertTrue(earliest < earliestLocal, "part of the kept data is only in the store: " + earliest + " < "
                + earliestLocal);

            long target = (earliest + earliestLocal) / 2;
            admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(target))).all().get();
            assertEquals(target, offset(admin, tp, OffsetSpec.earliest()), "DeleteRecords inside the store's range");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "auto.offset.reset", "earliest"), new StringDeserializer(),
                new StringDeserializer())) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                ConsumerRecord<String, String> first = null;
                while (first == null) {
                    assertTrue(System.nanoTime() < deadline, "nothing read after DeleteRecords");
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        first = r;
                        break;
                    }
                }
                assertEquals(target, first.offset(), "reading starts at the new log start");
                assertTrue(first.value().startsWith(target + "-"), first.value());
            }

            admin.deleteTopics(List.of(tp.topic())).all().get();
            await(() -> check(() -> segmentObjects() == 0), "topic deletion emptied the store");
        }
    }
}
