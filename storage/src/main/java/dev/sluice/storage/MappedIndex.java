package dev.sluice.storage;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A memory-mapped file of fixed-size, big-endian entries sorted by a key, the common part of
 * {@link OffsetIndex} and {@link TimeIndex}. Entries sit back to back from byte 0; the file holds
 * nothing else. While its segment is active the file is preallocated to the largest whole number of
 * entries that fit in {@code segment.index.bytes}, with zeros after the last entry, and the count
 * of entries is kept in memory; {@link #trimToEntries()} cuts it to exactly its entries when the
 * segment is rolled or closed, so a reopened file's length tells how many entries it holds.
 *
 * <p>After a crash the count is unknown (the file may still be preallocated): the log either
 * rebuilds the index from its segment ({@link LogSegment#recover}) or, for a segment it does not
 * scan, trusts the file only if {@link #sanityCheck} passes.
 *
 * <p>Threading: one writer (the partition's) appends, truncates, resizes and closes; readers on
 * any thread search concurrently. An entry's bytes are written before the volatile entry count
 * that makes them visible, and readers read the count first, so a reader sees only whole entries.
 *
 * <p>Mappings are unmapped as soon as they are replaced (trim, grow, reset) or the index is closed
 * (segment closed or deleted), not left to the garbage collector: an index's mapping otherwise
 * keeps a deleted file's pages and address space until some later GC, which with many segments
 * or a small heap may be never. Touching an unmapped buffer crashes the JVM, so every access goes
 * through {@link #acquire()}, which counts the users of the current {@link Mapping}: a replaced or
 * closed mapping is unmapped by whoever releases it last, the index's own reference or the last
 * reader still searching it. A reader that arrives after close gets {@link SegmentClosedException},
 * as a read of a closed segment's file does.
 */
abstract class MappedIndex {
    private final Path file;
    private final long baseOffset;
    private final int entrySize;
    private final int maxIndexSize;
    /** The current mapping; null once closed. */
    private volatile Mapping mapping;
    private volatile int entries;
    private volatile int maxEntries;

    /**
     * Opens {@code file}, creating it if absent. An existing file's entry count is its length over
     * the entry size; {@code active} then extends it to full size for appending.
     */
    MappedIndex(Path file, long baseOffset, int entrySize, int maxIndexSize, boolean active) throws IOException {
        this.file = file;
        this.baseOffset = baseOffset;
        this.entrySize = entrySize;
        this.maxIndexSize = maxIndexSize;
        long length = Files.exists(file) ? Files.size(file) : 0;
        if (length % entrySize != 0) {
            throw new CorruptIndexException(file + " is " + length + " bytes, not a whole number of "
                + entrySize + "-byte entries");
        }
        if (length > Integer.MAX_VALUE) {
            throw new CorruptIndexException(file + " is " + length + " bytes, larger than any index");
        }
        this.entries = (int) (length / entrySize);
        remap(active ? Math.max(fullSize(), (int) length) : (int) length);
    }

    private int fullSize() {
        return maxIndexSize / entrySize * entrySize;
    }

    private void remap(int size) throws IOException {
        remap(size, false);
    }

    /** Sets the file's length and maps it; {@code sync} makes the length durable before returning. */
    private void remap(int size, boolean sync) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
            long current = channel.size();
            if (current > size) {
                channel.truncate(size);
            } else if (current < size) {
                // Writing the last byte extends the file sparsely, as RandomAccessFile.setLength does.
                channel.write(ByteBuffer.allocate(1), size - 1L);
            }
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
            if (sync) {
                mapped.force();
                channel.force(true);
            }
            // Publish the new mapping before retiring the old one, so a reader that finds the old
            // one retired finds the new one on its next look.
            Mapping old = mapping;
            mapping = new Mapping(mapped);
            if (old != null) {
                old.close();
            }
        }
        maxEntries = size / entrySize;
    }

    final Path file() {
        return file;
    }

    final long baseOffset() {
        return baseOffset;
    }

    final int entries() {
        return entries;
    }

    final int maxEntries() {
        return maxEntries;
    }

    /** Bytes of the entries (not of the preallocated file). */
    final int sizeInBytes() {
        return entries * entrySize;
    }

    boolean isFull() {
        return entries >= maxEntries;
    }

    /**
     * The current mapping, held until the returned handle is closed (use try-with-resources); read
     * {@link #entries()} before it. Never blocks.
     *
     * @throws SegmentClosedException if the index is closed
     */
    final Mapping acquire() {
        while (true) {
            Mapping current = mapping;
            if (current == null) {
                throw new SegmentClosedException("index " + file + " is closed");
            }
            if (current.tryAcquire()) {
                return current;
            }
            // Retired between the read and the acquire: its successor is already published.
        }
    }

    /**
     * Writer only: unmaps the file as soon as no reader is using it. Idempotent; later accesses
     * fail with {@link SegmentClosedException}.
     */
    final void close() {
        Mapping old = mapping;
        mapping = null;
        if (old != null) {
            old.close();
        }
    }

    /**
     * The entries a reader holding {@code m} may read: the published count, and never past the
     * mapping (a writer truncating and trimming meanwhile may have shrunk it).
     */
    final int readableEntries(Mapping m) {
        return Math.min(entries, m.buffer().capacity() / entrySize);
    }

    /** Writer only: makes the entry just written at slot {@code entries()} visible. */
    final void publishEntry() {
        entries = entries + 1;
    }

    /** Writer only: the slot where the next entry goes, growing the file back to full size if it was trimmed. */
    final int slotForAppend() throws IOException {
        if (entries >= maxEntries) {
            if (maxEntries < fullSize() / entrySize) {
                remap(fullSize());
            } else {
                throw new IllegalStateException("index " + file + " is full at " + entries + " entries");
            }
        }
        return entries * entrySize;
    }

    final int relativeOffset(long offset) {
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " cannot be stored relative to base offset "
                + baseOffset + " in " + file);
        }
        return (int) relative;
    }

    /**
     * The last slot among the first {@code count} whose key is at most {@code target}, or -1 if
     * every key is greater. Keys never decrease from slot to slot.
     */
    final int lastSlotAtOrBelow(long target, int count, MappedByteBuffer buffer) {
        int low = 0;
        int high = count - 1;
        int found = -1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (key(buffer, mid) <= target) {
                found = mid;
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return found;
    }

    /** The search key of slot {@code slot}. */
    abstract long key(MappedByteBuffer buffer, int slot);

    /** Writer only: keeps the first {@code count} entries. */
    final void truncateToEntries(int count) {
        if (count < 0 || count > entries) {
            throw new IllegalArgumentException("cannot keep " + count + " of " + entries + " entries");
        }
        entries = count;
    }

    /** Writer only: drops every entry, as before a rebuild. */
    final void reset() throws IOException {
        entries = 0;
        remap(fullSize());
    }

    /**
     * Writer only: cuts the file to its entries, as a rolled or closed segment keeps it, and makes
     * that durable: a reopened index trusts its length.
     */
    final void trimToEntries() throws IOException {
        remap(entries * entrySize, true);
    }

    /** Writer only: grows the file back to full size for appending. */
    final void makeAppendable() throws IOException {
        if (maxEntries < fullSize() / entrySize) {
            remap(fullSize());
        }
    }

    final void flush() {
        try (Mapping m = acquire()) {
            m.buffer().force();
        }
    }

    /**
     * Cheap checks that a file not rebuilt after a crash holds real entries: a zero-filled tail left
     * by preallocation shows up as a last entry whose keys fall below the first entry's.
     *
     * @throws CorruptIndexException if the entries cannot be trusted
     */
    abstract void sanityCheck(long segmentSize);

    /**
     * One mapping of the index file and a count of its holders: the index itself (until the mapping
     * is replaced or the index closed) plus each reader between {@link MappedIndex#acquire()} and
     * {@link #close()}. The count never rises again once it reaches zero, and the mapping is
     * unmapped exactly then.
     */
    static final class Mapping implements AutoCloseable {
        private final MappedByteBuffer buffer;
        private final AtomicInteger holders = new AtomicInteger(1);

        private Mapping(MappedByteBuffer buffer) {
            this.buffer = buffer;
        }

        MappedByteBuffer buffer() {
            return buffer;
        }

        private boolean tryAcquire() {
            while (true) {
                int n = holders.get();
                if (n == 0) {
                    return false;
                }
                if (holders.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
        }

        /** Lets go of this holder's use; the last one unmaps. */
        @Override
        public void close() {
            if (holders.decrementAndGet() == 0) {
                Unmapper.unmap(buffer);
            }
        }
    }

    /**
     * Unmaps a mapped buffer now instead of when it is garbage collected, through the JDK's
     * {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported, looked up reflectively so the
     * code compiles without it). Where it is missing the buffer is left to the garbage collector,
     * as before.
     */
    private static final class Unmapper {
        private static final MethodHandle INVOKE_CLEANER = lookup();

        private static MethodHandle lookup() {
            try {
                Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
                Field field = unsafeClass.getDeclaredField("theUnsafe");
                field.setAccessible(true);
                Object unsafe = field.get(null);
                return MethodHandles.lookup().findVirtual(unsafeClass, "invokeCleaner",
                    MethodType.methodType(void.class, ByteBuffer.class)).bindTo(unsafe);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        static void unmap(MappedByteBuffer buffer) {
            if (INVOKE_CLEANER == null) {
                return;
            }
            try {
                INVOKE_CLEANER.invokeExact((ByteBuffer) buffer);
            } catch (Throwable e) {
                throw new IllegalStateException("cannot unmap an index buffer", e);
            }
        }
    }

    /** An index file whose contents cannot be trusted; the segment is then rebuilt from its log. */
    static final class CorruptIndexException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CorruptIndexException(String message) {
            super(message);
        }
    }
}
