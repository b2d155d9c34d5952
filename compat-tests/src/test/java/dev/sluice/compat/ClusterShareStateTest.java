package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitializeShareGroupStateRequestData;
import org.apache.kafka.common.message.InitializeShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateResponseData;
import org.apache.kafka.common.message.WriteShareGroupStateRequestData;
import org.apache.kafka.common.message.WriteShareGroupStateResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The share coordinator on a three-process cluster: a share-partition's state lives on the leader
 * of its {@code __share_group_state} partition, replicated to the others, and after that broker is
 * killed with SIGKILL the new leader serves the same state, acknowledged writes and all.
 */
class ClusterShareStateTest {
    private static final String GROUP = "cluster-share-group";
    private static final int STATE_PARTITIONS = 3;

    @TempDir
    Path dir;

    @Test
    void aShareStateOutlivesItsCoordinator() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3,
            "share.coordinator.state.topic.num.partitions=" + STATE_PARTITIONS)) {
            cluster.admin().createTopics(List.of(new NewTopic("queue", 1, (short) 3))).all().get(60, TimeUnit.SECONDS);
            Uuid topic = cluster.admin().describeTopics(List.of("queue")).allTopicNames().get(30, TimeUnit.SECONDS)
                .get("queue").topicId();
            String key = GROUP + ":" + topic + ":0";
            // As a share-partition leader does: find the coordinator and ask again while it moves or loads.
            AtomicInteger at = new AtomicInteger(-1);
            ProcessCluster.poll(Duration.ofSeconds(60), "the state initialized and written", () -> {
                int candidate = coordinator(cluster, key, -1);
                try (RawKafkaConnection c = new RawKafkaConnection("localhost", cluster.brokerPort(candidate))) {
                    InitializeShareGroupStateResponseData init = c.send(ApiKeys.INITIALIZE_SHARE_GROUP_STATE, 0,
                        new InitializeShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                            new InitializeShareGroupStateRequestData.InitializeStateData().setTopicId(topic)
                                .setPartitions(List.of(new InitializeShareGroupStateRequestData.PartitionData()
                                    .setPartition(0).setStateEpoch(0).setStartOffset(5))))));
                    if (init.results().get(0).partitions().get(0).errorCode() != Errors.NONE.code()) {
                        return false;
                    }
                    WriteShareGroupStateResponseData written = c.send(ApiKeys.WRITE_SHARE_GROUP_STATE, 1,
                        new WriteShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                            new WriteShareGroupStateRequestData.WriteStateData().setTopicId(topic).setPartitions(List.of(
                                new WriteShareGroupStateRequestData.PartitionData().setPartition(0).setStateEpoch(0)
                                    .setLeaderEpoch(1).setStartOffset(8).setDeliveryCompleteCount(2)
                                    .setStateBatches(List.of(new WriteShareGroupStateRequestData.StateBatch()
                                        .setFirstOffset(8).setLastOffset(12).setDeliveryState((byte) 2)
                                        .setDeliveryCount((short) 1))))))));
                    if (written.results().get(0).partitions().get(0).errorCode() != Errors.NONE.code()) {
                        return false;
                    }
                    at.set(candidate);
                    return true;
                }
            });
            int coordinator = at.get();
            int statePartition = Utils.abs(key.hashCode()) % STATE_PARTITIONS;
            assertEquals(cluster.leaderOf("__share_group_state", statePartition), coordinator,
                "the coordinator that took the writes leads __share_group_state-" + statePartition);
            cluster.awaitFullIsr("__share_group_state");

            cluster.kill(coordinator);
            int next = coordinator(cluster, key, coordinator);
            assertNotEquals(coordinator, next);
            AtomicReference<ReadShareGroupStateResponseData.PartitionResult> read = new AtomicReference<>();
            try (RawKafkaConnection c = new RawKafkaConnection("localhost", cluster.brokerPort(next))) {
                ProcessCluster.poll(Duration.ofSeconds(60), "the state read from broker " + next, () -> {
                    ReadShareGroupStateResponseData r = c.send(ApiKeys.READ_SHARE_GROUP_STATE, 0,
                        new ReadShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                            new ReadShareGroupStateRequestData.ReadStateData().setTopicId(topic).setPartitions(List.of(
                                new ReadShareGroupStateRequestData.PartitionData().setPartition(0).setLeaderEpoch(2))))));
                    read.set(r.results().get(0).partitions().get(0));
                    return read.get().errorCode() == Errors.NONE.code();
                });
            }
            assertEquals(8, read.get().startOffset());
            assertEquals(1, read.get().stateBatches().size(), read.get().toString());
            assertEquals(8, read.get().stateBatches().get(0).firstOffset());
            assertEquals(12, read.get().stateBatches().get(0).lastOffset());
            assertEquals(2, read.get().stateBatches().get(0).deliveryState());
        }
    }

    /** The share coordinator of {@code key} as a live broker other than {@code not} names it. */
    private static int coordinator(ProcessCluster cluster, String key, int not) throws Exception {
        AtomicInteger found = new AtomicInteger(-1);
        ProcessCluster.poll(Duration.ofSeconds(60), "a share coordinator for " + key + " other than " + not, () -> {
            for (int id = 1; id <= 3; id++) {
                if (id == not) {
                    continue;
                }
                try (RawKafkaConnection c = new RawKafkaConnection("localhost", cluster.brokerPort(id))) {
                    FindCoordinatorResponseData r = c.send(ApiKeys.FIND_COORDINATOR, 6, new FindCoordinatorRequestData()
                        .setKeyType((byte) 2).setCoordinatorKeys(List.of(key)));
                    FindCoordinatorResponseData.Coordinator answer = r.coordinators().get(0);
                    if (answer.errorCode() == Errors.NONE.code() && answer.nodeId() != not) {
                        found.set(answer.nodeId());
                        return true;
                    }
                }
                return false;
            }
            return false;
        });
        return found.get();
    }
}
