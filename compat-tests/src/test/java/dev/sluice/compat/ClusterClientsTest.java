package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that are not Kafka's Java client, producing with acks=all to a three-process cluster
 * while the partition's leader is killed with SIGKILL and restarted: librdkafka through
 * {@code kcat}, and kafka-python. Every record a client was told was acknowledged must be read back
 * afterwards. Each test is skipped where its client is not installed ({@code .ci/run} installs
 * both on CI).
 */
class ClusterClientsTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final String TOPIC = "clients";

    @TempDir
    Path dir;

    /** A client producing in the background; acknowledged values map to their offset, or -1 where the client does not say. */
    private abstract static class Producing implements AutoCloseable {
        final Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        final AtomicReference<String> lastProblem = new AtomicReference<>("none");

        int acks() {
            return acknowledged.size();
        }

        String lastProblem() {
            return lastProblem.get();
        }

        /** Stops producing once what is in flight is answered. */
        @Override
        public abstract void close() throws Exception;
    }

    @Test
    void kcatProducingWithAcksAllThroughTheLeadersDeathAndRestartLosesNoAcknowledgedRecord() throws Exception {
        assumeTrue(GroupConsumerCompatibility.runs("kcat", "-V"), "kcat not installed");
        survivesLeaderChanges(KcatProducing::new);
    }

    @Test
    void kafkaPythonProducingWithAcksAllThroughTheLeadersDeathAndRestartLosesNoAcknowledgedRecord() throws Exception {
        assumeTrue(GroupConsumerCompatibility.runs(PYTHON, "-c", "import kafka"),
            "kafka-python not installed (Debian: python3-kafka)");
        survivesLeaderChanges(KafkaPythonProducing::new);
    }

    private interface ProducingFactory {
        Producing start(String bootstrap) throws Exception;
    }

    private void survivesLeaderChanges(ProducingFactory client) throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3)) {
            survivesLeaderChanges(cluster, client);
        }
    }

    private static void survivesLeaderChanges(ProcessCluster cluster, ProducingFactory client) throws Exception {
        cluster.admin().createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3)
            .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
        cluster.awaitFullIsr(TOPIC);
        Map<String, Long> acknowledged;
        try (Producing producing = client.start(cluster.bootstrapServers())) {
            awaitAcks(producing, 50);
            for (int round = 1; round <= 2; round++) {
                int leader = cluster.leaderOf(TOPIC, 0);
                int before = producing.acks();
                cluster.kill(leader);
                awaitAcks(producing, before + 50);
                cluster.start(leader);
                cluster.awaitBrokers(3);
                cluster.awaitFullIsr(TOPIC);
            }
            awaitAcks(producing, producing.acks() + 50);
            producing.close();
            acknowledged = Map.copyOf(producing.acknowledged);
        }
        Map<String, Long> log = readBack(cluster);
        for (Map.Entry<String, Long> e : acknowledged.entrySet()) {
            Long offset = log.get(e.getKey());
            assertTrue(offset != null, e.getKey() + " was acknowledged but is not in the log");
            if (e.getValue() >= 0) {
                assertEquals(e.getValue(), offset, "offset of " + e.getKey());
            }
        }
    }

    private static void awaitAcks(Producing producing, int count) throws Exception {
        ProcessCluster.poll(Duration.ofSeconds(90), count + " acknowledgements (last problem: "
            + producing.lastProblem() + ")", () -> producing.acks() >= count);
    }

    /** Every value in the partition, with its offset, read with the Java consumer. */
    private static Map<String, Long> readBack(ProcessCluster cluster) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, Long> values = new HashMap<>();
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new StringDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (consumer.position(tp) < end) {
                assertTrue(System.nanoTime() < deadline, "the partition was not read back to " + end + " in time");
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.put(r.value(), r.offset());
                }
            }
        }
        return values;
    }

    /**
     * kcat in batches: each run sends 20 records and exits 0 only once librdkafka has had every one
     * acknowledged, so a batch counts as acknowledged only when its run succeeded and reported no
     * failed delivery.
     */
    private static final class KcatProducing extends Producing {
        private final Thread thread;
        private volatile boolean running = true;

        KcatProducing(String bootstrap) {
            thread = new Thread(() -> run(bootstrap), "kcat-producing");
            thread.setDaemon(true);
            thread.start();
        }

        private void run(String bootstrap) {
            int batch = 0;
            while (running) {
                List<String> values = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    values.add("kcat-" + batch + "-" + i);
                }
                batch++;
                try {
                    Process p = new ProcessBuilder("kcat", "-P", "-b", bootstrap, "-t", TOPIC, "-p", "0",
                        "-X", "acks=all", "-X", "enable.idempotence=true", "-X", "message.timeout.ms=60000",
                        "-X", "topic.metadata.refresh.interval.ms=1000").redirectErrorStream(true).start();
                    try (OutputStream in = p.getOutputStream()) {
                        in.write((String.join("\n", values) + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    if (!p.waitFor(90, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        lastProblem.set("kcat did not finish a batch in 90 s");
                    } else if (p.exitValue() != 0 || output.contains("Delivery failed")) {
                        lastProblem.set("kcat exited " + p.exitValue() + ": " + output);
                    } else {
                        values.forEach(v -> acknowledged.put(v, -1L));
                    }
                } catch (IOException | InterruptedException e) {
                    lastProblem.set(e.toString());
                    return;
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(120_000);
        }
    }

    /** {@code acked_producer.py}: kafka-python sending one record at a time until its standard input closes. */
    private static final class KafkaPythonProducing extends Producing {
        private final Process process;
        private final Thread reader;

        KafkaPythonProducing(String bootstrap) throws IOException {
            Path script = GroupConsumerCompatibility.moduleDir().resolve("src/test/clients/kafka-python/acked_producer.py");
            process = new ProcessBuilder(PYTHON, script.toString(), bootstrap, TOPIC, "python")
                .redirectErrorStream(true).start();
            reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith("acked ")) {
                            String[] parts = line.substring(6).split(":", 3);
                            acknowledged.put(parts[2], Long.parseLong(parts[1]));
                        } else {
                            lastProblem.set(line);
                        }
                    }
                } catch (IOException e) {
                    lastProblem.set(e.toString());
                }
            }, "kafka-python-producing");
            reader.setDaemon(true);
            reader.start();
        }

        @Override
        public void close() throws Exception {
            if (!process.isAlive()) {
                return;
            }
            process.getOutputStream().close();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            reader.join(10_000);
            assertEquals(0, process.exitValue(), "acked_producer.py exit status; last line: " + lastProblem.get());
        }
    }
}
