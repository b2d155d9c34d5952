package dev.sluice.broker;

import dev.sluice.broker.config.DevelopmentDefaults;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Several Sluice brokers in this JVM forming one cluster, for tests of what clients do when brokers
 * fail: each node is a combined broker and controller of a Ratis metadata quorum, on free ports of
 * localhost, with its own temporary data directory; {@link #addBroker} adds broker-only nodes.
 * {@link Builder#controllers} puts the quorum on dedicated controller-only nodes instead.
 *
 * <pre>{@code
 * try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start()) {
 *     // ... clients on cluster.bootstrapServers() ...
 *     cluster.kill(cluster.leaderOf("orders", 0));   // abruptly, as a crash
 *     cluster.restart(1);                              // on the same data
 *     cluster.isolate(2);                              // a network partition; clients still reach it
 * }
 * }</pre>
 *
 * Every setting is Kafka's default unless configured, for all nodes ({@link Builder#config}) or
 * one ({@link Builder#brokerConfig}); the cluster keys ({@code process.roles}, {@code node.id},
 * {@code controller.quorum.voters}, listeners) are set here. Node ids are 1..N.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class SluiceCluster implements AutoCloseable {
    /** Controller-only nodes are numbered from here up, apart from the brokers. */
    private static final int CONTROLLER_IDS = 1000;
    /** How long {@link Builder#start} and {@link #restart} wait for the brokers to be ready. */
    private static final Duration READY_WAIT = Duration.ofSeconds(60);

    private final Map<Integer, Map<String, String>> configs;
    /** What every node is configured with: the builder's settings and the quorum's voters. */
    private final Map<String, String> shared;
    private final Map<Integer, SluiceBroker> running = new TreeMap<>();
    /** The links {@link #cut} (lower id first) and not healed yet. */
    private final java.util.Set<List<Integer>> cutLinks = new java.util.HashSet<>();
    /** The running controller-only nodes, guarded by {@code running}'s lock. */
    private final Map<Integer, SluiceController> controllers = new TreeMap<>();
    private final Map<Integer, Integer> brokerPorts;
    /** The CONTROLLER listener port of each controller, its Ratis address. */
    private final Map<Integer, Integer> controllerPorts;
    private final Path root;

    private SluiceCluster(Map<Integer, Map<String, String>> configs, Map<String, String> shared,
                          Map<Integer, Integer> brokerPorts, Map<Integer, Integer> controllerPorts, Path root) {
        this.configs = configs;
        this.shared = shared;
        this.brokerPorts = brokerPorts;
        this.controllerPorts = controllerPorts;
        this.root = root;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures an in-process cluster. */
    public static final class Builder {
        private int brokers = 3;
        private int controllers;
        private final Map<String, String> config = new LinkedHashMap<>();
        private final Map<Integer, Map<String, String>> perBroker = new TreeMap<>();

        private Builder() {
        }

        /** How many brokers (each also a controller of the quorum); 3 by default. */
        public Builder brokers(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("a cluster needs at least one broker");
            }
            this.brokers = count;
            return this;
        }

        /**
         * Runs the metadata quorum on {@code count} controller-only nodes ({@code process.roles=controller},
         * node ids 1001, 1002, …) and makes every broker broker-only, as Kafka's production clusters
         * are laid out; 0 (the default) makes every broker a controller too.
         */
        public Builder controllers(int count) {
            if (count < 0) {
                throw new IllegalArgumentException("controllers must be 0 or more");
            }
            this.controllers = count;
            return this;
        }

        /** Sets a server.properties key on every broker. */
        public Builder config(String key, String value) {
            config.put(key, value);
            return this;
        }

        /** Sets a server.properties key on broker {@code nodeId} only (e.g. {@code broker.rack}). */
        public Builder brokerConfig(int nodeId, String key, String value) {
            perBroker.computeIfAbsent(nodeId, id -> new LinkedHashMap<>()).put(key, value);
            return this;
        }

        /** Starts every broker and returns once each one is unfenced and knows all the others. */
        public SluiceCluster start() {
            Path root;
            try {
                root = Files.createTempDirectory("sluice-cluster-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the cluster's data directory", e);
            }
            Map<Integer, Integer> brokerPorts = new TreeMap<>();
            Map<Integer, Integer> controllerPorts = new TreeMap<>();
            for (int id = 1; id <= brokers; id++) {
                brokerPorts.put(id, freePort());
            }
            List<Integer> voterIds = new ArrayList<>();
            for (int i = 1; i <= (controllers > 0 ? controllers : brokers); i++) {
                int id = controllers > 0 ? CONTROLLER_IDS + i : i;
                voterIds.add(id);
                controllerPorts.put(id, freePort());
            }
            String voters = controllerPorts.entrySet().stream()
                .map(e -> e.getKey() + "@localhost:" + e.getValue()).collect(Collectors.joining(","));
            Map<Integer, Map<String, String>> configs = new TreeMap<>();
            Map<String, String> shared = new LinkedHashMap<>();
            shared.put("offsets.topic.replication.factor", Integer.toString(Math.min(3, brokers)));
            shared.put("default.replication.factor", Integer.toString(Math.min(3, brokers)));
            shared.putAll(config);
            DevelopmentDefaults.applyTo(shared);
            shared.put("controller.quorum.voters", voters);
            shared.put("controller.listener.names", "CONTROLLER");
            for (int id = 1; id <= brokers; id++) {
                Map<String, String> c = new LinkedHashMap<>(shared);
                boolean voter = voterIds.contains(id);
                c.put("process.roles", voter ? "broker,controller" : "broker");
                c.put("node.id", Integer.toString(id));
                c.put("listeners", "PLAINTEXT://localhost:" + brokerPorts.get(id)
                    + (voter ? ",CONTROLLER://localhost:" + controllerPorts.get(id) : ""));
                c.put("log.dirs", root.resolve("broker-" + id).toString());
                c.putAll(perBroker.getOrDefault(id, Map.of()));
                configs.put(id, c);
            }
            for (int id : voterIds) {
                if (!configs.containsKey(id)) {
                    Map<String, String> c = new LinkedHashMap<>(shared);
                    c.put("process.roles", "controller");
                    c.put("node.id", Integer.toString(id));
                    c.put("listeners", "CONTROLLER://localhost:" + controllerPorts.get(id));
                    c.put("log.dirs", root.resolve("controller-" + id).toString());
                    configs.put(id, c);
                }
            }
            SluiceCluster cluster = new SluiceCluster(configs, shared, brokerPorts, controllerPorts, root);
            try {
                List<CompletableFuture<Void>> starts = new ArrayList<>();
                for (int id : configs.keySet()) {
                    // In parallel: a node's quorum needs the others before the cluster is usable.
                    starts.add(CompletableFuture.runAsync(() -> cluster.startNode(id)));
                }
                CompletableFuture.allOf(starts.toArray(new CompletableFuture<?>[0])).join();
                cluster.awaitReady();
                return cluster;
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
        }

    }

    /**
     * A loopback port free now, chosen below the usual ephemeral range (32768 and up on Linux).
     * The nodes' ports are chosen before any node binds them; a port from the ephemeral range could
     * meanwhile be taken as the local end of some outgoing connection (another node's, another
     * test's), and the node would fail to start with "address already in use".
     */
    public static int freePort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int candidate = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(12_000);
            try (ServerSocket socket = new ServerSocket(candidate, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // Try another.
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    private void startNode(int id) {
        Map<String, String> config = configs.get(id);
        if ("controller".equals(config.get("process.roles"))) {
            SluiceController controller = SluiceController.start(dev.sluice.broker.config.BrokerConfig.parse(config));
            synchronized (running) {
                controllers.put(id, controller);
            }
            return;
        }
        SluiceBroker broker = SluiceBroker.builder().configs(config).start();
        synchronized (running) {
            running.put(id, broker);
        }
    }

    /**
     * Adds a broker to the running cluster, as scaling out does: a broker-only node
     * ({@code process.roles=broker}) with the next node id, configured like the others plus
     * {@code extraConfig}, that follows the metadata quorum as an observer. It holds no partition
     * until topics are created or partitions reassigned to it. Returns its node id once it is
     * unfenced and every running broker knows it.
     */
    public int addBroker(Map<String, String> extraConfig) {
        return addBrokerOnly(new LinkedHashMap<>(shared), extraConfig);
    }

    /**
     * As {@link #addBroker()}, but the new node knows the controllers only by address, as KIP-853
     * allows a broker: {@code controller.quorum.bootstrap.servers} lists the CONTROLLER listeners of
     * nodes {@code controllers} (some of the controllers suffice) and {@code controller.quorum.voters}
     * is not set. It learns the voters and the cluster id from them.
     */
    public int addBrokerWithBootstrapServers(int... controllers) {
        String servers = java.util.Arrays.stream(controllers).mapToObj(id -> {
            Integer port = controllerPorts.get(id);
            if (port == null) {
                throw new IllegalArgumentException("node " + id + " is not a controller of this cluster");
            }
            return "localhost:" + port;
        }).collect(Collectors.joining(","));
        Map<String, String> c = new LinkedHashMap<>(shared);
        c.remove("controller.quorum.voters");
        return addBrokerOnly(c, Map.of("controller.quorum.bootstrap.servers", servers));
    }

    private int addBrokerOnly(Map<String, String> c, Map<String, String> extraConfig) {
        int id = brokerPorts.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        int port = freePort();
        c.put("process.roles", "broker");
        c.put("node.id", Integer.toString(id));
        c.put("listeners", "PLAINTEXT://localhost:" + port);
        c.put("log.dirs", root.resolve("broker-" + id).toString());
        c.putAll(extraConfig);
        configs.put(id, c);
        brokerPorts.put(id, port);
        startNode(id);
        awaitReady();
        return id;
    }

    /** As {@link #addBroker(Map)}, configured like the others. */
    public int addBroker() {
        return addBroker(Map.of());
    }

    /** {@code host:port,…} of every broker, running or not, for a client's {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return brokerPorts.values().stream().map(p -> "localhost:" + p).collect(Collectors.joining(","));
    }

    /** Node ids of the brokers running now. */
    public List<Integer> running() {
        synchronized (running) {
            return List.copyOf(running.keySet());
        }
    }

    /** The running broker {@code nodeId}. */
    public SluiceBroker broker(int nodeId) {
        synchronized (running) {
            SluiceBroker b = running.get(nodeId);
            if (b == null) {
                throw new IllegalArgumentException("broker " + nodeId + " is not running");
            }
            return b;
        }
    }

    /** The node id of the leader of {@code topic}'s partition as a running broker's metadata says, or -1. */
    public int leaderOf(String topic, int partition) {
        for (int id : running()) {
            return broker(id).partitionLeader(topic, partition);
        }
        return -1;
    }

    /** The node id of the active controller (the quorum's leader) as a running node knows it, or -1. */
    public int activeController() {
        for (int id : running()) {
            int leader = broker(id).activeController();
            if (leader >= 0) {
                return leader;
            }
        }
        List<SluiceController> quorum;
        synchronized (running) {
            quorum = List.copyOf(controllers.values());
        }
        for (SluiceController c : quorum) {
            if (c.activeController() >= 0) {
                return c.activeController();
            }
        }
        return -1;
    }

    /** Node ids of the controller-only nodes running now (none unless {@link Builder#controllers} was set). */
    public List<Integer> runningControllers() {
        synchronized (running) {
            return List.copyOf(controllers.keySet());
        }
    }

    /**
     * Stops broker {@code nodeId} abruptly, as a crash would: no controlled shutdown, connections
     * dropped, requests in flight unanswered. Its data stays for {@link #restart}.
     */
    public void kill(int nodeId) {
        SluiceBroker b;
        SluiceController c;
        synchronized (running) {
            b = running.remove(nodeId);
            c = controllers.remove(nodeId);
        }
        if (b != null) {
            b.halt();
        }
        if (c != null) {
            c.halt();
        }
    }

    /** Shuts broker {@code nodeId} down cleanly (with a controlled shutdown). Its data stays. */
    public void shutdown(int nodeId) {
        SluiceBroker b;
        SluiceController c;
        synchronized (running) {
            b = running.remove(nodeId);
            c = controllers.remove(nodeId);
        }
        if (b != null) {
            b.close();
        }
        if (c != null) {
            c.close();
        }
    }

    /**
     * Cuts the link between nodes {@code a} and {@code b}, both ways, as a network partition would:
     * their metadata quorum traffic, their requests to the active controller and the replica
     * fetches between them are dropped; clients still reach both. Links are JVM-wide
     * ({@link dev.sluice.broker.cluster.LinkFaults}): do not cut links in clusters running in
     * parallel in one JVM.
     */
    public void cut(int a, int b) {
        dev.sluice.broker.cluster.LinkFaults.cut(a, b);
        synchronized (cutLinks) {
            cutLinks.add(List.of(Math.min(a, b), Math.max(a, b)));
        }
    }

    /** Heals the link between nodes {@code a} and {@code b}. */
    public void heal(int a, int b) {
        dev.sluice.broker.cluster.LinkFaults.heal(a, b);
        synchronized (cutLinks) {
            cutLinks.remove(List.of(Math.min(a, b), Math.max(a, b)));
        }
    }

    /** Cuts node {@code nodeId} off from every other node of this cluster; clients still reach it. */
    public void isolate(int nodeId) {
        for (int other : configs.keySet()) {
            if (other != nodeId) {
                cut(nodeId, other);
            }
        }
    }

    /** Heals every link this cluster cut. */
    public void healAll() {
        List<List<Integer>> links;
        synchronized (cutLinks) {
            links = new ArrayList<>(cutLinks);
        }
        links.forEach(l -> heal(l.get(0), l.get(1)));
    }

    /** Starts broker {@code nodeId} again on its data and ports; returns once it is unfenced. */
    public void restart(int nodeId) {
        if (running().contains(nodeId) || runningControllers().contains(nodeId)) {
            throw new IllegalStateException("node " + nodeId + " is running");
        }
        startNode(nodeId);
        awaitReady();
    }

    /** Waits until every running broker is unfenced and sees every running broker. */
    private void awaitReady() {
        long deadline = System.nanoTime() + READY_WAIT.toNanos();
        while (true) {
            List<Integer> ids = running();
            boolean ready = true;
            for (int id : ids) {
                if (!broker(id).isReadyInCluster(ids)) {
                    ready = false;
                    break;
                }
            }
            if (ready) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cluster brokers " + ids + " not ready within " + READY_WAIT);
            }
            CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS)).join();
        }
    }

    /** Stops every broker, heals the links it cut and deletes the data. */
    @Override
    public void close() {
        healAll();
        List<SluiceBroker> all;
        List<SluiceController> quorum;
        synchronized (running) {
            all = new ArrayList<>(running.values());
            running.clear();
            quorum = new ArrayList<>(controllers.values());
            controllers.clear();
        }
        // All at once, without controlled shutdowns: the cluster goes away as a whole.
        all.parallelStream().forEach(SluiceBroker::halt);
        quorum.parallelStream().forEach(SluiceController::halt);
        SluiceBroker.deleteRecursively(root);
    }
}
