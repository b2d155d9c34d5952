package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client quotas set with {@code kafka-configs} as Kafka users set them: described back through
 * the tool and the Admin API, and enforced: a producer over its byte rate is throttled to it
 * (within 20 %) while another client, without a quota, runs unthrottled beside it.
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
        return KafkaTool.against(broker.bootstrapServers(), "kafka.admin.ConfigCommand", args);
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
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
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
        }
        return marks;
    }
}
