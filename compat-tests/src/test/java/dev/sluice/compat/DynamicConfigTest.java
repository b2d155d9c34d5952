package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp.OpType;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Config changes are applied or refused, never stored and ignored: dynamic broker keys change
 * what the running broker does (one test per group of keys, through the official clients), keys
 * Sluice cannot apply at run time are refused, and topic changes pass the same rules between keys
 * as CreateTopics. A fresh broker per test, since broker-level changes would leak.
 */
class DynamicConfigTest {
    private SluiceBroker broker;
    private Admin admin;
    private ConfigResource thisBroker;
    private final ConfigResource allBrokers = new ConfigResource(ConfigResource.Type.BROKER, "");

    @BeforeEach
    void start() {
        broker = SluiceBroker.builder().config("log.retention.check.interval.ms", "100").start();
        admin = KafkaClients.admin(broker);
        thisBroker = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(broker.nodeId()));
    }

    @AfterEach
    void stop() {
        admin.close();
        broker.close();
    }

    private void alter(ConfigResource resource, String key, String value) throws Exception {
        admin.incrementalAlterConfigs(Map.of(resource,
            List.of(new AlterConfigOp(new ConfigEntry(key, value), OpType.SET)))).all().get();
    }

    private Throwable alterFails(ConfigResource resource, String key, String value) {
        return assertThrows(ExecutionException.class, () -> alter(resource, key, value)).getCause();
    }

    private ConfigResource topic(String name, Map<String, String> configs) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, 1, (short) 1).configs(configs))).all().get();
        return new ConfigResource(ConfigResource.Type.TOPIC, name);
    }

    private KafkaProducer<byte[], byte[]> producer(String acks) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, acks);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        props.put(ProducerConfig.RETRIES_CONFIG, "0");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static Throwable sendFails(KafkaProducer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) {
        return assertThrows(ExecutionException.class, () -> producer.send(record).get()).getCause();
    }

    private List<ConsumerRecord<byte[], byte[]>> consumeAll(String topic, int expected) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(20);
        }
    }

    @Test
    void messageMaxBytesLoweredAtRunTimeRefusesLargerBatches() throws Exception {
        topic("sized", Map.of());
        try (KafkaProducer<byte[], byte[]> producer = producer("1")) {
            producer.send(new ProducerRecord<>("sized", new byte[10_000])).get();
            alter(allBrokers, "message.max.bytes", "2000");
            assertInstanceOf(RecordTooLargeException.class, sendFails(producer, new ProducerRecord<>("sized", new byte[10_000])));
            producer.send(new ProducerRecord<>("sized", new byte[100])).get();
        }
    }

    @Test
    void timestampKeysChangedAtRunTimeStampAndBoundNewRecords() throws Exception {
        topic("stamped", Map.of());
        try (KafkaProducer<byte[], byte[]> producer = producer("1")) {
            alter(thisBroker, "log.message.timestamp.type", "LogAppendTime");
            producer.send(new ProducerRecord<>("stamped", 0, 1_000L, null, new byte[1])).get();
            ConsumerRecord<byte[], byte[]> stamped = consumeAll("stamped", 1).get(0);
            assertEquals(TimestampType.LOG_APPEND_TIME, stamped.timestampType());
            assertNotEquals(1_000L, stamped.timestamp());

            alter(thisBroker, "log.message.timestamp.type", "CreateTime");
            alter(thisBroker, "log.message.timestamp.before.max.ms", "60000");
            assertInstanceOf(InvalidTimestampException.class,
                sendFails(producer, new ProducerRecord<>("stamped", 0, 1_000L, null, new byte[1])));
        }
    }

    @Test
    void minInsyncReplicasRaisedAtRunTimeRefusesAcksAll() throws Exception {
        topic("guarded", Map.of());
        try (KafkaProducer<byte[], byte[]> producer = producer("all")) {
            producer.send(new ProducerRecord<>("guarded", new byte[1])).get();
            alter(allBrokers, "min.insync.replicas", "2");
            assertInstanceOf(NotEnoughReplicasException.class, sendFails(producer, new ProducerRecord<>("guarded", new byte[1])));
        }
    }

    @Test
    void rollAndRetentionChangedAtRunTimeApplyToExistingTopics() throws Exception {
        topic("aging", Map.of());
        Path dir = broker.dataDir().resolve("aging-0");
        try (KafkaProducer<byte[], byte[]> producer = producer("1")) {
            producer.send(new ProducerRecord<>("aging", new byte[1])).get();
            alter(thisBroker, "log.roll.ms", "1");
            await(() -> {
                producer.send(new ProducerRecord<>("aging", new byte[1])).get();
                try (Stream<Path> files = Files.list(dir)) {
                    return files.filter(f -> f.toString().endsWith(".log")).count() >= 2;
                }
            }, "log.roll.ms did not roll the segment");
            long end = admin.listOffsets(Map.of(new TopicPartition("aging", 0), OffsetSpec.latest())).all().get()
                .get(new TopicPartition("aging", 0)).offset();

            alter(allBrokers, "log.retention.ms", "1");
            await(() -> admin.listOffsets(Map.of(new TopicPartition("aging", 0), OffsetSpec.earliest())).all().get()
                .get(new TopicPartition("aging", 0)).offset() >= end, "log.retention.ms did not remove old data");
        }
    }

    @Test
    void brokerKeysThatCannotChangeAtRunTimeAreRefusedAndDescribedReadOnly() throws Exception {
        for (String key : List.of("log.cleaner.threads", "log.cleaner.backoff.ms", "log.cleaner.dedupe.buffer.size",
                "log.cleaner.io.buffer.size", "producer.id.expiration.ms", "offsets.commit.timeout.ms")) {
            Throwable refused = alterFails(thisBroker, key, "1000");
            assertInstanceOf(InvalidRequestException.class, refused, key);
            assertTrue(refused.getMessage().contains(key), refused.getMessage());
            ConfigEntry entry = admin.describeConfigs(List.of(thisBroker)).all().get().get(thisBroker).get(key);
            assertTrue(entry.isReadOnly(), key);
        }
    }

    @Test
    void topicChangesFollowTheRulesOfCreateTopics() throws Exception {
        ConfigResource tiered = topic("tiered", Map.of("remote.storage.enable", "true"));
        Throwable compactTiered = alterFails(tiered, "cleanup.policy", "compact");
        assertInstanceOf(InvalidConfigurationException.class, compactTiered);
        assertTrue(compactTiered.getMessage().contains("compacted"), compactTiered.getMessage());
        ConfigResource compacted = topic("compacted", Map.of("cleanup.policy", "compact"));
        assertInstanceOf(InvalidConfigurationException.class, alterFails(compacted, "remote.storage.enable", "true"));
        assertInstanceOf(InvalidConfigurationException.class, alterFails(tiered, "remote.storage.enable", "false"));
        assertEquals("compact", admin.describeConfigs(List.of(compacted)).all().get().get(compacted)
            .get("cleanup.policy").value());
    }

    @Test
    void topicKeysSluiceCannotHonourAreRefusedBeyondTheirDefaultsAndThrottleListsMustBeWellFormed() throws Exception {
        ConfigResource plain = topic("plain", Map.of());
        for (Map.Entry<String, String> unsupported : Map.of("remote.log.copy.disable", "true",
                "remote.log.delete.on.disable", "true", "leader.replication.throttled.replicas", "0-1",
                "follower.replication.throttled.replicas", "all").entrySet()) {
            Throwable refused = alterFails(plain, unsupported.getKey(), unsupported.getValue());
            assertInstanceOf(InvalidConfigurationException.class, refused, unsupported.getKey());
            assertTrue(refused.getMessage().contains(unsupported.getKey()), refused.getMessage());
        }
        alter(plain, "remote.log.copy.disable", "false");
        // What kafka-reassign-partitions --throttle writes is stored.
        alter(plain, "leader.replication.throttled.replicas", "0:1,0:2");
        alter(plain, "follower.replication.throttled.replicas", "*");
        assertEquals("0:1,0:2", admin.describeConfigs(List.of(plain)).all().get().get(plain)
            .get("leader.replication.throttled.replicas").value());
        Throwable atCreation = assertThrows(ExecutionException.class, () -> topic("copy-off",
            Map.of("remote.storage.enable", "true", "remote.log.copy.disable", "true"))).getCause();
        assertInstanceOf(InvalidConfigurationException.class, atCreation);
    }
}
