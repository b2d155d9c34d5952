package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A topic or partition whose directory cannot be created is answered KAFKA_STORAGE_ERROR and
 * leaves nothing behind, in the metadata or on disk; the rest of the request is served. A regular
 * file in the way of a partition directory makes the creation fail for real.
 */
@SluiceTest
class TopicCreationFailureTest {
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

    private static int partitionsOf(String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    }

    @Test
    void topicWhosePartitionCannotBeCreatedFailsAloneAndLeavesNothing() throws Exception {
        Path inTheWay = Files.writeString(broker.dataDir().resolve("blocked-1"), "not a partition");
        CreateTopicsResult result = admin.createTopics(List.of(new NewTopic("blocked", 3, (short) 1),
            new NewTopic("beside-blocked", 1, (short) 1)));
        Throwable e = assertThrows(ExecutionException.class, () -> result.values().get("blocked").get()).getCause();
        assertInstanceOf(KafkaStorageException.class, e);
        result.values().get("beside-blocked").get();
        assertFalse(admin.listTopics().names().get().contains("blocked"));
        assertFalse(Files.exists(broker.dataDir().resolve("blocked-0")), "a partition of the failed topic stayed");
        assertFalse(Files.exists(broker.dataDir().resolve("blocked-2")), "a partition of the failed topic stayed");
        assertEquals("not a partition", Files.readString(inTheWay));

        Files.delete(inTheWay);
        admin.createTopics(List.of(new NewTopic("blocked", 3, (short) 1))).all().get();
        assertEquals(3, partitionsOf("blocked"));
        assertTrue(Files.isDirectory(broker.dataDir().resolve("blocked-1")));
    }

    @Test
    void partitionsThatCannotBeCreatedLeaveTheTopicAsItWas() throws Exception {
        admin.createTopics(List.of(new NewTopic("stunted", 1, (short) 1))).all().get();
        Path inTheWay = Files.writeString(broker.dataDir().resolve("stunted-2"), "not a partition");
        Throwable e = assertThrows(ExecutionException.class,
            () -> admin.createPartitions(Map.of("stunted", NewPartitions.increaseTo(3))).all().get()).getCause();
        assertInstanceOf(KafkaStorageException.class, e);
        assertEquals(1, partitionsOf("stunted"));
        assertFalse(Files.exists(broker.dataDir().resolve("stunted-1")), "a partition of the failed change stayed");

        Files.delete(inTheWay);
        admin.createPartitions(Map.of("stunted", NewPartitions.increaseTo(3))).all().get();
        assertEquals(3, partitionsOf("stunted"));
    }
}
