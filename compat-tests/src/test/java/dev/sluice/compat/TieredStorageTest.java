package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
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
import dev.sluice.storage.remote.LocalS3Server;
import dev.sluice.storage.remote.ObjectStore;
import dev.sluice.storage.remote.ObjectStores;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiered topic with each object store (a directory, and S3 through S3Proxy): segments leave local
 * disk once copied, the log keeps its true start, and a consumer replays every record from offset
 * 0, before and after a broker restart.
 */
class TieredStorageTest {
    @RegisterExtension
    static final LocalS3Server S3 = new LocalS3Server();

    private static final String TOPIC = "tiered";
    private static final int RECORDS = 20_000;
    private static final String PADDING = "x".repeat(1000);

    @TempDir
    Path dataDir;
    @TempDir
    Path storeDir;

    private String uri;
    private final Map<String, String> options = new HashMap<>();

    private void useStore(String store) {
        if (store.equals("s3")) {
            uri = "s3://" + S3.bucket() + "/" + dataDir.getFileName();
            options.put("sluice.remote.storage.s3.endpoint", S3.endpoint().toString());
            options.put("sluice.remote.storage.s3.region", "us-east-1");
            options.put("sluice.remote.storage.s3.path.style.access", "true");
            options.put("sluice.remote.storage.s3.access.key", LocalS3Server.ACCESS_KEY);
            options.put("sluice.remote.storage.s3.secret.key", LocalS3Server.SECRET_KEY);
        } else {
            uri = storeDir.toUri().toString();
        }
    }

    private SluiceBroker start() {
        return SluiceBroker.builder().dataDir(dataDir)
            .config("remote.log.storage.system.enable", "true")
            .config("sluice.remote.storage.uri", uri)
            .configs(options)
            .config("remote.log.manager.task.interval.ms", "100")
            .config("log.retention.check.interval.ms", "100")
            .start();
    }

    private static Map<String, Long> offsets(Admin admin) throws Exception {
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        return Map.of(
            "earliest", admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset(),
            "earliestLocal", admin.listOffsets(Map.of(tp, OffsetSpec.earliestLocal())).all().get().get(tp).offset(),
            "latestTiered", admin.listOffsets(Map.of(tp, OffsetSpec.latestTiered())).all().get().get(tp).offset(),
            "earliestPendingUpload",
            admin.listOffsets(Map.of(tp, OffsetSpec.earliestPendingUpload())).all().get().get(tp).offset(),
            "latest", admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset());
    }

    private static void replayFromZero(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            long next = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (next < RECORDS) {
                assertTrue(System.nanoTime() < deadline, "replayed only up to offset " + next);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    assertEquals(next, r.offset(), "every record at its original offset");
                    assertEquals("value-" + next + "-" + PADDING, r.value());
                    next++;
                }
            }
        }
    }

    /** librdkafka (kcat) reads every offset from the beginning too; skipped where kcat is missing. */
    private void replayWithKcat(String bootstrap) throws Exception {
        Process probe;
        try {
            probe = new ProcessBuilder("kcat", "-V").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return;
        }
        if (!probe.waitFor(10, TimeUnit.SECONDS) || probe.exitValue() != 0) {
            return;
        }
        Path out = dataDir.resolveSibling(dataDir.getFileName() + "-kcat.txt");
        Process kcat = new ProcessBuilder("kcat", "-b", bootstrap, "-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-e",
            "-q", "-f", "%o\\n").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(kcat.waitFor(60, TimeUnit.SECONDS), "kcat did not finish");
        List<String> offsets = java.nio.file.Files.readAllLines(out).stream().filter(l -> !l.isBlank()).toList();
        assertEquals(0, kcat.exitValue(), String.join("\n", offsets.subList(0, Math.min(20, offsets.size()))));
        assertEquals(RECORDS, offsets.size(), "kcat read every record");
        for (int i = 0; i < RECORDS; i++) {
            assertEquals(Long.toString(i), offsets.get(i), "kcat's record " + i);
        }
    }

    private long objectCount() throws IOException {
        if (uri.startsWith("file:")) {
            // Read the running broker's directory without opening a store on it: opening one deletes
            // the .tmp files of puts in progress, which belong to the broker.
            for (int attempt = 1; ; attempt++) {
                try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(storeDir)) {
                    return files.filter(f -> f.getFileName().toString().endsWith(".log")).count();
                } catch (java.io.UncheckedIOException e) {
                    // A put renamed a file during the walk: walk again.
                    if (attempt == 10) {
                        throw e.getCause();
                    }
                }
            }
        }
        try (ObjectStore store = ObjectStores.open(uri, options, storeDir)) {
            return store.list("").stream().filter(k -> k.endsWith(".log")).count();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"directory", "s3"})
    void segmentsMoveToTheStoreAndAConsumerReplaysEveryRecordFromOffsetZero(String store) throws Exception {
        useStore(store);
        SluiceBroker broker = start();
        try {
            try (Admin admin = KafkaClients.admin(broker)) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of(
                    "remote.storage.enable", "true", "segment.bytes", "1048576", "local.retention.bytes", "1048576"))))
                    .all().get();
                Properties props = new Properties();
                props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
                props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                    new StringSerializer())) {
                    for (int i = 0; i < RECORDS; i++) {
                        producer.send(new ProducerRecord<>(TOPIC, 0, "key-" + i, "value-" + i + "-" + PADDING));
                    }
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                Map<String, Long> o = offsets(admin);
                while (o.get("earliestLocal") == 0 || objectCount() < 10) {
                    assertTrue(System.nanoTime() < deadline, "nothing left local disk: " + o);
                    Thread.sleep(100);
                    o = offsets(admin);
                }
                assertEquals(0, o.get("earliest"), "the log still starts at 0: " + o);
                assertEquals(RECORDS, o.get("latest"));
                assertTrue(o.get("latestTiered") >= o.get("earliestLocal") - 1, o.toString());
                assertTrue(o.get("latestTiered") < RECORDS, o.toString());
                // Read in separate requests: the next upload may land between two of them.
                assertTrue(o.get("earliestPendingUpload") > 0 && o.get("earliestPendingUpload") <= RECORDS,
                    "the first offset not yet in the store (ListOffsets v11): " + o);
                assertTrue(objectCount() >= 10, "segments in the store: " + objectCount());
                TopicPartition tp = new TopicPartition(TOPIC, 0);
                assertEquals(0, admin.listOffsets(Map.of(tp, OffsetSpec.forTimestamp(0))).all().get().get(tp).offset(),
                    "a search by timestamp finds the first record in the store");
            }
            replayFromZero(broker.bootstrapServers());
            replayWithKcat(broker.bootstrapServers());
        } finally {
            broker.close();
        }
        SluiceBroker again = start();
        try (Admin admin = KafkaClients.admin(again)) {
            Map<String, Long> o = offsets(admin);
            assertEquals(0, o.get("earliest"), o.toString());
            assertTrue(o.get("earliestLocal") > 0, o.toString());
            replayFromZero(again.bootstrapServers());
        } finally {
            again.close();
        }
    }
}
