package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Automatic preferred-leader rebalancing in a running cluster: leadership that moved away when a
 * broker died comes back to it once it is in sync again, without anyone asking.
 */
class LeaderBalanceTest {

    @Test
    void restartedBrokerLeadsItsPreferredPartitionsAgainOnceBackInSync() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3)
                .config("leader.imbalance.check.interval.seconds", "1").start();
             Admin admin = admin(cluster)) {
            admin.createTopics(List.of(new NewTopic("balanced", 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
            int preferred = partition(admin, 0).replicas().get(0).id();
            await("broker " + preferred + " leads balanced-0", () -> cluster.leaderOf("balanced", 0) == preferred);

            cluster.kill(preferred);
            await("another broker leads balanced-0", () -> {
                int leader = cluster.leaderOf("balanced", 0);
                return leader >= 0 && leader != preferred;
            });
            assertNotEquals(preferred, cluster.leaderOf("balanced", 0));
            cluster.restart(preferred);

            await("broker " + preferred + " leads balanced-0 again", () -> {
                TopicPartitionInfo p = partition(admin, 0);
                return p.leader() != null && p.leader().id() == preferred;
            });
            for (int i = 0; i < 3; i++) {
                TopicPartitionInfo p = partition(admin, i);
                assertEquals(p.replicas().get(0).id(), p.leader().id(), "balanced-" + i + " led by its preferred replica");
            }
        }
    }

    @Test
    void withRebalancingDisabledLeadershipStaysWhereFailoverPutIt() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3)
                .config("auto.leader.rebalance.enable", "false")
                .config("leader.imbalance.check.interval.seconds", "1").start();
             Admin admin = admin(cluster)) {
            admin.createTopics(List.of(new NewTopic("drifted", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            int preferred = partition(admin, "drifted", 0).replicas().get(0).id();
            await("broker " + preferred + " leads drifted-0", () -> cluster.leaderOf("drifted", 0) == preferred);
            cluster.kill(preferred);
            await("another broker leads drifted-0", () -> {
                int leader = cluster.leaderOf("drifted", 0);
                return leader >= 0 && leader != preferred;
            });
            cluster.restart(preferred);
            await("the ISR healed", () -> partition(admin, "drifted", 0).isr().size() == 3);
            // Several check intervals pass with the preferred replica in sync: nothing moves.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < until) {
                assertNotEquals(preferred, partition(admin, "drifted", 0).leader().id());
                Thread.sleep(100);
            }
        }
    }

    private static Admin admin(SluiceCluster cluster) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        return Admin.create(props);
    }

    private static TopicPartitionInfo partition(Admin admin, int index) {
        return partition(admin, "balanced", index);
    }

    private static TopicPartitionInfo partition(Admin admin, String topic, int index) {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                .partitions().get(index);
        } catch (Exception e) {
            throw new IllegalStateException("cannot describe " + topic, e);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(50);
        }
    }
}
