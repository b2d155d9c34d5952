package dev.sluice.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Index mappings are released when they are replaced or their segment is closed or deleted, not at
 * some later garbage collection; and no reader ever touches a released one (which would crash the
 * JVM), whatever the writer does meanwhile. What is mapped is read from {@code /proc/self/maps}.
 */
class IndexUnmapTest {
    private static final Path MAPS = Path.of("/proc/self/maps");

    @TempDir
    Path dir;

    /** How many mappings of {@code file} this process holds (a deleted file shows as "path (deleted)"). */
    private static long mappingsOf(Path file) throws IOException {
        String path = file.toAbsolutePath().toString();
        try (var lines = Files.lines(MAPS)) {
            return lines.filter(l -> l.endsWith(" " + path) || l.endsWith(" " + path + " (deleted)")).count();
        }
    }

    @Test
    void trimmingAndGrowingKeepOneMappingOfTheFile() throws IOException {
        assumeTrue(Files.isReadable(MAPS), "needs /proc/self/maps");
        OffsetIndex index = new OffsetIndex(dir.resolve("00000000000000000000.index"), 0, 4096, true);
        index.append(10, 100);
        assertEquals(1, mappingsOf(index.file()));
        index.trimToEntries();
        assertEquals(1, mappingsOf(index.file()), "the preallocated mapping outlived the trim");
        index.makeAppendable();
        index.append(20, 200);
        assertEquals(1, mappingsOf(index.file()), "the trimmed mapping outlived the growth");
        index.close();
        assertEquals(0, mappingsOf(index.file()));
        assertThrows(SegmentClosedException.class, () -> index.lookup(10));
    }

    @Test
    void deletingASegmentUnmapsItsIndexes() throws IOException {
        assumeTrue(Files.isReadable(MAPS), "needs /proc/self/maps");
        LogSegment segment = LogSegment.create(dir, 0, LogConfig.builder().indexIntervalBytes(1).build(), 0);
        for (int i = 0; i < 5; i++) {
            segment.append(MemoryRecords.withBatches(new RecordBatchBuilder(i).append(1000 + i, null, new byte[100])
                .build()));
        }
        Path offsets = LogSegment.offsetIndexFile(dir, 0);
        Path times = LogSegment.timeIndexFile(dir, 0);
        assertEquals(1, mappingsOf(offsets));
        assertEquals(1, mappingsOf(times));
        segment.renameToDeleted();
        segment.closeAndDelete();
        assertEquals(0, mappingsOf(offsets.resolveSibling(offsets.getFileName() + LogSegment.DELETED_SUFFIX)));
        assertEquals(0, mappingsOf(times.resolveSibling(times.getFileName() + LogSegment.DELETED_SUFFIX)));
        assertThrows(SegmentClosedException.class, () -> segment.offsetIndex().lookup(0));
    }

    /**
     * Readers search the index without pause while the writer trims it, grows it back, appends and
     * finally closes it. Each remap and the close release a mapping other threads may be reading:
     * a reader must finish on the mapping it holds, and after the close get SegmentClosedException.
     */
    @Test
    void readersNeverTouchAReleasedMapping() throws Exception {
        OffsetIndex index = new OffsetIndex(dir.resolve("00000000000000000000.index"), 0, 64 * 1024, true);
        long offset = 0;
        for (int i = 0; i < 1000; i++) {
            index.append(offset += 10, i * 100 + 100);
        }
        AtomicBoolean closed = new AtomicBoolean();
        AtomicLong lookups = new AtomicLong();
        CountDownLatch started = new CountDownLatch(2);
        ExecutorService readers = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                running.add(readers.submit(() -> {
                    started.countDown();
                    while (true) {
                        try {
                            OffsetIndex.Entry e = index.lookup(5_005);
                            assertEquals(5_000, e.offset());
                            lookups.incrementAndGet();
                        } catch (SegmentClosedException e) {
                            assertTrue(closed.get(), "closed before the writer closed it");
                            return null;
                        }
                    }
                }));
            }
            assertTrue(started.await(10, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            int rounds = 0;
            while (System.nanoTime() < deadline || lookups.get() < 1000) {
                index.trimToEntries();
                index.makeAppendable();
                rounds++;
            }
            closed.set(true);
            index.close();
            for (Future<?> f : running) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertTrue(rounds > 10, "only " + rounds + " remaps");
        } finally {
            readers.shutdownNow();
        }
    }
}
