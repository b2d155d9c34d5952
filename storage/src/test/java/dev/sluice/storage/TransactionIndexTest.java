package dev.sluice.storage;

import static dev.sluice.storage.TestLogs.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.TestLogs.ManualClock;
import dev.sluice.storage.TestLogs.ManualScheduler;
import dev.sluice.storage.producer.ProducerStateManager;
import dev.sluice.wire.record.ControlRecordType;
import dev.sluice.wire.record.EndTransactionMarker;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-segment transaction index, alone and as the log keeps it through its life. */
class TransactionIndexTest {
    @TempDir
    Path root;

    private final ManualClock clock = new ManualClock(1_000_000);
    private final ManualScheduler scheduler = new ManualScheduler();
    /** Segments roll only where a test rolls them. */
    private final LogConfig config = LogConfig.builder().retentionMs(-1).build();

    private static RecordBatch data(long offset, long producerId, short epoch, int sequence) {
        return new RecordBatchBuilder(offset).producer(producerId, epoch, sequence).transactional(true)
            .append(1000 + offset, new byte[] {(byte) producerId}, new byte[64]).build();
    }

    private static RecordBatch marker(long offset, long producerId, short epoch, boolean commit) {
        return RecordBatchBuilder.endTransactionMarker(offset, 1000 + offset, 0, producerId, epoch,
            new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 3));
    }

    private PartitionLog open(Path dir) {
        return PartitionLog.open(dir, config, scheduler, clock, LogCheckpoint.NONE);
    }

    /** Appends a transactional data batch of {@code producerId} at the log end, as a leader would. */
    private static void write(PartitionLog log, ProducerStateManager producers, long producerId) {
        RecordBatch batch = data(log.logEndOffset(), producerId, (short) 0, -1);
        log.append(records(batch));
        log.updateProducerState(producers, batch);
    }

    private static long end(PartitionLog log, ProducerStateManager producers, long producerId, boolean commit) {
        RecordBatch batch = marker(log.logEndOffset(), producerId, (short) 0, commit);
        log.append(records(batch));
        log.updateProducerState(producers, batch);
        return batch.baseOffset();
    }

    /** {@code segments} segments of two offsets each: a batch of producer 1 at 2n and its ABORT at 2n + 1. */
    private static void abortOnePerSegment(PartitionLog log, ProducerStateManager producers, int segments) {
        for (int segment = 0; segment < segments; segment++) {
            write(log, producers, 1);
            end(log, producers, 1, false);
            log.roll();
        }
    }

    @Test
    void entriesAreThirtyFourBigEndianBytesAndTheFileAppearsWithTheFirst() throws IOException {
        Path file = root.resolve("00000000000000000000.txnindex");
        TransactionIndex index = new TransactionIndex(file);
        assertTrue(index.entries().isEmpty());
        index.truncateTo(0);
        assertFalse(Files.exists(file), "no aborts, no file");
        assertTrue(index.appendIfNewer(new AbortedTxn(0x0102030405060708L, 5, 9, 10)));
        index.flush();
        ByteBuffer expected = ByteBuffer.allocate(34).putShort((short) 0).putLong(0x0102030405060708L).putLong(5)
            .putLong(9).putLong(10);
        assertArrayEquals(expected.array(), Files.readAllBytes(file));
        assertFalse(index.appendIfNewer(new AbortedTxn(7, 1, 9, 10)), "the same marker is indexed once");
        assertTrue(index.appendIfNewer(new AbortedTxn(7, 11, 12, 13)));
        index.close();
        assertEquals(List.of(new AbortedTxn(0x0102030405060708L, 5, 9, 10), new AbortedTxn(7, 11, 12, 13)),
            TransactionIndex.read(file));
    }

    @Test
    void aTornLastEntryIsIgnoredAndOverwritten() throws IOException {
        Path file = root.resolve("00000000000000000000.txnindex");
        TransactionIndex.write(file, List.of(new AbortedTxn(1, 0, 3, 4)));
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.APPEND)) {
            out.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 9}));
        }
        TransactionIndex index = new TransactionIndex(file);
        assertEquals(List.of(new AbortedTxn(1, 0, 3, 4)), index.entries());
        index.appendIfNewer(new AbortedTxn(2, 5, 6, 7));
        index.close();
        assertEquals(68, Files.size(file));
        assertEquals(List.of(new AbortedTxn(1, 0, 3, 4), new AbortedTxn(2, 5, 6, 7)), TransactionIndex.read(file));
    }

    @Test
    void anAbortIsIndexedInTheMarkersSegmentWithTheEarliestOtherOpenTransactionAsItsStableOffset() {
        PartitionLog log = open(root.resolve("t-0"));
        ProducerStateManager producers = new ProducerStateManager();
        write(log, producers, 1); // 0
        write(log, producers, 2); // 1
        long firstAbort = end(log, producers, 1, false); // 2: producer 2 still open from 1
        log.roll();
        write(log, producers, 1); // 3, second segment
        long commit = end(log, producers, 2, true); // 4
        long secondAbort = end(log, producers, 1, false); // 5
        assertEquals(List.of(new AbortedTxn(1, 0, firstAbort, 1), new AbortedTxn(1, 3, secondAbort, secondAbort + 1)),
            log.collectAbortedTransactions(0, log.logEndOffset()));
        assertTrue(Files.exists(TransactionIndex.file(log.dir(), 0)));
        assertTrue(Files.exists(TransactionIndex.file(log.dir(), 3)));
        assertEquals(4, commit);
        // From offset 3 the first abort (marker at 2) is over; below offset 3 the second has no data.
        assertEquals(List.of(new AbortedTxn(1, 3, 5, 6)), log.collectAbortedTransactions(3, 6));
        assertEquals(List.of(new AbortedTxn(1, 0, 2, 1)), log.collectAbortedTransactions(0, 3));
        log.close();
    }

    @Test
    void segmentsWithoutAbortsHaveNoTransactionIndexFile() throws IOException {
        PartitionLog log = open(root.resolve("t-0"));
        ProducerStateManager producers = new ProducerStateManager();
        for (int i = 0; i < 4; i++) {
            write(log, producers, 1);
            end(log, producers, 1, true);
        }
        log.close();
        try (Stream<Path> files = Files.list(root.resolve("t-0"))) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(TransactionIndex.SUFFIX)));
        }
    }

    @Test
    void truncationDropsEntriesAtAndAboveTheCutAndTheIndexesOfRemovedSegments() {
        PartitionLog log = open(root.resolve("t-0"));
        ProducerStateManager producers = new ProducerStateManager();
        abortOnePerSegment(log, producers, 4);
        assertEquals(4, log.collectAbortedTransactions(0, 8).size());
        log.truncateTo(5, producers);
        producers.onHighWatermark(log.logEndOffset());
        assertEquals(List.of(new AbortedTxn(1, 0, 1, 2), new AbortedTxn(1, 2, 3, 4)),
            log.collectAbortedTransactions(0, 8));
        assertFalse(Files.exists(TransactionIndex.file(log.dir(), 4)), "its only entry was cut");
        assertFalse(Files.exists(TransactionIndex.file(log.dir(), 6)), "renamed with its segment");
        assertEquals(OptionalLong.of(4), producers.firstUnstableOffset(), "the cut marker reopened the transaction");
        scheduler.runAll();
        log.truncateFullyAndStartAt(100, producers);
        scheduler.runAll();
        assertTrue(log.collectAbortedTransactions(0, 200).isEmpty());
        assertFalse(Files.exists(TransactionIndex.file(log.dir(), 0)));
        assertFalse(Files.exists(TransactionIndex.file(log.dir(), 2)));
        log.close();
    }

    @Test
    void deletedSegmentsTakeTheirIndexWithThem() throws IOException {
        PartitionLog log = open(root.resolve("t-0"));
        ProducerStateManager producers = new ProducerStateManager();
        write(log, producers, 1);
        end(log, producers, 1, false);
        write(log, producers, 1);
        log.roll();
        write(log, producers, 2);
        log.setLogStartOffset(3);
        Path deleted = log.dir().resolve(TransactionIndex.file(log.dir(), 0).getFileName() + LogSegment.DELETED_SUFFIX);
        assertFalse(Files.exists(TransactionIndex.file(log.dir(), 0)));
        assertTrue(Files.exists(deleted));
        scheduler.runAll();
        assertFalse(Files.exists(deleted));
        assertTrue(log.collectAbortedTransactions(3, 10).isEmpty());
        log.close();
    }

    /**
     * A crash after the marker reached the log but before its index entry did, and one that left an
     * entry for a marker the log lost: the reopened log, with its producer state replayed, lists
     * the same aborts and has the same first unstable offset as before.
     */
    @Test
    void recoveryAfterACrashRebuildsLostEntriesAndDropsEntriesPastTheLog() throws IOException {
        PartitionLog log = open(root.resolve("t-0"));
        ProducerStateManager producers = new ProducerStateManager();
        write(log, producers, 1); // 0
        write(log, producers, 2); // 1
        end(log, producers, 1, false); // 2
        log.roll();
        write(log, producers, 3); // 3
        end(log, producers, 3, false); // 4
        List<AbortedTxn> before = log.collectAbortedTransactions(0, log.logEndOffset());
        assertEquals(2, before.size());
        log.flush();
        Path image = root.resolve("image");
        Files.createDirectories(image);
        try (Stream<Path> files = Files.list(log.dir())) {
            for (Path f : files.toList()) {
                Files.copy(f, image.resolve(f.getFileName()));
            }
        }
        log.close();
        // Lost: the first segment's entry (marker at 2). Extra: an entry for a marker at 9, past the log.
        Files.delete(TransactionIndex.file(image, 0));
        TransactionIndex extra = new TransactionIndex(TransactionIndex.file(image, 3));
        extra.appendIfNewer(new AbortedTxn(5, 7, 9, 10));
        extra.close();
        try (Stream<Path> snapshots = Files.list(image)) {
            for (Path f : snapshots.filter(f -> f.toString().endsWith(".snapshot")).toList()) {
                Files.delete(f);
            }
        }

        PartitionLog reopened = open(image);
        ProducerStateManager recovered = new ProducerStateManager();
        reopened.loadProducerState(recovered);
        recovered.onHighWatermark(reopened.logEndOffset());
        assertEquals(before, reopened.collectAbortedTransactions(0, reopened.logEndOffset()));
        assertEquals(OptionalLong.of(1), recovered.firstUnstableOffset());
        assertEquals(producers.openTransactions(), recovered.openTransactions());
        reopened.close();
    }

    @Test
    void aCompactionSwapKeepsTheEntriesOfTheSegmentsItReplaces() throws IOException {
        PartitionLog log = open(root.resolve("t-0"));
        ProducerStateManager producers = new ProducerStateManager();
        abortOnePerSegment(log, producers, 2);
        write(log, producers, 2); // 4, in the active segment
        List<AbortedTxn> before = log.collectAbortedTransactions(0, 5);
        assertEquals(2, before.size());
        List<LogSegment> olds = log.segmentsBelow(log.activeBaseOffset());
        assertEquals(2, olds.size());
        LogSegment cleaned = LogSegment.createWithSuffix(log.dir(), 0, config, clock.millis(),
            PartitionLog.CLEANED_SUFFIX);
        for (LogSegment old : olds) {
            old.forEachBatch(old.size(), batch -> cleaned.append(records(batch)));
        }
        cleaned.makeInactive();
        cleaned.flush();
        cleaned.close();
        assertTrue(log.replaceSegments(olds, olds.stream().map(LogSegment::size).toList()));
        assertEquals(before, log.collectAbortedTransactions(0, 5));
        assertFalse(Files.exists(TransactionIndex.file(log.dir(), 2)));
        assertEquals(before, TransactionIndex.read(TransactionIndex.file(log.dir(), 0)));
        log.close();
    }
}
