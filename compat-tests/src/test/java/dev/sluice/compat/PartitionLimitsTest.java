package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Partition counts a client may not impose: Kafka's 10,000 partitions per CreateTopics or
 * CreatePartitions, and Sluice's per-broker limit ({@code sluice.max.broker.partitions}, here 40),
 * each answered with POLICY_VIOLATION while the broker goes on serving.
 */
@SluiceTest(config = {"sluice.max.broker.partitions=40", "offsets.topic.num.partitions=1"})
@Timeout(60)
class PartitionLimitsTest {
    static SluiceBroker broker;
    private static Admin admin;

    @BeforeAll
    static void start() {
        admin = KafkaClients.admin(broker);
    }

    @AfterAll
    static void stop() {
        admin.close();
    }

    private static Throwable failure(org.junit.jupiter.api.function.Executable call) {
        return assertThrows(ExecutionException.class, call).getCause();
    }

    @Test
    void createTopicsOfMoreThanTenThousandPartitionsInAllIsRefusedWhole() throws Exception {
        Throwable e = failure(() -> admin.createTopics(List.of(new NewTopic("huge-a", 6_000, (short) 1),
            new NewTopic("huge-b", 6_000, (short) 1))).all().get());
        assertInstanceOf(PolicyViolationException.class, e);
        assertEquals("Excessively large number of partitions per request.", e.getMessage());
        Set<String> names = admin.listTopics().names().get();
        assertFalse(names.contains("huge-a") || names.contains("huge-b"), names.toString());
    }

    @Test
    void createPartitionsToAnEnormousCountIsRefusedAndTheTopicStaysAsItWas() throws Exception {
        admin.createTopics(List.of(new NewTopic("grow", 1, (short) 1))).all().get();
        Throwable e = failure(() -> admin.createPartitions(Map.of("grow", NewPartitions.increaseTo(Integer.MAX_VALUE)))
            .all().get());
        assertInstanceOf(PolicyViolationException.class, e);
        assertEquals("Unable to perform excessively large batch operation.", e.getMessage());
        assertEquals(1, admin.describeTopics(List.of("grow")).allTopicNames().get().get("grow").partitions().size());
    }

    @Test
    void partitionsBeyondTheBrokerLimitAreRefusedWhileSmallerRequestsSucceed() throws Exception {
        admin.createTopics(List.of(new NewTopic("filled", 30, (short) 1))).all().get();
        Throwable tooMany = failure(() -> admin.createTopics(List.of(new NewTopic("overflow", 20, (short) 1))).all().get());
        assertInstanceOf(PolicyViolationException.class, tooMany);
        assertTrue(tooMany.getMessage().contains("sluice.max.broker.partitions"), tooMany.getMessage());
        Throwable grow = failure(() -> admin.createPartitions(Map.of("filled", NewPartitions.increaseTo(45))).all().get());
        assertInstanceOf(PolicyViolationException.class, grow);
        assertFalse(admin.listTopics().names().get().contains("overflow"));
        admin.createTopics(List.of(new NewTopic("fits", 2, (short) 1))).all().get();
        assertEquals(2, admin.describeTopics(List.of("fits")).allTopicNames().get().get("fits").partitions().size());
    }
}
