package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client quotas set with {@code kafka-configs} as Kafka users set them: described back through
 * the tool and the Admin API, and enforced: a producer over its byte rate is throttled to it
 * (within 20 %) while another client, without a quota, runs unthrottled beside it; partition
 * mutations over {@code controller_mutation_rate} are refused (KIP-599); a client over its
 * {@code request_percentage} is told to wait; an address opening connections faster than its
 * {@code connection_creation_rate} has them closed, and a listener past
 * {@code max.connection.creation.rate} waits before accepting more (KIP-612).
 */
class ClientQuotaTest {
    private static final int QUOTA = 200 * 1024;
    private static SluiceBroker broker;

    @BeforeAll
    static void start() throws Exception {
        // Short windows, so the allowance a fresh client gets (all but one sample's worth) is
        // used up quickly and the steady rate shows within seconds.
        broker = SluiceBroker.builder().config("quota.window.num", "3").config("quota.window.size.seconds", "1").start();
        try (Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("quota-slow", 1, (short) 1), new NewTopic("quota-fast", 1, (short) 1)))
                .all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static KafkaTool.Result configs(String... args) {
        return KafkaTool.against(broker.bootstrapServers(), "org.apache.kafka.tools.ConfigCommand", args);
    }

    @Test
    void kafkaConfigsSetsAndDescribesClientQuotas() throws Exception {
        configs("--alter", "--add-config", "producer_byte_rate=1048576,consumer_byte_rate=2097152",
            "--entity-type", "clients", "--entity-name", "reporting").assertSuccess();
        configs("--alter", "--add-config", "request_percentage=50", "--entity-type", "users", "--entity-default")
            .assertSuccess();
        KafkaTool.Result described = configs("--describe", "--entity-type", "clients", "--entity-name", "reporting")
            .assertSuccess();
        assertTrue(described.out().contains("producer_byte_rate=1048576.0")
            && described.out().contains("consumer_byte_rate=2097152.0"), described.toString());
        try (Admin admin = KafkaClients.admin(broker)) {
            Map<ClientQuotaEntity, Map<String, Double>> all = admin.describeClientQuotas(ClientQuotaFilter.all())
                .entities().get(30, TimeUnit.SECONDS);
            assertEquals(Map.of("request_percentage", 50.0), all.get(new ClientQuotaEntity(
                java.util.Collections.singletonMap(ClientQuotaEntity.USER, null))), all.toString());
        }
        configs("--alter", "--delete-config", "consumer_byte_rate", "--entity-type", "clients", "--entity-name",
            "reporting").assertSuccess();
        KafkaTool.Result after = configs("--describe", "--entity-type", "clients", "--entity-name", "reporting")
            .assertSuccess();
        assertTrue(after.out().contains("producer_byte_rate") && !after.out().contains("consumer_byte_rate"), after.toString());
        KafkaTool.Result wrong = configs("--alter", "--add-config", "producer_byte_rate=-1", "--entity-type", "clients",
            "--entity-name", "reporting");
        assertTrue(wrong.exitCode() != 0, wrong.toString());
        configs("--alter", "--delete-config", "request_percentage", "--entity-type", "users", "--entity-default")
            .assertSuccess();
    }

