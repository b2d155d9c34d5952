package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic name may have 249 characters. Deleting such a topic must work like any other: Kafka
 * shortens the topic part of the "-delete" directory name so that it fits the file system's
 * 255-byte limit. Renaming to name-partition.uuid-delete in full fails with "File name too long",
 * leaves the directory behind and logs a stack trace; the directory's records would then be served
 * again by a topic re-created under the same name.
 */
class LongTopicNameDeletionTest {
    @TempDir
    Path dataDir;

    @Test
    void aTopicWithALongestLegalNameIsDeletedAndItsRecordsDoNotComeBack() throws Exception {
        String name = "t".repeat(249);
        try (BrokerProcess broker = BrokerProcess.start(dataDir, BrokerProcess.freePort());
             Admin admin = KafkaClients.admin(broker.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
                producer.send(new ProducerRecord<>(name, "before-delete")).get(30, TimeUnit.SECONDS);
            }
            admin.deleteTopics(List.of(name)).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (leftOver(name) && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(!leftOver(name), "the deleted topic's directory is still in " + dataDir);
            assertTrue(ProtocolFuzzTest.stackTraces(broker.output()).isEmpty(), broker.output());

            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            TopicPartition p = new TopicPartition(name, 0);
            long end = admin.listOffsets(java.util.Map.of(p, OffsetSpec.latest())).partitionResult(p)
                .get(30, TimeUnit.SECONDS).offset();
            assertEquals(0, end, "the re-created topic starts empty");
        }
    }

    private boolean leftOver(String name) throws Exception {
        try (Stream<Path> dirs = Files.list(dataDir)) {
            return dirs.anyMatch(d -> d.getFileName().toString().startsWith(name));
        }
    }
}
