package dev.sluice.broker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Kafka's KRaft keys: their defaults, how they are parsed, and Kafka's checks on how they fit together. */
class ClusterConfigTest {

    /** A combined broker and controller, node 1 of three voters, as Kafka's own KRaft example files write it. */
    private static Map<String, String> combined() {
        Map<String, String> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@localhost:9093,2@host-2:9093,3@[::1]:9093");
        props.put("listeners", "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093");
        props.put("controller.listener.names", "CONTROLLER");
        return props;
    }

    /** A broker-only node that finds the controllers through bootstrap servers. */
    private static Map<String, String> brokerOnly() {
        Map<String, String> props = new HashMap<>();
        props.put("process.roles", "broker");
        props.put("node.id", "4");
        props.put("controller.quorum.bootstrap.servers", "c1:9093,c2:9093");
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listeners", "INTERNAL://:9092,EXTERNAL://:9094");
        props.put("advertised.listeners", "INTERNAL://b4.internal:9092,EXTERNAL://b4.example.com:9094");
        props.put("listener.security.protocol.map", "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "INTERNAL");
        return props;
    }

    private static Map<String, String> with(Map<String, String> props, String... keyValues) {
        Map<String, String> copy = new HashMap<>(props);
        for (int i = 0; i < keyValues.length; i += 2) {
            if (keyValues[i + 1] == null) {
                copy.remove(keyValues[i]);
            } else {
                copy.put(keyValues[i], keyValues[i + 1]);
            }
        }
        return copy;
    }

    private static void rejected(Map<String, String> props, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> BrokerConfig.parse(props));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void withoutKRaftKeysTheNodeIsTheSingleNodeAndStartsAsBefore() {
        BrokerConfig config = BrokerConfig.parse(Map.of());
        assertFalse(config.isClusterMode());
        assertEquals(Set.of(), config.processRoles());
        assertEquals(List.of(), config.quorumVoters());
        assertEquals(Optional.empty(), config.controllerListener());
        assertEquals("PLAINTEXT", config.interBrokerListenerName());
        assertEquals(config.listeners(), config.advertisedListeners());
        assertEquals(config.listeners(), config.brokerListeners());
        try (SluiceBroker broker = SluiceBroker.builder().start()) {
            assertFalse(broker.config().isClusterMode());
            assertEquals(1, broker.nodeId());
        }
    }

    @Test
    void clusterKeysHaveKafkasDefaults() {
        BrokerConfig config = BrokerConfig.parse(Map.of());
        assertEquals(9000, config.getInt(BrokerConfigKeys.BROKER_SESSION_TIMEOUT_MS));
        assertEquals(2000, config.getInt(BrokerConfigKeys.BROKER_HEARTBEAT_INTERVAL_MS));
        assertEquals(1000, config.getInt(BrokerConfigKeys.CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS));
        assertEquals(2000, config.getInt(BrokerConfigKeys.CONTROLLER_QUORUM_FETCH_TIMEOUT_MS));
        assertEquals(30000L, config.getLong(BrokerConfigKeys.REPLICA_LAG_TIME_MAX_MS));
        assertEquals(1048576, config.getInt(BrokerConfigKeys.REPLICA_FETCH_MAX_BYTES));
        assertEquals(1, config.getInt(BrokerConfigKeys.REPLICA_FETCH_MIN_BYTES));
        assertEquals(500, config.getInt(BrokerConfigKeys.REPLICA_FETCH_WAIT_MAX_MS));
        assertEquals(1000, config.getInt(BrokerConfigKeys.REPLICA_FETCH_BACKOFF_MS));
        assertEquals(10485760, config.getInt(BrokerConfigKeys.REPLICA_FETCH_RESPONSE_MAX_BYTES));
        assertEquals(30000, config.getInt(BrokerConfigKeys.REPLICA_SOCKET_TIMEOUT_MS));
        assertEquals(65536, config.getInt(BrokerConfigKeys.REPLICA_SOCKET_RECEIVE_BUFFER_BYTES));
        assertEquals(1, config.getInt(BrokerConfigKeys.NUM_REPLICA_FETCHERS));
        assertFalse(config.getBoolean(BrokerConfigKeys.UNCLEAN_LEADER_ELECTION_ENABLE));
        assertTrue(config.getBoolean(BrokerConfigKeys.AUTO_LEADER_REBALANCE_ENABLE));
        assertEquals(10, config.getInt(BrokerConfigKeys.LEADER_IMBALANCE_PER_BROKER_PERCENTAGE));
        assertEquals(300L, config.getLong(BrokerConfigKeys.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS));
        assertEquals(3, config.getInt(BrokerConfigKeys.OFFSETS_TOPIC_REPLICATION_FACTOR));
        assertEquals(1, config.getInt(BrokerConfigKeys.MIN_INSYNC_REPLICAS));
        assertEquals(Long.MAX_VALUE, config.getLong(BrokerConfigKeys.LEADER_REPLICATION_THROTTLED_RATE));
        assertEquals(Long.MAX_VALUE, config.getLong(BrokerConfigKeys.FOLLOWER_REPLICATION_THROTTLED_RATE));
        assertNull(config.getString(BrokerConfigKeys.REPLICA_SELECTOR_CLASS));
        assertTrue(config.getBoolean(BrokerConfigKeys.CONTROLLED_SHUTDOWN_ENABLE));
        assertEquals("PLAINTEXT", config.getString(BrokerConfigKeys.SECURITY_INTER_BROKER_PROTOCOL));
    }

    @Test
    void aCombinedNodeKnowsItsRolesVotersAndListeners() {
        BrokerConfig config = BrokerConfig.parse(combined());

        assertTrue(config.isClusterMode());
        assertEquals(Set.of(ProcessRole.BROKER, ProcessRole.CONTROLLER), config.processRoles());
        assertEquals(List.of(new QuorumVoter(1, new HostPort("localhost", 9093)), new QuorumVoter(2, new HostPort("host-2", 9093)),
            new QuorumVoter(3, new HostPort("::1", 9093))), config.quorumVoters());
        assertEquals(Set.of(1, 2, 3), config.quorumVoterIds());
        Listener plaintext = new Listener("PLAINTEXT", "localhost", 9092, "PLAINTEXT");
        // Without an explicit protocol map, a controller listener name maps to PLAINTEXT, as in Kafka.
        assertEquals(Optional.of(new Listener("CONTROLLER", "localhost", 9093, "PLAINTEXT")), config.controllerListener());
        assertEquals(List.of(plaintext), config.brokerListeners());
        assertEquals(List.of(plaintext), config.advertisedListeners(), "the controller listener is not advertised");
        assertEquals(Optional.of(plaintext), config.interBrokerListener());
    }

    @Test
    void aBrokerOnlyNodeFindsTheControllersThroughBootstrapServers() {
        BrokerConfig config = BrokerConfig.parse(brokerOnly());

        assertTrue(config.isClusterMode());
        assertEquals(Set.of(ProcessRole.BROKER), config.processRoles());
        assertEquals(List.of(new HostPort("c1", 9093), new HostPort("c2", 9093)), config.quorumBootstrapServers());
        assertEquals(List.of(), config.quorumVoters());
        assertEquals(Optional.empty(), config.controllerListener());
        assertEquals(List.of("CONTROLLER"), config.controllerListenerNames());
        assertEquals("INTERNAL", config.interBrokerListenerName());
        assertEquals(Optional.of(new Listener("INTERNAL", "b4.internal", 9092, "PLAINTEXT")), config.interBrokerListener());
    }

    @Test
    void aControllerOnlyNodeBindsOnlyItsControllerListener() {
        BrokerConfig config = BrokerConfig.parse(with(combined(), "process.roles", "controller",
            "listeners", "CONTROLLER://localhost:9093"));
        assertEquals(Set.of(ProcessRole.CONTROLLER), config.processRoles());
        assertEquals(List.of(), config.brokerListeners());
        assertEquals(9093, config.controllerListener().orElseThrow().port());

        rejected(with(combined(), "process.roles", "controller"),
            "The listeners config must only contain KRaft controller listeners from controller.listener.names when process.roles=controller");
    }

    @Test
    void aClusterNeedsRolesAQuorumAndControllerListenerNames() {
        rejected(with(combined(), "process.roles", null), "process.roles must be set");
        rejected(with(combined(), "controller.quorum.voters", null),
            "either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or "
                + "controller.quorum.voters must contain a parseable set of controllers");
        rejected(with(combined(), "controller.listener.names", null), "controller.listener.names must not be empty");
        rejected(with(combined(), "process.roles", "broker,observer"),
            "unknown process role 'observer' (only 'broker' and 'controller' are allowed roles)");
        rejected(with(combined(), "process.roles", "broker,broker"), "role 'broker' appears twice");
    }

    @Test
    void votersAreIdAtHostColonPort() {
        rejected(with(combined(), "controller.quorum.voters", "1localhost:9093"), "controller.quorum.voters");
        rejected(with(combined(), "controller.quorum.voters", "x@localhost:9093"), "the node id is not a number");
        rejected(with(combined(), "controller.quorum.voters", "1@localhost"), "expected host:port");
        rejected(with(combined(), "controller.quorum.voters", "1@localhost:9093,1@other:9093"), "node id 1 appears twice");
        rejected(with(combined(), "controller.quorum.voters", "1@localhost:0"), "port out of range");
        rejected(with(brokerOnly(), "controller.quorum.bootstrap.servers", "c1"), "controller.quorum.bootstrap.servers");
    }

    @Test
    void aControllerMustBeAVoterAndBindItsControllerListener() {
        rejected(with(combined(), "node.id", "7"),
            "If process.roles contains the 'controller' role, the node id 7 must be included in the set of voters "
                + "controller.quorum.voters=[1, 2, 3]");
        rejected(with(combined(), "listeners", "PLAINTEXT://localhost:9092"),
            "controller.listener.names must contain at least one value appearing in the 'listeners' configuration "
                + "when running the KRaft controller role");
        rejected(with(combined(), "controller.listener.names", "CONTROLLER,OTHER"),
            "controller.listener.names must only contain values appearing in the 'listeners' configuration");
        // With bootstrap servers instead of voters, the voter set is not known from the file.
        BrokerConfig bootstrapped = BrokerConfig.parse(with(combined(), "controller.quorum.voters", null,
            "controller.quorum.bootstrap.servers", "localhost:9093", "node.id", "7"));
        assertTrue(bootstrapped.isClusterMode());
    }

    @Test
    void aBrokerOnlyNodeIsNoVoterAndBindsNoControllerListener() {
        rejected(with(brokerOnly(), "controller.quorum.voters", "4@c4:9093"),
            "If process.roles contains just the 'broker' role, the node id 4 must not be included in the set of voters");
        rejected(with(brokerOnly(), "listeners", "INTERNAL://:9092,EXTERNAL://:9094,CONTROLLER://:9093"),
            "controller.listener.names must not contain a value appearing in the 'listeners' configuration when "
                + "running KRaft with just the broker role");
    }

    @Test
    void aBrokerNeverAdvertisesTheControllerListener() {
        rejected(with(combined(), "advertised.listeners", "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093"),
            "The advertised.listeners config must not contain KRaft controller listeners from controller.listener.names "
                + "when process.roles contains the broker role");
        rejected(with(combined(), "listeners", "CONTROLLER://localhost:9093"),
            "There must be at least one advertised listener. Perhaps all listeners appear in controller.listener.names?");
    }

    @Test
    void theInterBrokerListenerIsOneAdvertisedListener() {
        rejected(with(brokerOnly(), "security.inter.broker.protocol", "PLAINTEXT"),
            "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.");
        rejected(with(brokerOnly(), "inter.broker.listener.name", "REPLICATION"),
            "inter.broker.listener.name must be a listener name defined in advertised.listeners. "
                + "The valid options based on currently configured listeners are EXTERNAL,INTERNAL");
        rejected(with(brokerOnly(), "inter.broker.listener.name", null),
            "inter.broker.listener.name must be a listener name defined in advertised.listeners");
    }

    @Test
    void controllerListenersArePlaintextOrTlsAndASaslInterBrokerMechanismIsEnabled() {
        rejected(with(combined(), "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_SSL"),
            "SASL_SSL controller listeners are not supported: the metadata quorum runs over PLAINTEXT or SSL");
        rejected(with(brokerOnly(), "listener.security.protocol.map",
            "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"),
            "SASL_PLAINTEXT controller listeners are not supported");
        assertEquals("SSL", BrokerConfig.parse(with(combined(), "listener.security.protocol.map",
            "PLAINTEXT:PLAINTEXT,CONTROLLER:SSL")).securityProtocolMap().get("CONTROLLER"));
        rejected(with(brokerOnly(), "listener.security.protocol.map", "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT"),
            "Controller listener with name CONTROLLER defined in controller.listener.names not found in "
                + "listener.security.protocol.map");
        rejected(with(combined(), "security.inter.broker.protocol", "KERBEROS"), "security.inter.broker.protocol");
        Map<String, String> saslBetweenBrokers = with(with(combined(), "listener.security.protocol.map",
            "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:SASL_SSL"), "inter.broker.listener.name", "INTERNAL");
        saslBetweenBrokers.put("listeners", saslBetweenBrokers.get("listeners") + ",INTERNAL://localhost:9094");
        saslBetweenBrokers.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        saslBetweenBrokers.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        rejected(saslBetweenBrokers, "sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms"
            + " when SASL is used for inter-broker communication");
        saslBetweenBrokers.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
        assertEquals("INTERNAL", BrokerConfig.parse(saslBetweenBrokers).interBrokerListenerName());
    }

    @Test
    void theFollowerFetchWaitFitsInsideItsTimeouts() {
        rejected(Map.of("replica.fetch.wait.max.ms", "40000"),
            "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms");
        rejected(Map.of("replica.fetch.wait.max.ms", "20000", "replica.lag.time.max.ms", "10000"),
            "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms");
    }

    @Test
    void clusterKeysAreActedOnOrSayTheyAreNot() {
        for (String key : List.of(BrokerConfigKeys.PROCESS_ROLES, BrokerConfigKeys.CONTROLLER_QUORUM_VOTERS,
                BrokerConfigKeys.CONTROLLER_QUORUM_BOOTSTRAP_SERVERS, BrokerConfigKeys.CONTROLLER_LISTENER_NAMES, BrokerConfigKeys.CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS,
                BrokerConfigKeys.INTER_BROKER_LISTENER_NAME, BrokerConfigKeys.BROKER_SESSION_TIMEOUT_MS,
                BrokerConfigKeys.BROKER_HEARTBEAT_INTERVAL_MS, BrokerConfigKeys.CONTROLLED_SHUTDOWN_ENABLE,
                BrokerConfigKeys.AUTO_LEADER_REBALANCE_ENABLE, BrokerConfigKeys.LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
                BrokerConfigKeys.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS)) {
            assertFalse(BrokerConfigKeys.WITHOUT_EFFECT.containsKey(key), key + " is acted on by a cluster node");
            assertFalse(BrokerConfigKeys.find(key).orElseThrow().documentation().contains("No effect in Sluice"), key);
        }
        for (String key : BrokerConfigKeys.WITHOUT_EFFECT.keySet()) {
            assertTrue(BrokerConfigKeys.find(key).orElseThrow().documentation().contains("No effect in Sluice"), key);
            assertFalse(BrokerConfigKeys.IGNORED_KAFKA_KEYS.contains(key), key + " is a known key, not an ignored one");
        }
    }
}
