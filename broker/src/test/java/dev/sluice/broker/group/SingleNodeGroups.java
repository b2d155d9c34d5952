package dev.sluice.broker.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.SingleNodeMetadata;
import dev.sluice.wire.message.ErrorCode;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

/**
 * A group coordinator on a real single-node controller and real partition logs, with topic
 * {@code t} of two partitions, for tests that go through the coordinator runtime and the log.
 */
final class SingleNodeGroups implements AutoCloseable {
    final SingleNodeMetadata metadata;
    final Partitions partitions;
    final GroupCoordinator coordinator;

    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    /** Offsets are kept {@code retentionMs}, checked every 50 ms; {@code clock} is the coordinator's. */
    SingleNodeGroups(Path dir, String clusterId, long retentionMs, InstantSource clock) throws Exception {
        metadata = SingleNodeMetadata.open(dir.resolve("__cluster_metadata-0"), clusterId, 1,
            new Controller.TopicDefaults(1, (short) 1, true));
        BrokerConfig config = BrokerConfig.parse(Map.of("log.dirs", dir.toString()));
        partitions = new Partitions(dir, 1, new ConfigResolver(config), 2, 86_400_000L);
        partitions.load(metadata.view().image());
        metadata.view().addListener(partitions);
        GroupConfig defaults = GroupConfig.from(config);
        GroupConfig groups = new GroupConfig(3, defaults.offsetsTopicSegmentBytes(), 0, retentionMs, 50,
            defaults.offsetMetadataMaxBytes(), defaults.minSessionTimeoutMs(), defaults.maxSessionTimeoutMs(), 0,
            defaults.maxSize(), true, true, defaults.consumerSessionTimeoutMs(), defaults.consumerHeartbeatIntervalMs(),
            defaults.consumerMaxSize(), defaults.assignors(), 1,
            defaults.migrationPolicy(), defaults.streams());
        coordinator = new GroupCoordinator(groups, metadata.view(), metadata.controller(), partitions, clock);
        metadata.view().addListener(coordinator);
        coordinator.start();
        metadata.controller().createTopics(List.of(new Controller.NewTopic("t", 2, (short) 1, null, Map.of())), false)
            .get();
    }

    static void await(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(10);
        }
    }

    /** Creates {@code __consumer_offsets} if needed and waits until {@code group}'s shard serves. */
    void awaitCoordinator(String group) throws Exception {
        assertEquals(ErrorCode.NONE, coordinator.locate(group).get().error());
        await(() -> coordinator.status(group) == ErrorCode.NONE, "coordinator not loaded");
    }

    /** The offset committed for {@code t}-{@code partition}, -1 for none. */
    long committed(String group, int partition) throws Exception {
        return coordinator.fetchOffsets(group, null, -1, List.of(new GroupCoordinator.PartitionKey("t", partition)), false)
            .get().offsets().get(0).offset();
    }

    @Override
    public void close() {
        coordinator.close();
        metadata.close();
        partitions.close();
    }
}
