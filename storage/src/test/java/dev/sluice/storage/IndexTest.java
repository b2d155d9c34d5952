package dev.sluice.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexTest {
    private static final long BASE = 1000;

    @TempDir
    Path dir;

    private OffsetIndex offsetIndex(int maxSize, boolean active) throws IOException {
        return new OffsetIndex(dir.resolve("00000000000000001000.index"), BASE, maxSize, active);
    }

    private TimeIndex timeIndex(int maxSize, boolean active) throws IOException {
        return new TimeIndex(dir.resolve("00000000000000001000.timeindex"), BASE, maxSize, active);
    }

    @Test
    void activeIndexIsPreallocatedToWholeEntries() throws IOException {
        OffsetIndex index = offsetIndex(100, true);
        assertEquals(96, Files.size(index.file()));
        assertEquals(12, index.maxEntries());
        TimeIndex time = timeIndex(100, true);
        assertEquals(96, Files.size(time.file()));
        assertEquals(8, time.maxEntries());
    }

    @Test
    void offsetLookupFindsLargestEntryAtOrBelowTarget() throws IOException {
        OffsetIndex index = offsetIndex(1024, true);
        index.append(1009, 100);
        index.append(1019, 250);
        index.append(1029, 400);
        assertEquals(new OffsetIndex.Entry(1000, 0), index.lookup(1005));
        assertEquals(new OffsetIndex.Entry(1009, 100), index.lookup(1009));
        assertEquals(new OffsetIndex.Entry(1009, 100), index.lookup(1018));
        assertEquals(new OffsetIndex.Entry(1019, 250), index.lookup(1019));
        assertEquals(new OffsetIndex.Entry(1029, 400), index.lookup(Long.MAX_VALUE));
        assertEquals(new OffsetIndex.Entry(1000, 0), index.lookup(5));
        assertEquals(0, index.lookupPosition(99));
        assertEquals(100, index.lookupPosition(100));
        assertEquals(250, index.lookupPosition(399));
        assertEquals(400, index.lookupPosition(Integer.MAX_VALUE));
    }

    @Test
    void entriesAreBigEndianRelativeOffsetAndPosition() throws IOException {
        OffsetIndex index = offsetIndex(1024, true);
        index.append(1009, 100);
        index.trimToEntries();
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(index.file()));
        assertEquals(8, bytes.remaining());
        assertEquals(9, bytes.getInt());
        assertEquals(100, bytes.getInt());

        TimeIndex time = timeIndex(1024, true);
        time.maybeAppend(123_456_789_000L, 1009, false);
        time.trimToEntries();
        ByteBuffer timeBytes = ByteBuffer.wrap(Files.readAllBytes(time.file()));
        assertEquals(12, timeBytes.remaining());
        assertEquals(123_456_789_000L, timeBytes.getLong());
        assertEquals(9, timeBytes.getInt());
    }

    @Test
    void offsetIndexRejectsEntriesThatDoNotIncrease() throws IOException {
        OffsetIndex index = offsetIndex(1024, true);
        index.append(1009, 100);
        assertThrows(IllegalArgumentException.class, () -> index.append(1009, 200));
        assertThrows(IllegalArgumentException.class, () -> index.append(1010, 100));
        assertThrows(IllegalArgumentException.class, () -> index.append(999, 300));
    }

    @Test
    void trimmedIndexReopensWithItsEntriesAndGrowsWhenActive() throws IOException {
        OffsetIndex index = offsetIndex(1024, true);
        for (int i = 0; i < 10; i++) {
            index.append(BASE + i * 10 + 9, i * 100 + 100);
        }
        index.trimToEntries();
        assertEquals(80, Files.size(index.file()));

        OffsetIndex reopened = offsetIndex(1024, false);
        assertEquals(10, reopened.entries());
        assertEquals(new OffsetIndex.Entry(1049, 500), reopened.lookup(1055));
        reopened.sanityCheck(10_000);

        OffsetIndex active = offsetIndex(1024, true);
        assertEquals(10, active.entries());
        assertEquals(1024, Files.size(active.file()));
        active.append(2000, 5000);
        assertEquals(new OffsetIndex.Entry(2000, 5000), active.lookup(2000));
    }

    @Test
    void appendingToTrimmedIndexGrowsItAgain() throws IOException {
        OffsetIndex index = offsetIndex(1024, true);
        index.append(1009, 100);
        index.trimToEntries();
        assertTrue(index.isFull());
        index.append(1019, 200);
        assertEquals(2, index.entries());
        assertEquals(1024, Files.size(index.file()));
    }

    @Test
    void fullOffsetIndexRefusesEntries() throws IOException {
        OffsetIndex index = offsetIndex(16, true);
        index.append(1001, 10);
        index.append(1002, 20);
        assertTrue(index.isFull());
        assertThrows(IllegalStateException.class, () -> index.append(1003, 30));
    }

    @Test
    void timeIndexKeepsItsLastSlotForTheFinalEntry() throws IOException {
        TimeIndex index = timeIndex(36, true);
        index.maybeAppend(100, 1001, false);
        index.maybeAppend(200, 1002, false);
        assertTrue(index.isFull());
        assertThrows(IllegalStateException.class, () -> index.maybeAppend(300, 1003, false));
        index.maybeAppend(300, 1003, true);
        assertEquals(3, index.entries());
    }

    @Test
    void timeIndexAppendsOnlyLargerTimestamps() throws IOException {
        TimeIndex index = timeIndex(1024, true);
        index.maybeAppend(100, 1005, false);
        index.maybeAppend(100, 1010, false);
        index.maybeAppend(90, 1011, false);
        index.maybeAppend(-1, 1012, false);
        assertEquals(1, index.entries());
        index.maybeAppend(150, 1020, false);
        assertEquals(2, index.entries());
    }

    @Test
    void timeLookupFindsLargestTimestampAtOrBelowWithinOffsetBound() throws IOException {
        TimeIndex index = timeIndex(1024, true);
        index.maybeAppend(100, 1005, false);
        index.maybeAppend(200, 1010, false);
        index.maybeAppend(300, 1020, false);
        assertEquals(new TimeIndex.Entry(-1, BASE), index.lookup(99, Long.MAX_VALUE));
        assertEquals(new TimeIndex.Entry(100, 1005), index.lookup(100, Long.MAX_VALUE));
        assertEquals(new TimeIndex.Entry(200, 1010), index.lookup(299, Long.MAX_VALUE));
        assertEquals(new TimeIndex.Entry(300, 1020), index.lookup(1000, Long.MAX_VALUE));
        assertEquals(new TimeIndex.Entry(200, 1010), index.lookup(1000, 1020));
        assertEquals(new TimeIndex.Entry(-1, BASE), index.lookup(1000, 1005));
    }

    @Test
    void truncationDropsLaterEntries() throws IOException {
        OffsetIndex index = offsetIndex(1024, true);
        index.append(1009, 100);
        index.append(1019, 200);
        index.append(1029, 300);
        index.truncateToPosition(200);
        assertEquals(1, index.entries());
        assertEquals(new OffsetIndex.Entry(1009, 100), index.lookup(1029));

        TimeIndex time = timeIndex(1024, true);
        time.maybeAppend(100, 1009, false);
        time.maybeAppend(200, 1019, false);
        time.truncateToOffset(1019);
        assertEquals(1, time.entries());
        assertEquals(new TimeIndex.Entry(100, 1009), time.lastEntry());
    }

    @Test
    void sanityCheckRejectsThePreallocatedZerosOfAnUntrimmedIndex() throws IOException {
        OffsetIndex index = offsetIndex(1024, true);
        index.append(1009, 100);
        index.append(1019, 200);
        index.flush();
        TimeIndex time = timeIndex(1024, true);
        time.maybeAppend(100, 1009, false);
        time.maybeAppend(200, 1019, false);
        time.flush();
        // As a crash leaves them: full length, zeros after the real entries.
        OffsetIndex reopened = offsetIndex(1024, false);
        assertEquals(128, reopened.entries());
        assertThrows(MappedIndex.CorruptIndexException.class, () -> reopened.sanityCheck(10_000));
        TimeIndex reopenedTime = timeIndex(1024, false);
        assertThrows(MappedIndex.CorruptIndexException.class, () -> reopenedTime.sanityCheck(10_000));
    }

    @Test
    void sanityCheckRejectsEntriesPastTheLog() throws IOException {
        OffsetIndex index = offsetIndex(1024, true);
        index.append(1009, 100);
        index.append(1019, 5000);
        assertThrows(MappedIndex.CorruptIndexException.class, () -> index.sanityCheck(5000));
        index.sanityCheck(5001);
    }

    @Test
    void fileOfPartialEntryIsCorrupt() throws IOException {
        Files.write(dir.resolve("00000000000000001000.index"), new byte[13]);
        assertThrows(MappedIndex.CorruptIndexException.class, () -> offsetIndex(1024, false));
    }

    @Test
    void resetEmptiesTheIndex() throws IOException {
        OffsetIndex index = offsetIndex(1024, true);
        index.append(1009, 100);
        index.reset();
        assertEquals(0, index.entries());
        assertFalse(index.isFull());
        assertEquals(new OffsetIndex.Entry(BASE, 0), index.lookup(2000));
    }
}
