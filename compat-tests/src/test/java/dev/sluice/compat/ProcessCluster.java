package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * A cluster of packaged brokers, each a combined broker and controller in its own process, on
 * fixed ports so that a node restarted on its data is found where it was. Node ids are 1..N.
 * Not thread-safe: the test thread drives it.
 */
final class ProcessCluster implements AutoCloseable {
    private final Path dir;
    private final List<String> overrides;
    private final Map<Integer, BrokerProcess> nodes = new TreeMap<>();
    private final Map<Integer, Integer> brokerPorts = new TreeMap<>();
    private final Map<Integer, Integer> controllerPorts = new TreeMap<>();

    /** Starts {@code brokers} nodes with data under {@code dir}, each configured with {@code overrides}. */
    ProcessCluster(Path dir, int brokers, String... overrides) throws IOException, InterruptedException {
        this.dir = dir;
        this.overrides = List.of(overrides);
        for (int id = 1; id <= brokers; id++) {
            brokerPorts.put(id, BrokerProcess.freePort());
            controllerPorts.put(id, BrokerProcess.freePort());
        }
        for (int id = 1; id <= brokers; id++) {
            start(id);
        }
    }

    /** Starts node {@code id} (again) on its data and ports and waits until it says it is ready. */
    void start(int id) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("offsets.topic.replication.factor=3", "default.replication.factor=3"));
        all.addAll(overrides);
        nodes.put(id, BrokerProcess.startClusterNode(dir.resolve("node-" + id), id, brokerPorts.get(id), controllerPorts,
            all.toArray(new String[0])));
    }

    BrokerProcess node(int id) {
        return nodes.get(id);
    }

    /** Forgets node {@code id}'s process, which the caller stops, and returns it. */
    BrokerProcess remove(int id) {
        return nodes.remove(id);
    }

    int size() {
        return brokerPorts.size();
    }

    String bootstrap() {
        StringBuilder b = new StringBuilder();
        brokerPorts.values().forEach(p -> b.append(b.isEmpty() ? "" : ",").append("localhost:").append(p));
        return b.toString();
    }

    /** Waits until {@code count} brokers are registered and unfenced. */
    static void awaitBrokers(Admin admin, int count) throws Exception {
        poll(Duration.ofSeconds(60), count + " brokers registered and unfenced",
            () -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == count);
    }

    /** Waits until every partition of {@code topic} has all its replicas in sync. */
    static void awaitFullIsr(Admin admin, String topic) throws Exception {
        poll(Duration.ofSeconds(60), "every replica of " + topic + " in sync", () -> {
            for (TopicPartitionInfo p : describe(admin, topic)) {
                if (p.isr().size() != p.replicas().size()) {
                    return false;
                }
            }
            return true;
        });
    }

    static List<TopicPartitionInfo> describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions();
    }

    /** The leader of {@code topic}'s partition as the metadata says, or -1 while it has none. */
    static int leaderOf(Admin admin, String topic, int partition) throws Exception {
        TopicPartitionInfo p = describe(admin, topic).get(partition);
        return p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id();
    }

    static void awaitAcks(AckedProducer producer, long count) throws Exception {
        poll(Duration.ofSeconds(60), count + " acknowledgements (last failure: " + producer.lastFailure() + ")",
            () -> producer.acks() >= count);
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    /** Asks {@code condition} every 50 ms until it holds, failing after {@code limit}; a timed-out or failed ask is asked again. */
    static void poll(Duration limit, String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                if (condition.holds()) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                // A broker was just stopped: ask again.
            }
            assertTrue(System.nanoTime() < deadline, "no " + what + " within " + limit.toSeconds() + " s");
            Thread.sleep(50);
        }
    }

    /** Kills every node still running. */
    @Override
    public void close() {
        nodes.values().forEach(BrokerProcess::close);
    }
}
