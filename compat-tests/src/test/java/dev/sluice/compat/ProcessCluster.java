package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * A cluster of packaged brokers, each its own process started with Kafka's KRaft keys through
 * {@link BrokerProcess#startClusterNode}, every node a combined broker and controller, plus the
 * broker-only nodes {@link #addBroker} adds (or, with dedicated controllers, controller-only and
 * broker-only nodes). Ports are fixed per node id so that a restarted node comes back where clients
 * knew it. Nodes run on this host's loopback unless a {@link Placement} puts them elsewhere (a
 * network namespace each). Not thread-safe: driven by the test's thread.
 */
final class ProcessCluster implements AutoCloseable {
    /** Controller-only nodes are numbered from here up. */
    static final int CONTROLLER_IDS = 1000;

    /** Where each node runs: the address its listeners bind and the command prefix that starts its JVM there. */
    interface Placement {
        String host(int id);

        List<String> launcher(int id);
    }

    private static final Placement LOOPBACK = new Placement() {
        @Override
        public String host(int id) {
            return "localhost";
        }

        @Override
        public List<String> launcher(int id) {
            return List.of();
        }
    };

    private final Path dir;
    private final Placement placement;
    private final String[] overrides;
    private final Map<Integer, BrokerProcess> nodes = new TreeMap<>();
    private final Map<Integer, Integer> brokerPorts = new TreeMap<>();
    private final Map<Integer, Integer> controllerPorts = new TreeMap<>();
    /** Broker-only nodes added with {@link #addBroker}, with their own overrides. */
    private final Map<Integer, String[]> brokerOnly = new TreeMap<>();
    /** The name of a second broker listener each combined node binds (see {@link #withInternalListener}), or null. */
    private final String internalListener;
    private final Map<Integer, Integer> internalPorts = new TreeMap<>();
    private Admin admin;

    /** Starts {@code size} nodes (ids 1..size) with data under {@code dir}, and waits until all are registered. */
    ProcessCluster(Path dir, int size, String... overrides) throws Exception {
        this(dir, 0, size, LOOPBACK, null, overrides);
    }

    /**
     * As {@link #ProcessCluster(Path, int, String...)}, each node also binding a broker listener
     * named {@code listener} on a port of its own ({@link #internalPort}); {@code overrides} say
     * what it is (its protocol in {@code listener.security.protocol.map}, whether it is the
     * inter-broker listener). The PLAINTEXT listener stays, for {@link #admin} and the helpers.
     */
    static ProcessCluster withInternalListener(Path dir, int size, String listener, String... overrides)
            throws Exception {
        return new ProcessCluster(dir, 0, size, LOOPBACK, listener, overrides);
    }

    /** As {@link #ProcessCluster(Path, int, String...)}, each node where {@code placement} says. */
    ProcessCluster(Path dir, int size, Placement placement, String... overrides) throws Exception {
        this(dir, 0, size, placement, null, overrides);
    }

    /**
     * Starts {@code controllers} controller-only nodes (ids 1001…) and {@code brokers} broker-only
     * nodes (ids 1..brokers); with no controllers, {@code brokers} combined nodes. Waits until every
     * broker is registered.
     */
    ProcessCluster(Path dir, int controllers, int brokers, String... overrides) throws Exception {
        this(dir, controllers, brokers, LOOPBACK, null, overrides);
    }

    private ProcessCluster(Path dir, int controllers, int brokers, Placement placement, String internalListener,
                           String... overrides) throws Exception {
        this.dir = dir;
        this.placement = placement;
        this.overrides = overrides;
        this.internalListener = internalListener;
        for (int id = 1; id <= brokers; id++) {
            brokerPorts.put(id, BrokerProcess.freePort());
            if (internalListener != null) {
                internalPorts.put(id, BrokerProcess.freePort());
            }
            if (controllers == 0) {
                controllerPorts.put(id, BrokerProcess.freePort());
            } else {
                brokerOnly.put(id, new String[0]);
            }
        }
        for (int i = 1; i <= controllers; i++) {
            controllerPorts.put(CONTROLLER_IDS + i, BrokerProcess.freePort());
        }
        for (int i = 1; i <= controllers; i++) {
            start(CONTROLLER_IDS + i);
        }
        for (int id = 1; id <= brokers; id++) {
            start(id);
        }
        awaitBrokers(brokers);
    }