    @Test
    void partitionMutationsOverTheirRateAreRefusedWithThrottlingQuotaExceeded() throws Exception {
        configs("--alter", "--add-config", "controller_mutation_rate=2", "--entity-type", "clients", "--entity-name",
            "mutator").assertSuccess();
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "mutator");
        CreateTopicsOptions noRetry = new CreateTopicsOptions().retryOnQuotaViolation(false);
        // Three connections of the one client: the Java client itself waits out a throttle it was
        // told of on a connection, so only another connection reaches the broker meanwhile.
        try (Admin first = Admin.create(props); Admin second = Admin.create(props); Admin third = Admin.create(props)) {
            // Within the quota when it is asked: admitted, even though its 12 partitions take the rate over it.
            first.createTopics(List.of(new NewTopic("mutations-1", 12, (short) 1)), noRetry).all()
                .get(30, TimeUnit.SECONDS);
            ExecutionException refused = assertThrows(ExecutionException.class, () -> second.createTopics(
                List.of(new NewTopic("mutations-2", 1, (short) 1)), noRetry).all().get(30, TimeUnit.SECONDS));
            ThrottlingQuotaExceededException throttled = assertInstanceOf(ThrottlingQuotaExceededException.class,
                refused.getCause(), refused.toString());
            assertTrue(throttled.throttleTimeMs() > 0, "throttle time " + throttled.throttleTimeMs());
            try (Admin other = KafkaClients.admin(broker)) {
                assertFalse(other.listTopics().names().get(30, TimeUnit.SECONDS).contains("mutations-2"));
                // Another client has no quota.
                other.createTopics(List.of(new NewTopic("mutations-3", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            // Left to retry, the client gets through once its rate is back within the quota.
            first.createTopics(List.of(new NewTopic("mutations-2", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            // Deleted partitions count too.
            first.deleteTopics(List.of("mutations-1")).all().get(60, TimeUnit.SECONDS);
            ExecutionException afterDeletion = assertThrows(ExecutionException.class, () -> third.createTopics(
                List.of(new NewTopic("mutations-4", 1, (short) 1)), noRetry).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(ThrottlingQuotaExceededException.class, afterDeletion.getCause(), afterDeletion.toString());
        } finally {
            configs("--alter", "--delete-config", "controller_mutation_rate", "--entity-type", "clients",
                "--entity-name", "mutator").assertSuccess();
        }
    }

    @Test
    void aClientOverItsShareOfRequestTimeIsToldToWaitAndOthersAreNot() throws Exception {
        // The raw connection's client id; a hundredth of a percent of a thread is 100 microseconds a second.
        configs("--alter", "--add-config", "request_percentage=0.01", "--entity-type", "clients", "--entity-name",
            "sluice-compat-raw").assertSuccess();
        try (RawKafkaConnection raw = new RawKafkaConnection("localhost", broker.port())) {
            int throttle = 0;
            for (int i = 0; i < 10_000 && throttle == 0; i++) {
                MetadataResponseData answer = raw.send(ApiKeys.METADATA, 12, new MetadataRequestData().setTopics(null));
                throttle = answer.throttleTimeMs();
            }
            assertTrue(throttle > 0, "no Metadata answer carried a throttle time");
            try (Admin other = KafkaClients.admin(broker)) {
                assertEquals(1, other.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
            }
        } finally {
            configs("--alter", "--delete-config", "request_percentage", "--entity-type", "clients", "--entity-name",
                "sluice-compat-raw").assertSuccess();
        }
    }

    @Test
    void connectionsFromAnAddressFasterThanItsCreationRateAreClosed() throws Exception {
        try (SluiceBroker own = SluiceBroker.builder().config("quota.window.num", "3")
                .config("quota.window.size.seconds", "1").start();
             Admin admin = KafkaClients.admin(own)) {
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(
                new ClientQuotaEntity(Map.of(ClientQuotaEntity.IP, "127.0.0.1")),
                List.of(new ClientQuotaAlteration.Op("connection_creation_rate", 1.0))))).all().get(30, TimeUnit.SECONDS);
            int answered = 0;
            int closed = 0;
            for (int i = 0; i < 10; i++) {
                try (RawKafkaConnection raw = new RawKafkaConnection("127.0.0.1", own.port())) {
                    raw.send(ApiKeys.API_VERSIONS, 3, new ApiVersionsRequestData()
                        .setClientSoftwareName("raw").setClientSoftwareVersion("1"));
                    answered++;
                } catch (java.io.IOException e) {
                    closed++;
                }
            }
            assertTrue(closed > 0 && answered > 0, answered + " connections answered, " + closed + " closed");
        }
    }

    @Test
    void aListenerOverItsConnectionCreationRateWaitsAndThenAcceptsEveryConnection() throws Exception {
        try (SluiceBroker own = SluiceBroker.builder().config("max.connection.creation.rate", "5")
                .config("quota.window.num", "2").config("quota.window.size.seconds", "1").start()) {
            for (int i = 0; i < 15; i++) {
                try (RawKafkaConnection raw = new RawKafkaConnection("127.0.0.1", own.port())) {
                    raw.send(ApiKeys.API_VERSIONS, 3, new ApiVersionsRequestData()
                        .setClientSoftwareName("raw").setClientSoftwareVersion("1"));
                }
            }
            double waits = own.meterRegistry().get("sluice.connections.accept.throttled").functionCounter().count();
            assertTrue(waits > 0, "the listener never waited");
        }
    }

    @Test
    void aProducerOverItsByteRateIsThrottledToItAndOthersAreNot() throws Exception {
        configs("--alter", "--add-config", "producer_byte_rate=" + QUOTA, "--entity-type", "clients", "--entity-name",
            "slow-producer").assertSuccess();
        Thread fast = new Thread(() -> produce("fast-producer", "quota-fast", 8));
        fast.start();
        long[] slow = produce("slow-producer", "quota-slow", 12);
        fast.join();
        // Steady state: from the 4th second on (the first seconds spend the fresh allowance).
        double slowRate = (slow[1] - slow[0]) / 8.0;
        System.out.printf("throttled producer: %.0f B/s against a quota of %d B/s%n", slowRate, QUOTA);
        assertTrue(Math.abs(slowRate - QUOTA) <= 0.2 * QUOTA, "throttled producer ran at " + slowRate + " B/s, quota "
            + QUOTA);
        assertTrue(lastFastRate > 3.0 * QUOTA, "the producer without a quota ran at only " + lastFastRate + " B/s");
    }

    private static volatile double lastFastRate;

    /**
     * Sends 1 KiB records as fast as the broker lets it for {@code seconds}; returns the bytes
     * acknowledged after 4 s and at the end (and, for the unthrottled one, records its rate).
     */
    private static long[] produce(String clientId, String topic, int seconds) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, "16384");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        AtomicLong acked = new AtomicLong();
        byte[] value = new byte[1024];
        long[] marks = new long[2];
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
        try {
            long start = System.nanoTime();
            long warm = start + TimeUnit.SECONDS.toNanos(4);
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            boolean marked = false;
            while (System.nanoTime() < end) {
                producer.send(new ProducerRecord<>(topic, 0, null, value), (m, e) -> {
                    if (e == null) {
                        acked.addAndGet(value.length);
                    }
                });
                if (!marked && System.nanoTime() >= warm) {
                    marks[0] = acked.get();
                    marked = true;
                }
            }
            marks[1] = acked.get();
            if (clientId.startsWith("fast")) {
                lastFastRate = (marks[1] - marks[0]) / (seconds - 4.0);
            }
        } finally {
            // What is still buffered would take the throttled producer minutes to send: drop it.
            producer.close(Duration.ofSeconds(1));
        }
        return marks;
    }
}
