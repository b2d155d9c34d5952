package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Scaling a running cluster with the official Admin client: partitions move onto a broker-only node
 * added to the running cluster and off such a broker that then leaves, under an acks=all producer, without losing an
 * acknowledged record.
 */
class ReassignmentTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static Admin admin(SluiceCluster cluster) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        return Admin.create(props);
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    private static void poll(String what, Polling.Condition condition) throws Exception {
        Polling.until(WAIT, what, condition);
    }

    private static TopicPartitionInfo describe(Admin admin, String topic, int partition) throws Exception {
        TopicDescription d = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
        return d.partitions().get(partition);
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    /** Keeps sending acks=all records until stopped, remembering every acknowledged offset. */
    private static final class Producing implements AutoCloseable {
        final Map<Long, String> acked = new ConcurrentSkipListMap<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Producing(SluiceCluster cluster, String topic) {
            Properties props = new Properties();
            props.put("bootstrap.servers", cluster.bootstrapServers());
            props.put("acks", "all");
            props.put("linger.ms", "0");
            props.put("delivery.timeout.ms", "60000");
            thread = new Thread(() -> {
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                    new StringSerializer())) {
                    for (int i = 0; !stop.get(); i++) {
                        String value = "record-" + i;
                        long offset = producer.send(new ProducerRecord<>(topic, 0, null, value)).get(60, TimeUnit.SECONDS)
                            .offset();
                        acked.put(offset, value);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "reassignment-test-producer");
            thread.start();
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            thread.join(WAIT.toMillis());
            assertFalse(thread.isAlive(), "the producer did not stop");
            if (failure.get() != null) {
                throw new AssertionError("an acks=all send failed", failure.get());
            }
        }
    }

    private static void assertEveryAcknowledgedRecordIsRead(SluiceCluster cluster, String topic, Map<Long, String> acked)
        throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            Map<Long, String> read = new TreeMap<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!read.keySet().containsAll(acked.keySet()) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    read.put(r.offset(), r.value());
                }
            }
            for (Map.Entry<Long, String> e : acked.entrySet()) {
                assertEquals(e.getValue(), read.get(e.getKey()), "acknowledged offset " + e.getKey());
            }
        }
    }

    @Test
    void partitionMovesOntoANewBrokerAndOffItsLeaderUnderAnAcksAllProducerWithoutLosingARecord() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start();
             Admin admin = admin(cluster)) {
            get(admin.createTopics(List.of(new NewTopic("moving", Map.of(0, List.of(1, 2, 3)))
                .configs(Map.of("min.insync.replicas", "2")))).all());
            Map<Long, String> acked;
            try (Producing producing = new Producing(cluster, "moving")) {
                acked = producing.acked;
                poll("records are acknowledged before the move", () -> producing.acked.size() >= 200);
                // A broker-only node joins the running cluster and holds nothing until the reassignment.
                assertEquals(4, cluster.addBroker());
                poll("the cluster describes four brokers", () -> get(admin.describeCluster().nodes()).size() == 4);
                TopicPartition tp = new TopicPartition("moving", 0);
                get(admin.alterPartitionReassignments(Map.of(tp,
                    Optional.of(new NewPartitionReassignment(List.of(4, 2, 3))))).all());
                poll("the reassignment completes", () -> get(admin.listPartitionReassignments().reassignments())
                    .isEmpty() && ids(describe(admin, "moving", 0).replicas()).equals(List.of(4, 2, 3)));
                poll("the ISR holds every new replica", () -> ids(describe(admin, "moving", 0).isr()).size() == 3);
                TopicPartitionInfo moved = describe(admin, "moving", 0);
                assertTrue(ids(moved.isr()).containsAll(List.of(2, 3, 4)), moved.toString());
                assertTrue(List.of(4, 2, 3).contains(moved.leader().id()), moved.toString());
                int before = producing.acked.size();
                poll("records are acknowledged after the move", () -> producing.acked.size() >= before + 200);
                // A cancellation once it is over is refused as Kafka refuses it.
                ExecutionException nothing = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> admin.alterPartitionReassignments(Map.of(tp, Optional.empty())).all()
                        .get(30, TimeUnit.SECONDS));
                assertTrue(nothing.getCause() instanceof NoReassignmentInProgressException, nothing.toString());
            }
            // Broker 1 no longer holds a replica: its log is gone.
            poll("broker 1 deletes its replica", () -> !Files.exists(cluster.broker(1).dataDir().resolve("moving-0")));
            assertTrue(Files.exists(cluster.broker(4).dataDir().resolve("moving-0")));
            assertEveryAcknowledgedRecordIsRead(cluster, "moving", acked);
        }
    }

    @Test
    void brokerLeavesOnceEveryReplicaIsMovedOffItAndItIsUnregistered() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start();
             Admin admin = admin(cluster)) {
            assertEquals(4, cluster.addBroker());
            get(admin.createTopics(List.of(new NewTopic("leaving", Map.of(0, List.of(4, 1, 2), 1, List.of(2, 3, 4)))))
                .all());
            Map<Long, String> acked;
            try (Producing producing = new Producing(cluster, "leaving")) {
                acked = producing.acked;
                poll("records are acknowledged", () -> producing.acked.size() >= 100);
                get(admin.alterPartitionReassignments(Map.of(
                    new TopicPartition("leaving", 0), Optional.of(new NewPartitionReassignment(List.of(3, 1, 2))),
                    new TopicPartition("leaving", 1), Optional.of(new NewPartitionReassignment(List.of(2, 3, 1)))))
                    .all());
                poll("both reassignments complete", () -> {
                    if (!get(admin.listPartitionReassignments().reassignments()).isEmpty()) {
                        return false;
                    }
                    for (int p = 0; p < 2; p++) {
                        TopicPartitionInfo info = describe(admin, "leaving", p);
                        if (ids(info.replicas()).contains(4) || info.isr().size() != 3) {
                            return false;
                        }
                    }
                    return true;
                });
                int before = producing.acked.size();
                poll("records are acknowledged after the move", () -> producing.acked.size() >= before + 100);
            }
            cluster.shutdown(4);
            get(admin.unregisterBroker(4).all());
            poll("the cluster describes three brokers", () ->
                get(admin.describeCluster().nodes()).stream().map(Node::id).sorted().toList().equals(List.of(1, 2, 3)));
            for (int p = 0; p < 2; p++) {
                TopicPartitionInfo info = describe(admin, "leaving", p);
                assertEquals(3, info.isr().size(), info.toString());
                assertFalse(ids(info.replicas()).contains(4), info.toString());
            }
            assertEveryAcknowledgedRecordIsRead(cluster, "leaving", acked);
        }
    }
}
