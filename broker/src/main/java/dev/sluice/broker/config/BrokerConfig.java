package dev.sluice.broker.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The broker's static configuration: every known key parsed and checked once at start-up, so an
 * invalid value stops the broker with a message that names the key. Immutable.
 */
public final class BrokerConfig {
    private final Map<String, String> originals;
    private final Map<String, Object> values;
    private final Set<String> unknownKeys;

    private BrokerConfig(Map<String, String> originals, Map<String, Object> values, Set<String> unknownKeys) {
        this.originals = originals;
        this.values = values;
        this.unknownKeys = unknownKeys;
    }

    /** Parses server.properties-style keys; unknown keys are kept aside, not rejected. */
    public static BrokerConfig parse(Map<String, String> properties) {
        Map<String, String> originals = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        Map<String, Object> values = new LinkedHashMap<>();
        Set<String> unknown = new TreeSet<>();
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (BrokerConfigKeys.find(e.getKey()).isEmpty() && !BrokerConfigKeys.IGNORED_KAFKA_KEYS.contains(e.getKey())
                    && !isListenerOverride(e.getKey())) {
                unknown.add(e.getKey());
            }
        }
        for (ConfigDef def : BrokerConfigKeys.all().values()) {
            Object value = def.parse(properties.get(def.name()));
            if (value != null) {
                values.put(def.name(), value);
            }
        }
        BrokerConfig config = new BrokerConfig(originals, Collections.unmodifiableMap(values),
            Collections.unmodifiableSet(unknown));
        config.validate();
        return config;
    }

    private void validate() {
        ClusterChecks.validateQuorum(this);
        listeners();
        advertisedListeners();
        for (Listener l : listeners()) {
            if (!List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL").contains(l.securityProtocol())) {
                throw new ConfigException(BrokerConfigKeys.LISTENERS, l.toString(),
                    "unknown security protocol " + l.securityProtocol());
            }
        }
        ClusterChecks.validateListeners(this);
    }

    /** Whether {@code key} is {@code listener.name.<listener>.[<mechanism>.]<known key>}. */
    private static boolean isListenerOverride(String key) {
        if (!key.startsWith(SecurityConfigKeys.LISTENER_PREFIX)) {
            return false;
        }
        String rest = key.substring(SecurityConfigKeys.LISTENER_PREFIX.length());
        for (int dot = rest.indexOf('.'); dot >= 0; dot = rest.indexOf('.', dot + 1)) {
            if (BrokerConfigKeys.find(rest.substring(dot + 1)).isPresent()) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code key}'s value for one listener, parsed by its definition: {@code listener.name.<listener>.<key>}
     * when given (listener names lower-cased, as Kafka writes them), else the key's own value or default.
     */
    public Object forListener(String listener, String key) {
        return forListener(listener, null, key);
    }

    /**
     * As {@link #forListener(String, String)}, first looking for a mechanism's own value,
     * {@code listener.name.<listener>.<mechanism>.<key>} (mechanism lower-cased, e.g. {@code scram-sha-256}).
     */
    public Object forListener(String listener, String mechanism, String key) {
        String prefix = SecurityConfigKeys.LISTENER_PREFIX + listener.toLowerCase(Locale.ROOT) + ".";
        ConfigDef def = BrokerConfigKeys.find(key).orElseThrow(() -> new IllegalArgumentException("unknown key " + key));
        if (mechanism != null) {
            String own = originals.get(prefix + mechanism.toLowerCase(Locale.ROOT) + "." + key);
            if (own != null) {
                return def.parse(own);
            }
        }
        String own = originals.get(prefix + key);
        return own != null ? def.parse(own) : values.get(key);
    }

    /** {@link #forListener(String, String)} as text; null when the key has no value. */
    public String listenerString(String listener, String key) {
        Object v = forListener(listener, key);
        return v == null ? null : v.toString();
    }

    /** {@link #forListener(String, String)} of a list key. */
    @SuppressWarnings("unchecked")
    public List<String> listenerList(String listener, String key) {
        Object v = forListener(listener, key);
        if (v instanceof String s) {
            return Arrays.stream(s.split(",")).map(String::trim).filter(part -> !part.isEmpty()).toList();
        }
        return v == null ? List.of() : (List<String>) v;
    }

    /** Keys given that neither Sluice nor Kafka's broker configuration define. */
    public Set<String> unknownKeys() {
        return unknownKeys;
    }

    /** The keys and values exactly as given. */
    public Map<String, String> originals() {
        return originals;
    }

    public boolean isSet(String key) {
        return originals.containsKey(key);
    }

    /** The parsed value of a known key (its default when not set), or null if it has neither. */
    public Object value(String key) {
        return values.get(key);
    }

    public int getInt(String key) {
        return ((Number) values.get(key)).intValue();
    }

    public long getLong(String key) {
        return ((Number) values.get(key)).longValue();
    }

    public double getDouble(String key) {
        return ((Number) values.get(key)).doubleValue();
    }

    /**
     * {@code queued.max.request.bytes}: as set (-1 for no bound), else a quarter of the JVM's
     * maximum heap. Kafka leaves it unbounded by default; Sluice bounds it so that no mix of clients
     * can fill the heap with requests.
     */
    public long queuedMaxRequestBytes() {
        Object v = values.get(BrokerConfigKeys.QUEUED_MAX_REQUEST_BYTES);
        return v != null ? ((Number) v).longValue() : Runtime.getRuntime().maxMemory() / 4;
    }

    public boolean getBoolean(String key) {
        return (Boolean) values.get(key);
    }

    public String getString(String key) {
        Object v = values.get(key);
        return v == null ? null : v.toString();
    }

    /** A comma-separated value as a list; Kafka types some of these (listeners, log.dirs) as strings. */
    @SuppressWarnings("unchecked")
    public List<String> getList(String key) {
        Object v = values.get(key);
        if (v instanceof String s) {
            return Arrays.stream(s.split(",")).map(String::trim).filter(part -> !part.isEmpty()).toList();
        }
        return v == null ? List.of() : (List<String>) v;
    }

    public int nodeId() {
        if (!isSet(BrokerConfigKeys.NODE_ID) && isSet(BrokerConfigKeys.BROKER_ID)
            && getInt(BrokerConfigKeys.BROKER_ID) >= 0) {
            return getInt(BrokerConfigKeys.BROKER_ID);
        }
        return getInt(BrokerConfigKeys.NODE_ID);
    }

    /** Every listener this node binds, the controller's included. */
    public List<Listener> listeners() {
        List<Listener> listeners = Listener.parseAll(BrokerConfigKeys.LISTENERS, getList(BrokerConfigKeys.LISTENERS),
            securityProtocolMapEntries());
        if (listeners.isEmpty()) {
            throw new ConfigException(BrokerConfigKeys.LISTENERS, "", "at least one listener is needed");
        }
        return listeners;
    }

    /**
     * The advertised listeners; defaults to the bound listeners that are not controller listeners,
     * since clients (and other brokers) never send their requests to a controller listener.
     */
    public List<Listener> advertisedListeners() {
        if (!isSet(BrokerConfigKeys.ADVERTISED_LISTENERS)) {
            return brokerListeners();
        }
        List<Listener> advertised = Listener.parseAll(BrokerConfigKeys.ADVERTISED_LISTENERS,
            getList(BrokerConfigKeys.ADVERTISED_LISTENERS), securityProtocolMapEntries());
        for (Listener a : advertised) {
            if (listeners().stream().noneMatch(l -> l.name().equals(a.name()))) {
                throw new ConfigException(BrokerConfigKeys.ADVERTISED_LISTENERS, a.toString(),
                    "no listener named " + a.name() + " in " + BrokerConfigKeys.LISTENERS);
            }
        }
        return advertised;
    }

    /** The bound listeners that serve clients and brokers: all but the controller listeners. */
    public List<Listener> brokerListeners() {
        List<String> controllers = controllerListenerNames();
        return listeners().stream().filter(l -> !controllers.contains(l.name())).toList();
    }

    /**
     * {@code listener.security.protocol.map} as Kafka applies it: when it is not set, each
     * controller listener name that is not itself a protocol's name maps to PLAINTEXT.
     */
    public Map<String, String> securityProtocolMap() {
        Map<String, String> map = new LinkedHashMap<>();
        for (String entry : securityProtocolMapEntries()) {
            int colon = entry.indexOf(':');
            map.put(entry.substring(0, colon).trim().toUpperCase(Locale.ROOT),
                entry.substring(colon + 1).trim().toUpperCase(Locale.ROOT));
        }
        return Collections.unmodifiableMap(map);
    }

    private List<String> securityProtocolMapEntries() {
        List<String> entries = new ArrayList<>(getList(BrokerConfigKeys.LISTENER_SECURITY_PROTOCOL_MAP));
        if (!isSet(BrokerConfigKeys.LISTENER_SECURITY_PROTOCOL_MAP)) {
            for (String name : controllerListenerNames()) {
                if (entries.stream().noneMatch(e -> e.toUpperCase(Locale.ROOT).startsWith(name + ":"))) {
                    entries.add(name + ":PLAINTEXT");
                }
            }
        }
        return entries;
    }

    // ------------------------------------------------------------------ cluster (KRaft)

    /**
     * Whether this node is part of a KRaft cluster: {@code controller.quorum.voters} or
     * {@code controller.quorum.bootstrap.servers} is set. Otherwise it is the single node, with its
     * metadata in a local journal.
     */
    public boolean isClusterMode() {
        return !quorumVoters().isEmpty() || !quorumBootstrapServers().isEmpty();
    }

    /** {@code process.roles}; empty for the single node. */
    public Set<ProcessRole> processRoles() {
        return ProcessRole.of(getList(BrokerConfigKeys.PROCESS_ROLES));
    }

    /** {@code controller.quorum.voters}, in the order given; empty when not set. */
    public List<QuorumVoter> quorumVoters() {
        return QuorumVoter.parseAll(BrokerConfigKeys.CONTROLLER_QUORUM_VOTERS,
            getList(BrokerConfigKeys.CONTROLLER_QUORUM_VOTERS));
    }

    /** {@code controller.quorum.bootstrap.servers}, in the order given; empty when not set. */
    public List<HostPort> quorumBootstrapServers() {
        return getList(BrokerConfigKeys.CONTROLLER_QUORUM_BOOTSTRAP_SERVERS).stream()
            .map(entry -> HostPort.parse(BrokerConfigKeys.CONTROLLER_QUORUM_BOOTSTRAP_SERVERS, entry, entry))
            .toList();
    }

    /** {@code controller.quorum.voters}'s node ids. */
    public Set<Integer> quorumVoterIds() {
        Set<Integer> ids = new TreeSet<>();
        quorumVoters().forEach(v -> ids.add(v.nodeId()));
        return ids;
    }

    /** {@code controller.listener.names}, upper-cased as listener names are; empty when not set. */
    public List<String> controllerListenerNames() {
        return getList(BrokerConfigKeys.CONTROLLER_LISTENER_NAMES).stream()
            .map(n -> n.toUpperCase(Locale.ROOT)).toList();
    }

    /**
     * The controller listener this node binds: the first of {@code controller.listener.names}
     * found in {@code listeners}. Present on a node with the controller role; a broker-only node
     * binds none and reaches the controllers through the quorum addresses.
     */
    public Optional<Listener> controllerListener() {
        List<Listener> bound = listeners();
        for (String name : controllerListenerNames()) {
            for (Listener l : bound) {
                if (l.name().equals(name)) {
                    return Optional.of(l);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The name of the listener brokers reach each other on: {@code inter.broker.listener.name},
     * else the listener named as {@code security.inter.broker.protocol} (PLAINTEXT by default).
     */
    public String interBrokerListenerName() {
        String name = getString(BrokerConfigKeys.INTER_BROKER_LISTENER_NAME);
        return (name != null ? name : getString(BrokerConfigKeys.SECURITY_INTER_BROKER_PROTOCOL)).toUpperCase(Locale.ROOT);
    }

    /** The advertised listener other brokers reach this one on; checked to exist on brokers in a cluster. */
    public Optional<Listener> interBrokerListener() {
        String name = interBrokerListenerName();
        return advertisedListeners().stream().filter(l -> l.name().equals(name)).findFirst();
    }

    /** The data directory: the first of log.dirs, else log.dir. */
    public Path logDir() {
        List<String> dirs = getList(BrokerConfigKeys.LOG_DIRS);
        return Path.of(dirs.isEmpty() ? getString(BrokerConfigKeys.LOG_DIR) : dirs.get(0));
    }

    /** log.retention.ms, else minutes, else hours, as Kafka resolves them. */
    public long retentionMs() {
        if (values.containsKey(BrokerConfigKeys.LOG_RETENTION_MS)) {
            return getLong(BrokerConfigKeys.LOG_RETENTION_MS);
        }
        if (values.containsKey(BrokerConfigKeys.LOG_RETENTION_MINUTES)) {
            return getInt(BrokerConfigKeys.LOG_RETENTION_MINUTES) * 60_000L;
        }
        return getInt(BrokerConfigKeys.LOG_RETENTION_HOURS) * 3_600_000L;
    }

    /** log.roll.ms, else log.roll.hours. */
    public long segmentMs() {
        if (values.containsKey(BrokerConfigKeys.LOG_ROLL_MS)) {
            return getLong(BrokerConfigKeys.LOG_ROLL_MS);
        }
        return getInt(BrokerConfigKeys.LOG_ROLL_HOURS) * 3_600_000L;
    }

    /** log.roll.jitter.ms, else log.roll.jitter.hours. */
    public long segmentJitterMs() {
        if (values.containsKey(BrokerConfigKeys.LOG_ROLL_JITTER_MS)) {
            return getLong(BrokerConfigKeys.LOG_ROLL_JITTER_MS);
        }
        return getInt(BrokerConfigKeys.LOG_ROLL_JITTER_HOURS) * 3_600_000L;
    }

    /** log.flush.interval.ms, else log.flush.scheduler.interval.ms. */
    public long flushMs() {
        if (values.containsKey(BrokerConfigKeys.LOG_FLUSH_INTERVAL_MS)) {
            return getLong(BrokerConfigKeys.LOG_FLUSH_INTERVAL_MS);
        }
        return getLong(BrokerConfigKeys.LOG_FLUSH_SCHEDULER_INTERVAL_MS);
    }
}
