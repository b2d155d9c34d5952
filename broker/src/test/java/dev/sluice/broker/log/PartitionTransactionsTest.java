package dev.sluice.broker.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sluice.storage.AbortedTxn;
import dev.sluice.storage.LogCheckpoint;
import dev.sluice.storage.LogConfig;
import dev.sluice.storage.PartitionLog;
import dev.sluice.storage.append.BatchValidator;
import dev.sluice.storage.producer.AppendOrigin;
import dev.sluice.storage.producer.VerificationGuard;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.ControlRecordType;
import dev.sluice.wire.record.EndTransactionMarker;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.Records;
import dev.sluice.wire.record.TimestampType;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A leader partition's side of transactions: the last stable offset, read_committed reads, verification and markers. */
class PartitionTransactionsTest {
    @TempDir
    Path root;

    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    private final List<Partition> partitions = new ArrayList<>();

    @AfterEach
    void stop() {
        for (Partition p : partitions) {
            try {
                p.close().join();
            } catch (RuntimeException ignored) {
                // Closed by the test.
            }
        }
        pool.shutdownNow();
    }

    private Partition open(Partition.Role role) {
        PartitionLog log = PartitionLog.open(root.resolve("t-0"), LogConfig.defaults(), (n, task, delay) -> task.run(),
            InstantSource.system(), LogCheckpoint.NONE);
        BatchValidator.Rules rules = new BatchValidator.Rules(1 << 20, TimestampType.CREATE_TIME, Long.MAX_VALUE,
            Long.MAX_VALUE, false, null);
        Partition p = new Partition("t", new Uuid(7L, 9L), 0, log, new TopicSettings(LogConfig.defaults(), rules, 1,
            TopicSettings.Tiering.OFF), role, pool, InstantSource.system(), (x, bytes, records) -> { }, x -> { },
            () -> 1000);
        p.restoreHighWatermark(log.logEndOffset());
        p.recoverProducerState();
        partitions.add(p);
        return p;
    }

    private static MemoryRecords txn(long producerId, short epoch, int sequence) {
        return MemoryRecords.withBatches(new RecordBatchBuilder(0).producer(producerId, epoch, sequence)
            .transactional(true).append(System.currentTimeMillis(), null, new byte[] {1}).build());
    }

    /** A verified transactional write of one record, as a produce after AddPartitionsToTxn does it. */
    private static Partition.AppendOutcome write(Partition p, long producerId, int sequence) {
        VerificationGuard guard = p.startVerification(producerId, (short) 0).join();
        return p.append(txn(producerId, (short) 0, sequence), (short) 1, AppendOrigin.CLIENT, guard).join();
    }

    private static List<Long> producersOf(Records records) {
        ByteBuffer buffer = ByteBuffer.allocate(records.sizeInBytes());
        records.writeTo(buffer);
        List<Long> out = new ArrayList<>();
        for (RecordBatch batch : MemoryRecords.readableRecords(buffer.flip()).batches()) {
            out.add(batch.producerId());
        }
        return out;
    }

    @Test
    void theLastStableOffsetWaitsForTheEarliestOpenTransactionOfInterleavedProducers() {
        Partition p = open(Partition.Role.soleLeader(1, 0));
        assertEquals(ErrorCode.NONE, write(p, 1, 0).error()); // 0
        assertEquals(ErrorCode.NONE, write(p, 2, 0).error()); // 1
        assertEquals(ErrorCode.NONE, write(p, 1, 1).error()); // 2
        assertEquals(3, p.highWatermark());
        assertEquals(0, p.lastStableOffset());
        assertEquals(0, p.read(0, 1 << 20, true, true).records().sizeInBytes(), "nothing is stable yet");
        assertEquals(List.of(1L, 2L, 1L), producersOf(p.read(0, 1 << 20, true, false).records()));

        Partition.AppendOutcome abort = p.appendMarker(1, (short) 0, 0, false, false).join();
        assertEquals(ErrorCode.NONE, abort.error());
        assertEquals(3, abort.lastOffset());
        assertEquals(1, p.lastStableOffset(), "producer 2 is still open from offset 1");
        assertEquals(List.of(1L), producersOf(p.read(0, 1 << 20, true, true).records()));
        assertEquals(List.of(new AbortedTxn(1, 0, 3, 1)), p.abortedTransactions(0, p.lastStableOffset()));

        assertEquals(ErrorCode.NONE, p.appendMarker(2, (short) 0, 0, true, false).join().error()); // 4
        assertEquals(5, p.lastStableOffset());
        assertEquals(List.of(1L, 2L, 1L, 1L, 2L), producersOf(p.read(0, 1 << 20, true, true).records()));
        assertEquals(List.of(new AbortedTxn(1, 0, 3, 1)), p.abortedTransactions(0, 5));
        assertEquals(-1, p.producers().join().stream().mapToLong(e -> e.currentTxnFirstOffset()).max().orElseThrow());
    }

