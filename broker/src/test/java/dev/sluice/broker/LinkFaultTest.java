package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A partition leader cut off from the rest of an in-process cluster while a client still reaches
 * it: it goes on believing it leads, while the majority elects a new leader that takes writes.
 * After the links heal the old leader follows and truncates what only it held, and every record
 * acknowledged by anyone is there exactly once at its acknowledged offset: the cut-off leader
 * acknowledged no acks=all write it could not replicate.
 */
class LinkFaultTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TOPIC = "split";

    @Test
    void aCutOffLeaderLosesNoAcknowledgedWriteWhileTheMajorityCarriesOn() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).config("broker.session.timeout.ms", "3000")
                .start(); Admin admin = admin(cluster.bootstrapServers())) {
            int controller = cluster.activeController();
            int isolated = controller == 1 ? 2 : 1;
            List<Integer> others = new ArrayList<>(List.of(1, 2, 3));
            others.remove(Integer.valueOf(isolated));
            List<Integer> replicas = new ArrayList<>(List.of(isolated));
            replicas.addAll(others);
            admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, replicas))
                .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
            Polling.until(WAIT, "every replica in sync", () -> admin.describeTopics(List.of(TOPIC)).allTopicNames()
                .get(10, TimeUnit.SECONDS).get(TOPIC).partitions().get(0).isr().size() == 3);

            Map<String, Long> acknowledged = new HashMap<>();
            String onlyIsolated = "localhost:" + cluster.broker(isolated).port();
            String majority = others.stream().map(id -> "localhost:" + cluster.broker(id).port())
                .reduce((a, b) -> a + "," + b).orElseThrow();
            try (KafkaProducer<String, String> toIsolated = producer(onlyIsolated);
                 KafkaProducer<String, String> toMajority = producer(majority)) {
                for (int i = 0; i < 20; i++) {
                    String value = "before-" + i;
                    acknowledged.put(value, toIsolated.send(record(value)).get(30, TimeUnit.SECONDS).offset());
                }

                cluster.isolate(isolated);
                // Sent to the old leader, which this producer's metadata still names.
                List<Future<RecordMetadata>> duringCut = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    duringCut.add(toIsolated.send(record("during-" + i)));
                }
                for (int i = 0; i < 20; i++) {
                    String value = "majority-" + i;
                    acknowledged.put(value, toMajority.send(record(value)).get(WAIT.toSeconds(), TimeUnit.SECONDS)
                        .offset());
                }
                int newLeader = cluster.broker(others.get(0)).partitionLeader(TOPIC, 0);
                assertTrue(others.contains(newLeader), "the majority elected a leader of its own: " + newLeader);
                assertEquals(isolated, cluster.broker(isolated).partitionLeader(TOPIC, 0),
                    "the cut-off node still believes it leads");

                cluster.healAll();
                // Whatever was acknowledged, by either side, must be in the log at its offset: a record
                // the cut-off leader had acknowledged would be gone with the tail it truncates. Once
                // healed, the old leader follows and the producer's retries reach the new leader.
                for (int i = 0; i < duringCut.size(); i++) {
                    try {
                        acknowledged.put("during-" + i, duringCut.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS).offset());
                    } catch (java.util.concurrent.ExecutionException e) {
                        // Not acknowledged: it may or may not be in the log, and nothing is owed.
                    }
                }
            }
            Polling.until(WAIT, "the old leader back in the ISR", () -> admin.describeTopics(List.of(TOPIC))
                .allTopicNames().get(10, TimeUnit.SECONDS).get(TOPIC).partitions().get(0).isr().size() == 3);
            assertEveryAcknowledgedRecordOnceAtItsOffset(cluster.bootstrapServers(), acknowledged);
        }
    }

    @Test
    void aLeaderCutOffFromTheControllerStopsLeadingAndSendsItsClientsToTheOthers() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).config("broker.session.timeout.ms", "3000")
                .start(); Admin admin = admin(cluster.bootstrapServers())) {
            int isolated = cluster.activeController() == 1 ? 2 : 1;
            createTopicLedBy(admin, isolated);
            Properties props = new Properties();
            props.put("acks", "1");
            // Knows only the broker that will be cut off: it must learn of the others from it.
            try (KafkaProducer<String, String> producer = producer("localhost:" + cluster.broker(isolated).port(), props);
                 KafkaConsumer<String, String> majority = consumer(cluster.bootstrapServers())) {
                producer.send(record("before")).get(30, TimeUnit.SECONDS);
                cluster.isolate(isolated);
                // acks=1 writes the cut-off leader takes before its session lapses are lost once it
                // truncates, as in Kafka; after that it no longer leads, and names no leader, so
                // the producer finds the majority's leader, which it learns of from this broker.
                majority.assign(List.of(new TopicPartition(TOPIC, 0)));
                majority.seekToBeginning(majority.assignment());
                boolean[] reached = {false};
                int[] sent = {0};
                Polling.until(WAIT, "a write through the cut-off broker's client in the majority's log", () -> {
                    producer.send(record("late-" + sent[0]++));
                    for (ConsumerRecord<String, String> r : majority.poll(Duration.ofMillis(200))) {
                        reached[0] |= r.value().startsWith("late-");
                    }
                    return reached[0];
                });
                assertEquals(isolated, cluster.broker(isolated).partitionLeader(TOPIC, 0),
                    "the cut-off broker's own metadata still names it leader");
            }
            cluster.healAll();
        }
    }

    @Test
    void brokersThatLoseEveryControllerGoOnServingWhileTheirFollowersFetch() throws Exception {
        long sessionMs = 2000;
        try (SluiceCluster cluster = SluiceCluster.builder().controllers(3).brokers(3)
                .config("broker.session.timeout.ms", String.valueOf(sessionMs)).start();
             Admin admin = admin(cluster.bootstrapServers())) {
            createTopicLedBy(admin, 1);
            try (KafkaProducer<String, String> producer = producer(cluster.bootstrapServers(), new Properties())) {
                producer.send(record("before")).get(30, TimeUnit.SECONDS);
                for (int controller : cluster.runningControllers()) {
                    cluster.kill(controller);
                }
                // As in Kafka, the data path does not need the quorum: the brokers cannot reach the
                // controller, but no other leader can have been elected while the followers still
                // fetch from this one, so it goes on acknowledging acks=all writes well past the
                // session timeout.
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * sessionMs);
                int acknowledged = 0;
                while (System.nanoTime() < until) {
                    producer.send(record("without-quorum-" + acknowledged)).get(30, TimeUnit.SECONDS);
                    acknowledged++;
                }
                assertTrue(acknowledged > 0);
            }
        }
    }

    private static void createTopicLedBy(Admin admin, int leader) throws Exception {
        List<Integer> replicas = new ArrayList<>(List.of(leader));
        for (int id = 1; id <= 3; id++) {
            if (id != leader) {
                replicas.add(id);
            }
        }
        admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, replicas))
            .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        Polling.until(WAIT, "every replica in sync", () -> admin.describeTopics(List.of(TOPIC)).allTopicNames()
            .get(10, TimeUnit.SECONDS).get(TOPIC).partitions().get(0).isr().size() == 3);
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    private static ProducerRecord<String, String> record(String value) {
        return new ProducerRecord<>(TOPIC, 0, null, value);
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        return producer(bootstrap, new Properties());
    }

    /** acks=all unless {@code overrides} says otherwise. */
    private static KafkaProducer<String, String> producer(String bootstrap, Properties overrides) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("acks", "all");
        props.put("linger.ms", "0");
        props.put("request.timeout.ms", "5000");
        props.put("delivery.timeout.ms", "120000");
        props.putAll(overrides);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private static void assertEveryAcknowledgedRecordOnceAtItsOffset(String bootstrap, Map<String, Long> acknowledged) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        Map<String, List<Long>> read = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!read.keySet().containsAll(acknowledged.keySet()) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    read.computeIfAbsent(r.value(), v -> new ArrayList<>()).add(r.offset());
                }
            }
        }
        for (Map.Entry<String, Long> e : acknowledged.entrySet()) {
            assertEquals(List.of(e.getValue()), read.get(e.getKey()), e.getKey() + " once, at its acknowledged offset");
        }
    }

    private static Admin admin(String bootstrap) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(props);
    }
}
