package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;

/** An in-process cluster forms, registers its brokers and places topics over them. */
class SluiceClusterTest {

    private static Admin admin(SluiceCluster cluster) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        return Admin.create(props);
    }

    @Test
    void threeBrokersFormAClusterAndATopicIsReplicatedOnAllOfThem() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start();
             Admin admin = admin(cluster)) {
            DescribeClusterResult described = admin.describeCluster();
            List<Integer> ids = described.nodes().get(10, TimeUnit.SECONDS).stream().map(Node::id).sorted().toList();
            assertEquals(List.of(1, 2, 3), ids);
            int controller = described.controller().get(10, TimeUnit.SECONDS).id();
            assertTrue(Set.of(1, 2, 3).contains(controller), "controller " + controller);

            admin.createTopics(List.of(new NewTopic("orders", 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
            TopicDescription topic = admin.describeTopics(List.of("orders")).allTopicNames().get(10, TimeUnit.SECONDS)
                .get("orders");
            assertEquals(3, topic.partitions().size());
            Set<Integer> leaders = new java.util.HashSet<>();
            for (TopicPartitionInfo p : topic.partitions()) {
                assertEquals(3, p.replicas().size(), p.toString());
                assertEquals(3, p.isr().size(), p.toString());
                leaders.add(p.leader().id());
            }
            assertEquals(3, leaders.size(), "leaders spread over the brokers: " + topic);

            org.apache.kafka.clients.admin.QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo()
                .get(10, TimeUnit.SECONDS);
            assertEquals(3, quorum.voters().size(), quorum.toString());
            assertTrue(Set.of(1, 2, 3).contains(quorum.leaderId()), quorum.toString());
        }
    }

    @Test
    void killedLeaderIsFencedAndItsPartitionsGetAnotherLeaderThenItComesBack() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start();
             Admin admin = admin(cluster)) {
            admin.createTopics(List.of(new NewTopic("events", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            int leader = awaitLeader(cluster, "events", -1);
            long killed = System.nanoTime();
            cluster.kill(leader);
            int next = awaitLeader(cluster, "events", leader);
            long tookMs = (System.nanoTime() - killed) / 1_000_000;
            assertTrue(next != leader && next > 0, "new leader " + next);
            System.out.printf("leader %d killed, %d leads after %d ms%n", leader, next, tookMs);
            cluster.restart(leader);
            assertEquals(3, admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size());
        }
    }

    @Test
    void killedActiveControllerIsReplacedAndTopicsCanStillBeCreated() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start();
             Admin admin = admin(cluster)) {
            int controller = cluster.activeController();
            cluster.kill(controller);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (cluster.activeController() < 0 || cluster.activeController() == controller) {
                assertTrue(System.nanoTime() < deadline, "no new controller");
                Thread.sleep(20);
            }
            // The new controller probes the brokers it inherits; the dead one is fenced within moments.
            while (admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() != 2) {
                assertTrue(System.nanoTime() < deadline, "the killed controller's broker was not fenced");
                Thread.sleep(20);
            }
            admin.createTopics(List.of(new NewTopic("after", 2, (short) 2))).all().get(30, TimeUnit.SECONDS);
            TopicDescription topic = admin.describeTopics(List.of("after")).allTopicNames().get(10, TimeUnit.SECONDS)
                .get("after");
            for (TopicPartitionInfo p : topic.partitions()) {
                assertTrue(p.leader().id() != controller, p.toString());
            }
        }
    }

    @Test
    void acknowledgedRecordsSurviveTheLeadersDeathAndAllReplicasHoldThem() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start();
             Admin admin = admin(cluster)) {
            admin.createTopics(List.of(new NewTopic("acked", 1, (short) 3)
                .configs(java.util.Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
            Properties props = new Properties();
            props.put("bootstrap.servers", cluster.bootstrapServers());
            props.put("acks", "all");
            props.put("linger.ms", "0");
            java.util.Map<Long, String> acked = new java.util.concurrent.ConcurrentSkipListMap<>();
            try (org.apache.kafka.clients.producer.KafkaProducer<String, String> producer =
                     new org.apache.kafka.clients.producer.KafkaProducer<>(props,
                         new org.apache.kafka.common.serialization.StringSerializer(),
                         new org.apache.kafka.common.serialization.StringSerializer())) {
                for (int i = 0; i < 100; i++) {
                    String value = "before-" + i;
                    long offset = producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("acked", value))
                        .get(30, TimeUnit.SECONDS).offset();
                    acked.put(offset, value);
                }
                int leader = awaitLeader(cluster, "acked", -1);
                cluster.kill(leader);
                for (int i = 0; i < 100; i++) {
                    String value = "after-" + i;
                    long offset = producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("acked", value))
                        .get(60, TimeUnit.SECONDS).offset();
                    acked.put(offset, value);
                }
                cluster.restart(leader);
            }
            assertEquals(200, acked.size(), "every acknowledged offset is distinct");
            Properties consumerProps = new Properties();
            consumerProps.put("bootstrap.servers", cluster.bootstrapServers());
            try (org.apache.kafka.clients.consumer.KafkaConsumer<String, String> consumer =
                     new org.apache.kafka.clients.consumer.KafkaConsumer<>(consumerProps,
                         new org.apache.kafka.common.serialization.StringDeserializer(),
                         new org.apache.kafka.common.serialization.StringDeserializer())) {
                org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition("acked", 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                java.util.Map<Long, String> read = new java.util.TreeMap<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (read.size() < acked.size() && System.nanoTime() < deadline) {
                    for (var r : consumer.poll(java.time.Duration.ofMillis(200))) {
                        read.put(r.offset(), r.value());
                    }
                }
                for (var e : acked.entrySet()) {
                    assertEquals(e.getValue(), read.get(e.getKey()), "acknowledged offset " + e.getKey());
                }
            }
            // The restarted broker catches up and is back in every ISR.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (admin.describeTopics(List.of("acked")).allTopicNames().get(10, TimeUnit.SECONDS).get("acked")
                    .partitions().get(0).isr().size() < 3) {
                assertTrue(System.nanoTime() < deadline, "the ISR did not heal");
                Thread.sleep(50);
            }
        }
    }

    @Test
    void aConsumerInTheRackOfAFollowerReadsFromThatFollower() throws Exception {
        SluiceCluster.Builder builder = SluiceCluster.builder().brokers(3)
            .config("replica.selector.class", "org.apache.kafka.common.replica.RackAwareReplicaSelector");
        for (int id = 1; id <= 3; id++) {
            builder.brokerConfig(id, "broker.rack", "rack-" + id);
        }
        try (SluiceCluster cluster = builder.start(); Admin admin = admin(cluster)) {
            admin.createTopics(List.of(new NewTopic("racked", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            Properties props = new Properties();
            props.put("bootstrap.servers", cluster.bootstrapServers());
            props.put("acks", "all");
            try (org.apache.kafka.clients.producer.KafkaProducer<String, String> producer =
                     new org.apache.kafka.clients.producer.KafkaProducer<>(props,
                         new org.apache.kafka.common.serialization.StringSerializer(),
                         new org.apache.kafka.common.serialization.StringSerializer())) {
                for (int i = 0; i < 50; i++) {
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("racked", "v" + i));
                }
                producer.flush();
            }
            int leader = awaitLeader(cluster, "racked", -1);
            int follower = leader % 3 + 1;
            double before = fetchRequests(cluster.broker(follower));
            Properties consumerProps = new Properties();
            consumerProps.put("bootstrap.servers", cluster.bootstrapServers());
            consumerProps.put("client.rack", "rack-" + follower);
            try (org.apache.kafka.clients.consumer.KafkaConsumer<String, String> consumer =
                     new org.apache.kafka.clients.consumer.KafkaConsumer<>(consumerProps,
                         new org.apache.kafka.common.serialization.StringDeserializer(),
                         new org.apache.kafka.common.serialization.StringDeserializer())) {
                org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition("racked", 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                int read = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (read < 50) {
                    assertTrue(System.nanoTime() < deadline, "read " + read + " of 50");
                    read += consumer.poll(java.time.Duration.ofMillis(200)).count();
                }
            }
            assertTrue(fetchRequests(cluster.broker(follower)) > before,
                "the consumer in rack-" + follower + " fetched from broker " + follower + ", a follower");
        }
    }

    private static double fetchRequests(SluiceBroker broker) {
        return broker.meterRegistry().find("sluice.requests").tag("api", "Fetch").counters().stream()
            .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    /** Polls the running brokers' metadata until {@code topic}-0 has a leader other than {@code not}. */
    private static int awaitLeader(SluiceCluster cluster, String topic, int not) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            boolean agreed = true;
            int seen = -2;
            for (int id : cluster.running()) {
                int l = cluster.broker(id).partitionLeader(topic, 0);
                if (seen == -2) {
                    seen = l;
                } else if (seen != l) {
                    agreed = false;
                }
            }
            if (agreed && seen >= 0 && seen != not) {
                return seen;
            }
            assertTrue(System.nanoTime() < deadline, "no leader for " + topic + " other than " + not);
            Thread.sleep(10);
        }
    }
}
