package dev.sluice.storage.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.AbortedTxn;
import dev.sluice.storage.PartitionLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads by successive leaders of one partition, each with its own {@link RemoteLog} on the
 * shared store: the manifest in the store is what each continues from.
 */
class RemoteLogTest {
    private static final String PREFIX = RemoteLog.prefix("t", 0, "id");

    @TempDir
    Path dir;

    private PartitionLog.RolledSegment segment(String replica, long base, long next) throws IOException {
        Path log = Files.createDirectories(dir.resolve(replica)).resolve(String.format("%020d.log", base));
        Files.write(log, new byte[(int) (next - base)]);
        return new PartitionLog.RolledSegment(base, next, (int) (next - base), 1000 + next, log,
            log.resolveSibling("absent.index"), log.resolveSibling("absent.timeindex"));
    }

    private RemoteLog open(ObjectStore store) throws IOException {
        RemoteLog remote = new RemoteLog(store, PREFIX, new ChunkCache(1 << 16, 2));
        remote.load();
        return remote;
    }

    @Test
    void aNewLeaderContinuesAfterTheManifestAndItsOverlappingSegmentReplacesWhatItCovers() throws IOException {
        ObjectStore store = new DirectoryObjectStore(dir.resolve("store"));
        RemoteLog first = open(store);
        first.upload(segment("a", 0, 100), null, null);
        first.upload(segment("a", 100, 200), null, null);

        RemoteLog second = open(store);
        second.upload(segment("b", 0, 120), null, null);
        assertEquals(2, second.manifest().segments().size(), "a segment the store holds up to its end is not copied again");
        second.upload(segment("b", 120, 260), null, null);
        assertEquals(List.of(new RemoteSegment(0, 100, 100, 1100), new RemoteSegment(100, 200, 100, 1200),
            new RemoteSegment(120, 260, 140, 1260)), second.manifest().segments());
        assertEquals(120, second.segmentHolding(199).orElseThrow().baseOffset(), "the segment ending last holds it");
        assertEquals(100, second.segmentHolding(110).orElseThrow().baseOffset());
        assertFalse(second.segmentHolding(260).isPresent());

        RemoteLog third = open(store);
        third.upload(segment("c", 100, 300), null, null);
        assertEquals(List.of(new RemoteSegment(0, 100, 100, 1100), new RemoteSegment(100, 300, 200, 1300)),
            third.manifest().segments(), "entries the new segment covers entirely are replaced");
        assertTrue(store.list(PREFIX).stream().noneMatch(k -> k.contains(String.format("%020d", 120))),
            "the covered segment's objects are deleted");
        assertEquals(third.manifest(), open(store).manifest());
    }

    /** Writes a segment's transaction index the way the log does: 34-byte big-endian entries. */
    private static void txnIndex(PartitionLog.RolledSegment segment, AbortedTxn... aborted) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(34 * aborted.length);
        for (AbortedTxn txn : aborted) {
            bytes.putShort((short) 0).putLong(txn.producerId()).putLong(txn.firstOffset()).putLong(txn.lastOffset())
                .putLong(txn.lastStableOffset());
        }
        Files.write(segment.txnIndexFile(), bytes.array());
    }

    @Test
    void tieredSegmentsCarryTheirAbortedTransactionsUntilTheyAreDeleted() throws IOException {
        ObjectStore store = new DirectoryObjectStore(dir.resolve("store"));
        RemoteLog remote = open(store);
        PartitionLog.RolledSegment first = segment("a", 0, 100);
        txnIndex(first, new AbortedTxn(7, 10, 50, 60));
        PartitionLog.RolledSegment second = segment("a", 100, 200);
        txnIndex(second, new AbortedTxn(8, 120, 150, 151));
        remote.upload(first, null, null);
        remote.upload(second, null, null);
        remote.upload(segment("a", 200, 300), null, null);
        String none = PREFIX + String.format("%020d", 200) + ".txnindex";
        assertFalse(store.list(PREFIX).contains(none), "a segment without aborts has no transaction index");

        List<AbortedTxn> all = new ArrayList<>();
        assertFalse(open(store).collectAbortedTransactions(0, 300, Long.MAX_VALUE, all));
        assertEquals(List.of(new AbortedTxn(7, 10, 50, 60), new AbortedTxn(8, 120, 150, 151)), all);
        List<AbortedTxn> some = new ArrayList<>();
        assertTrue(remote.collectAbortedTransactions(100, 140, Long.MAX_VALUE, some),
            "the entry's last stable offset passes the bound");
        assertEquals(List.of(new AbortedTxn(8, 120, 150, 151)), some);
        List<AbortedTxn> belowLocal = new ArrayList<>();
        assertFalse(remote.collectAbortedTransactions(0, 300, 100, belowLocal), "the local log holds the rest");
        assertEquals(List.of(new AbortedTxn(7, 10, 50, 60)), belowLocal);

        remote.deleteOldest(s -> s.baseOffset() == 0);
        assertFalse(store.list(PREFIX).contains(PREFIX + String.format("%020d", 0) + ".txnindex"));
    }
}
