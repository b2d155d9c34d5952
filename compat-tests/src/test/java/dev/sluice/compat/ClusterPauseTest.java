package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packaged cluster nodes frozen with SIGSTOP under an acks=all producer, as a long pause or a
 * machine cut off from the network freezes them: the process holds its ports (the kernel still
 * accepts connections) but neither heartbeats nor answers, so only its session timeout tells the
 * others. Nothing acknowledged may be lost, and no offset may hold two different records: every
 * acknowledged record is read back at its offset, from the resumed broker too.
 *
 * <p>{@code -Dsluice.pause.controller=true} pauses the leader that is also the active controller.
 */
class ClusterPauseTest {
    private static final String TOPIC = "paused";

    @TempDir
    Path dir;

    @Test
    void pausedLeaderIsReplacedAndOnResumingFollowsTheNewLeaderWithoutASecondHistory() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3);
             Admin admin = admin(cluster)) {
            createTopic(cluster, admin);
            try (AckedProducer producer = new AckedProducer(cluster.bootstrapServers(), TOPIC)) {
                ProcessCluster.awaitAcks(producer, 200);
                // By default a partition led by a broker that is not the active controller: the
                // metadata quorum keeps its leader, and the broker's session alone decides. With
                // -Dsluice.pause.controller=true the active controller is paused: the quorum elects
                // another, which starts every broker on a fresh session first.
                int controller = admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id();
                boolean pauseController = Boolean.getBoolean("sluice.pause.controller");
                int partition = -1;
                int leader = -1;
                for (TopicPartitionInfo p : cluster.partitions(TOPIC)) {
                    if ((p.leader().id() == controller) == pauseController && p.leader().id() == p.replicas().get(0).id()) {
                        partition = p.partition();
                        leader = p.leader().id();
                        break;
                    }
                }
                assertTrue(partition >= 0, "no partition led by its preferred replica, "
                    + (pauseController ? "" : "not ") + "the active controller " + controller);
                int paused = leader;
                int index = partition;
                long before = producer.acks();
                long stopped = System.nanoTime();
                cluster.node(paused).pause();
                ProcessCluster.poll(Duration.ofSeconds(30), "another leader of " + TOPIC + "-" + index, () -> {
                    int now = cluster.leaderOf(TOPIC, index);
                    return now >= 0 && now != paused;
                });
                System.out.printf("broker %d paused; %s-%d led by another broker after %d ms%n", paused, TOPIC, index,
                    (System.nanoTime() - stopped) / 1_000_000);
                ProcessCluster.awaitAcks(producer, before + 200);

                cluster.node(paused).resume();
                cluster.awaitBrokers(3);
                cluster.awaitFullIsr(TOPIC);
                ProcessCluster.awaitAcks(producer, producer.acks() + 200);
                // The resumed broker leads again, so that what it holds is what the consumer reads.
                TopicPartition elected = new TopicPartition(TOPIC, index);
                AtomicReference<Optional<Throwable>> refused = new AtomicReference<>();
                // Asked again while refused: until it has caught up, the resumed broker answers
                // Metadata from the image it had before the pause, so the checks above may have passed
                // on its word while the controller does not count it as in sync yet.
                try {
                    ProcessCluster.poll(Duration.ofSeconds(30), "broker " + paused + " leading " + TOPIC + "-" + index
                        + " again", () -> {
                            refused.set(admin.electLeaders(ElectionType.PREFERRED, Set.of(elected))
                                .partitions().get(30, TimeUnit.SECONDS).get(elected));
                            return cluster.leaderOf(TOPIC, index) == paused;
                        });
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; last answer to the election: " + refused.get(), e);
                }
                producer.close();
                assertEquals(0, producer.failures(), "the producer gave up on a record: " + producer.lastFailure());
                producer.assertNothingAcknowledgedWasLost();
            }
        }
    }

    @Test
    void leaderWhoseFollowersAndQuorumAreGoneAcknowledgesNoAcksAllWrite() throws Exception {
        // Followers out of sync this long are dropped from the ISR: the leader tries, and cannot.
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, "replica.lag.time.max.ms=3000");
             Admin admin = admin(cluster)) {
            createTopic(cluster, admin);
            int alone = cluster.leaderOf(TOPIC, 0);
            try (AckedProducer producer = new AckedProducer(cluster.bootstrapServers(), TOPIC)) {
                ProcessCluster.awaitAcks(producer, 200);
                List<Integer> others = List.of(1, 2, 3).stream().filter(id -> id != alone).toList();
                for (int id : others) {
                    cluster.node(id).pause();
                }
                long settled = awaitNoNewAcks(producer, Duration.ofSeconds(1));
                // Longer than the lag time and the session timeout: the leader has tried to shrink its
                // ISR, and has told that it lost the controller; no controller could have fenced anyone.
                long window = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                ProcessCluster.poll(Duration.ofSeconds(30), "broker " + alone + " warning that it lost the controller",
                    () -> {
                        assertEquals(settled, producer.acks(), "an acks=all write was acknowledged by broker " + alone
                            + " while its followers and the quorum were gone");
                        return System.nanoTime() > window
                            && cluster.node(alone).output().contains("has not reached the active controller");
                    });
                for (int id : others) {
                    cluster.node(id).resume();
                }
                ProcessCluster.awaitAcks(producer, settled + 200);
                cluster.awaitBrokers(3);
                cluster.awaitFullIsr(TOPIC);
                producer.close();
                producer.assertNothingAcknowledgedWasLost();
            }
        }
    }

    /** Waits until no acknowledgement has come for {@code quiet} (those in flight when the others stopped); returns the count. */
    private static long awaitNoNewAcks(AckedProducer producer, Duration quiet) throws Exception {
        long[] last = {producer.acks(), System.nanoTime()};
        ProcessCluster.poll(Duration.ofSeconds(10), "acknowledgements to stop", () -> {
            long now = producer.acks();
            if (now != last[0]) {
                last[0] = now;
                last[1] = System.nanoTime();
            }
            return System.nanoTime() - last[1] >= quiet.toNanos();
        });
        return last[0];
    }

    private static Admin admin(ProcessCluster cluster) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        return Admin.create(props);
    }

    private static void createTopic(ProcessCluster cluster, Admin admin) throws Exception {
        cluster.awaitBrokers(3);
        admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
            .all().get(60, TimeUnit.SECONDS);
        cluster.awaitFullIsr(TOPIC);
    }
}
