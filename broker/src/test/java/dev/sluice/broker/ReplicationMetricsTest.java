package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The replication meters move as an operator expects, read through each broker's meter registry:
 * a crashed follower makes its leader's partitions under-replicated and at min ISR, and a
 * restarted one, held back by a follower throttle, shows its lag until it catches up and all is
 * back to zero.
 */
class ReplicationMetricsTest {

    private static double gauge(SluiceCluster cluster, int broker, String name) {
        Gauge gauge = cluster.broker(broker).meterRegistry().find(name).gauge();
        assertTrue(gauge != null, name + " is registered on broker " + broker);
        return gauge.value();
    }

    private static double counter(SluiceCluster cluster, int broker, String name) {
        MeterRegistry registry = cluster.broker(broker).meterRegistry();
        FunctionCounter counter = registry.find(name).functionCounter();
        assertTrue(counter != null, name + " is registered on broker " + broker);
        return counter.count();
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    private static void produce(SluiceCluster cluster, int records) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("acks", "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
            new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>("watched", 0, null, new byte[100]));
            }
            producer.flush();
        }
    }

    private static void followerThrottle(Admin admin, boolean on) throws Exception {
        Map<ConfigResource, Collection<AlterConfigOp>> changes = new LinkedHashMap<>();
        changes.put(new ConfigResource(ConfigResource.Type.BROKER, "3"), List.of(on
            ? new AlterConfigOp(new ConfigEntry("follower.replication.throttled.rate", "1"), AlterConfigOp.OpType.SET)
            : new AlterConfigOp(new ConfigEntry("follower.replication.throttled.rate", null),
            AlterConfigOp.OpType.DELETE)));
        changes.put(new ConfigResource(ConfigResource.Type.TOPIC, "watched"), List.of(on
            ? new AlterConfigOp(new ConfigEntry("follower.replication.throttled.replicas", "0:3"),
            AlterConfigOp.OpType.SET)
            : new AlterConfigOp(new ConfigEntry("follower.replication.throttled.replicas", null),
            AlterConfigOp.OpType.DELETE)));
        get(admin.incrementalAlterConfigs(changes).all());
    }

    @Test
    void aCrashedFollowerMakesItsLeadersPartitionsUnderReplicatedUntilItIsBackAndCaughtUp() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3)
                .config("replica.lag.time.max.ms", "2000")
                .config("replication.quota.window.num", "2")
                .config("replica.fetch.max.bytes", "1024")
                .start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            get(admin.createTopics(List.of(new NewTopic("watched", Map.of(0, List.of(1, 2, 3)))
                .configs(Map.of("min.insync.replicas", "2")))).all());
            Polling.until("broker 1 leads the partition", () -> cluster.broker(1).partitionLeader("watched", 0) == 1);
            produce(cluster, 100);
            double controllers = 0;
            for (int b = 1; b <= 3; b++) {
                controllers += gauge(cluster, b, "sluice.controller.active");
                assertEquals(0, gauge(cluster, b, "sluice.partitions.offline"), "broker " + b);
            }
            assertEquals(1, controllers, "exactly one active controller");
            Polling.until("broker 1 counts its leadership", () -> gauge(cluster, 1, "sluice.partitions.led") >= 1);
            assertEquals(0, gauge(cluster, 1, "sluice.partitions.under.replicated"));
            assertEquals(0, gauge(cluster, 1, "sluice.partitions.at.min.isr"));
            double shrinks = counter(cluster, 1, "sluice.isr.shrinks");
            // Set while broker 3 is up (the Admin client sends a broker's configs to that broker); an
            // in-sync replica is never held back, so it changes nothing until broker 3 falls behind.
            followerThrottle(admin, true);

            cluster.kill(3);
            Polling.until("the leader reports an under-replicated partition",
                () -> gauge(cluster, 1, "sluice.partitions.under.replicated") == 1);
            assertEquals(1, gauge(cluster, 1, "sluice.partitions.at.min.isr"));
            assertEquals(0, gauge(cluster, 1, "sluice.partitions.under.min.isr"));
            assertTrue(counter(cluster, 1, "sluice.isr.shrinks") > shrinks);

            // Records the crashed follower misses and then fetches under the throttle.
            produce(cluster, 1000);
            double expands = counter(cluster, 1, "sluice.isr.expands");
            cluster.restart(3);
            Polling.until("the restarted follower reports its lag", () -> gauge(cluster, 3, "sluice.replica.fetch.max.lag") > 0);
            assertEquals(1, gauge(cluster, 1, "sluice.partitions.under.replicated"));

            followerThrottle(admin, false);
            Polling.until("the follower catches up", () -> gauge(cluster, 3, "sluice.replica.fetch.max.lag") == 0
                && gauge(cluster, 1, "sluice.partitions.under.replicated") == 0);
            assertEquals(0, gauge(cluster, 1, "sluice.partitions.at.min.isr"));
            assertTrue(counter(cluster, 1, "sluice.isr.expands") > expands);
        }
    }
}
