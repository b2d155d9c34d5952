package dev.sluice.broker.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.SingleNodeMetadata;
import dev.sluice.wire.message.StreamsGroupHeartbeatRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A streams topology against real metadata: missing topics, derived partition counts, topics to create. */
class StreamsTopologyTest {
    @TempDir
    Path dir;

    private static StreamsGroupHeartbeatRequest.TopicInfo info(String name, int partitions) {
        return new StreamsGroupHeartbeatRequest.TopicInfo().setName(name).setPartitions(partitions)
            .setReplicationFactor((short) -1).setTopicConfigs(List.of(
                new StreamsGroupHeartbeatRequest.KeyValue().setKey("cleanup.policy").setValue("compact")));
    }

    /** Word count: subtopology 0 reads the input and writes the repartition topic; 1 reads it and has a changelog. */
    private static StreamsGroupHeartbeatRequest.Topology wordCount() {
        return new StreamsGroupHeartbeatRequest.Topology().setEpoch(0).setSubtopologies(List.of(
            new StreamsGroupHeartbeatRequest.Subtopology().setSubtopologyId("0").setSourceTopics(List.of("in"))
                .setRepartitionSinkTopics(List.of("app-repartition")),
            new StreamsGroupHeartbeatRequest.Subtopology().setSubtopologyId("1")
                .setRepartitionSourceTopics(List.of(info("app-repartition", 0)))
                .setStateChangelogTopics(List.of(info("app-changelog", 0)))));
    }

    @Test
    void internalTopicsTakeTheInputsPartitionCountAndAreCreatedWhenMissing() throws Exception {
        Controller.TopicDefaults defaults = new Controller.TopicDefaults(1, (short) 1, true, 100);
        try (SingleNodeMetadata metadata = SingleNodeMetadata.open(dir, "c", 1, defaults)) {
            StreamsTopology.Configured missing = StreamsTopology.configure(wordCount(), metadata.view().image());
            assertFalse(missing.ready());
            assertEquals(1, missing.statuses().get(0).code(), "source topic missing: " + missing.statuses());

            metadata.controller().createTopics(List.of(new Controller.NewTopic("in", 4, (short) 1, null, Map.of())),
                false).get();
            StreamsTopology.Configured toCreate = StreamsTopology.configure(wordCount(), metadata.view().image());
            assertFalse(toCreate.ready());
            assertEquals(3, toCreate.statuses().get(0).code(), toCreate.statuses().toString());
            assertEquals(Map.of("0", 4, "1", 4), toCreate.tasks());
            assertEquals(2, toCreate.topicsToCreate().size());
            toCreate.topicsToCreate().forEach(t -> {
                assertEquals(4, t.numPartitions(), t.toString());
                assertEquals("compact", t.configs().get("cleanup.policy"));
            });

            metadata.controller().createTopics(List.of(new Controller.NewTopic("app-repartition", 4, (short) 1, null,
                Map.of()), new Controller.NewTopic("app-changelog", 2, (short) 1, null, Map.of())), false).get();
            StreamsTopology.Configured wrong = StreamsTopology.configure(wordCount(), metadata.view().image());
            assertFalse(wrong.ready());
            assertEquals(2, wrong.statuses().get(0).code(), "a changelog with the wrong count: " + wrong.statuses());
            assertTrue(wrong.statuses().get(0).detail().contains("app-changelog"));
        }
    }

    @Test
    void aRepartitionTopicNobodyWritesIsAnInvalidTopology() {
        StreamsGroupHeartbeatRequest.Topology orphan = new StreamsGroupHeartbeatRequest.Topology().setEpoch(0)
            .setSubtopologies(List.of(new StreamsGroupHeartbeatRequest.Subtopology().setSubtopologyId("0")
                .setRepartitionSourceTopics(List.of(info("nobody-writes-me", 0)))));
        StreamsTopology.Configured c = StreamsTopology.configure(orphan,
            dev.sluice.broker.metadata.MetadataImage.empty("c"));
        assertNotNull(c.error());
    }
}
