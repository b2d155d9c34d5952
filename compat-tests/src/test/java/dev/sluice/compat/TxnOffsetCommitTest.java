package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TxnOffsetCommit in every version Kafka 4.4 serves, written and read with kafka-clients' own
 * message classes: the checks answered before anything is written, and, once the partition takes
 * the coordinator's transactional batches, offsets that stay pending (invisible to OffsetFetch,
 * UNSTABLE_OFFSET_COMMIT with require_stable) until the transaction's marker.
 */
@SluiceTest(config = {"offsets.topic.num.partitions=1"})
class TxnOffsetCommitTest {
    private static final String TOPIC = "txn-offsets-topic";
    static SluiceBroker broker;
    private static RawKafkaConnection connection;
    private static Uuid topicId;

    @BeforeAll
    static void start() throws Exception {
        try (Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get();
            topicId = admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC).topicId();
        }
        connection = new RawKafkaConnection("localhost", broker.port());
        FindCoordinatorResponseData found = connection.send(ApiKeys.FIND_COORDINATOR, 4,
            new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of("any-group")));
        assertEquals(Errors.NONE.code(), found.coordinators().get(0).errorCode());
    }

    @AfterAll
    static void stop() throws Exception {
        connection.close();
    }

    /** A transactional producer with the offsets of {@code group} in its open transaction. */
    private record Producer(String transactionalId, long producerId, short epoch) {
    }

    private static Producer openTransaction(String transactionalId, String group) throws Exception {
        Producer producer = initProducer(transactionalId);
        AddOffsetsToTxnResponseData added = connection.send(ApiKeys.ADD_OFFSETS_TO_TXN, 3, new AddOffsetsToTxnRequestData()
            .setTransactionalId(transactionalId).setProducerId(producer.producerId()).setProducerEpoch(producer.epoch())
            .setGroupId(group));
        assertEquals(Errors.NONE.code(), added.errorCode());
        return producer;
    }

    private static Producer initProducer(String transactionalId) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        InitProducerIdResponseData init;
        do {
            connection.send(ApiKeys.FIND_COORDINATOR, 4, new FindCoordinatorRequestData().setKeyType((byte) 1)
                .setCoordinatorKeys(List.of(transactionalId)));
            init = connection.send(ApiKeys.INIT_PRODUCER_ID, 4, new InitProducerIdRequestData()
                .setTransactionalId(transactionalId).setTransactionTimeoutMs(60_000).setProducerId(-1)
                .setProducerEpoch((short) -1));
            assertTrue(System.nanoTime() < deadline, "InitProducerId kept failing with " + init.errorCode());
        } while (init.errorCode() != Errors.NONE.code());
        return new Producer(transactionalId, init.producerId(), init.producerEpoch());
    }

    private static TxnOffsetCommitRequestData commit(String group, Producer producer, String topic, int partition) {
        return commit(group, producer.producerId(), topic, partition).setTransactionalId(producer.transactionalId())
            .setProducerEpoch(producer.epoch());
    }

    private static TxnOffsetCommitRequestData commit(String group, long producerId, String topic, int partition) {
        return new TxnOffsetCommitRequestData().setTransactionalId("txn-id").setGroupId(group)
            .setProducerId(producerId).setProducerEpoch((short) 0)
            .setTopics(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setName(topic)
                .setPartitions(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                    .setPartitionIndex(partition).setCommittedOffset(10).setCommittedMetadata("m")))));
    }

    /** The same commit naming its topic by id, as v6 does (KIP-1319). */
    private static TxnOffsetCommitRequestData byId(TxnOffsetCommitRequestData request, Uuid id) {
        request.topics().forEach(t -> t.setName("").setTopicId(id));
        return request;
    }

    private static short error(TxnOffsetCommitResponseData response) {
        return response.topics().get(0).partitions().get(0).errorCode();
    }

    @Test
    void everyVersionAnswersTheChecksMadeBeforeWriting() throws Exception {
        for (short v = 0; v <= 5; v++) { // v6 names topics by id: versionSixNamesTopicsById
            TxnOffsetCommitResponseData unknownTopic = connection.send(ApiKeys.TXN_OFFSET_COMMIT, v,
                commit("txn-checks", 1, "no-such-topic", 0));
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), error(unknownTopic), "v" + v);
            TxnOffsetCommitResponseData unknownPartition = connection.send(ApiKeys.TXN_OFFSET_COMMIT, v,
                commit("txn-checks", 1, TOPIC, 7));
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), error(unknownPartition), "v" + v);
            TxnOffsetCommitResponseData noGroup = connection.send(ApiKeys.TXN_OFFSET_COMMIT, v,
                commit("", 1, TOPIC, 0));
            assertEquals(Errors.INVALID_GROUP_ID.code(), error(noGroup), "v" + v);
        }
    }

    @Test
    void aMemberOrGenerationIsCheckedAgainstTheGroupFromVersionThree() throws Exception {
        TxnOffsetCommitResponseData unknownGroup = connection.send(ApiKeys.TXN_OFFSET_COMMIT, 3,
            commit("txn-no-group", openTransaction("txn-no-group-producer", "txn-no-group"), TOPIC, 0)
                .setGenerationIdOrMemberEpoch(4).setMemberId("ghost"));
        assertEquals(Errors.ILLEGAL_GENERATION.code(), error(unknownGroup));
        TxnOffsetCommitResponseData unknownGroupV6 = connection.send(ApiKeys.TXN_OFFSET_COMMIT, 6,
            byId(commit("txn-no-group", openTransaction("txn-no-group-producer", "txn-no-group"), TOPIC, 0)
                .setGenerationIdOrMemberEpoch(4).setMemberId("ghost"), topicId));
        assertEquals(Errors.GROUP_ID_NOT_FOUND.code(), error(unknownGroupV6), "v6 says what it is (KIP-1319)");

        OffsetCommitResponseData simple = connection.send(ApiKeys.OFFSET_COMMIT, 9, new OffsetCommitRequestData()
            .setGroupId("txn-simple").setGenerationIdOrMemberEpoch(-1).setMemberId("")
            .setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(TOPIC)
                .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                    .setPartitionIndex(0).setCommittedOffset(3))))));
        assertEquals(Errors.NONE.code(), simple.topics().get(0).partitions().get(0).errorCode());
        TxnOffsetCommitResponseData unknownMember = connection.send(ApiKeys.TXN_OFFSET_COMMIT, 5,
            commit("txn-simple", openTransaction("txn-simple-producer", "txn-simple"), TOPIC, 0)
                .setGenerationIdOrMemberEpoch(1).setMemberId("ghost"));
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), error(unknownMember));
    }

    private static OffsetFetchResponseData.OffsetFetchResponsePartitions fetched(String group, boolean requireStable)
            throws Exception {
        OffsetFetchResponseData response = connection.send(ApiKeys.OFFSET_FETCH, 9, new OffsetFetchRequestData()
            .setRequireStable(requireStable)
            .setGroups(List.of(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(group)
                .setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(TOPIC)
                    .setPartitionIndexes(List.of(0)))))));
        return response.groups().get(0).topics().get(0).partitions().get(0);
    }

    @Test
    void versionSixNamesTopicsById() throws Exception {
        Producer producer = initProducer("txn-by-id-producer");
        TxnOffsetCommitResponseData unknown = connection.send(ApiKeys.TXN_OFFSET_COMMIT, 6,
            byId(commit("txn-by-id", producer, TOPIC, 0), Uuid.randomUuid()));
        assertEquals(Errors.UNKNOWN_TOPIC_ID.code(), error(unknown));
        TxnOffsetCommitResponseData written = connection.send(ApiKeys.TXN_OFFSET_COMMIT, 6,
            byId(commit("txn-by-id", producer, TOPIC, 0), topicId));
        assertEquals(Errors.NONE.code(), error(written));
        assertEquals(topicId, written.topics().get(0).topicId());
        assertEquals(Errors.UNSTABLE_OFFSET_COMMIT.code(), fetched("txn-by-id", true).errorCode(),
            "written, pending on the producer's transaction");
    }

    @Test
    void offsetsOfAGroupTheTransactionDidNotAddAreRefusedUntilVersionFive() throws Exception {
        Producer producer = initProducer("txn-no-offsets-producer");
        TxnOffsetCommitResponseData refused = connection.send(ApiKeys.TXN_OFFSET_COMMIT, 4,
            commit("txn-no-offsets", producer, TOPIC, 0));
        assertEquals(Errors.INVALID_TXN_STATE.code(), error(refused), "v4 needs AddOffsetsToTxn first");
        // Transactions v2: the group coordinator has the offsets partition added for the producer.
        TxnOffsetCommitResponseData added = connection.send(ApiKeys.TXN_OFFSET_COMMIT, 5,
            commit("txn-no-offsets", producer, TOPIC, 0));
        assertEquals(Errors.NONE.code(), error(added));
    }

    @Test
    void writtenOffsetsArePendingUnstableForRequireStableAndInvisibleOtherwise() throws Exception {
        TxnOffsetCommitResponseData written = connection.send(ApiKeys.TXN_OFFSET_COMMIT, 4,
            commit("txn-pending", openTransaction("txn-pending-producer", "txn-pending"), TOPIC, 0));
        assertEquals(Errors.NONE.code(), error(written));

        OffsetFetchResponseData.OffsetFetchResponsePartitions stable = fetched("txn-pending", true);
        assertEquals(Errors.UNSTABLE_OFFSET_COMMIT.code(), stable.errorCode());
        OffsetFetchResponseData.OffsetFetchResponsePartitions committed = fetched("txn-pending", false);
        assertEquals(Errors.NONE.code(), committed.errorCode());
        assertEquals(-1, committed.committedOffset(), "a pending transactional offset showed as committed");
    }
}
