package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The group protocol's error paths, spoken directly with kafka-clients' own message classes:
 * what a well-behaved client never sends, but a broken or old one might, must get Kafka's error.
 */
@SluiceTest(config = {"group.initial.rebalance.delay.ms=0", "offsets.topic.num.partitions=3"})
class GroupProtocolErrorsTest {
    static SluiceBroker broker;
    private static RawKafkaConnection connection;

    @BeforeAll
    static void start() throws Exception {
        try (Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic("errors-topic", 2, (short) 1))).all().get();
        }
        connection = new RawKafkaConnection("localhost", broker.port());
        FindCoordinatorResponseData found = connection.send(ApiKeys.FIND_COORDINATOR, 4,
            new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of("any-group")));
        assertEquals(Errors.NONE.code(), found.coordinators().get(0).errorCode());
        assertEquals(broker.port(), found.coordinators().get(0).port());
    }

    @AfterAll
    static void stop() throws Exception {
        connection.close();
    }

    private static JoinGroupRequestData join(String group, String memberId, int sessionTimeout) {
        JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
            new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
        protocols.add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[] {1}));
        return new JoinGroupRequestData().setGroupId(group).setMemberId(memberId).setSessionTimeoutMs(sessionTimeout)
            .setRebalanceTimeoutMs(10_000).setProtocolType("consumer").setProtocols(protocols);
    }

    @Test
    void findCoordinatorRefusesEmptyTransactionalIdsAndUnknownKeyTypes() throws Exception {
        FindCoordinatorResponseData txn = connection.send(ApiKeys.FIND_COORDINATOR, 4,
            new FindCoordinatorRequestData().setKeyType((byte) 1).setCoordinatorKeys(List.of("")));
        assertEquals(Errors.INVALID_REQUEST.code(), txn.coordinators().get(0).errorCode());
        FindCoordinatorResponseData share = connection.send(ApiKeys.FIND_COORDINATOR, 6,
            new FindCoordinatorRequestData().setKeyType((byte) 2).setCoordinatorKeys(List.of("share")));
        assertEquals(Errors.INVALID_REQUEST.code(), share.coordinators().get(0).errorCode());
    }

    @Test
    void joinWithoutMemberIdIsHandedOneThenTheGroupFormsAroundIt() throws Exception {
        JoinGroupResponseData first = connection.send(ApiKeys.JOIN_GROUP, 9, join("errors-join", "", 10_000));
        assertEquals(Errors.MEMBER_ID_REQUIRED.code(), first.errorCode());
        String memberId = first.memberId();
        assertTrue(memberId.startsWith("sluice-compat-raw-"), memberId);

        JoinGroupResponseData joined = connection.send(ApiKeys.JOIN_GROUP, 9, join("errors-join", memberId, 10_000));
        assertEquals(Errors.NONE.code(), joined.errorCode());
        assertEquals(1, joined.generationId());
        assertEquals(memberId, joined.leader());
        assertEquals("range", joined.protocolName());
        assertEquals(1, joined.members().size());

        SyncGroupResponseData wrongGeneration = connection.send(ApiKeys.SYNC_GROUP, 5, new SyncGroupRequestData()
            .setGroupId("errors-join").setMemberId(memberId).setGenerationId(7).setProtocolType("consumer")
            .setProtocolName("range"));
        assertEquals(Errors.ILLEGAL_GENERATION.code(), wrongGeneration.errorCode());
        SyncGroupResponseData wrongProtocol = connection.send(ApiKeys.SYNC_GROUP, 5, new SyncGroupRequestData()
            .setGroupId("errors-join").setMemberId(memberId).setGenerationId(1).setProtocolType("consumer")
            .setProtocolName("roundrobin"));
        assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL.code(), wrongProtocol.errorCode());
        SyncGroupResponseData synced = connection.send(ApiKeys.SYNC_GROUP, 5, new SyncGroupRequestData()
            .setGroupId("errors-join").setMemberId(memberId).setGenerationId(1).setProtocolType("consumer")
            .setProtocolName("range").setAssignments(List.of(new SyncGroupRequestData.SyncGroupRequestAssignment()
                .setMemberId(memberId).setAssignment(new byte[] {4, 2}))));
        assertEquals(Errors.NONE.code(), synced.errorCode());
        assertEquals(2, synced.assignment().length);

        HeartbeatResponseData ok = connection.send(ApiKeys.HEARTBEAT, 4, new HeartbeatRequestData()
            .setGroupId("errors-join").setMemberId(memberId).setGenerationId(1));
        assertEquals(Errors.NONE.code(), ok.errorCode());
        HeartbeatResponseData stranger = connection.send(ApiKeys.HEARTBEAT, 4, new HeartbeatRequestData()
            .setGroupId("errors-join").setMemberId("stranger").setGenerationId(1));
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), stranger.errorCode());
        HeartbeatResponseData stale = connection.send(ApiKeys.HEARTBEAT, 4, new HeartbeatRequestData()
            .setGroupId("errors-join").setMemberId(memberId).setGenerationId(0));
        assertEquals(Errors.ILLEGAL_GENERATION.code(), stale.errorCode());

        JoinGroupRequestData otherProtocolType = join("errors-join", "", 10_000).setProtocolType("connect");
        assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL.code(),
            ((JoinGroupResponseData) connection.send(ApiKeys.JOIN_GROUP, 9, otherProtocolType)).errorCode());

        OffsetCommitResponseData commit = connection.send(ApiKeys.OFFSET_COMMIT, 9, new OffsetCommitRequestData()
            .setGroupId("errors-join").setMemberId(memberId).setGenerationIdOrMemberEpoch(1)
            .setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName("errors-topic")
                .setPartitions(List.of(
                    new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(5),
                    new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(9).setCommittedOffset(5),
                    new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(1).setCommittedOffset(5)
                        .setCommittedMetadata("x".repeat(5000)))))));
        List<OffsetCommitResponseData.OffsetCommitResponsePartition> results = commit.topics().get(0).partitions();
        assertEquals(Errors.NONE.code(), results.get(0).errorCode());
        assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), results.get(1).errorCode());
        assertEquals(Errors.OFFSET_METADATA_TOO_LARGE.code(), results.get(2).errorCode());

        OffsetCommitResponseData simpleCommit = connection.send(ApiKeys.OFFSET_COMMIT, 9, new OffsetCommitRequestData()
            .setGroupId("errors-join").setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic()
                .setName("errors-topic").setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                    .setPartitionIndex(0).setCommittedOffset(1))))));
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), simpleCommit.topics().get(0).partitions().get(0).errorCode(),
            "a commit without a member is refused while the group has members");

        LeaveGroupResponseData left = connection.send(ApiKeys.LEAVE_GROUP, 5, new LeaveGroupRequestData()
            .setGroupId("errors-join").setMembers(List.of(new LeaveGroupRequestData.MemberIdentity().setMemberId(memberId),
                new LeaveGroupRequestData.MemberIdentity().setMemberId("stranger"))));
        assertEquals(Errors.NONE.code(), left.members().get(0).errorCode());
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), left.members().get(1).errorCode());

        OffsetFetchResponseData fetched = connection.send(ApiKeys.OFFSET_FETCH, 9, new OffsetFetchRequestData()
            .setGroups(List.of(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("errors-join")
                .setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName("errors-topic")
                    .setPartitionIndexes(List.of(0, 1)))))));
        List<OffsetFetchResponseData.OffsetFetchResponsePartitions> offsets =
            fetched.groups().get(0).topics().get(0).partitions();
        assertEquals(5, offsets.get(0).committedOffset());
        assertEquals(-1, offsets.get(1).committedOffset());
    }

    @Test
    void sessionTimeoutsOutsideTheBrokersBoundsAreRefused() throws Exception {
        JoinGroupResponseData tooShort = connection.send(ApiKeys.JOIN_GROUP, 9, join("errors-timeout", "", 1000));
        assertEquals(Errors.INVALID_SESSION_TIMEOUT.code(), tooShort.errorCode());
        JoinGroupResponseData tooLong = connection.send(ApiKeys.JOIN_GROUP, 9, join("errors-timeout", "", 1_800_001));
        assertEquals(Errors.INVALID_SESSION_TIMEOUT.code(), tooLong.errorCode());
        JoinGroupResponseData unknown = connection.send(ApiKeys.JOIN_GROUP, 9, join("errors-timeout", "ghost", 10_000));
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), unknown.errorCode());
        JoinGroupResponseData empty = connection.send(ApiKeys.JOIN_GROUP, 9, join("", "", 10_000));
        assertEquals(Errors.INVALID_GROUP_ID.code(), empty.errorCode());
    }

    @Test
    void aNewerStaticInstanceFencesTheOlderOne() throws Exception {
        JoinGroupResponseData first = connection.send(ApiKeys.JOIN_GROUP, 9,
            join("errors-static", "", 10_000).setGroupInstanceId("instance"));
        assertEquals(Errors.NONE.code(), first.errorCode());
        connection.send(ApiKeys.SYNC_GROUP, 5, new SyncGroupRequestData().setGroupId("errors-static")
            .setMemberId(first.memberId()).setGroupInstanceId("instance").setGenerationId(first.generationId())
            .setProtocolType("consumer").setProtocolName("range"));
        JoinGroupResponseData second = connection.send(ApiKeys.JOIN_GROUP, 9,
            join("errors-static", "", 10_000).setGroupInstanceId("instance"));
        assertEquals(Errors.NONE.code(), second.errorCode());
        assertTrue(!second.memberId().equals(first.memberId()));
        HeartbeatResponseData fenced = connection.send(ApiKeys.HEARTBEAT, 4, new HeartbeatRequestData()
            .setGroupId("errors-static").setMemberId(first.memberId()).setGroupInstanceId("instance")
            .setGenerationId(first.generationId()));
        assertEquals(Errors.FENCED_INSTANCE_ID.code(), fenced.errorCode());
    }

    @Test
    void consumerProtocolHeartbeatsAreValidatedAndFenced() throws Exception {
        ConsumerGroupHeartbeatResponseData noSubscription = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-848").setMemberId("m1").setMemberEpoch(0)
                .setRebalanceTimeoutMs(10_000).setTopicPartitions(List.of()));
        assertEquals(Errors.INVALID_REQUEST.code(), noSubscription.errorCode());
        ConsumerGroupHeartbeatResponseData badAssignor = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-848").setMemberId("m1").setMemberEpoch(0)
                .setRebalanceTimeoutMs(10_000).setTopicPartitions(List.of()).setSubscribedTopicNames(List.of("errors-topic"))
                .setServerAssignor("sticky"));
        assertEquals(Errors.UNSUPPORTED_ASSIGNOR.code(), badAssignor.errorCode());
        ConsumerGroupHeartbeatResponseData badRegex = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-848").setMemberId("m1").setMemberEpoch(0)
                .setRebalanceTimeoutMs(10_000).setTopicPartitions(List.of()).setSubscribedTopicRegex("errors-(topic"));
        assertEquals(Errors.INVALID_REGULAR_EXPRESSION.code(), badRegex.errorCode());

        ConsumerGroupHeartbeatResponseData joined = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-848").setMemberId("m1").setMemberEpoch(0)
                .setRebalanceTimeoutMs(10_000).setTopicPartitions(List.of()).setSubscribedTopicRegex("errors-.*"));
        assertEquals(Errors.NONE.code(), joined.errorCode());
        assertEquals(1, joined.memberEpoch());
        assertEquals(2, joined.assignment().topicPartitions().get(0).partitions().size(),
            "the pattern matched the topic and the only member got both partitions");
        ConsumerGroupHeartbeatResponseData fenced = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-848").setMemberId("m1").setMemberEpoch(7));
        assertEquals(Errors.FENCED_MEMBER_EPOCH.code(), fenced.errorCode());
        ConsumerGroupHeartbeatResponseData stranger = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-848").setMemberId("m2").setMemberEpoch(1));
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), stranger.errorCode());

        JoinGroupResponseData classicJoin = connection.send(ApiKeys.JOIN_GROUP, 9, join("errors-848", "", 10_000));
        assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL.code(), classicJoin.errorCode(),
            "a classic member whose subscription is not the consumer protocol cannot join a consumer group");

        OffsetCommitResponseData staleCommit = connection.send(ApiKeys.OFFSET_COMMIT, 9, new OffsetCommitRequestData()
            .setGroupId("errors-848").setMemberId("m1").setGenerationIdOrMemberEpoch(0)
            .setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName("errors-topic")
                .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0)
                    .setCommittedOffset(1))))));
        assertEquals(Errors.STALE_MEMBER_EPOCH.code(), staleCommit.topics().get(0).partitions().get(0).errorCode());

        ConsumerGroupHeartbeatResponseData left = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-848").setMemberId("m1").setMemberEpoch(-1));
        assertEquals(Errors.NONE.code(), left.errorCode());
        assertEquals(-1, left.memberEpoch());
    }

    @Test
    void consumerProtocolHeartbeatWithAnEmptyInstanceOrRackIdIsInvalid() throws Exception {
        ConsumerGroupHeartbeatRequestData join = new ConsumerGroupHeartbeatRequestData().setGroupId("errors-empty-ids")
            .setMemberId("m1").setMemberEpoch(0).setRebalanceTimeoutMs(10_000).setTopicPartitions(List.of())
            .setSubscribedTopicNames(List.of("errors-topic"));
        ConsumerGroupHeartbeatResponseData emptyInstance = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            join.duplicate().setInstanceId(""));
        assertEquals(Errors.INVALID_REQUEST.code(), emptyInstance.errorCode());
        ConsumerGroupHeartbeatResponseData emptyRack = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            join.duplicate().setRackId(""));
        assertEquals(Errors.INVALID_REQUEST.code(), emptyRack.errorCode());
        ConsumerGroupHeartbeatResponseData dynamicStaticLeave = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-empty-ids").setMemberId("m1").setMemberEpoch(-2));
        assertEquals(Errors.INVALID_REQUEST.code(), dynamicStaticLeave.errorCode());
    }

    @Test
    void aJoiningMemberWhoseSubscriptionCannotBeWrittenIsNotKept() throws Exception {
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 30_000; i++) {
            names.add(String.format("errors-huge-subscription-topic-%012d", i));
        }
        ConsumerGroupHeartbeatResponseData refused = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-huge").setMemberId("m1").setMemberEpoch(0)
                .setRebalanceTimeoutMs(10_000).setTopicPartitions(List.of()).setSubscribedTopicNames(names));
        assertEquals(Errors.UNKNOWN_SERVER_ERROR.code(), refused.errorCode(),
            "more than a batch of __consumer_offsets may hold");
        ConsumerGroupDescribeResponseData described = connection.send(ApiKeys.CONSUMER_GROUP_DESCRIBE, 0,
            new ConsumerGroupDescribeRequestData().setGroupIds(List.of("errors-huge")));
        assertTrue(described.groups().get(0).members().isEmpty(), "the member that could not be stored is gone");
        ConsumerGroupHeartbeatResponseData rejoined = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
            new ConsumerGroupHeartbeatRequestData().setGroupId("errors-huge").setMemberId("m1").setMemberEpoch(0)
                .setRebalanceTimeoutMs(10_000).setTopicPartitions(List.of()).setSubscribedTopicNames(List.of("errors-topic")));
        assertEquals(Errors.NONE.code(), rejoined.errorCode());
    }
}
