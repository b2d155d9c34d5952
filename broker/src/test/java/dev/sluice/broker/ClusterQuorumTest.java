package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.junit.jupiter.api.Test;

/** DescribeQuorum on an in-process cluster, as {@code kafka-metadata-quorum} reads it through the Admin client. */
class ClusterQuorumTest {

    @Test
    void aVoterTheNewLeaderHasNotHeardFromHasUnknownOffsetAndFetchTimes() throws Exception {
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3).start()) {
            int old = cluster.activeController();
            cluster.kill(old);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (cluster.activeController() < 0 || cluster.activeController() == old) {
                assertTrue(System.nanoTime() < deadline, "no new controller");
                Thread.sleep(20);
            }
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            try (Admin admin = Admin.create(props)) {
                QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS);
                int leader = quorum.leaderId();
                assertNotEquals(old, leader, quorum.toString());
                Map<Integer, QuorumInfo.ReplicaState> voters = quorum.voters().stream()
                    .collect(Collectors.toMap(QuorumInfo.ReplicaState::replicaId, Function.identity()));
                assertEquals(3, voters.size(), quorum.toString());
                long now = System.currentTimeMillis();
                for (QuorumInfo.ReplicaState v : voters.values()) {
                    if (v.replicaId() == old) {
                        assertEquals(-1, v.logEndOffset(), "the dead voter's log end offset: " + quorum);
                        assertTrue(v.lastFetchTimestamp().isEmpty() && v.lastCaughtUpTimestamp().isEmpty(),
                            "the dead voter was never heard from in this term: " + quorum);
                    } else {
                        assertTrue(v.logEndOffset() >= 0, quorum.toString());
                        long fetched = v.lastFetchTimestamp().orElseThrow();
                        assertTrue(now - fetched < 10_000, "voter " + v.replicaId() + " heard from lately: " + quorum);
                    }
                }
                assertTrue(quorum.highWatermark() > 0 && quorum.highWatermark() <= voters.get(leader).logEndOffset(),
                    "the high watermark is what the leader has applied of what it holds: " + quorum);
            }
        }
    }
}
