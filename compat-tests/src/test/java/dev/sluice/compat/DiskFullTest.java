package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged broker's data directory on a small tmpfs that fills up under {@code acks=all}
 * load: produce answers errors and the broker keeps serving; then the broker is killed, the file
 * system grows (as an operator would free space), and after a restart every topic, every
 * acknowledged record and every committed offset is there, readable, with valid CRCs. Mounting
 * needs root (CI runs as root); elsewhere the test is skipped.
 */
@EnabledOnOs(OS.LINUX)
class DiskFullTest {
    private static final String TOPIC = "filling";

    @TempDir
    Path temp;
    private Path dataDir;
    private boolean mounted;

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @BeforeEach
    void mountSmallFileSystem() throws Exception {
        dataDir = Files.createDirectory(temp.resolve("data"));
        mounted = run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dataDir.toString()) == 0;
        assumeTrue(mounted, "mounting a tmpfs needs root");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run("umount", "-l", dataDir.toString());
        }
    }

    @Test
    void aFullDiskRefusesWritesLosesNothingAndRecoversOnceThereIsRoom() throws Exception {
        int port = BrokerProcess.freePort();
        String[] overrides = {"log.segment.bytes=1048576", "offsets.topic.num.partitions=1",
            "offsets.topic.segment.bytes=1048576", "group.initial.rebalance.delay.ms=0"};
        Map<Integer, Map<Long, String>> acked = new ConcurrentHashMap<>();
        Map<TopicPartition, Long> committed = new HashMap<>();
        TopicPartition p0 = new TopicPartition(TOPIC, 0);
        boolean createdWhileFull;
        try (BrokerProcess broker = BrokerProcess.start(dataDir, port, overrides);
             Admin admin = KafkaClients.admin(broker.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            admin.alterConsumerGroupOffsets("before-full", Map.of(p0, new OffsetAndMetadata(0))).all()
                .get(30, TimeUnit.SECONDS);
            committed.put(p0, 0L);

            AtomicInteger failures = new AtomicInteger();
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8_000);
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
            String padding = "f".repeat(1000);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
                // 40 MB into 24 MB: the disk fills well before the end.
                for (int i = 0; i < 40_000 && failures.get() < 100; i++) {
                    String value = i + "-" + padding;
                    producer.send(new ProducerRecord<>(TOPIC, i % 2, null, value), (meta, error) -> {
                        if (error == null) {
                            acked.computeIfAbsent(meta.partition(), k -> new ConcurrentHashMap<>()).put(meta.offset(), value);
                        } else {
                            failures.incrementAndGet();
                        }
                    });
                }
                producer.flush();
            }
            assertTrue(failures.get() > 0, "the disk never filled");
            assertTrue(!acked.isEmpty(), "nothing was acknowledged before the disk filled");

            // The broker still answers, and says no to writes it cannot make.
            assertEquals(2, admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(TOPIC).partitions().size());
            try {
                admin.createTopics(List.of(new NewTopic("while-full", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                createdWhileFull = true;
            } catch (ExecutionException e) {
                createdWhileFull = false;
            }
            try {
                admin.alterConsumerGroupOffsets("before-full", Map.of(p0, new OffsetAndMetadata(1))).all()
                    .get(30, TimeUnit.SECONDS);
                committed.put(p0, 1L);
            } catch (ExecutionException e) {
                // Refused while full: the earlier commit stands.
            }
            broker.kill();
        }

        assertEquals(0, run("mount", "-o", "remount,size=256m", dataDir.toString()), "growing the file system");
        try (BrokerProcess broker = BrokerProcess.start(dataDir, port, overrides);
             Admin admin = KafkaClients.admin(broker.bootstrapServers())) {
            assertEquals(createdWhileFull, admin.listTopics().names().get(30, TimeUnit.SECONDS).contains("while-full"),
                "a topic exists after the restart exactly when its creation was acknowledged");
            assertEquals(committed.get(p0), admin.listConsumerGroupOffsets("before-full").partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS).get(p0).offset(), "committed offsets survive");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "check.crcs", "true"), new StringDeserializer(), new StringDeserializer())) {
                for (int partition = 0; partition < 2; partition++) {
                    TopicPartition tp = new TopicPartition(TOPIC, partition);
                    long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS)
                        .get(tp).offset();
                    Map<Long, String> want = acked.getOrDefault(partition, Map.of());
                    Map<Long, String> read = new HashMap<>();
                    consumer.assign(List.of(tp));
                    consumer.seek(tp, 0);
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (consumer.position(tp) < end) {
                        assertTrue(System.nanoTime() < deadline, "reading " + tp + " stalled at " + consumer.position(tp));
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                            read.put(r.offset(), r.value());
                        }
                    }
                    for (Map.Entry<Long, String> e : want.entrySet()) {
                        assertEquals(e.getValue(), read.get(e.getKey()), "acknowledged record at " + tp + "@" + e.getKey());
                    }
                }
            }
            // And it takes writes again.
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
                producer.send(new ProducerRecord<>(TOPIC, 0, null, "after")).get(30, TimeUnit.SECONDS);
            }
        }
    }
}
