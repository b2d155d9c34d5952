package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.storage.remote.LocalS3Server;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.S3Exceptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * An object store that fails every request delays tiering, and nothing else: producers are
 * acknowledged, local reads work, no local segment is deleted before it is copied, the lag shows
 * in the metrics; once the store answers again, tiering catches up by itself.
 */
class TieredStoreOutageTest {
    private static volatile boolean down;

    @RegisterExtension
    static final LocalS3Server S3 = new LocalS3Server("sluice-outage", OutageStore::new);

    @TempDir
    Path dataDir;

    /** Answers 503 to puts and gets while {@link #down}. */
    static final class OutageStore extends ForwardingBlobStore {
        OutageStore(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public PutObjectResponse putBlob(PutObjectRequest request, InputStream input) {
            if (down) {
                throw S3Exceptions.fromStatusCode(503);
            }
            return super.putBlob(request, input);
        }

        @Override
        public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
            if (down) {
                throw S3Exceptions.fromStatusCode(503);
            }
            return super.getBlob(request);
        }
    }

    private static long earliestLocal(Admin admin, TopicPartition tp) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.earliestLocal())).all().get().get(tp).offset();
    }

    @Test
    void aStoreThatIsDownDelaysTieringButNeverProduceOrLocalReads() throws Exception {
        down = true;
        try (SluiceBroker broker = SluiceBroker.builder().dataDir(dataDir)
                .configs(S3.brokerConfig("outage"))
                .config("remote.log.manager.task.interval.ms", "100")
                .config("log.retention.check.interval.ms", "100")
                .start();
             Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("outage", 1, (short) 1).configs(Map.of("remote.storage.enable", "true",
                "segment.bytes", "1048576", "local.retention.bytes", "1048576")))).all().get();
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            String padding = "z".repeat(1000);
            long started = System.nanoTime();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
                List<Future<?>> sent = new ArrayList<>();
                for (int i = 0; i < 5000; i++) {
                    sent.add(producer.send(new ProducerRecord<>("outage", 0, null, i + "-" + padding)));
                }
                for (Future<?> f : sent) {
                    f.get(30, TimeUnit.SECONDS);
                }
            }
            assertTrue(System.nanoTime() - started < Duration.ofSeconds(60).toNanos(), "produce was not held up");
            TopicPartition tp = new TopicPartition("outage", 0);
            // The gauge is set at the end of each tiering round, and a round against a failing
            // store takes as long as the client's retries.
            long lagDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            double lag;
            while ((lag = broker.meterRegistry().get("sluice.remote.tiering.lag.bytes").gauge().value()) < 1_000_000) {
                assertTrue(System.nanoTime() < lagDeadline, "the tiering lag shows the waiting segments: " + lag);
                Thread.sleep(100);
            }
            assertEquals(0, earliestLocal(admin, tp), "no local segment went while the store was down");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers()), new StringDeserializer(), new StringDeserializer())) {
                consumer.assign(List.of(tp));
                consumer.seek(tp, 0);
                int read = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (read < 5000) {
                    assertTrue(System.nanoTime() < deadline, "local reads stalled at " + read);
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        assertEquals(read + "-" + padding, r.value());
                        read++;
                    }
                }
            }
            down = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (earliestLocal(admin, tp) == 0) {
                assertTrue(System.nanoTime() < deadline, "tiering did not resume after the store came back");
                Thread.sleep(100);
            }
        } finally {
            down = false;
        }
    }
}
