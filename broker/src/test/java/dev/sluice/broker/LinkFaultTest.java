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

    private static ProducerRecord<String, String> record(String value) {
        return new ProducerRecord<>(TOPIC, 0, null, value);
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("acks", "all");
        props.put("linger.ms", "0");
        props.put("request.timeout.ms", "5000");
        props.put("delivery.timeout.ms", "120000");
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
