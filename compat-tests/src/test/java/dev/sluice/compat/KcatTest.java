package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * librdkafka, through the {@code kcat} command-line client, against an embedded broker: metadata,
 * keyed production (plain, idempotent, and with every compression codec) and consumption back to
 * the end of the partition. Skipped where kcat is not installed ({@code .ci/run} installs it when
 * it can).
 */
@SluiceTest
class KcatTest {
    private static final long TIMEOUT_SECONDS = 30;

    static SluiceBroker broker;
    private static Admin admin;

    @BeforeAll
    static void start() {
        assumeTrue(kcatInstalled(), "kcat not installed");
        admin = KafkaClients.admin(broker);
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close();
        }
    }

    private static boolean kcatInstalled() {
        return Kcat.installed();
    }

    /** Runs kcat against the broker with {@code stdin} as its input. */
    private static Kcat.Run kcat(String stdin, String... args) throws Exception {
        return Kcat.run(broker.bootstrapServers(), stdin, args);
    }

    private static List<String> lines(String text) {
        return text.lines().filter(l -> !l.isBlank()).toList();
    }

    private static long endOffset(String topic, int partition) throws Exception {
        TopicPartition tp = new TopicPartition(topic, partition);
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
    }

    /** {@code count} lines of {@code key:value}, keys unique, values long enough to be worth compressing. */
    private static List<String> keyedLines(String prefix, int count) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add(prefix + "-key-" + i + ":" + prefix + "-value-" + i + "-" + "abcdefgh".repeat(8));
        }
        return lines;
    }

    /** Produces {@code lines} to one partition with kcat, reads them back with kcat, and compares. */
    private static void produceAndConsume(String topic, List<String> lines, String... produceOptions) throws Exception {
        List<String> produce = new ArrayList<>(List.of("-P", "-t", topic, "-p", "0", "-K:"));
        produce.addAll(List.of(produceOptions));
        kcat(String.join("\n", lines) + "\n", produce.toArray(String[]::new)).assertSuccess();
        assertEquals(lines.size(), endOffset(topic, 0), "records in " + topic + "-0 after kcat -P");

        Kcat.Run consumed = kcat("", "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-f", "%o %k:%s\\n")
            .assertSuccess();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            expected.add(i + " " + lines.get(i));
        }
        assertEquals(expected, lines(consumed.out()));
    }

    @Test
    void metadataListsTheBrokerTopicsPartitionsAndLeaders() throws Exception {
        admin.createTopics(List.of(new NewTopic("kcat-metadata", 3, (short) 1))).all().get();
        Kcat.Run run = kcat("", "-L", "-t", "kcat-metadata").assertSuccess();
        String out = run.out();
        assertTrue(out.contains("1 brokers:"), out);
        assertTrue(out.contains("broker " + broker.nodeId() + " at " + broker.bootstrapServers()), out);
        assertTrue(out.contains("topic \"kcat-metadata\" with 3 partitions:"), out);
        for (int p = 0; p < 3; p++) {
            assertTrue(out.contains("partition " + p + ", leader " + broker.nodeId() + ", replicas: "
                + broker.nodeId() + ", isrs: " + broker.nodeId()), out);
        }

        Kcat.Run all = kcat("", "-L").assertSuccess();
        assertTrue(all.out().contains("topic \"kcat-metadata\""), all.out());
    }

    @Test
    void keyedRecordsProducedByKcatAreConsumedBackInOrder() throws Exception {
        admin.createTopics(List.of(new NewTopic("kcat-plain", 1, (short) 1))).all().get();
        produceAndConsume("kcat-plain", keyedLines("plain", 200), "-X", "acks=all");
    }

    @Test
    void idempotentProductionWorks() throws Exception {
        admin.createTopics(List.of(new NewTopic("kcat-idempotent", 1, (short) 1))).all().get();
        produceAndConsume("kcat-idempotent", keyedLines("idem", 500), "-X", "enable.idempotence=true");
    }

    @ParameterizedTest(name = "-z {0}")
    @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
    void everyCompressionCodecRoundTrips(String codec) throws Exception {
        String topic = "kcat-" + codec;
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        produceAndConsume(topic, keyedLines(codec, 300), "-z", codec, "-X", "linger.ms=20");
    }

    @Test
    void recordsFromTheJavaSideAndKcatShareOnePartition() throws Exception {
        String topic = "kcat-mixed";
        admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        kcat("a:1\nb:2\n", "-P", "-t", topic, "-p", "1", "-K:").assertSuccess();
        kcat("c:3\n", "-P", "-t", topic, "-p", "1", "-K:", "-z", "lz4").assertSuccess();
        assertEquals(0, endOffset(topic, 0));
        assertEquals(3, endOffset(topic, 1));
        Kcat.Run fromOffset = kcat("", "-C", "-t", topic, "-p", "1", "-o", "1", "-e", "-f", "%o %k=%s\\n").assertSuccess();
        assertEquals(List.of("1 b=2", "2 c=3"), lines(fromOffset.out()));
    }
}
