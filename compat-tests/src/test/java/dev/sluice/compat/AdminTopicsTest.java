package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Topic administration with the official Admin client against an embedded broker. */
@SluiceTest
class AdminTopicsTest {
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

    private static Throwable cause(ExecutionException e) {
        return e.getCause();
    }

    @Test
    void createsDescribesGrowsAndDeletesTopics() throws Exception {
        CreateTopicsResult created = admin.createTopics(List.of(new NewTopic("orders", 3, (short) 1),
            new NewTopic("audit", Optional.empty(), Optional.empty()).configs(Map.of("retention.ms", "3600000"))));
        created.all().get();
        assertEquals(3, created.numPartitions("orders").get());
        assertEquals(1, created.replicationFactor("orders").get());
        assertEquals("3600000", created.config("audit").get().get("retention.ms").value());
        Uuid ordersId = created.topicId("orders").get();

        assertTrue(admin.listTopics().names().get().containsAll(Set.of("orders", "audit")));
        TopicDescription orders = admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders");
        assertEquals(ordersId, orders.topicId());
        assertEquals(3, orders.partitions().size());
        assertEquals(broker.nodeId(), orders.partitions().get(2).leader().id());

        TopicDescription byId = admin.describeTopics(TopicCollection.ofTopicIds(List.of(ordersId))).allTopicIds().get()
            .get(ordersId);
        assertEquals("orders", byId.name());

        admin.createPartitions(Map.of("orders", NewPartitions.increaseTo(5))).all().get();
        assertEquals(5, admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders").partitions().size());
        ExecutionException shrink = assertThrows(ExecutionException.class,
            () -> admin.createPartitions(Map.of("orders", NewPartitions.increaseTo(2))).all().get());
        assertInstanceOf(InvalidPartitionsException.class, cause(shrink));

        admin.deleteTopics(List.of("orders")).all().get();
        assertFalse(admin.listTopics().names().get().contains("orders"));
        ExecutionException gone = assertThrows(ExecutionException.class,
            () -> admin.deleteTopics(TopicCollection.ofTopicIds(List.of(ordersId))).all().get());
        assertInstanceOf(UnknownTopicIdException.class, cause(gone));
    }

    @Test
    void rejectsWhatKafkaRejects() {
        ExecutionException invalidName = assertThrows(ExecutionException.class,
            () -> admin.createTopics(List.of(new NewTopic("bad/name", 1, (short) 1))).all().get());
        assertInstanceOf(InvalidTopicException.class, cause(invalidName));

        ExecutionException tooManyReplicas = assertThrows(ExecutionException.class,
            () -> admin.createTopics(List.of(new NewTopic("replicated", 1, (short) 3))).all().get());
        assertInstanceOf(InvalidReplicationFactorException.class, cause(tooManyReplicas));

        ExecutionException badConfig = assertThrows(ExecutionException.class,
            () -> admin.createTopics(List.of(new NewTopic("configured", 1, (short) 1)
                .configs(Map.of("retention.ms", "soon")))).all().get());
        assertInstanceOf(InvalidConfigurationException.class, cause(badConfig));

        ExecutionException unknownConfig = assertThrows(ExecutionException.class,
            () -> admin.createTopics(List.of(new NewTopic("configured", 1, (short) 1)
                .configs(Map.of("no.such.config", "1")))).all().get());
        assertInstanceOf(InvalidConfigurationException.class, cause(unknownConfig));

        ExecutionException missing = assertThrows(ExecutionException.class,
            () -> admin.deleteTopics(List.of("never-created")).all().get());
        assertInstanceOf(UnknownTopicOrPartitionException.class, cause(missing));
    }

    @Test
    void validateOnlyChangesNothingAndDuplicatesAreRefused() throws Exception {
        admin.createTopics(List.of(new NewTopic("dry-run", 2, (short) 1)), new CreateTopicsOptions().validateOnly(true))
            .all().get();
        assertFalse(admin.listTopics().names().get().contains("dry-run"));

        admin.createTopics(List.of(new NewTopic("once", 1, (short) 1))).all().get();
        ExecutionException again = assertThrows(ExecutionException.class,
            () -> admin.createTopics(List.of(new NewTopic("once", 1, (short) 1))).all().get());
        assertInstanceOf(TopicExistsException.class, cause(again));
    }

    @Test
    void describesTheCluster() throws Exception {
        DescribeClusterResult cluster = admin.describeCluster();
        assertEquals(broker.clusterId(), cluster.clusterId().get());
        assertEquals(1, cluster.nodes().get().size());
        assertEquals(broker.port(), cluster.nodes().get().iterator().next().port());
        assertEquals(broker.nodeId(), cluster.controller().get().id());
        assertNotNull(admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions()
            .includeAuthorizedOperations(true)).authorizedOperations().get());
    }
}
