package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteShareGroupStateRequestData;
import org.apache.kafka.common.message.DeleteShareGroupStateResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitializeShareGroupStateRequestData;
import org.apache.kafka.common.message.InitializeShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryResponseData;
import org.apache.kafka.common.message.WriteShareGroupStateRequestData;
import org.apache.kafka.common.message.WriteShareGroupStateResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The share coordinator's state APIs (KIP-932), as a share-partition leader calls them, written and
 * read with kafka-clients' own message classes: initialization, merged writes, epoch fencing,
 * summaries, deletion, and the state read back the same after a restart (from snapshots and the
 * updates after them).
 */
class ShareStateTest {
    private static final String GROUP = "share-state-group";
    private static final byte AVAILABLE = 0;
    private static final byte ACKNOWLEDGED = 2;
    private static final byte ARCHIVED = 4;

    @TempDir
    Path dataDir;

    private SluiceBroker start() throws Exception {
        // A snapshot after every third update, so that a restart replays both kinds of record.
        return SluiceBroker.builder().dataDir(dataDir).port(0)
            .config("share.coordinator.snapshot.update.records.per.snapshot", "3")
            .config("share.coordinator.state.topic.num.partitions", "3").start();
    }

    private static RawKafkaConnection connect(SluiceBroker broker) throws Exception {
        return new RawKafkaConnection("localhost", broker.port());
    }

    private static WriteShareGroupStateRequestData.StateBatch batch(long first, long last, byte state, int count) {
        return new WriteShareGroupStateRequestData.StateBatch().setFirstOffset(first).setLastOffset(last)
            .setDeliveryState(state).setDeliveryCount((short) count);
    }

