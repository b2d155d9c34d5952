package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The controller on a real journal, with listeners standing in for the disk. */
class ControllerTest {
    @TempDir
    Path dir;

    private static Controller.NewTopic topic(String name, int partitions) {
        return new Controller.NewTopic(name, partitions, (short) 1, null, Map.of());
    }

    @Test
    void topicWhosePartitionsAreSlowToCreateDoesNotHoldUpOtherChanges() throws Exception {
        CountDownLatch diskFree = new CountDownLatch(1);
        CountDownLatch slowStarted = new CountDownLatch(1);
        try (SingleNodeMetadata metadata = SingleNodeMetadata.open(dir, "c", 1,
                new Controller.TopicDefaults(1, (short) 1, true, 12))) {
            Controller controller = metadata.controller();
            metadata.view().addListener(new MetadataListener() {
                @Override
                public void onChange(MetadataImage previous, MetadataImage next) {
                }

                @Override
                public void prepare(MetadataImage image, TopicImage topic, List<PartitionImage> added) {
                    if (topic.name().equals("slow")) {
                        slowStarted.countDown();
                        try {
                            diskFree.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            });
            CompletableFuture<List<Controller.TopicOutcome>> slow = controller.createTopics(List.of(topic("slow", 8)), false);
            assertTrue(slowStarted.await(10, TimeUnit.SECONDS));

            // Other changes go on while the slow topic's partitions are created...
            assertEquals(ErrorCode.NONE, controller.createTopics(List.of(topic("fast", 2)), false)
                .get(10, TimeUnit.SECONDS).get(0).error());
            assertTrue(metadata.view().image().topic("fast").isPresent());
            assertEquals(ErrorCode.NONE, controller.editConfigs(Controller.TOPIC_RESOURCE, "fast",
                current -> Map.of("retention.ms", "1000"), false).get(10, TimeUnit.SECONDS).error());
            // ...with its name and partitions reserved: taken, and counted against the limit of 12.
            assertEquals(ErrorCode.TOPIC_ALREADY_EXISTS, controller.createTopics(List.of(topic("slow", 1)), false)
                .get(10, TimeUnit.SECONDS).get(0).error());
            assertEquals(ErrorCode.POLICY_VIOLATION, controller.createTopics(List.of(topic("over", 3)), false)
                .get(10, TimeUnit.SECONDS).get(0).error());
            assertFalse(slow.isDone());
            assertTrue(metadata.view().image().topic("slow").isEmpty(), "a topic was published before its partitions exist");

            diskFree.countDown();
            assertEquals(ErrorCode.NONE, slow.get(10, TimeUnit.SECONDS).get(0).error());
            assertEquals(8, metadata.view().image().topic("slow").orElseThrow().partitions().size());
            assertEquals(ErrorCode.NONE, controller.createTopics(List.of(topic("last", 2)), false)
                .get(10, TimeUnit.SECONDS).get(0).error(), "the reservation was not released");
        }
    }

    @Test
    void controllerWhoseLogStoppedAnswersEveryChangeNotControllerWithoutPreparingPartitions() throws Exception {
        AtomicReference<FaultyChannel> channel = new AtomicReference<>();
        try (SingleNodeMetadata metadata = SingleNodeMetadata.open(FaultyChannel.journal(dir, channel), "c", 1,
                new Controller.TopicDefaults(1, (short) 1, true))) {
            Controller controller = metadata.controller();
            assertEquals(ErrorCode.NONE, controller.createTopics(List.of(topic("kept", 1)), false)
                .get(10, TimeUnit.SECONDS).get(0).error());
            List<String> prepared = new CopyOnWriteArrayList<>();
            metadata.view().addListener(new MetadataListener() {
                @Override
                public void onChange(MetadataImage previous, MetadataImage next) {
                }

                @Override
                public void prepare(MetadataImage image, TopicImage topic, List<PartitionImage> added) {
                    prepared.add(topic.name());
                }
            });
            channel.get().failWrites = true;
            channel.get().failTruncate = true;
            assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, controller.createTopics(List.of(topic("torn", 1)), false)
                .get(10, TimeUnit.SECONDS).get(0).error());
            assertFalse(metadata.log().isLeader());
            prepared.clear();

            assertEquals(ErrorCode.NOT_CONTROLLER, controller.createTopics(List.of(topic("t", 1)), false)
                .get(10, TimeUnit.SECONDS).get(0).error());
            assertEquals(ErrorCode.NOT_CONTROLLER, controller.createPartitions("kept", 2, null, false)
                .get(10, TimeUnit.SECONDS).error());
            assertEquals(ErrorCode.NOT_CONTROLLER, controller.deleteTopics(List.of("kept"), Arrays.asList((Uuid) null))
                .get(10, TimeUnit.SECONDS).get(0).error());
            assertEquals(ErrorCode.NOT_CONTROLLER, controller.editConfigs(Controller.TOPIC_RESOURCE, "kept",
                current -> Map.of("retention.ms", "1"), false).get(10, TimeUnit.SECONDS).error());
            ExecutionException ids = assertThrows(ExecutionException.class,
                () -> controller.allocateProducerIds(10).get(10, TimeUnit.SECONDS));
            assertEquals(ErrorCode.NOT_CONTROLLER, assertInstanceOf(MetadataLog.AppendFailure.class, ids.getCause()).error());
            assertEquals(List.of(), prepared, "partitions were prepared for changes that cannot be written");
            MetadataImage image = metadata.view().image();
            assertEquals(1, image.topic("kept").orElseThrow().partitions().size());
            assertTrue(image.topic("kept").orElseThrow().configs().isEmpty());
        }
    }
}
