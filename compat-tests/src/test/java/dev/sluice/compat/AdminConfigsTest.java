package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DEFAULT_CONFIG;
import static org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG;
import static org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
import static org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG;
import static org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.TopicConfigKeys;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigOp.OpType;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DescribeConfigs and IncrementalAlterConfigs with the official Admin client against an embedded
 * broker whose server.properties sets {@code log.retention.hours=24}. Each test gets a fresh
 * broker, since broker-level changes would leak between tests. The expectations were taken from a
 * Kafka 4.1.2 broker given the same requests.
 */
class AdminConfigsTest {
    private SluiceBroker broker;
    private Admin admin;
    private ConfigResource thisBroker;
    private final ConfigResource allBrokers = new ConfigResource(ConfigResource.Type.BROKER, "");

    @BeforeEach
    void start() {
        broker = SluiceBroker.builder().config("log.retention.hours", "24").start();
        admin = connect(broker);
        thisBroker = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(broker.nodeId()));
    }

    @AfterEach
    void stop() {
        admin.close();
        broker.close();
    }

    private static Admin connect(SluiceBroker broker) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return Admin.create(props);
    }

    private Config describe(ConfigResource resource) throws Exception {
        return describe(admin, resource);
    }

    private static Config describe(Admin admin, ConfigResource resource) throws Exception {
        return admin.describeConfigs(List.of(resource),
            new DescribeConfigsOptions().includeSynonyms(true).includeDocumentation(true)).all().get().get(resource);
    }

    private void alter(ConfigResource resource, AlterConfigOp... ops) throws Exception {
        admin.incrementalAlterConfigs(Map.of(resource, List.of(ops))).all().get();
    }

    private Throwable alterFails(ConfigResource resource, AlterConfigOp... ops) {
        return assertThrows(ExecutionException.class, () -> alter(resource, ops)).getCause();
    }

    private static AlterConfigOp op(String key, String value, OpType type) {
        return new AlterConfigOp(new ConfigEntry(key, value), type);
    }

    /** Synonyms as "SOURCE:name=value", the way kafka-configs.sh prints them. */
    private static String synonyms(ConfigEntry entry) {
        return entry.synonyms().stream().map(s -> s.source() + ":" + s.name() + "=" + s.value())
            .collect(Collectors.joining(", "));
    }

    private ConfigResource newTopic(String name, Map<String, String> configs) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, 1, (short) 1).configs(configs))).all().get();
        return new ConfigResource(ConfigResource.Type.TOPIC, name);
    }

    @Test
    void describesEveryTopicKeyWithDefaultsOverridesSynonymsAndDocumentation() throws Exception {
        ConfigResource topic = newTopic("described", Map.of("cleanup.policy", "compact", "segment.ms", "100000"));
        Config config = describe(topic);
        assertEquals(TopicConfigKeys.all().keySet(),
            config.entries().stream().map(ConfigEntry::name).collect(Collectors.toSet()));
        assertEquals(33, config.entries().size(), "Kafka 4.1 lists 33 topic keys");
        for (ConfigEntry e : config.entries()) {
            assertFalse(e.isReadOnly(), e.name());
            assertFalse(e.isSensitive(), e.name());
            assertNotNull(e.documentation(), e.name());
            assertNotNull(e.value(), e.name());
        }

        ConfigEntry cleanup = config.get("cleanup.policy");
        assertEquals("compact", cleanup.value());
        assertEquals(DYNAMIC_TOPIC_CONFIG, cleanup.source());
        assertEquals(ConfigEntry.ConfigType.LIST, cleanup.type());
        assertEquals("DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete",
            synonyms(cleanup));

        ConfigEntry maxMessage = config.get("max.message.bytes");
        assertEquals("1048588", maxMessage.value());
        assertEquals(DEFAULT_CONFIG, maxMessage.source());
        assertEquals(ConfigEntry.ConfigType.INT, maxMessage.type());
        assertEquals("DEFAULT_CONFIG:message.max.bytes=1048588", synonyms(maxMessage));

        // The value comes from log.retention.hours=24 in server.properties, but Kafka lists synonyms
        // only from the first one named log.retention.ms: none here, so none at all.
        ConfigEntry retention = config.get("retention.ms");
        assertEquals("86400000", retention.value());
        assertEquals(DEFAULT_CONFIG, retention.source());
        assertEquals("", synonyms(retention));

        ConfigEntry segmentMs = config.get("segment.ms");
        assertEquals("100000", segmentMs.value());
        assertEquals("DYNAMIC_TOPIC_CONFIG:segment.ms=100000", synonyms(segmentMs));

        ConfigEntry remote = config.get("remote.storage.enable");
        assertEquals("false", remote.value());
        assertEquals(DEFAULT_CONFIG, remote.source());
        assertEquals("", synonyms(remote));

        Config plain = admin.describeConfigs(List.of(topic)).all().get().get(topic);
        assertTrue(plain.get("cleanup.policy").synonyms().isEmpty(), "synonyms only when asked for");
        assertNull(plain.get("cleanup.policy").documentation(), "documentation only when asked for");

        Throwable unknown = assertThrows(ExecutionException.class,
            () -> describe(new ConfigResource(ConfigResource.Type.TOPIC, "no-such-topic"))).getCause();
        assertInstanceOf(UnknownTopicOrPartitionException.class, unknown);
    }

    @Test
    void describesEveryBrokerKeyLikeKafkaConfigsDescribeAll() throws Exception {
        Config config = describe(thisBroker);
        Map<String, ConfigEntry> byName = config.entries().stream()
            .collect(Collectors.toMap(ConfigEntry::name, e -> e));
        assertTrue(byName.keySet().containsAll(BrokerConfigKeys.all().keySet()));

        ConfigEntry hours = byName.get("log.retention.hours");
        assertEquals("24", hours.value());
        assertEquals(STATIC_BROKER_CONFIG, hours.source());
        assertTrue(hours.isReadOnly(), "log.retention.hours cannot change at run time in Kafka");
        assertEquals("STATIC_BROKER_CONFIG:log.retention.hours=24, DEFAULT_CONFIG:log.retention.hours=168",
            synonyms(hours));

        ConfigEntry ms = byName.get("log.retention.ms");
        assertNull(ms.value(), "a key nothing sets has no value");
        assertEquals(DEFAULT_CONFIG, ms.source());
        assertFalse(ms.isReadOnly());
        assertEquals(ConfigEntry.ConfigType.LONG, ms.type());
        assertEquals("", synonyms(ms));

        ConfigEntry partitions = byName.get("num.partitions");
        assertEquals("1", partitions.value());
        assertTrue(partitions.isReadOnly(), "num.partitions is not dynamic in Kafka");

        ConfigEntry listeners = byName.get("listeners");
        assertEquals(STATIC_BROKER_CONFIG, listeners.source());
        assertEquals(ConfigEntry.ConfigType.STRING, listeners.type());
        assertNotNull(listeners.documentation());

        assertTrue(describe(allBrokers).entries().isEmpty(), "nothing is set for all brokers yet");
    }

    @Test
    void alterTopicConfigsKeyByKey() throws Exception {
        ConfigResource topic = newTopic("altered", Map.of("cleanup.policy", "compact"));
        alter(topic, op("retention.ms", "7200000", OpType.SET), op("cleanup.policy", "delete", OpType.APPEND));
        Config config = describe(topic);
        assertEquals("7200000", config.get("retention.ms").value());
        assertEquals("DYNAMIC_TOPIC_CONFIG:retention.ms=7200000", synonyms(config.get("retention.ms")));
        assertEquals("compact,delete", config.get("cleanup.policy").value());

        alter(topic, op("cleanup.policy", "delete", OpType.APPEND));
        assertEquals("compact,delete", describe(topic).get("cleanup.policy").value(), "APPEND adds what is missing");

        alter(topic, op("cleanup.policy", "compact", OpType.SUBTRACT));
        assertEquals("delete", describe(topic).get("cleanup.policy").value());
        alter(topic, op("cleanup.policy", "delete", OpType.SUBTRACT));
        ConfigEntry empty = describe(topic).get("cleanup.policy");
        assertEquals("", empty.value(), "an empty cleanup policy is allowed, as in Kafka 4.1");
        assertEquals(DYNAMIC_TOPIC_CONFIG, empty.source());

        alter(topic, op("cleanup.policy", null, OpType.DELETE), op("retention.ms", null, OpType.DELETE));
        config = describe(topic);
        assertEquals("delete", config.get("cleanup.policy").value());
        assertEquals(DEFAULT_CONFIG, config.get("cleanup.policy").source());
        assertEquals("86400000", config.get("retention.ms").value());

        // APPEND without an override starts from the key's default ("delete" here).
        alter(topic, op("cleanup.policy", "compact", OpType.APPEND));
        assertEquals("delete,compact", describe(topic).get("cleanup.policy").value());
    }

    @Test
    void refusesBadTopicChangesAndValidateOnlyChangesNothing() throws Exception {
        ConfigResource topic = newTopic("guarded", Map.of());
        Throwable unknownKey = alterFails(topic, op("no.such.key", "1", OpType.SET));
        assertInstanceOf(InvalidConfigurationException.class, unknownKey);
        assertTrue(unknownKey.getMessage().contains("no.such.key"), unknownKey.getMessage());

        Throwable badValue = alterFails(topic, op("retention.ms", "soon", OpType.SET));
        assertInstanceOf(InvalidConfigurationException.class, badValue);
        assertTrue(badValue.getMessage().contains("retention.ms"), badValue.getMessage());

        assertInstanceOf(InvalidConfigurationException.class, alterFails(topic, op("segment.bytes", "1000", OpType.SET)));
        assertInstanceOf(InvalidConfigurationException.class, alterFails(topic, op("retention.ms", "5", OpType.APPEND)));
        assertInstanceOf(InvalidRequestException.class, alterFails(topic, op("retention.ms", null, OpType.SET)));
        assertInstanceOf(InvalidRequestException.class,
            alterFails(topic, op("retention.ms", "1", OpType.SET), op("retention.ms", "2", OpType.SET)));
        assertInstanceOf(UnknownTopicOrPartitionException.class,
            alterFails(new ConfigResource(ConfigResource.Type.TOPIC, "missing"), op("retention.ms", "1", OpType.SET)));

        admin.incrementalAlterConfigs(Map.of(topic, List.of(op("retention.ms", "1000", OpType.SET))),
            new AlterConfigsOptions().validateOnly(true)).all().get();
        admin.incrementalAlterConfigs(Map.of(thisBroker, List.of(op("log.retention.ms", "1000", OpType.SET))),
            new AlterConfigsOptions().validateOnly(true)).all().get();
        assertEquals(DEFAULT_CONFIG, describe(topic).get("retention.ms").source());
        assertNull(describe(thisBroker).get("log.retention.ms").value());
        ExecutionException dryRunOfBadValue = assertThrows(ExecutionException.class,
            () -> admin.incrementalAlterConfigs(Map.of(topic, List.of(op("retention.ms", "x", OpType.SET))),
                new AlterConfigsOptions().validateOnly(true)).all().get());
        assertInstanceOf(InvalidConfigurationException.class, dryRunOfBadValue.getCause());
    }

    @Test
    void alterBrokerConfigsPerBrokerAndForAllBrokers() throws Exception {
        ConfigResource topic = newTopic("inherits", Map.of());
        alter(thisBroker, op("log.retention.ms", "3600000", OpType.SET));
        alter(allBrokers, op("log.segment.bytes", "2000000", OpType.SET));

        Map<String, ConfigEntry> brokerConfig = describe(thisBroker).entries().stream()
            .collect(Collectors.toMap(ConfigEntry::name, e -> e));
        ConfigEntry ms = brokerConfig.get("log.retention.ms");
        assertEquals("3600000", ms.value());
        assertEquals(DYNAMIC_BROKER_CONFIG, ms.source());
        assertEquals("DYNAMIC_BROKER_CONFIG:log.retention.ms=3600000, STATIC_BROKER_CONFIG:log.retention.hours=24, "
            + "DEFAULT_CONFIG:log.retention.hours=168", synonyms(ms));
        ConfigEntry segment = brokerConfig.get("log.segment.bytes");
        assertEquals("2000000", segment.value());
        assertEquals(DYNAMIC_DEFAULT_BROKER_CONFIG, segment.source());

        Collection<ConfigEntry> forAll = describe(allBrokers).entries();
        assertEquals(1, forAll.size());
        ConfigEntry shared = forAll.iterator().next();
        assertEquals("log.segment.bytes", shared.name());
        assertEquals("DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=2000000", synonyms(shared));

        Config topicConfig = describe(topic);
        assertEquals("3600000", topicConfig.get("retention.ms").value());
        assertEquals(DYNAMIC_BROKER_CONFIG, topicConfig.get("retention.ms").source());
        assertEquals("2000000", topicConfig.get("segment.bytes").value());
        assertEquals("DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=2000000, DEFAULT_CONFIG:log.segment.bytes=1073741824",
            synonyms(topicConfig.get("segment.bytes")));

        alter(thisBroker, op("log.cleanup.policy", "compact", OpType.APPEND));
        assertEquals("delete,compact", describe(thisBroker).get("log.cleanup.policy").value());
        assertEquals("delete,compact", describe(topic).get("cleanup.policy").value());

        alter(thisBroker, op("log.retention.ms", null, OpType.DELETE), op("log.cleanup.policy", null, OpType.DELETE));
        alter(allBrokers, op("log.segment.bytes", null, OpType.DELETE));
        assertNull(describe(thisBroker).get("log.retention.ms").value());
        assertEquals("86400000", describe(topic).get("retention.ms").value());
        assertTrue(describe(allBrokers).entries().isEmpty());
    }

    @Test
    void refusesBrokerKeysThatCannotChangeAtRunTime() throws Exception {
        Throwable partitions = alterFails(thisBroker, op("num.partitions", "3", OpType.SET));
        assertInstanceOf(InvalidRequestException.class, partitions, "Kafka answers INVALID_REQUEST here");
        assertTrue(partitions.getMessage().contains("num.partitions"), partitions.getMessage());
        assertInstanceOf(InvalidRequestException.class, alterFails(allBrokers, op("log.retention.hours", "1", OpType.SET)));
        assertInstanceOf(InvalidRequestException.class, alterFails(thisBroker, op("log.retention.ms", "soon", OpType.SET)));
        assertInstanceOf(InvalidConfigurationException.class,
            alterFails(thisBroker, op("log.retention.ms", "5", OpType.APPEND)));
        // Deleting a key that is not set, even a static one, is harmless, as in Kafka.
        alter(thisBroker, op("num.partitions", null, OpType.DELETE));
        assertEquals("1", describe(thisBroker).get("num.partitions").value());
    }

    @Test
    void configChangesSurviveARestart(@TempDir Path dir) throws Exception {
        try (SluiceBroker first = SluiceBroker.builder().dataDir(dir).start(); Admin firstAdmin = connect(first)) {
            firstAdmin.createTopics(List.of(new NewTopic("durable", 1, (short) 1))).all().get();
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "durable");
            ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(first.nodeId()));
            firstAdmin.incrementalAlterConfigs(Map.of(
                topic, List.of(op("retention.ms", "5000", OpType.SET), op("cleanup.policy", "compact", OpType.SET)),
                node, List.of(op("log.retention.bytes", "123456", OpType.SET)),
                allBrokers, List.of(op("message.max.bytes", "2000000", OpType.SET)))).all().get();
            firstAdmin.incrementalAlterConfigs(Map.of(topic, List.of(op("cleanup.policy", null, OpType.DELETE))))
                .all().get();
        }
        try (SluiceBroker second = SluiceBroker.builder().dataDir(dir).start(); Admin secondAdmin = connect(second)) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "durable");
            Config topicConfig = describe(secondAdmin, topic);
            assertEquals("5000", topicConfig.get("retention.ms").value());
            assertEquals(DYNAMIC_TOPIC_CONFIG, topicConfig.get("retention.ms").source());
            assertEquals(DEFAULT_CONFIG, topicConfig.get("cleanup.policy").source(), "the delete was kept too");
            assertEquals("123456", topicConfig.get("retention.bytes").value());
            assertEquals("2000000", topicConfig.get("max.message.bytes").value());
            ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(second.nodeId()));
            assertEquals(DYNAMIC_BROKER_CONFIG, describe(secondAdmin, node).get("log.retention.bytes").source());
            assertEquals("2000000", describe(secondAdmin, allBrokers).get("message.max.bytes").value());
        }
    }
}
