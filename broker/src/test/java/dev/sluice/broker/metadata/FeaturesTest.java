package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.message.ErrorCode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Feature levels: the rules for changing them, and their life in the metadata log. */
class FeaturesTest {
    @TempDir
    Path dir;

    private static final MetadataImage NEW_CLUSTER = MetadataImage.empty("c");

    private static ErrorCode check(String name, int level, byte type) {
        return Features.check(NEW_CLUSTER, name, (short) level, type).map(Features.Refusal::error).orElse(ErrorCode.NONE);
    }

    @Test
    void aNewClusterHasTheDefaultsAndListsTheFeaturesAboveZero() {
        assertEquals(2, Features.finalizedLevel(NEW_CLUSTER, Features.TRANSACTION_VERSION));
        assertEquals(1, Features.finalizedLevel(NEW_CLUSTER, Features.GROUP_VERSION));
        assertEquals(33, Features.finalizedLevel(NEW_CLUSTER, Features.METADATA_VERSION));
        assertEquals(0, Features.finalizedLevel(NEW_CLUSTER, "no.such.feature"));
        Map<String, Short> finalized = Features.finalized(NEW_CLUSTER);
        assertEquals(1, Features.finalizedLevel(NEW_CLUSTER, Features.SHARE_VERSION));
        assertEquals(1, Features.finalizedLevel(NEW_CLUSTER, Features.STREAMS_VERSION));
        assertEquals(Map.of(Features.METADATA_VERSION, (short) 33, Features.TRANSACTION_VERSION, (short) 2,
            Features.GROUP_VERSION, (short) 1, Features.SHARE_VERSION, (short) 1, Features.STREAMS_VERSION, (short) 1),
            finalized);
    }

    @Test
    void changesFollowKafkasRules() {
        assertEquals(ErrorCode.NONE, check(Features.GROUP_VERSION, 0, Features.SAFE_DOWNGRADE));
        assertEquals(ErrorCode.NONE, check(Features.TRANSACTION_VERSION, 1, Features.UNSAFE_DOWNGRADE));
        assertEquals(ErrorCode.NONE, check(Features.GROUP_VERSION, 1, Features.UPGRADE), "the same level is no change");
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION, check(Features.GROUP_VERSION, 0, Features.UPGRADE),
            "a lower level needs a downgrade type");
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION, check(Features.TRANSACTION_VERSION, 3, Features.UPGRADE),
            "above what the brokers support");
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION, check(Features.SHARE_VERSION, 2, Features.UPGRADE),
            "share groups' dead-letter topics are not served");
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION, check(Features.STREAMS_VERSION, 2, Features.UPGRADE),
            "no streams.version 2 exists");
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION, check("no.such.feature", 1, Features.UPGRADE));
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION, check(Features.METADATA_VERSION, 30, Features.SAFE_DOWNGRADE));
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION, check(Features.METADATA_VERSION, 0, Features.UNSAFE_DOWNGRADE));
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION, check(Features.GROUP_VERSION, 0, (byte) 0), "no such type");
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION, check(Features.GROUP_VERSION, -1, Features.UNSAFE_DOWNGRADE));
    }

    @Test
    void finalizedLevelsAreWrittenAllOrNoneAndOutliveARestart() throws Exception {
        Controller.TopicDefaults defaults = new Controller.TopicDefaults(1, (short) 1, true, 12);
        try (SingleNodeMetadata metadata = SingleNodeMetadata.open(dir, "c", 1, defaults)) {
            Map<String, Controller.FeatureChange> mixed = new LinkedHashMap<>();
            mixed.put(Features.GROUP_VERSION, new Controller.FeatureChange((short) 0, Features.SAFE_DOWNGRADE));
            mixed.put(Features.SHARE_VERSION, new Controller.FeatureChange((short) 2, Features.UPGRADE));
            Controller.AclOutcome refused = metadata.controller().updateFeatures(mixed, false).get();
            assertEquals(ErrorCode.INVALID_UPDATE_VERSION, refused.error());
            assertTrue(refused.message().contains("share.version"), refused.message());
            assertEquals(1, Features.finalizedLevel(metadata.view().image(), Features.GROUP_VERSION), "none written");

            Map<String, Controller.FeatureChange> down = Map.of(Features.GROUP_VERSION,
                new Controller.FeatureChange((short) 0, Features.SAFE_DOWNGRADE));
            assertEquals(ErrorCode.NONE, metadata.controller().updateFeatures(down, true).get().error());
            assertEquals(1, Features.finalizedLevel(metadata.view().image(), Features.GROUP_VERSION), "validate only");
            assertEquals(ErrorCode.NONE, metadata.controller().updateFeatures(down, false).get().error());
            assertEquals(0, Features.finalizedLevel(metadata.view().image(), Features.GROUP_VERSION));
            assertFalse(Features.finalized(metadata.view().image()).containsKey(Features.GROUP_VERSION));
            assertTrue(MetadataView.snapshot(metadata.view().image()).stream()
                .anyMatch(r -> r instanceof dev.sluice.broker.metadata.records.FeatureLevelRecord), "in snapshots too");
        }
        try (SingleNodeMetadata reopened = SingleNodeMetadata.open(dir, "c", 1, defaults)) {
            assertEquals(0, Features.finalizedLevel(reopened.view().image(), Features.GROUP_VERSION));
            assertEquals(2, Features.finalizedLevel(reopened.view().image(), Features.TRANSACTION_VERSION));
        }
    }
}
