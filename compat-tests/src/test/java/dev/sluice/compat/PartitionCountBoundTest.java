package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.message.CreatePartitionsRequest;
import dev.sluice.wire.message.CreatePartitionsResponse;
import dev.sluice.wire.message.CreateTopicsRequest;
import dev.sluice.wire.message.CreateTopicsResponse;
import dev.sluice.wire.message.MetadataRequest;
import dev.sluice.wire.message.MetadataResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One request must not be able to ask for an unbounded number of partitions. Kafka's controller
 * refuses a user operation that would write more than 10,000 metadata records with
 * POLICY_VIOLATION ("Unable to perform excessively large batch operation"). Without such a bound a
 * single CreatePartitions whose count lies (one flipped bit is enough) either runs the broker out
 * of heap or keeps the controller busy opening partition logs for minutes, during which Metadata
 * that must create a topic goes unanswered, until the open files end in "Too many open files" on
 * accept() and no new connection is served at all.
 */
class PartitionCountBoundTest {
    private static final short POLICY_VIOLATION = 44;

    @TempDir
    Path dataDir;

    private static void createSmallTopic(RawConnection client) throws Exception {
        CreateTopicsResponse created = client.roundTrip(new CreateTopicsRequest().setTimeoutMs(5_000).setTopics(List.of(
            new CreateTopicsRequest.CreatableTopic().setName("small").setNumPartitions(1).setReplicationFactor((short) 1))),
            5, CreateTopicsResponse.class);
        assertEquals(0, created.topics().iterator().next().errorCode());
    }

    @Test
    void createPartitionsForTensOfThousandsIsAPolicyViolationAndMetadataStaysPrompt() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(dataDir, BrokerProcess.freePort());
             RawConnection client = new RawConnection(broker.port())) {
            createSmallTopic(client);
            CreatePartitionsResponse response = client.roundTrip(new CreatePartitionsRequest().setTimeoutMs(5_000)
                .setTopics(List.of(new CreatePartitionsRequest.CreatePartitionsTopic().setName("small")
                    .setAssignments(null).setCount(60_000))), 1, CreatePartitionsResponse.class);
            assertEquals(POLICY_VIOLATION, response.results().get(0).errorCode());

            // As a producer's first send to a new topic asks, on a new connection.
            long start = System.nanoTime();
            try (RawConnection fresh = new RawConnection(broker.port())) {
                MetadataResponse metadata = fresh.roundTrip(new MetadataRequest().setAllowAutoTopicCreation(true)
                    .setTopics(List.of(new MetadataRequest.MetadataRequestTopic().setName("created-after"))), 12,
                    MetadataResponse.class);
                assertEquals(0, metadata.topics().get(0).errorCode());
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 3_000, "Metadata creating a topic took " + ms + " ms");
            MetadataResponse small = client.roundTrip(new MetadataRequest().setTopics(List.of(
                new MetadataRequest.MetadataRequestTopic().setName("small"))), 12, MetadataResponse.class);
            assertEquals(1, small.topics().get(0).partitions().size(), "the refused request added nothing");
        }
    }

    @Test
    void createTopicsOrPartitionsForTwoBillionIsAPolicyViolationWithoutRunningOutOfMemory() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(dataDir, BrokerProcess.freePort());
             RawConnection client = new RawConnection(broker.port())) {
            createSmallTopic(client);
            CreatePartitionsResponse grown = client.roundTrip(new CreatePartitionsRequest().setTimeoutMs(5_000)
                .setTopics(List.of(new CreatePartitionsRequest.CreatePartitionsTopic().setName("small")
                    .setAssignments(null).setCount(Integer.MAX_VALUE))), 1, CreatePartitionsResponse.class);
            assertEquals(POLICY_VIOLATION, grown.results().get(0).errorCode());
            CreateTopicsResponse created = client.roundTrip(new CreateTopicsRequest().setTimeoutMs(5_000).setTopics(List.of(
                new CreateTopicsRequest.CreatableTopic().setName("huge").setNumPartitions(Integer.MAX_VALUE)
                    .setReplicationFactor((short) 1))), 5, CreateTopicsResponse.class);
            assertEquals(POLICY_VIOLATION, created.topics().iterator().next().errorCode());
            assertTrue(ProtocolFuzzTest.stackTraces(broker.output()).isEmpty(), broker.output());
        }
    }
}
