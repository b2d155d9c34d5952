package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata journal on real files: write failures leave nothing torn and nothing is ever
 * appended behind damage; damage in the middle stops start-up instead of losing what follows it;
 * a torn tail is still cut off.
 */
class MetadataJournalTest {
    @TempDir
    Path dir;

    private static List<Message> topic(String name) {
        return List.of(new TopicRecord().setName(name).setTopicId(Controller.randomId()));
    }

    private static List<String> names(List<List<Message>> changes) {
        return changes.stream().map(c -> ((TopicRecord) c.get(0)).name()).toList();
    }

    private Path file() {
        return dir.resolve(MetadataJournal.FILE_NAME);
    }

    private MetadataJournal faulty(AtomicReference<FaultyChannel> channel) throws IOException {
        return FaultyChannel.journal(dir, channel);
    }

    @Test
    void failedAppendIsCutBackAndTheNextChangeFollowsTheLastGoodOne() throws Exception {
        AtomicReference<FaultyChannel> channel = new AtomicReference<>();
        try (MetadataJournal journal = faulty(channel)) {
            journal.replay();
            journal.append(topic("a"));
            long good = Files.size(file());
            channel.get().failWrites = true;
            MetadataJournal.AppendFailedException failure =
                assertThrows(MetadataJournal.AppendFailedException.class, () -> journal.append(topic("lost")));
            assertFalse(failure.refused());
            assertFalse(journal.stopped());
            assertEquals(good, Files.size(file()), "torn bytes of the failed change remain in the file");
            channel.get().failWrites = false;
            journal.append(topic("b"));
        }
        try (MetadataJournal reopened = MetadataJournal.open(dir)) {
            assertEquals(List.of("a", "b"), names(reopened.replay()));
        }
    }

    @Test
    void journalThatCannotBeCutBackRefusesEveryLaterChangeAndRestartsWithTheGoodOnes() throws Exception {
        AtomicReference<FaultyChannel> channel = new AtomicReference<>();
        try (MetadataJournal journal = faulty(channel)) {
            journal.replay();
            journal.append(topic("a"));
            channel.get().failWrites = true;
            channel.get().failTruncate = true;
            assertFalse(assertThrows(MetadataJournal.AppendFailedException.class,
                () -> journal.append(topic("torn"))).refused());
            assertTrue(journal.stopped());
            byte[] damaged = Files.readAllBytes(file());
            // The disk recovers, but nothing may be written behind the torn bytes.
            channel.get().failWrites = false;
            channel.get().failTruncate = false;
            assertTrue(assertThrows(MetadataJournal.AppendFailedException.class,
                () -> journal.append(topic("after"))).refused());
            assertArrayEquals(damaged, Files.readAllBytes(file()));
        }
        try (MetadataJournal reopened = MetadataJournal.open(dir)) {
            assertEquals(List.of("a"), names(reopened.replay()));
        }
    }

    @Test
    void damageFollowedByValidChangesStopsReplayNamingFileAndOffset() throws Exception {
        long second;
        try (MetadataJournal journal = MetadataJournal.open(dir)) {
            journal.replay();
            journal.append(topic("a"));
            second = Files.size(file());
            journal.append(topic("b"));
            journal.append(topic("c"));
        }
        byte[] bytes = Files.readAllBytes(file());
        bytes[(int) second + 12] ^= 0x5a;
        Files.write(file(), bytes);
        try (MetadataJournal reopened = MetadataJournal.open(dir)) {
            MetadataJournal.CorruptJournalException e =
                assertThrows(MetadataJournal.CorruptJournalException.class, reopened::replay);
            assertTrue(e.getMessage().contains(file().toString()), e.getMessage());
            assertTrue(e.getMessage().contains("byte offset " + second), e.getMessage());
        }
        assertArrayEquals(bytes, Files.readAllBytes(file()), "the damaged journal was changed");
    }

