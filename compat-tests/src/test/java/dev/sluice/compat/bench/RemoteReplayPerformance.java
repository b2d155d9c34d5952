package dev.sluice.compat.bench;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.storage.remote.LocalS3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Replay throughput from the cold tier against the same data read from local disk: an embedded
 * broker with the directory object store ({@code store=s3proxy}: S3Proxy in this JVM, in memory;
 * or any S3 endpoint with {@code uri=s3://bucket/prefix endpoint=http://...}), one tiered and one
 * local topic with the same records, then
 * a consumer reads each from offset 0 to the end, {@code rounds} times.
 *
 * <pre>java -cp … dev.sluice.compat.bench.RemoteReplayPerformance [megabytes=256] [rounds=3]
 *     [store=directory|s3proxy] [uri=file:///…|s3://bucket/prefix] [endpoint=http://…]</pre>
 */
public final class RemoteReplayPerformance {
    private RemoteReplayPerformance() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> settings = new java.util.LinkedHashMap<>(Map.of("megabytes", "256", "rounds", "3", "uri", "",
            "endpoint", "", "store", "directory"));
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0 || !settings.containsKey(arg.substring(0, eq))) {
                System.err.println("usage: RemoteReplayPerformance [megabytes=N] [rounds=N] [uri=…] [endpoint=…]");
                System.exit(2);
            }
            settings.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Machine.print();
        settings.forEach((k, v) -> System.out.printf("remote_replay_%s=%s%n", k, v));
        int megabytes = Integer.parseInt(settings.get("megabytes"));
        int rounds = Integer.parseInt(settings.get("rounds"));
        Path dataDir = Files.createTempDirectory("sluice-replay-");
        String uri = settings.get("uri").isEmpty() ? dataDir.resolve("store").toUri().toString() : settings.get("uri");
        SluiceBroker.Builder builder = SluiceBroker.builder().dataDir(dataDir.resolve("data"))
            .config("remote.log.storage.system.enable", "true").config("sluice.remote.storage.uri", uri)
            .config("remote.log.manager.task.interval.ms", "200").config("log.retention.check.interval.ms", "200");
        LocalS3Server s3 = null;
        if (settings.get("store").equals("s3proxy")) {
            s3 = new LocalS3Server();
            s3.start();
            builder.config("sluice.remote.storage.uri", "s3://" + s3.bucket() + "/replay")
                .config("sluice.remote.storage.s3.endpoint", s3.endpoint().toString())
                .config("sluice.remote.storage.s3.region", "us-east-1")
                .config("sluice.remote.storage.s3.path.style.access", "true")
                .config("sluice.remote.storage.s3.access.key", LocalS3Server.ACCESS_KEY)
                .config("sluice.remote.storage.s3.secret.key", LocalS3Server.SECRET_KEY);
        } else if (!settings.get("endpoint").isEmpty()) {
            builder.config("sluice.remote.storage.s3.endpoint", settings.get("endpoint"))
                .config("sluice.remote.storage.s3.path.style.access", "true");
        }
        try (SluiceBroker broker = builder.start()) {
            Properties adminProps = new Properties();
            adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            long records = megabytes * 1024L;
            try (Admin admin = Admin.create(adminProps)) {
                Map<String, String> segments = Map.of("segment.bytes", "8388608");
                admin.createTopics(List.of(
                    new NewTopic("replay-local", 1, (short) 1).configs(segments),
                    new NewTopic("replay-tiered", 1, (short) 1).configs(Map.of("segment.bytes", "8388608",
                        "remote.storage.enable", "true", "local.retention.bytes", "8388608")))).all().get();
                produce(broker.bootstrapServers(), records);
                TopicPartition tiered = new TopicPartition("replay-tiered", 0);
                long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                long local;
                while ((local = admin.listOffsets(Map.of(tiered, OffsetSpec.earliestLocal())).all().get().get(tiered)
                        .offset()) < records - 3 * 8 * 1024) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("tiering did not catch up: local start " + local);
                    }
                    Thread.sleep(200);
                }
                System.out.printf("remote_replay_tiered_records=%d of %d%n", local, records);
            }
            for (String topic : List.of("replay-local", "replay-tiered")) {
                List<Double> rates = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    rates.add(replay(broker.bootstrapServers(), topic, records));
                    System.out.printf("remote_replay_%s_round_%d_mb_per_s=%.1f%n", topic, r, rates.get(rates.size() - 1));
                }
                Collections.sort(rates);
                System.out.printf("remote_replay_%s_mb_per_s_median=%.1f%n", topic, rates.get(rates.size() / 2));
            }
        }
        if (s3 != null) {
            s3.close();
        }
        Machine.printLoad("remote_replay");
    }

    private static void produce(String bootstrap, long records) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        byte[] value = new byte[1000];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
            new ByteArraySerializer())) {
            for (long i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>("replay-local", 0, null, value));
                producer.send(new ProducerRecord<>("replay-tiered", 0, null, value));
            }
        }
    }

    /** Reads the topic from offset 0 to {@code records}; returns MB/s of record values. */
    private static double replay(String bootstrap, String topic, long records) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            long read = 0;
            long bytes = 0;
            long started = System.nanoTime();
            while (read < records) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read++;
                    bytes += r.value().length;
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            return bytes / 1048576.0 / seconds;
        }
    }
}
