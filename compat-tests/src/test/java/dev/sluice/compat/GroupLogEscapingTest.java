package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Group and member ids are client input: one with a line break and a terminal escape must come
 * out in the broker's log as one line with the escapes visible, not as a forged second line.
 */
@SluiceTest(config = {"offsets.topic.num.partitions=1"})
class GroupLogEscapingTest {
    static SluiceBroker broker;

    @Test
    void aGroupIdWithALineBreakAndAnsiEscapeIsLoggedOnOneLineWithVisibleEscapes() throws Exception {
        String groupId = "evil\n2026-12-02 00:00:00.000 ERROR [main] Broker - forged\u001b[31m";
        String memberId = "member\r\u001b[2K";
        Logger logger = (Logger) LoggerFactory.getLogger("dev.sluice.broker.group.ConsumerGroup");
        Level level = logger.getLevel();
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        try (RawKafkaConnection connection = new RawKafkaConnection("localhost", broker.port())) {
            connection.send(ApiKeys.FIND_COORDINATOR, 4, new FindCoordinatorRequestData().setKeyType((byte) 0)
                .setCoordinatorKeys(List.of(groupId)));
            ConsumerGroupHeartbeatResponseData joined = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
                new ConsumerGroupHeartbeatRequestData().setGroupId(groupId).setMemberId(memberId).setMemberEpoch(0)
                    .setRebalanceTimeoutMs(10_000).setTopicPartitions(List.of()).setSubscribedTopicNames(List.of("t")));
            assertEquals(Errors.NONE.code(), joined.errorCode());
            ConsumerGroupHeartbeatResponseData left = connection.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 1,
                new ConsumerGroupHeartbeatRequestData().setGroupId(groupId).setMemberId(memberId).setMemberEpoch(-1));
            assertEquals(Errors.NONE.code(), left.errorCode());
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(level);
        }
        List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
            .filter(m -> m.contains("left")).toList();
        assertEquals(1, lines.size(), lines.toString());
        String line = lines.get(0);
        assertFalse(line.contains("\n") || line.contains("\r") || line.contains("\u001b"), line);
        assertTrue(line.contains("evil\\n2026-12-02 00:00:00.000 ERROR [main] Broker - forged\\u001b[31m"), line);
        assertTrue(line.contains("member\\r\\u001b[2K"), line);
    }
}
