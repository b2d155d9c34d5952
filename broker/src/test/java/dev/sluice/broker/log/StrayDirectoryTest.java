package dev.sluice.broker.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.SingleNodeMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition directory the metadata does not know (here: the metadata is lost) is moved aside at
 * start-up and kept, across further restarts too; it is never deleted.
 */
class StrayDirectoryTest {
    @TempDir
    Path dir;

    private void start(String metadataDir, List<Controller.NewTopic> create) throws Exception {
        try (SingleNodeMetadata metadata = SingleNodeMetadata.open(dir.resolve(metadataDir), "stray-cluster", 1,
            new Controller.TopicDefaults(1, (short) 1, true))) {
            BrokerConfig config = BrokerConfig.parse(Map.of("log.dirs", dir.toString()));
            Partitions partitions = new Partitions(dir, 1, new ConfigResolver(config), 1, 86_400_000L);
            try {
                partitions.load(metadata.view().image());
                metadata.view().addListener(partitions);
                if (!create.isEmpty()) {
                    metadata.controller().createTopics(create, false).get();
                }
            } finally {
                partitions.close();
            }
        }
    }

    private List<Path> strays() throws Exception {
        try (Stream<Path> dirs = Files.list(dir)) {
            return dirs.filter(p -> p.getFileName().toString().endsWith("-stray")).toList();
        }
    }

    @Test
    void partitionDirectoryUnknownToTheMetadataIsMovedAsideAndSurvivesRestarts() throws Exception {
        start("__cluster_metadata-0", List.of(new Controller.NewTopic("kept", 1, (short) 1, null, Map.of())));
        Path partition = dir.resolve("kept-0");
        Files.writeString(partition.resolve("evidence"), "data only an operator can judge");

        // The metadata is gone (a replaced journal): the directory is no longer accounted for.
        start("__cluster_metadata-0-replaced", List.of());
        assertFalse(Files.exists(partition));
        List<Path> strays = strays();
        assertEquals(1, strays.size(), strays.toString());
        assertTrue(strays.get(0).getFileName().toString().startsWith("kept-0."), strays.toString());
        assertEquals("data only an operator can judge", Files.readString(strays.get(0).resolve("evidence")));

        start("__cluster_metadata-0-replaced", List.of());
        assertEquals(strays, strays(), "the stray directory was touched again");
    }
}
