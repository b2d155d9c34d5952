package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.storage.remote.LocalS3Server;
import dev.sluice.wire.message.ApiVersionsRequest;
import dev.sluice.wire.message.ApiVersionsResponse;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.message.ListOffsetsRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * An object store that accepts reads and never answers them holds up only the reads of the cold
 * tier: with a single network thread, fetches of tiered offsets answer within
 * {@code remote.fetch.max.wait.ms} without those records, searches by timestamp wait on their own
 * pool, and every other request on every connection is served meanwhile.
 */
class HungObjectStoreTest {
    private static volatile CountDownLatch hang;

    @RegisterExtension
    static final LocalS3Server S3 = new LocalS3Server("sluice-hung", HangingStore::new);

    @TempDir
    Path dataDir;

    /** Blocks every get while {@link #hang} is set, as a store whose connections stall would. */
    static final class HangingStore extends ForwardingBlobStore {
        HangingStore(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
            CountDownLatch latch = hang;
            if (latch != null) {
                try {
                    latch.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.getBlob(request);
        }
    }

    private static FetchRequest fetchFromZero(String topic) {
        FetchRequest fetch = new FetchRequest().setReplicaId(-1).setMaxWaitMs(100).setMinBytes(1).setMaxBytes(1 << 20)
            .setSessionEpoch(-1);
        fetch.topics().add(new FetchRequest.FetchTopic().setTopic(topic).setPartitions(new ArrayList<>(List.of(
            new FetchRequest.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)))));
        return fetch;
    }

    @Test
    void aHungStoreDelaysOnlyColdReads() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().dataDir(dataDir)
                .config("num.network.threads", "1")
                .configs(S3.brokerConfig("hung"))
                .config("remote.log.manager.task.interval.ms", "100")
                .config("log.retention.check.interval.ms", "100")
                .start();
             Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("cold", 1, (short) 1).configs(Map.of("remote.storage.enable", "true",
                "segment.bytes", "1048576", "local.retention.bytes", "1048576")))).all().get();
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            String padding = "c".repeat(1000);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
                List<Future<?>> sent = new ArrayList<>();
                for (int i = 0; i < 4000; i++) {
                    sent.add(producer.send(new ProducerRecord<>("cold", 0, null, i + "-" + padding)));
                }
                for (Future<?> f : sent) {
                    f.get(30, TimeUnit.SECONDS);
                }
            }
            TopicPartition tp = new TopicPartition("cold", 0);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (admin.listOffsets(Map.of(tp, OffsetSpec.earliestLocal())).all().get().get(tp).offset() == 0) {
                assertTrue(System.nanoTime() < deadline, "the oldest segments never left local disk");
                TimeUnit.MILLISECONDS.sleep(100);
            }

            hang = new CountDownLatch(1);
            try (RawConnection search = new RawConnection(broker.port());
                 RawConnection fetcher = new RawConnection(broker.port());
                 RawConnection other = new RawConnection(broker.port())) {
                // A search by timestamp that must look in the cold tier: it waits on the object-store pool.
                ListOffsetsRequest byTime = new ListOffsetsRequest().setReplicaId(-1);
                byTime.topics().add(new ListOffsetsRequest.ListOffsetsTopic().setName("cold").setPartitions(
                    new ArrayList<>(List.of(new ListOffsetsRequest.ListOffsetsPartition().setPartitionIndex(0)
                        .setTimestamp(0)))));
                search.send(byTime, 7);
                for (int i = 0; i < 3; i++) {
                    long started = System.nanoTime();
                    FetchResponse response = fetcher.roundTrip(fetchFromZero("cold"), 12, FetchResponse.class);
                    FetchResponse.PartitionData p = response.responses().get(0).partitions().get(0);
                    assertEquals(0, p.errorCode(), "a cold read that takes too long is no error");
                    assertEquals(0, p.records().sizeInBytes(), "and answers without those records for now");
                    assertTrue(System.nanoTime() - started < Duration.ofSeconds(5).toNanos(),
                        "the fetch waited about remote.fetch.max.wait.ms, not for the store");
                    ApiVersionsResponse versions = other.roundTrip(new ApiVersionsRequest().setClientSoftwareName("hung")
                        .setClientSoftwareVersion("1"), 3, ApiVersionsResponse.class);
                    assertEquals(0, versions.errorCode(), "other connections on the only event loop are served");
                }
            } finally {
                hang.countDown();
                hang = null;
            }

            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers()), new StringDeserializer(), new StringDeserializer())) {
                consumer.assign(List.of(tp));
                consumer.seek(tp, 0);
                int read = 0;
                long readDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (read < 4000) {
                    assertTrue(System.nanoTime() < readDeadline, "the cold tier was not readable again: " + read);
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        assertEquals(read + "-" + padding, r.value());
                        read++;
                    }
                }
            }
        }
    }
}
