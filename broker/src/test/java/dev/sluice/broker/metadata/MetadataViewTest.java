package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.metadata.records.ConfigRecord;
import dev.sluice.broker.metadata.records.PartitionRecord;
import dev.sluice.broker.metadata.records.ProducerIdsRecord;
import dev.sluice.broker.metadata.records.RemoveTopicRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The view as its log's applier: what it publishes, what its listeners see, and its snapshots. */
class MetadataViewTest {
    private static final Uuid ORDERS = Controller.randomId();
    private static final Uuid GONE = Controller.randomId();

    private static List<Message> topic(String name, Uuid id, int partitions) {
        List<Message> records = new ArrayList<>();
        records.add(new TopicRecord().setName(name).setTopicId(id));
        for (int p = 0; p < partitions; p++) {
            records.add(new PartitionRecord().setTopicId(id).setPartitionId(p).setReplicas(new ArrayList<>(List.of(1)))
                .setIsr(new ArrayList<>(List.of(1))).setLeader(1).setLeaderEpoch(p).setPartitionEpoch(0));
        }
        return records;
    }

    private static MetadataView populated() {
        MetadataView view = new MetadataView("c");
        view.load(List.of(), -1);
        view.apply(topic("orders", ORDERS, 3), 0);
        view.apply(topic("gone", GONE, 1), 1);
        view.apply(List.of(new ConfigRecord().setResourceType(Controller.TOPIC_RESOURCE).setResourceName("orders")
            .setName("retention.ms").setValue("1000"), new ConfigRecord().setResourceType(Controller.BROKER_RESOURCE)
            .setResourceName("").setName("log.retention.ms").setValue("5000")), 2);
        view.apply(List.of(new RemoveTopicRecord().setTopicId(GONE), new ProducerIdsRecord().setNextProducerId(2000)), 3);
        return view;
    }

    @Test
    void listenersSeeEveryBatchInOrderWithTheNewImageAlreadyPublished() {
        MetadataView view = new MetadataView("c");
        List<String> seen = new ArrayList<>();
        view.addListener((previous, next) -> {
            assertSame(next, view.image(), "a listener ran before the image was published");
            seen.add("first " + previous.topics().size() + "->" + next.topics().size());
        });
        view.addListener((previous, next) -> seen.add("second " + next.topics().size()));
        view.apply(topic("a", Controller.randomId(), 1), 0);
        view.apply(topic("b", Controller.randomId(), 1), 1);
        assertEquals(List.of("first 0->1", "second 1", "first 1->2", "second 2"), seen);
        assertEquals(1, view.appliedOffset());
    }

    @Test
    void listenerThatThrowsDoesNotKeepTheOthersFromTheChange() {
        MetadataView view = new MetadataView("c");
        List<Integer> seen = new ArrayList<>();
        view.addListener((previous, next) -> {
            throw new IllegalStateException("listener failure expected by the test");
        });
        view.addListener((previous, next) -> seen.add(next.topics().size()));
        view.apply(topic("a", Controller.randomId(), 1), 0);
        assertEquals(List.of(1), seen);
        assertTrue(view.image().topic("a").isPresent());
    }

    @Test
    void snapshotLoadedIntoAnotherViewRebuildsTheImageAndVersionsNeverGoBack() {
        MetadataView view = populated();
        MetadataImage image = view.image();
        assertTrue(image.topic("gone").isEmpty());

        MetadataView other = populated();
        other.apply(topic("later", Controller.randomId(), 2), 4);
        long before = other.image().version();
        other.load(view.snapshot(), 3);
        MetadataImage loaded = other.image();
        assertEquals(image.topicsByName(), loaded.topicsByName());
        assertEquals(image.topicsById(), loaded.topicsById());
        assertEquals(Map.of("", Map.of("log.retention.ms", "5000")), loaded.brokerConfigs());
        assertEquals(2000, loaded.nextProducerId());
        assertEquals(Map.of("retention.ms", "1000"), loaded.topic("orders").orElseThrow().configs());
        assertEquals(3, loaded.topic(ORDERS).orElseThrow().partitions().size());
        assertTrue(loaded.version() > before, "the version went back from " + before + " to " + loaded.version());
        assertEquals(3, other.appliedOffset());
    }
}