    /** Starts node {@code id} again (after {@link #kill}) on its own ports and data directory. */
    void start(int id) throws Exception {
        Map<Integer, String> controllers = new TreeMap<>();
        controllerPorts.forEach((node, port) -> controllers.put(node, placement.host(node) + ":" + port));
        if (id > CONTROLLER_IDS) {
            nodes.put(id, BrokerProcess.startControllerNode(dir.resolve("controller-" + id), id,
                placement.launcher(id), controllers, overrides));
            return;
        }
        if (brokerOnly.containsKey(id)) {
            String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(overrides),
                java.util.Arrays.stream(brokerOnly.get(id))).toArray(String[]::new);
            nodes.put(id, BrokerProcess.startBrokerNode(dir.resolve("node-" + id), id, placement.launcher(id),
                placement.host(id), brokerPorts.get(id), controllers, all));
            return;
        }
        String[] all = overrides;
        if (internalListener != null) {
            String host = placement.host(id);
            all = java.util.stream.Stream.concat(java.util.Arrays.stream(overrides), java.util.stream.Stream.of(
                "listeners=PLAINTEXT://" + host + ":" + brokerPorts.get(id) + ",CONTROLLER://" + controllers.get(id)
                    + "," + internalListener + "://" + host + ":" + internalPorts.get(id))).toArray(String[]::new);
        }
        nodes.put(id, BrokerProcess.startClusterNode(dir.resolve("node-" + id), id, placement.launcher(id),
            placement.host(id), brokerPorts.get(id), controllers, all));
    }

    /** The port of node {@code id}'s internal listener ({@link #withInternalListener}). */
    int internalPort(int id) {
        return internalPorts.get(id);
    }

    /** host:port of every node's internal listener, for clients that connect through it. */
    String internalBootstrapServers() {
        return internalPorts.keySet().stream().map(id -> placement.host(id) + ":" + internalPorts.get(id))
            .collect(Collectors.joining(","));
    }

    /**
     * Adds a broker-only node ({@code process.roles=broker}) with the next node id to the running
     * cluster, as scaling out does, and returns its id once it is started; {@link #start} restarts
     * it like any other node.
     */
    int addBroker(String... extraOverrides) throws Exception {
        int id = brokerPorts.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        brokerPorts.put(id, BrokerProcess.freePort());
        brokerOnly.put(id, extraOverrides);
        start(id);
        return id;
    }

    /** The running node {@code id}. */
    BrokerProcess node(int id) {
        return nodes.get(id);
    }

    /** Forgets node {@code id} (the caller stops it) and returns it. */
    BrokerProcess remove(int id) {
        return nodes.remove(id);
    }

    /** SIGKILLs node {@code id}. */
    void kill(int id) throws InterruptedException {
        nodes.remove(id).kill();
    }

    int size() {
        return brokerPorts.size();
    }

    String bootstrapServers() {
        return brokerPorts.keySet().stream().map(id -> placement.host(id) + ":" + brokerPorts.get(id))
            .collect(Collectors.joining(","));
    }

    /** {@code localhost:port} of controller {@code id}'s CONTROLLER listener, for {@code controller.quorum.bootstrap.servers}. */
    String controllerAddress(int id) {
        return "localhost:" + controllerPorts.get(id);
    }

    int brokerPort(int id) {
        return brokerPorts.get(id);
    }

    /** An Admin client over every node, closed with the cluster. */
    Admin admin() {
        if (admin == null) {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
            admin = Admin.create(props);
        }
        return admin;
    }

    /** Waits until {@code count} brokers are registered and unfenced. */
    void awaitBrokers(int count) throws Exception {
        poll(Duration.ofSeconds(60), count + " brokers registered and unfenced",
            () -> admin().describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == count);
    }

    /** The partitions of {@code topic} as the Admin client describes them. */
    List<TopicPartitionInfo> partitions(String topic) throws Exception {
        return admin().describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions();
    }

    /** Waits until every partition of {@code topic} has all of its replicas in sync. */
    void awaitFullIsr(String topic) throws Exception {
        try {
            poll(Duration.ofSeconds(60), "every replica of " + topic + " in sync", () -> partitions(topic).stream()
                .allMatch(p -> p.leader() != null && p.isr().size() == p.replicas().size()));
        } catch (AssertionError e) {
            String described;
            try {
                described = partitions(topic).toString();
            } catch (Exception failure) {
                described = "(not described: " + failure + ")";
            }
            throw new AssertionError(e.getMessage() + "\n" + topic + ": " + described + "\n" + output(), e);
        }
    }

    /** The leader of {@code topic}-{@code partition}, waiting until there is one. */
    int leaderOf(String topic, int partition) throws Exception {
        int[] leader = new int[1];
        poll(Duration.ofSeconds(60), "a leader of " + topic + "-" + partition, () -> {
            TopicPartitionInfo p = partitions(topic).get(partition);
            if (p.leader() == null || p.leader().id() < 0) {
                return false;
            }
            leader[0] = p.leader().id();
            return true;
        });
        return leader[0];
    }

    /** Waits until {@code producer} has had {@code count} acknowledgements. */
    static void awaitAcks(AckedProducer producer, long count) throws Exception {
        poll(Duration.ofSeconds(60), count + " acknowledgements (last failure: " + producer.lastFailure() + ")",
            () -> producer.acks() >= count);
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    /** Asks {@code condition} every 50 ms until it holds, failing after {@code limit}; a request that failed counts as "not yet". */
    /** {@link #awaitTopicOnEveryBroker(String, java.util.Collection)} for this cluster's running brokers. */
    void awaitTopicOnEveryBroker(String topic) throws Exception {
        List<Integer> ports = brokerPorts.entrySet().stream().filter(e -> nodes.containsKey(e.getKey())
            && nodes.get(e.getKey()).isAlive()).map(Map.Entry::getValue).toList();
        awaitTopicOnEveryBroker(topic, ports);
    }

    /**
     * Waits until the broker on each of {@code ports} (localhost) describes {@code topic}. As in
     * Kafka, a broker learns of a new topic from the metadata log some milliseconds after the
     * controller answered CreateTopics, and Kafka's tools ask whichever broker they like: a test
     * that creates a topic through one broker and runs a tool at once waits for this first, as
     * Kafka's own tests do.
     */
    static void awaitTopicOnEveryBroker(String topic, java.util.Collection<Integer> ports) throws Exception {
        for (int port : ports) {
            poll(Duration.ofSeconds(30), "the broker on port " + port + " describing " + topic, () -> {
                try (RawKafkaConnection raw = new RawKafkaConnection("localhost", port)) {
                    org.apache.kafka.common.message.MetadataResponseData answer = raw.send(
                        org.apache.kafka.common.protocol.ApiKeys.METADATA, 12,
                        new org.apache.kafka.common.message.MetadataRequestData().setAllowAutoTopicCreation(false)
                            .setTopics(List.of(new org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic()
                                .setName(topic))));
                    return answer.topics().iterator().next().errorCode() == 0;
                }
            });
        }
    }

    static void poll(Duration limit, String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                if (condition.holds()) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                // A broker was just killed or the cluster is electing: ask again.
            }
            assertTrue(System.nanoTime() < deadline, "no " + what + " within " + limit.toSeconds() + " s");
            Thread.sleep(50);
        }
    }

    /** What each node logged, for a failure message. */
    String output() {
        StringBuilder b = new StringBuilder();
        nodes.forEach((id, node) -> b.append("--- node ").append(id).append('\n').append(node.output()).append('\n'));
        return b.toString();
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        nodes.values().forEach(BrokerProcess::close);
    }
}
