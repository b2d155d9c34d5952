package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidUpdateVersionException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feature flags (KIP-584) with Kafka 4.4's {@code kafka-features} and Admin client: what the
 * broker supports and has finalized, upgrades and downgrades, refusals, a finalized level kept
 * across a restart, and {@code group.version} gating the KIP-848 consumer protocol.
 */
class FeaturesTest {
    private static final Pattern LINE = Pattern.compile("Feature: (\\S+)\\s+SupportedMinVersion: (\\S+)\\s+"
        + "SupportedMaxVersion: (\\S+)\\s+FinalizedVersionLevel: (\\S+)\\s+Epoch: (\\S+)");

    @TempDir
    Path dataDir;

    private SluiceBroker start() throws Exception {
        return SluiceBroker.builder().dataDir(dataDir).port(0).start();
    }

    private static KafkaTool.Result features(SluiceBroker broker, String... args) {
        return KafkaTool.against(broker.bootstrapServers(), "org.apache.kafka.tools.FeatureCommand", args);
    }

    /** Each feature {@code kafka-features describe} lists: supported min, max and finalized level. */
    private static Map<String, List<String>> described(SluiceBroker broker) {
        KafkaTool.Result out = features(broker, "describe").assertSuccess();
        Map<String, List<String>> byName = new java.util.TreeMap<>();
        Matcher m = LINE.matcher(out.out());
        while (m.find()) {
            byName.put(m.group(1), List.of(m.group(2), m.group(3), m.group(4)));
        }
        assertTrue(byName.size() >= 5, out.toString());
        return byName;
    }

    @Test
    void kafkaFeaturesDescribesUpgradesAndDowngradesAndTheLevelsGate() throws Exception {
        try (SluiceBroker broker = start()) {
            Map<String, List<String>> features = described(broker);
            assertEquals(List.of("0", "2", "2"), features.get("transaction.version"), features.toString());
            assertEquals(List.of("0", "1", "1"), features.get("group.version"), features.toString());
            assertEquals(List.of("3.3-IV3", "4.4-IV2", "4.4-IV2"), features.get("metadata.version"), features.toString());
            assertEquals(List.of("0", "1", "1"), features.get("share.version"), "share groups, without dead letters: "
                + features);
            assertEquals(List.of("0", "1", "1"), features.get("streams.version"), "streams groups: " + features);

            KafkaTool.Result refused = features(broker, "upgrade", "--feature", "share.version=2");
            assertEquals(1, refused.exitCode(), refused.toString());
            assertTrue(refused.out().contains("Could not upgrade share.version to 2. share.version 2 is not supported"),
                refused.toString());
            KafkaTool.Result downgraded = features(broker, "downgrade", "--feature", "group.version=0").assertSuccess();
            assertTrue(downgraded.out().contains("group.version was downgraded to 0"), downgraded.toString());
            assertEquals("0", described(broker).get("group.version").get(2));
            assertConsumerProtocolRefused(broker.bootstrapServers());
        }
        try (SluiceBroker again = start(); Admin admin = KafkaClients.admin(again)) {
            FeatureMetadata metadata = admin.describeFeatures().featureMetadata().get();
            assertFalse(metadata.finalizedFeatures().containsKey("group.version"), "still off after a restart: " + metadata);
            assertEquals(2, metadata.finalizedFeatures().get("transaction.version").maxVersionLevel());

            ExecutionException tooNew = assertThrows(ExecutionException.class, () -> admin.updateFeatures(
                Map.of("transaction.version", new FeatureUpdate((short) 3, FeatureUpdate.UpgradeType.UPGRADE)),
                new UpdateFeaturesOptions()).all().get());
            assertInstanceOf(InvalidUpdateVersionException.class, tooNew.getCause());
            ExecutionException mvDown = assertThrows(ExecutionException.class, () -> admin.updateFeatures(
                Map.of("metadata.version", new FeatureUpdate((short) 30, FeatureUpdate.UpgradeType.SAFE_DOWNGRADE)),
                new UpdateFeaturesOptions()).all().get());
            assertInstanceOf(InvalidUpdateVersionException.class, mvDown.getCause());
            admin.updateFeatures(Map.of("group.version", new FeatureUpdate((short) 1, FeatureUpdate.UpgradeType.UPGRADE)),
                new UpdateFeaturesOptions().validateOnly(true)).all().get();
            assertEquals(0, level(admin, "group.version"), "validate only changes nothing");

            KafkaTool.Result upgraded = features(again, "upgrade", "--feature", "group.version=1").assertSuccess();
            assertTrue(upgraded.out().contains("group.version was upgraded to 1"), upgraded.toString());
            assertEquals(1, level(admin, "group.version"));
            assertConsumerProtocolWorks(again.bootstrapServers(), admin);
        }
    }

    private static int level(Admin admin, String feature) throws Exception {
        var finalized = admin.describeFeatures().featureMetadata().get().finalizedFeatures().get(feature);
        return finalized == null ? 0 : finalized.maxVersionLevel();
    }

    private static Properties consumerProps(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "features-group");
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return props;
    }

    private static void assertConsumerProtocolRefused(String bootstrap) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(bootstrap),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("features-topic"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            UnsupportedVersionException refused = assertThrows(UnsupportedVersionException.class, () -> {
                while (System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200));
                }
            });
            assertTrue(refused.getMessage() != null, refused.toString());
        }
    }

    private static void assertConsumerProtocolWorks(String bootstrap, Admin admin) throws Exception {
        // The refused consumer's metadata requests created the topic already.
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>("features-topic", "k", "v")).get();
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(bootstrap),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("features-topic"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int received = 0;
            while (received == 0 && System.nanoTime() < deadline) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                received += records.count();
            }
            assertEquals(1, received, "the consumer protocol works again with group.version 1");
        }
    }
}
