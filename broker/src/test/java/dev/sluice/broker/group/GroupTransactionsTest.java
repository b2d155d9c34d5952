package dev.sluice.broker.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.group.GroupCoordinator.OffsetToCommit;
import dev.sluice.broker.group.GroupCoordinator.PartitionKey;
import dev.sluice.broker.log.Partition;
import dev.sluice.wire.message.ErrorCode;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group coordinator's half of transactions through the runtime and real partition logs:
 * TxnOffsetCommit, {@link GroupCoordinator#completeTransaction} (the WriteTxnMarkers entry point)
 * and require_stable. The cases that need the partition to take the coordinator's transactional
 * batches and markers are skipped while {@link Partition} still has its placeholders.
 */
class GroupTransactionsTest {
    private static final String GROUP = "txn-group";
    /** Below the ids a partition takes without InitProducerId having handed them out. */
    private static final long PRODUCER = 42;
    private static final short EPOCH = 0;

    @TempDir
    Path dir;
    private SingleNodeGroups groups;
    private GroupCoordinator coordinator;

    @BeforeEach
    void start() throws Exception {
        groups = new SingleNodeGroups(dir, "txn-cluster", 86_400_000L, InstantSource.system());
        coordinator = groups.coordinator;
        groups.awaitCoordinator(GROUP);
    }

    @AfterEach
    void stop() {
        groups.close();
    }

    private List<ErrorCode> txnCommit(long producerId, int partition, long offset) throws Exception {
        return coordinator.commitTransactionalOffsets(GROUP, "", null, -1, producerId, EPOCH,
            List.of(new OffsetToCommit("t", partition, offset, -1, ""))).get();
    }

    private ErrorCode marker(long producerId, boolean commit) throws Exception {
        return coordinator.completeTransaction(coordinator.partitionFor(GROUP), producerId, EPOCH, 0, commit, false).get();
    }

    private ErrorCode stability(int partition) throws Exception {
        return coordinator.fetchOffsets(GROUP, null, -1, List.of(new PartitionKey("t", partition)), true).get()
            .offsets().get(0).error();
    }

    @Test
    void aMarkerForAPartitionNotServedHereIsAnsweredNotLeaderOrFollower() throws Exception {
        // __consumer_offsets has three partitions here: there is no shard for a fourth.
        assertEquals(ErrorCode.NOT_LEADER_OR_FOLLOWER, coordinator.completeTransaction(3, PRODUCER, EPOCH, 0, true, false).get());
    }

    @Test
    void aMarkerThePartitionRefusesIsAnsweredWithItsErrorAndChangesNothing() throws Exception {
        assertEquals(List.of(ErrorCode.NONE), coordinator.commitOffsets(GROUP, "", null, -1, (short) 9, -1,
            List.of(new OffsetToCommit("t", 0, 5, -1, ""))).get());
        ErrorCode answered = marker(PRODUCER, true);
        // The placeholder refuses every marker; the partition side accepts one for a producer without
        // a transaction. Either way the committed offset stays.
        assertTrue(answered == ErrorCode.INVALID_TXN_STATE || answered == ErrorCode.NONE, answered.name());
        assertEquals(5, groups.committed(GROUP, 0));
        assertEquals(ErrorCode.NONE, stability(0));
    }

    @Test
    void offsetsCommitOrAbortWithTheirMarkerAndAReloadedShardKeepsAnOpenTransactionPending() throws Exception {
        List<ErrorCode> written = txnCommit(PRODUCER, 0, 10);
        Assumptions.assumeFalse(written.equals(List.of(ErrorCode.INVALID_TXN_STATE)),
            "the partition does not take transactional batches yet");
        assertEquals(List.of(ErrorCode.NONE), written);
        assertEquals(-1, groups.committed(GROUP, 0));
        assertEquals(ErrorCode.UNSTABLE_OFFSET_COMMIT, stability(0));

        assertEquals(ErrorCode.NONE, marker(PRODUCER, true));
        assertEquals(10, groups.committed(GROUP, 0));
        assertEquals(ErrorCode.NONE, stability(0));

        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER + 1, 1, 20));
        assertEquals(ErrorCode.NONE, marker(PRODUCER + 1, false));
        assertEquals(-1, groups.committed(GROUP, 1));

        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER + 2, 0, 30));
        int index = coordinator.partitionFor(GROUP);
        Partition partition = groups.partitions.get(GroupCoordinator.TOPIC, index).orElseThrow();
        coordinator.leadershipListener().becameLeader(partition, partition.leaderEpoch() + 1);
        SingleNodeGroups.await(() -> coordinator.status(GROUP) == ErrorCode.NONE, "the shard did not reload");
        assertEquals(10, groups.committed(GROUP, 0));
        assertEquals(ErrorCode.UNSTABLE_OFFSET_COMMIT, stability(0), "the reload lost the open transaction");
        assertEquals(-1, groups.committed(GROUP, 1), "the reload brought aborted offsets back");

        assertEquals(ErrorCode.NONE, marker(PRODUCER + 2, true));
        assertEquals(30, groups.committed(GROUP, 0));
    }
}
