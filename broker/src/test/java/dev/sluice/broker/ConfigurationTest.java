package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.config.Listener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** server.properties handling: Kafka's names and defaults, overrides, and clear errors. */
class ConfigurationTest {
    @Test
    void defaultsAreKafkasExceptWhereSluiceDocumentsOtherwise() {
        BrokerConfig config = BrokerConfig.parse(Map.of());
        assertEquals(List.of(new Listener("PLAINTEXT", "localhost", 9092, "PLAINTEXT")), config.listeners());
        assertEquals(Path.of("./sluice-data"), config.logDir());
        assertEquals(1, config.getInt(BrokerConfigKeys.NUM_PARTITIONS));
        assertTrue(config.getBoolean(BrokerConfigKeys.AUTO_CREATE_TOPICS_ENABLE));
        assertEquals(1048588, config.getInt(BrokerConfigKeys.MESSAGE_MAX_BYTES));
        assertEquals(104857600, config.getInt(BrokerConfigKeys.SOCKET_REQUEST_MAX_BYTES));
        assertEquals(7 * 24 * 3_600_000L, config.retentionMs());
    }

    @Test
    void retentionAndRollFollowKafkasPrecedenceOfUnits() {
        assertEquals(3_600_000L, BrokerConfig.parse(Map.of("log.retention.hours", "1")).retentionMs());
        assertEquals(120_000L, BrokerConfig.parse(Map.of("log.retention.hours", "1", "log.retention.minutes", "2"))
            .retentionMs());
        assertEquals(5L, BrokerConfig.parse(Map.of("log.retention.minutes", "2", "log.retention.ms", "5")).retentionMs());
        assertEquals(7_200_000L, BrokerConfig.parse(Map.of("log.roll.hours", "2")).segmentMs());
    }

    @Test
    void anInvalidValueNamesItsKey() {
        ConfigException e = assertThrows(ConfigException.class,
            () -> BrokerConfig.parse(Map.of("num.partitions", "many")));
        assertTrue(e.getMessage().contains("num.partitions"), e.getMessage());
        ConfigException zero = assertThrows(ConfigException.class, () -> BrokerConfig.parse(Map.of("num.partitions", "0")));
        assertTrue(zero.getMessage().contains("num.partitions"), zero.getMessage());
        ConfigException listener = assertThrows(ConfigException.class,
            () -> BrokerConfig.parse(Map.of("listeners", "localhost:9092")));
        assertTrue(listener.getMessage().contains("listeners"), listener.getMessage());
        ConfigException advertised = assertThrows(ConfigException.class,
            () -> BrokerConfig.parse(Map.of("advertised.listeners", "OTHER://host:1")));
        assertTrue(advertised.getMessage().contains("OTHER"), advertised.getMessage());
    }

    @Test
    void unknownKeysAreSetAsideAndKafkaOnlyKeysAreAccepted() {
        BrokerConfig config = BrokerConfig.parse(Map.of("made.up.key", "1", "process.roles", "broker,controller",
            "controller.quorum.voters", "1@localhost:9093", "controller.listener.names", "CONTROLLER",
            "listeners", "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093", "zookeeper.connect", "localhost:2181"));
        assertEquals(Set.of("made.up.key"), config.unknownKeys());
    }

    @Test
    void overridesWinOverThePropertiesFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.properties");
        Files.writeString(file, "# comment\nnum.partitions=4\nlog.dirs=/tmp/a\nlisteners=PLAINTEXT://:9092\n");
        Map<String, String> props = Main.parseArguments(new String[] {file.toString(), "--override", "log.dirs=/tmp/b",
            "--override", "node.id=3"});
        assertEquals("4", props.get("num.partitions"));
        assertEquals("/tmp/b", props.get("log.dirs"));
        assertEquals("3", props.get("node.id"));
        BrokerConfig config = BrokerConfig.parse(props);
        assertEquals("", config.listeners().get(0).host());
        assertEquals(3, config.nodeId());
        assertThrows(IllegalArgumentException.class, () -> Main.parseArguments(new String[] {"--override", "novalue"}));
        assertThrows(IllegalArgumentException.class, () -> Main.parseArguments(new String[] {dir.resolve("missing").toString()}));
    }

    @Test
    void withoutAPropertiesFileKafkasShippedDevelopmentValuesApply(@TempDir Path dir) throws Exception {
        String delay = "group.initial.rebalance.delay.ms";
        assertEquals("0", Main.parseArguments(new String[0]).get(delay));
        assertEquals("250", Main.parseArguments(new String[] {"--override", delay + "=250"}).get(delay));
        Path file = dir.resolve("server.properties");
        Files.writeString(file, "num.partitions=2\n");
        Map<String, String> withFile = Main.parseArguments(new String[] {file.toString()});
        assertFalse(withFile.containsKey(delay), "a properties file keeps Kafka's code defaults");
        assertEquals(3000, BrokerConfig.parse(withFile).getInt(delay));
        try (SluiceBroker embedded = SluiceBroker.builder().start();
             SluiceBroker configured = SluiceBroker.builder().config(delay, "3000").start()) {
            assertEquals(0, embedded.config().getInt(delay));
            assertEquals(3000, configured.config().getInt(delay));
        }
    }

    @Test
    void aDataDirectoryServesOneBrokerAtATime(@TempDir Path dir) {
        try (SluiceBroker first = SluiceBroker.builder().dataDir(dir).start()) {
            IllegalStateException busy = assertThrows(IllegalStateException.class,
                () -> SluiceBroker.builder().dataDir(dir).start());
            assertTrue(busy.getMessage().contains("in use"), busy.getMessage());
            assertTrue(first.port() > 0, "the first broker keeps serving");
        }
        IllegalStateException otherNode = assertThrows(IllegalStateException.class,
            () -> SluiceBroker.builder().dataDir(dir).config("node.id", "7").start());
        assertTrue(otherNode.getMessage().contains("node.id"), otherNode.getMessage());
        try (SluiceBroker again = SluiceBroker.builder().dataDir(dir).start()) {
            assertTrue(again.port() > 0);
        }
    }
}
