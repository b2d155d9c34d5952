package dev.sluice.broker.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.message.ErrorCode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code offsets.retention.minutes}: the committed offsets of a group without members go once the
 * retention has passed, with the group itself; those of a group with members stay. Runs a real
 * controller, partition logs and coordinator on a clock the test moves.
 */
class OffsetExpiryTest {
    private static final long RETENTION_MS = 60_000;

    @TempDir
    Path dir;
    private final AtomicLong now = new AtomicLong(1_000_000);
    private SingleNodeGroups groups;
    private GroupCoordinator coordinator;

    @BeforeEach
    void start() throws Exception {
        groups = new SingleNodeGroups(dir, "expiry-cluster", RETENTION_MS, () -> Instant.ofEpochMilli(now.get()));
        coordinator = groups.coordinator;
    }

    @AfterEach
    void stop() {
        groups.close();
    }

    private static void await(SingleNodeGroups.Condition condition, String what) throws Exception {
        SingleNodeGroups.await(condition, what);
    }

    private void awaitCoordinator(String group) throws Exception {
        groups.awaitCoordinator(group);
    }

    private long committed(String group, int partition) throws Exception {
        return groups.committed(group, partition);
    }

    /** A group id whose offsets live on the same coordinator shard as {@code group}'s. */
    private String sameShardAs(String group) {
        for (int i = 0; ; i++) {
            if (coordinator.partitionFor("marker-" + i) == coordinator.partitionFor(group)) {
                return "marker-" + i;
            }
        }
    }

    private boolean listed(String group) throws Exception {
        return coordinator.listGroups(java.util.Set.of(), java.util.Set.of()).get().getValue().stream()
            .anyMatch(g -> g.groupId().equals(group));
    }

    @Test
    void offsetsOfAGroupWithoutMembersExpireAfterTheRetentionAndTheGroupGoesWithThem() throws Exception {
        awaitCoordinator("simple");
        List<ErrorCode> errors = coordinator.commitOffsets("simple", "", null, -1, (short) 9, -1, List.of(
            new GroupCoordinator.OffsetToCommit("t", 0, 5, -1, ""),
            new GroupCoordinator.OffsetToCommit("t", 1, 7, -1, "meta"))).get();
        assertEquals(List.of(ErrorCode.NONE, ErrorCode.NONE), errors);
        assertEquals(5, committed("simple", 0));
        assertTrue(listed("simple"));

        // A marker on the same shard that expires a quarter of the retention in: once an expiry
        // pass has removed it at half the retention, that same pass has kept the group's offsets.
        String marker = sameShardAs("simple");
        assertEquals(List.of(ErrorCode.NONE), coordinator.commitOffsets(marker, "", null, -1, (short) 2,
            RETENTION_MS / 4, List.of(new GroupCoordinator.OffsetToCommit("t", 0, 1, -1, ""))).get());
        now.addAndGet(RETENTION_MS / 2);
        await(() -> committed(marker, 0) == -1, "the marker did not expire");
        assertEquals(5, committed("simple", 0), "not expired before the retention has passed");

        now.addAndGet(RETENTION_MS);
        await(() -> committed("simple", 0) == -1 && committed("simple", 1) == -1, "offsets did not expire");
        await(() -> !listed("simple"), "the emptied group was not removed");
    }

    @Test
    void anOffsetCommittedWithARetentionTimeExpiresAtItsOwnTime() throws Exception {
        awaitCoordinator("old-client");
        assertEquals(List.of(ErrorCode.NONE), coordinator.commitOffsets("old-client", "", null, -1, (short) 2, 1_000,
            List.of(new GroupCoordinator.OffsetToCommit("t", 0, 3, -1, ""))).get());
        now.addAndGet(2_000);
        await(() -> committed("old-client", 0) == -1, "the offset did not expire at its own expiry time");
    }
}
