package dev.sluice.broker.config;

import static dev.sluice.broker.config.BrokerConfigKeys.ADVERTISED_LISTENERS;
import static dev.sluice.broker.config.BrokerConfigKeys.CONTROLLER_LISTENER_NAMES;
import static dev.sluice.broker.config.BrokerConfigKeys.CONTROLLER_QUORUM_BOOTSTRAP_SERVERS;
import static dev.sluice.broker.config.BrokerConfigKeys.CONTROLLER_QUORUM_VOTERS;
import static dev.sluice.broker.config.BrokerConfigKeys.INTER_BROKER_LISTENER_NAME;
import static dev.sluice.broker.config.BrokerConfigKeys.LISTENERS;
import static dev.sluice.broker.config.BrokerConfigKeys.LISTENER_SECURITY_PROTOCOL_MAP;
import static dev.sluice.broker.config.BrokerConfigKeys.PROCESS_ROLES;
import static dev.sluice.broker.config.BrokerConfigKeys.REPLICA_FETCH_WAIT_MAX_MS;
import static dev.sluice.broker.config.BrokerConfigKeys.REPLICA_LAG_TIME_MAX_MS;
import static dev.sluice.broker.config.BrokerConfigKeys.REPLICA_SOCKET_TIMEOUT_MS;
import static dev.sluice.broker.config.BrokerConfigKeys.SECURITY_INTER_BROKER_PROTOCOL;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_ENABLED_MECHANISMS;
import static dev.sluice.broker.config.SecurityConfigKeys.SASL_MECHANISM_INTER_BROKER_PROTOCOL;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The checks Kafka makes on how the KRaft keys fit together, made at start-up so that a cluster
 * node with a wrong file stops with a message that says what to fix. They apply only to a node
 * that names a quorum or a role: a configuration without any KRaft key is the single node and is
 * not held to them.
 */
final class ClusterChecks {
    private ClusterChecks() {
    }

    /** Whether the node names a quorum or a role, and so is held to the cluster checks. */
    private static boolean kraft(BrokerConfig config) {
        return config.isClusterMode() || !config.processRoles().isEmpty();
    }

    /**
     * What a cluster node needs before its listeners can even be read: roles, a quorum, and the
     * controller listener names that the listeners' protocols depend on.
     */
    static void validateQuorum(BrokerConfig config) {
        replicaFetchTimeouts(config);
        if (!kraft(config)) {
            return;
        }
        require(!config.processRoles().isEmpty(), PROCESS_ROLES + " must be set (broker, controller, or broker,controller) when "
            + CONTROLLER_QUORUM_VOTERS + " or " + CONTROLLER_QUORUM_BOOTSTRAP_SERVERS + " is set");
        require(config.isClusterMode(), "If using " + PROCESS_ROLES + ", either " + CONTROLLER_QUORUM_BOOTSTRAP_SERVERS
            + " must contain the set of bootstrap controllers or " + CONTROLLER_QUORUM_VOTERS
            + " must contain a parseable set of controllers");
        require(!config.controllerListenerNames().isEmpty(),
            CONTROLLER_LISTENER_NAMES + " must not be empty when running in KRaft mode");
    }