    @Test
    void theLastStableOffsetAndAbortsSurviveARestart() {
        Partition p = open(Partition.Role.soleLeader(1, 0));
        write(p, 1, 0);
        write(p, 2, 0);
        p.appendMarker(1, (short) 0, 0, false, false).join();
        p.close().join();
        partitions.remove(p);

        Partition reopened = open(Partition.Role.soleLeader(1, 0));
        assertEquals(1, reopened.lastStableOffset());
        assertEquals(List.of(new AbortedTxn(1, 0, 2, 1)), reopened.abortedTransactions(0, 3));
        assertEquals(ErrorCode.NONE, reopened.appendMarker(2, (short) 0, 0, true, false).join().error());
        assertEquals(4, reopened.lastStableOffset());
    }

    @Test
    void aMarkerBetweenVerificationAndWriteTurnsTheWriteAway() {
        Partition p = open(Partition.Role.soleLeader(1, 0));
        VerificationGuard guard = p.startVerification(1, (short) 0).join();
        assertEquals(ErrorCode.NONE, p.appendMarker(1, (short) 0, 0, false, false).join().error());
        assertEquals(ErrorCode.INVALID_TXN_STATE,
            p.append(txn(1, (short) 0, 0), (short) 1, AppendOrigin.CLIENT, guard).join().error());
        assertEquals(ErrorCode.INVALID_TXN_STATE, p.append(txn(1, (short) 0, 0)).join().error(), "no guard at all");
        assertEquals(1, p.lastStableOffset(), "no transaction was left open");
        assertEquals(ErrorCode.NONE, write(p, 1, 0).error());
        assertSame(VerificationGuard.NONE, p.startVerification(1, (short) 0).join());
    }

    @Test
    void markersAreFencedByEpochsAndWrittenOnlyByTheLeader() {
        Partition p = open(Partition.Role.soleLeader(1, 0));
        VerificationGuard guard = p.startVerification(1, (short) 2).join();
        assertEquals(ErrorCode.NONE, p.append(txn(1, (short) 2, 0), (short) 1, AppendOrigin.CLIENT, guard).join().error());
        assertEquals(ErrorCode.NONE, p.appendMarker(1, (short) 2, 5, true, false).join().error());
        assertEquals(ErrorCode.INVALID_PRODUCER_EPOCH, p.appendMarker(1, (short) 1, 5, true, false).join().error());
        assertEquals(ErrorCode.TRANSACTION_COORDINATOR_FENCED, p.appendMarker(1, (short) 2, 4, false, false).join().error());
        assertEquals(2, p.logEndOffset(), "refused markers write nothing");

        p.applyRole(new Partition.Role(false, 2, 1, List.of(1, 2), 1)).join();
        assertEquals(ErrorCode.NOT_LEADER_OR_FOLLOWER, p.appendMarker(1, (short) 2, 5, true, false).join().error());
    }

    @Test
    void aCoordinatorWritesTransactionalOffsetsWithoutSequencesOrVerification() {
        Partition p = open(Partition.Role.soleLeader(1, 0));
        MemoryRecords offsets = MemoryRecords.withBatches(new RecordBatchBuilder(0)
            .producer(1, (short) 0, RecordBatch.NO_SEQUENCE).transactional(true)
            .append(System.currentTimeMillis(), new byte[] {1}, new byte[] {2}).build());
        assertEquals(ErrorCode.NONE,
            p.append(offsets, (short) 1, AppendOrigin.COORDINATOR, VerificationGuard.NONE).join().error());
        assertEquals(0, p.lastStableOffset());
        assertEquals(ErrorCode.NONE, p.appendMarker(1, (short) 0, 0, true, false).join().error());
        assertEquals(2, p.lastStableOffset());
    }

    /** A follower tracks transactions from what it copies, so its last stable offset is right when it leads. */
    @Test
    void aFollowerTracksTheLastStableOffsetAndAbortsFromItsLeadersBatches() {
        Partition p = open(new Partition.Role(false, 2, 0, List.of(1, 2), 0));
        RecordBatch data = new RecordBatchBuilder(0).partitionLeaderEpoch(0).producer(1, (short) 0, 0)
            .transactional(true).append(System.currentTimeMillis(), null, new byte[] {1}).build();
        RecordBatch abort = RecordBatchBuilder.endTransactionMarker(1, System.currentTimeMillis(), 0, 1, (short) 0,
            new EndTransactionMarker(ControlRecordType.ABORT, 0));
        p.appendAsFollower(0, MemoryRecords.withBatches(data, abort), 1, 0).join().orElseThrow();
        assertEquals(1, p.highWatermark());
        assertEquals(0, p.lastStableOffset(), "the marker is not committed yet");
        p.appendAsFollower(0, MemoryRecords.EMPTY, 2, 0).join().orElseThrow();
        assertEquals(2, p.lastStableOffset());
        assertEquals(List.of(new AbortedTxn(1, 0, 1, 2)), p.abortedTransactions(0, 2));
    }
}