    private static short write(RawKafkaConnection c, Uuid topic, int stateEpoch, int leaderEpoch, long start,
                               WriteShareGroupStateRequestData.StateBatch... batches) throws Exception {
        WriteShareGroupStateResponseData r = c.send(ApiKeys.WRITE_SHARE_GROUP_STATE, 1,
            new WriteShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                new WriteShareGroupStateRequestData.WriteStateData().setTopicId(topic).setPartitions(List.of(
                    new WriteShareGroupStateRequestData.PartitionData().setPartition(0).setStateEpoch(stateEpoch)
                        .setLeaderEpoch(leaderEpoch).setStartOffset(start).setDeliveryCompleteCount(-1)
                        .setStateBatches(List.of(batches)))))));
        return r.results().get(0).partitions().get(0).errorCode();
    }

    private static ReadShareGroupStateResponseData.PartitionResult read(RawKafkaConnection c, Uuid topic,
                                                                        int leaderEpoch) throws Exception {
        ReadShareGroupStateResponseData r = c.send(ApiKeys.READ_SHARE_GROUP_STATE, 0,
            new ReadShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                new ReadShareGroupStateRequestData.ReadStateData().setTopicId(topic).setPartitions(List.of(
                    new ReadShareGroupStateRequestData.PartitionData().setPartition(0).setLeaderEpoch(leaderEpoch))))));
        return r.results().get(0).partitions().get(0);
    }

    private static short initialize(RawKafkaConnection c, Uuid topic, int stateEpoch, long start) throws Exception {
        InitializeShareGroupStateResponseData r = c.send(ApiKeys.INITIALIZE_SHARE_GROUP_STATE, 0,
            new InitializeShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                new InitializeShareGroupStateRequestData.InitializeStateData().setTopicId(topic).setPartitions(List.of(
                    new InitializeShareGroupStateRequestData.PartitionData().setPartition(0).setStateEpoch(stateEpoch)
                        .setStartOffset(start))))));
        return r.results().get(0).partitions().get(0).errorCode();
    }

    private static ReadShareGroupStateSummaryResponseData.PartitionResult summary(RawKafkaConnection c, Uuid topic)
            throws Exception {
        ReadShareGroupStateSummaryResponseData r = c.send(ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY, 1,
            new ReadShareGroupStateSummaryRequestData().setGroupId(GROUP).setTopics(List.of(
                new ReadShareGroupStateSummaryRequestData.ReadStateSummaryData().setTopicId(topic).setPartitions(
                    List.of(new ReadShareGroupStateSummaryRequestData.PartitionData().setPartition(0))))));
        return r.results().get(0).partitions().get(0);
    }

    /** The ranges of a read as first-last:state/count, for compact comparisons. */
    private static List<String> ranges(ReadShareGroupStateResponseData.PartitionResult r) {
        return r.stateBatches().stream().map(b -> b.firstOffset() + "-" + b.lastOffset() + ":" + b.deliveryState()
            + "/" + b.deliveryCount()).toList();
    }

    @Test
    void statesAreInitializedMergedFencedAndKeptAcrossARestart() throws Exception {
        Uuid topic;
        List<String> before;
        try (SluiceBroker broker = start(); Admin admin = KafkaClients.admin(broker);
             RawKafkaConnection c = connect(broker)) {
            admin.createTopics(List.of(new NewTopic("shared", 2, (short) 1))).all().get();
            topic = admin.describeTopics(List.of("shared")).allTopicNames().get().get("shared").topicId();
            String key = GROUP + ":" + topic + ":0";
            FindCoordinatorResponseData found = c.send(ApiKeys.FIND_COORDINATOR, 6, new FindCoordinatorRequestData()
                .setKeyType((byte) 2).setCoordinatorKeys(List.of(key)));
            assertEquals(Errors.NONE.code(), found.coordinators().get(0).errorCode(), found.toString());
            assertEquals(broker.nodeId(), found.coordinators().get(0).nodeId());
            FindCoordinatorResponseData malformed = c.send(ApiKeys.FIND_COORDINATOR, 6, new FindCoordinatorRequestData()
                .setKeyType((byte) 2).setCoordinatorKeys(List.of("no-topic-id")));
            assertEquals(Errors.INVALID_REQUEST.code(), malformed.coordinators().get(0).errorCode());

            assertEquals(Errors.INVALID_REQUEST.code(), read(c, topic, 0).errorCode(), "never initialized");
            assertEquals(-1, summary(c, topic).startOffset());
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), initialize(c, Uuid.randomUuid(), 0, 0));
            assertEquals(Errors.NONE.code(), initialize(c, topic, 0, 10));
            assertEquals(1.0, broker.meterRegistry().get("sluice.share.states").gauge().value());

            assertEquals(Errors.NONE.code(), write(c, topic, 0, 1, 10, batch(10, 19, ACKNOWLEDGED, 1),
                batch(20, 29, AVAILABLE, 1)));
            // Same delivery count: the further state wins; a higher count wins over any state.
            assertEquals(Errors.NONE.code(), write(c, topic, 0, 1, -1, batch(15, 24, ARCHIVED, 1),
                batch(27, 27, AVAILABLE, 2)));
            assertEquals(List.of("10-14:2/1", "15-24:4/1", "25-26:0/1", "27-27:0/2", "28-29:0/1"),
                ranges(read(c, topic, 1)));
            assertEquals(Errors.FENCED_LEADER_EPOCH.code(), write(c, topic, 0, 0, -1, batch(30, 30, ACKNOWLEDGED, 1)));

            assertEquals(Errors.NONE.code(), write(c, topic, 0, 1, 20), "the start offset moves on");
            ReadShareGroupStateResponseData.PartitionResult moved = read(c, topic, 2);
            assertEquals(20, moved.startOffset());
            assertEquals(List.of("20-24:4/1", "25-26:0/1", "27-27:0/2", "28-29:0/1"), ranges(moved));
            assertEquals(Errors.FENCED_LEADER_EPOCH.code(), write(c, topic, 0, 1, -1),
                "a read by a newer leader fences the older one");
            ReadShareGroupStateSummaryResponseData.PartitionResult s = summary(c, topic);
            assertEquals(20, s.startOffset());
            assertEquals(2, s.leaderEpoch());
            // An update after the snapshot the read wrote: a restart replays both.
            assertEquals(Errors.NONE.code(), write(c, topic, 0, 2, -1, batch(30, 31, ACKNOWLEDGED, 1)));
            before = ranges(read(c, topic, 2));
            assertEquals(List.of("20-24:4/1", "25-26:0/1", "27-27:0/2", "28-29:0/1", "30-31:2/1"), before);
        }

        try (SluiceBroker again = start(); RawKafkaConnection c = connect(again)) {
            ReadShareGroupStateResponseData.PartitionResult reread = readWhenLoaded(c, topic);
            assertEquals(20, reread.startOffset());
            assertEquals(before, ranges(reread), "the same state after a restart");
            assertEquals(Errors.FENCED_LEADER_EPOCH.code(), write(c, topic, 0, 2, -1), "epoch 3 read it");

            assertEquals(Errors.NONE.code(), initialize(c, topic, 1, 0), "initialized anew, e.g. offsets altered");
            assertEquals(Errors.FENCED_STATE_EPOCH.code(), write(c, topic, 0, 5, -1));
            assertEquals(Errors.FENCED_STATE_EPOCH.code(), initialize(c, topic, 0, 0));
            assertEquals(0, read(c, topic, 5).startOffset());
            assertEquals(List.of(), ranges(read(c, topic, 5)));

            DeleteShareGroupStateResponseData deleted = c.send(ApiKeys.DELETE_SHARE_GROUP_STATE, 0,
                new DeleteShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                    new DeleteShareGroupStateRequestData.DeleteStateData().setTopicId(topic).setPartitions(List.of(
                        new DeleteShareGroupStateRequestData.PartitionData().setPartition(0))))));
            assertEquals(Errors.NONE.code(), deleted.results().get(0).partitions().get(0).errorCode());
            assertEquals(Errors.INVALID_REQUEST.code(), read(c, topic, 5).errorCode(), "deleted");
            assertEquals(-1, summary(c, topic).startOffset());
        }
    }

    @Test
    void theStateTopicIsPrunedBelowTheOldestSnapshotAndQuietStatesAreWrittenAgain() throws Exception {
        Uuid busy;
        Uuid quiet;
        List<String> busyBefore;
        List<String> quietBefore;
        long prunedTo;
        TopicPartition state = new TopicPartition("__share_group_state", 0);
        try (SluiceBroker broker = startPruning(); Admin admin = KafkaClients.admin(broker);
             RawKafkaConnection c = connect(broker)) {
            admin.createTopics(List.of(new NewTopic("busy", 1, (short) 1), new NewTopic("quiet", 1, (short) 1))).all()
                .get();
            Map<String, org.apache.kafka.clients.admin.TopicDescription> topics = admin.describeTopics(
                List.of("busy", "quiet")).allTopicNames().get();
            busy = topics.get("busy").topicId();
            quiet = topics.get("quiet").topicId();
            c.send(ApiKeys.FIND_COORDINATOR, 6, new FindCoordinatorRequestData().setKeyType((byte) 2)
                .setCoordinatorKeys(List.of(GROUP + ":" + busy + ":0")));
            ProcessCluster.poll(java.time.Duration.ofSeconds(30), "the state topic loaded",
                () -> initialize(c, quiet, 0, 0) == Errors.NONE.code());
            assertEquals(Errors.NONE.code(), write(c, quiet, 0, 1, -1, batch(0, 4, ACKNOWLEDGED, 1)));
            assertEquals(Errors.NONE.code(), initialize(c, busy, 0, 0));
            for (int i = 0; i < 30; i++) {
                assertEquals(Errors.NONE.code(), write(c, busy, 0, 1, -1, batch(i, i, ACKNOWLEDGED, 1)));
            }
            long end = admin.listOffsets(Map.of(state, OffsetSpec.latest())).all().get().get(state).offset();
            // The quiet state's snapshot is the second record; once it is written again the records
            // before the busy state's latest snapshot go.
            ProcessCluster.poll(java.time.Duration.ofSeconds(30), "the state topic pruned",
                () -> admin.listOffsets(Map.of(state, OffsetSpec.earliest())).all().get().get(state).offset() > 20);
            prunedTo = admin.listOffsets(Map.of(state, OffsetSpec.earliest())).all().get().get(state).offset();
            assertTrue(prunedTo <= end + 1, "pruned to " + prunedTo + " of " + end);
            busyBefore = ranges(read(c, busy, 1));
            quietBefore = ranges(read(c, quiet, 1));
            assertFalse(busyBefore.isEmpty());
            assertEquals(List.of("0-4:2/1"), quietBefore);
        }
        try (SluiceBroker again = startPruning(); Admin admin = KafkaClients.admin(again);
             RawKafkaConnection c = connect(again)) {
            ReadShareGroupStateResponseData.PartitionResult busyRead = readWhenLoaded(c, busy);
            assertEquals(busyBefore, ranges(busyRead), "rebuilt from what pruning kept");
            assertEquals(quietBefore, ranges(read(c, quiet, 3)));
            assertTrue(admin.listOffsets(Map.of(state, OffsetSpec.earliest())).all().get().get(state).offset()
                >= prunedTo);
        }
    }

    @Test
    void theStatesOfADeletedTopicAreDeleted() throws Exception {
        try (SluiceBroker broker = startPruning(); Admin admin = KafkaClients.admin(broker);
             RawKafkaConnection c = connect(broker)) {
            admin.createTopics(List.of(new NewTopic("doomed", 1, (short) 1), new NewTopic("kept", 1, (short) 1))).all()
                .get();
            Map<String, org.apache.kafka.clients.admin.TopicDescription> topics = admin.describeTopics(
                List.of("doomed", "kept")).allTopicNames().get();
            Uuid doomed = topics.get("doomed").topicId();
            Uuid kept = topics.get("kept").topicId();
            c.send(ApiKeys.FIND_COORDINATOR, 6, new FindCoordinatorRequestData().setKeyType((byte) 2)
                .setCoordinatorKeys(List.of(GROUP + ":" + doomed + ":0")));
            ProcessCluster.poll(java.time.Duration.ofSeconds(30), "the state topic loaded",
                () -> initialize(c, doomed, 0, 0) == Errors.NONE.code());
            assertEquals(Errors.NONE.code(), initialize(c, kept, 0, 0));
            assertEquals(Errors.NONE.code(), write(c, doomed, 0, 1, -1, batch(0, 4, ACKNOWLEDGED, 1)));
            admin.deleteTopics(List.of("doomed")).all().get();
            ProcessCluster.poll(java.time.Duration.ofSeconds(30), "the deleted topic's state deleted",
                () -> summary(c, doomed).startOffset() == -1);
            assertEquals(Errors.INVALID_REQUEST.code(), read(c, doomed, 1).errorCode(), "no state left");
            assertEquals(0, summary(c, kept).startOffset(), "the other topic's state stays");
        }
    }

    /** One state partition, pruned and its quiet states written again every few hundred milliseconds. */
    private SluiceBroker startPruning() throws Exception {
        return SluiceBroker.builder().dataDir(dataDir).port(0)
            .config("share.coordinator.snapshot.update.records.per.snapshot", "3")
            .config("share.coordinator.state.topic.num.partitions", "1")
            .config("share.coordinator.state.topic.prune.interval.ms", "200")
            .config("share.coordinator.cold.partition.snapshot.interval.ms", "300").start();
    }

    /** Reads at leader epoch 3 once the restarted broker has loaded the state's partition. */
    private static ReadShareGroupStateResponseData.PartitionResult readWhenLoaded(RawKafkaConnection c, Uuid topic)
            throws Exception {
        java.util.concurrent.atomic.AtomicReference<ReadShareGroupStateResponseData.PartitionResult> read =
            new java.util.concurrent.atomic.AtomicReference<>();
        ProcessCluster.poll(java.time.Duration.ofSeconds(30), "the state's partition loaded", () -> {
            read.set(read(c, topic, 3));
            return read.get().errorCode() == Errors.NONE.code();
        });
        return read.get();
    }
}
