package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention and the log start offset end to end with the official clients: a topic with
 * {@code retention.ms=1000} and small segments loses its old data within seconds, and the log
 * start offset (retention's and DeleteRecords') survives a restart.
 */
class RetentionTest {
    @TempDir
    Path dataDir;

    private static SluiceBroker start(Path dir) {
        return SluiceBroker.builder().dataDir(dir).config("log.retention.check.interval.ms", "200")
            .config("log.segment.delete.delay.ms", "0").start();
    }

    private static Admin admin(SluiceBroker broker) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return Admin.create(props);
    }

    private static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get().offset();
    }

    /** Writes {@code count} records of {@code size} bytes, each acknowledged. */
    private static void produce(SluiceBroker broker, String topic, int count, int size) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, new byte[size]));
            }
            producer.flush();
            producer.send(new ProducerRecord<>(topic, 0, null, new byte[size])).get();
        }
    }

    @Test
    void retentionMsMovesTheLogStartWithinSecondsAndARestartKeepsIt() throws Exception {
        TopicPartition retained = new TopicPartition("retained", 0);
        TopicPartition trimmed = new TopicPartition("trimmed", 0);
        long retainedStart;
        try (SluiceBroker broker = start(dataDir); Admin admin = admin(broker)) {
            admin.createTopics(List.of(
                new NewTopic(retained.topic(), 1, (short) 1).configs(Map.of("retention.ms", "1000",
                    "segment.bytes", "1048576", "segment.ms", "300")),
                new NewTopic(trimmed.topic(), 1, (short) 1))).all().get();
            // About 3 MiB: three or four segments of 1 MiB.
            produce(broker, retained.topic(), 300, 10_000);
            long end = offset(admin, retained, OffsetSpec.latest());
            assertEquals(301, end);

            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            long start = offset(admin, retained, OffsetSpec.earliest());
            while (start < end && System.nanoTime() < deadline) {
                start = offset(admin, retained, OffsetSpec.earliest());
            }
            assertEquals(end, start, "every record is older than retention.ms, so the log starts at its end");
            retainedStart = start;

            // DeleteRecords inside a segment: only the checkpoint can restore this start.
            produce(broker, trimmed.topic(), 19, 100);
            admin.deleteRecords(Map.of(trimmed, RecordsToDelete.beforeOffset(7))).all().get();
            assertEquals(7, offset(admin, trimmed, OffsetSpec.earliest()));
        }
        assertTrue(Files.exists(dataDir.resolve("log-start-offset-checkpoint")));
        assertTrue(Files.exists(dataDir.resolve("recovery-point-offset-checkpoint")));
        assertTrue(Files.exists(dataDir.resolve("replication-offset-checkpoint")));

        try (SluiceBroker broker = start(dataDir); Admin admin = admin(broker)) {
            assertEquals(retainedStart, offset(admin, retained, OffsetSpec.earliest()));
            assertEquals(retainedStart, offset(admin, retained, OffsetSpec.latest()));
            assertEquals(7, offset(admin, trimmed, OffsetSpec.earliest()));
            assertEquals(20, offset(admin, trimmed, OffsetSpec.latest()));
        }
    }
}