    @Test
    void brokerRefusesToStartOnAJournalDamagedInTheMiddleAndKeepsItsTopics() throws Exception {
        Path data = dir.resolve("data");
        Path journal = data.resolve("__cluster_metadata-0").resolve(MetadataJournal.FILE_NAME);
        long firstTopic;
        dev.sluice.broker.SluiceBroker.builder().dataDir(data).start().close();
        try (SingleNodeMetadata metadata = SingleNodeMetadata.open(journal.getParent(), "c", 1,
                new Controller.TopicDefaults(1, (short) 1, true))) {
            dev.sluice.broker.log.Partitions partitions = new dev.sluice.broker.log.Partitions(data, 1,
                new dev.sluice.broker.config.ConfigResolver(dev.sluice.broker.config.BrokerConfig.parse(
                    Map.of("log.dirs", data.toString()))), 1, 86_400_000L);
            partitions.load(metadata.view().image());
            metadata.view().addListener(partitions);
            firstTopic = Files.size(journal);
            for (String name : List.of("first", "second", "third")) {
                metadata.controller().createTopics(List.of(new Controller.NewTopic(name, 1, (short) 1, null, Map.of())), false).get();
            }
            partitions.close();
        }
        byte[] bytes = Files.readAllBytes(journal);
        bytes[(int) firstTopic + 9] ^= 0x01;
        Files.write(journal, bytes);
        RuntimeException refused = assertThrows(RuntimeException.class,
            () -> dev.sluice.broker.SluiceBroker.builder().dataDir(data).start().close());
        assertTrue(refused.getMessage().contains(journal.toString()), refused.getMessage());
        assertTrue(refused.getMessage().contains("byte offset " + firstTopic), refused.getMessage());
        for (String name : List.of("first", "second", "third")) {
            assertTrue(Files.isDirectory(data.resolve(name + "-0")), name + "-0 was removed");
        }
    }

    @Test
    void tornTailIsTruncated() throws Exception {
        long good;
        try (MetadataJournal journal = MetadataJournal.open(dir)) {
            journal.replay();
            journal.append(topic("a"));
            journal.append(topic("b"));
            good = Files.size(file());
        }
        byte[] bytes = Files.readAllBytes(file());
        byte[] torn = java.util.Arrays.copyOf(bytes, bytes.length + 11);
        System.arraycopy(bytes, 0, torn, bytes.length, 11);
        Files.write(file(), torn);
        try (MetadataJournal reopened = MetadataJournal.open(dir)) {
            assertEquals(List.of("a", "b"), names(reopened.replay()));
        }
        assertEquals(good, Files.size(file()));
    }

    @Test
    void controllerAnswersStorageErrorThenNotControllerAndKeepsItsImage() throws Exception {
        AtomicReference<FaultyChannel> channel = new AtomicReference<>();
        Controller.TopicDefaults defaults = new Controller.TopicDefaults(1, (short) 1, true);
        try (SingleNodeMetadata metadata = SingleNodeMetadata.open(faulty(channel), "c", 1, defaults)) {
            Controller controller = metadata.controller();
            channel.get().failWrites = true;
            Controller.TopicOutcome failed = controller.createTopics(
                List.of(new Controller.NewTopic("t", 1, (short) 1, null, Map.of())), false).get().get(0);
            assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, failed.error());
            assertTrue(metadata.view().image().topic("t").isEmpty(), "an unwritten topic is in the image");
            channel.get().failTruncate = true;
            assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, controller.createTopics(
                List.of(new Controller.NewTopic("u", 1, (short) 1, null, Map.of())), false).get().get(0).error());
            channel.get().failWrites = false;
            channel.get().failTruncate = false;
            assertEquals(ErrorCode.NOT_CONTROLLER, controller.createTopics(
                List.of(new Controller.NewTopic("v", 1, (short) 1, null, Map.of())), false).get().get(0).error());
            assertTrue(metadata.view().image().topics().isEmpty());
        }
    }
}