    /** How the listeners fit the roles; after {@link #validateQuorum} and the listeners' own checks. */
    static void validateListeners(BrokerConfig config) {
        if (!kraft(config)) {
            return;
        }
        Set<ProcessRole> roles = config.processRoles();
        List<String> controllerNames = config.controllerListenerNames();
        betweenNodes(config, controllerNames);

        Set<String> bound = config.listeners().stream().map(Listener::name).collect(Collectors.toSet());
        Set<Integer> voterIds = config.quorumVoterIds();
        int nodeId = config.nodeId();
        boolean broker = roles.contains(ProcessRole.BROKER);
        boolean controller = roles.contains(ProcessRole.CONTROLLER);
        if (controller) {
            require(voterIds.isEmpty() || voterIds.contains(nodeId), "If " + PROCESS_ROLES
                + " contains the 'controller' role, the node id " + nodeId + " must be included in the set of voters "
                + CONTROLLER_QUORUM_VOTERS + "=" + voterIds);
            require(controllerNames.stream().anyMatch(bound::contains), CONTROLLER_LISTENER_NAMES
                + " must contain at least one value appearing in the '" + LISTENERS
                + "' configuration when running the KRaft controller role");
            require(bound.containsAll(controllerNames), CONTROLLER_LISTENER_NAMES + " must only contain values appearing in the '"
                + LISTENERS + "' configuration when running the KRaft controller role");
        } else {
            require(!voterIds.contains(nodeId), "If " + PROCESS_ROLES + " contains just the 'broker' role, the node id "
                + nodeId + " must not be included in the set of voters " + CONTROLLER_QUORUM_VOTERS + "=" + voterIds);
            require(controllerNames.stream().noneMatch(bound::contains), CONTROLLER_LISTENER_NAMES
                + " must not contain a value appearing in the '" + LISTENERS
                + "' configuration when running KRaft with just the broker role");
        }
        if (!broker) {
            require(bound.stream().allMatch(controllerNames::contains), "The " + LISTENERS
                + " config must only contain KRaft controller listeners from " + CONTROLLER_LISTENER_NAMES + " when "
                + PROCESS_ROLES + "=controller");
            return;
        }
        List<Listener> advertised = config.advertisedListeners();
        Set<String> advertisedNames = advertised.stream().map(Listener::name).collect(Collectors.toCollection(TreeSet::new));
        require(!advertisedNames.isEmpty(), "There must be at least one advertised listener. Perhaps all listeners appear in "
            + CONTROLLER_LISTENER_NAMES + "?");
        require(advertisedNames.stream().noneMatch(controllerNames::contains), "The " + ADVERTISED_LISTENERS
            + " config must not contain KRaft controller listeners from " + CONTROLLER_LISTENER_NAMES + " when "
            + PROCESS_ROLES + " contains the broker role: clients and other brokers never send their requests to a controller"
            + " listener");
        require(!(config.isSet(INTER_BROKER_LISTENER_NAME) && config.isSet(SECURITY_INTER_BROKER_PROTOCOL)),
            "Only one of " + INTER_BROKER_LISTENER_NAME + " and " + SECURITY_INTER_BROKER_PROTOCOL + " should be set.");
        require(advertisedNames.contains(config.interBrokerListenerName()), INTER_BROKER_LISTENER_NAME
            + " must be a listener name defined in " + ADVERTISED_LISTENERS
            + ". The valid options based on currently configured listeners are " + String.join(",", advertisedNames));
    }

    /** Kafka's bounds between the follower fetch wait and the timeouts it must fit in; they hold for any node. */
    private static void replicaFetchTimeouts(BrokerConfig config) {
        int fetchWait = config.getInt(REPLICA_FETCH_WAIT_MAX_MS);
        require(fetchWait <= config.getInt(REPLICA_SOCKET_TIMEOUT_MS), REPLICA_SOCKET_TIMEOUT_MS
            + " should always be at least " + REPLICA_FETCH_WAIT_MAX_MS + " to prevent unnecessary socket timeouts");
        require(fetchWait <= config.getLong(REPLICA_LAG_TIME_MAX_MS), REPLICA_FETCH_WAIT_MAX_MS
            + " should always be less than or equal to " + REPLICA_LAG_TIME_MAX_MS + " to prevent frequent changes in ISR");
    }

    /**
     * Controller listeners carry the Ratis quorum's gRPC, which is PLAINTEXT or mutual TLS (SSL):
     * SASL does not apply to it. Between brokers any protocol serves; with SASL, the broker's own mechanism
     * ({@code sasl.mechanism.inter.broker.protocol}) must be one the inter-broker listener enables,
     * as Kafka requires.
     */
    private static void betweenNodes(BrokerConfig config, List<String> controllerNames) {
        for (String name : controllerNames) {
            String protocol = config.securityProtocolMap().get(name);
            require(protocol != null, "Controller listener with name " + name + " defined in " + CONTROLLER_LISTENER_NAMES
                + " not found in " + LISTENER_SECURITY_PROTOCOL_MAP);
            if (!"PLAINTEXT".equals(protocol) && !"SSL".equals(protocol)) {
                throw new ConfigException(LISTENER_SECURITY_PROTOCOL_MAP, name + ":" + protocol, protocol
                    + " controller listeners are not supported: the metadata quorum runs over PLAINTEXT or SSL"
                    + " (mutual TLS, each node presenting its key store's certificate)");
            }
        }
        String interBroker = config.interBrokerListenerName();
        String protocol = config.securityProtocolMap().getOrDefault(interBroker, interBroker);
        if (protocol.startsWith("SASL_")) {
            String mechanism = config.getString(SASL_MECHANISM_INTER_BROKER_PROTOCOL).trim().toUpperCase(Locale.ROOT);
            List<String> enabled = config.listenerList(interBroker, SASL_ENABLED_MECHANISMS).stream()
                .map(m -> m.trim().toUpperCase(Locale.ROOT)).toList();
            require(enabled.contains(mechanism), SASL_MECHANISM_INTER_BROKER_PROTOCOL + " must be included in "
                + SASL_ENABLED_MECHANISMS + " when SASL is used for inter-broker communication");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new ConfigException(message);
        }
    }
}
