package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.message.CreatePartitionsRequest;
import dev.sluice.wire.message.CreateTopicsRequest;
import dev.sluice.wire.message.CreateTopicsResponse;
import dev.sluice.wire.message.MetadataRequest;
import dev.sluice.wire.message.MetadataResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata that asks for a topic to be created (what a producer's first send to a new topic does)
 * must be answered promptly even while the controller works through a large change: a
 * CreatePartitions of 9,000 partitions (within Kafka's 10,000-record bound for one operation) keeps
 * the controller busy for many seconds here. The answer is the new topic, or LEADER_NOT_AVAILABLE
 * while it is being created, as Kafka answers; never silence.
 */
class MetadataWhileControllerBusyTest {
    private static final short NONE = 0;
    private static final short LEADER_NOT_AVAILABLE = 5;

    @Test
    void metadataCreatingATopicIsAnsweredPromptlyWhileTheControllerIsBusy(@TempDir Path dataDir) throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(dataDir, BrokerProcess.freePort());
             RawConnection admin = new RawConnection(broker.port())) {
            CreateTopicsResponse created = admin.roundTrip(new CreateTopicsRequest().setTimeoutMs(5_000).setTopics(List.of(
                new CreateTopicsRequest.CreatableTopic().setName("growing").setNumPartitions(1)
                    .setReplicationFactor((short) 1))), 5, CreateTopicsResponse.class);
            assertTrue(created.topics().iterator().next().errorCode() == NONE);
            // Not waited for: its answer comes once every new partition's log is open.
            admin.send(new CreatePartitionsRequest().setTimeoutMs(60_000).setTopics(List.of(
                new CreatePartitionsRequest.CreatePartitionsTopic().setName("growing").setAssignments(null)
                    .setCount(9_000))), 1);

            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                try (RawConnection producer = new RawConnection(broker.port())) {
                    MetadataResponse response = producer.roundTrip(new MetadataRequest().setAllowAutoTopicCreation(true)
                        .setTopics(List.of(new MetadataRequest.MetadataRequestTopic().setName("new-topic-" + i))), 12,
                        MetadataResponse.class);
                    short error = response.topics().get(0).errorCode();
                    assertTrue(Set.of(NONE, LEADER_NOT_AVAILABLE).contains(error), "error " + error);
                }
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(ms < 3_000, "Metadata creating a topic was answered after " + ms + " ms");
            }
        }
    }
}
