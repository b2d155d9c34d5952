package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A KIP-848 subscription regex is client input matched against every topic name: a pattern that
 * makes a backtracking engine run for ever, or one whose counted repetitions expand beyond memory,
 * must neither stop the partition writers nor the group. One I/O thread, so a single stuck writer
 * thread would stop every produce.
 */
@SluiceTest(config = {"num.io.threads=1", "offsets.topic.num.partitions=1", "group.initial.rebalance.delay.ms=0"})
class GroupRegexIsolationTest {
    /** A topic name that {@link #CATASTROPHIC} almost matches, which a backtracking engine tries in exponentially many ways. */
    private static final String LONG_NAME = "a".repeat(200);
    /** Nested quantifiers: exponential backtracking in java.util.regex on {@link #LONG_NAME}. */
    private static final String CATASTROPHIC = "((a+)+)+b";

    static SluiceBroker broker;

    @BeforeAll
    static void start() throws Exception {
        try (Admin admin = KafkaClients.admin(broker)) {
            admin.createTopics(List.of(new NewTopic(LONG_NAME, 1, (short) 1),
                new NewTopic("regex-other", 1, (short) 1))).all().get();
        }
        try (RawKafkaConnection connection = new RawKafkaConnection("localhost", broker.port())) {
            FindCoordinatorResponseData found = connection.send(ApiKeys.FIND_COORDINATOR, 4,
                new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of("regex-group")));
            assertEquals(Errors.NONE.code(), found.coordinators().get(0).errorCode());
        }
    }

    private static ConsumerGroupHeartbeatRequestData join(String group, String member, String regex) {
        return new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(member).setMemberEpoch(0)
            .setRebalanceTimeoutMs(10_000).setTopicPartitions(List.of()).setSubscribedTopicRegex(regex);
    }

    private static ConsumerGroupHeartbeatResponseData heartbeat(ConsumerGroupHeartbeatRequestData request)
            throws Exception {
        try (RawKafkaConnection connection = new RawKafkaConnection("localhost", broker.port())) {
            return connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1, request);
        }
    }

    @Test
    void catastrophicPatternNeitherStopsProduceNorTheGroup() throws Exception {
        CompletableFuture<ConsumerGroupHeartbeatResponseData> joining = CompletableFuture.supplyAsync(() -> {
            try {
                return heartbeat(join("regex-group", "m1", CATASTROPHIC));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < 20; i++) {
                long started = System.nanoTime();
                producer.send(new ProducerRecord<>("regex-other", "k", "v" + i)).get(10, TimeUnit.SECONDS);
                long ms = (System.nanoTime() - started) / 1_000_000;
                assertTrue(ms < 5_000, "produce " + i + " took " + ms + " ms while the heartbeat was handled");
            }
        }
        ConsumerGroupHeartbeatResponseData joined = joining.get(10, TimeUnit.SECONDS);
        assertEquals(Errors.NONE.code(), joined.errorCode());
        assertEquals(1, joined.memberEpoch());
        assertTrue(joined.assignment().topicPartitions().isEmpty(), "the pattern matches no topic");

        ConsumerGroupHeartbeatResponseData again = heartbeat(new ConsumerGroupHeartbeatRequestData()
            .setGroupId("regex-group").setMemberId("m1").setMemberEpoch(1).setTopicPartitions(List.of()));
        assertEquals(Errors.NONE.code(), again.errorCode(), "the group still answers");
    }

    @Test
    void patternsBeyondTheLimitsOrOutsideRe2SyntaxAreInvalid() throws Exception {
        for (String regex : List.of("((a{1000}){1000}){1000}", "x".repeat(5000), "(?=regex-)other", "(regex)\\1")) {
            ConsumerGroupHeartbeatResponseData refused = heartbeat(join("regex-limits", "m1", regex));
            assertEquals(Errors.INVALID_REGULAR_EXPRESSION.code(), refused.errorCode(),
                regex.substring(0, Math.min(40, regex.length())));
        }
        ConsumerGroupHeartbeatResponseData joined = heartbeat(join("regex-limits", "m1", "regex-.*"));
        assertEquals(Errors.NONE.code(), joined.errorCode());
        assertEquals(1, joined.assignment().topicPartitions().size(), "regex-other matched");
    }
}
