package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.message.ErrorCode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
        try (Controller controller = Controller.open(dir, "c", 1, () -> new Controller.TopicDefaults(1, (short) 1, true, 12))) {
            controller.addListener(new MetadataListener() {
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
            assertTrue(controller.image().topic("fast").isPresent());
            assertEquals(ErrorCode.NONE, controller.editConfigs(Controller.TOPIC_RESOURCE, "fast",
                current -> Map.of("retention.ms", "1000"), false).get(10, TimeUnit.SECONDS).error());
            // ...with its name and partitions reserved: taken, and counted against the limit of 12.
            assertEquals(ErrorCode.TOPIC_ALREADY_EXISTS, controller.createTopics(List.of(topic("slow", 1)), false)
                .get(10, TimeUnit.SECONDS).get(0).error());
            assertEquals(ErrorCode.POLICY_VIOLATION, controller.createTopics(List.of(topic("over", 3)), false)
                .get(10, TimeUnit.SECONDS).get(0).error());
            assertFalse(slow.isDone());
            assertTrue(controller.image().topic("slow").isEmpty(), "a topic was published before its partitions exist");

            diskFree.countDown();
            assertEquals(ErrorCode.NONE, slow.get(10, TimeUnit.SECONDS).get(0).error());
            assertEquals(8, controller.image().topic("slow").orElseThrow().partitions().size());
            assertEquals(ErrorCode.NONE, controller.createTopics(List.of(topic("last", 2)), false)
                .get(10, TimeUnit.SECONDS).get(0).error(), "the reservation was not released");
        }
    }
}
