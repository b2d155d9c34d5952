package dev.sluice.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
 * <p>Threading: one writer (the partition's) appends, truncates and resizes; readers on any thread
 * search concurrently. An entry's bytes are written before the volatile entry count that makes
 * them visible, and readers read the count first, so a reader sees only whole entries. Resizing
 * swaps in a new mapping; a reader still using the old one only reads below the entry count,
 * which is inside both. Mappings are never unmapped explicitly (the JDK has no supported way);
 * the garbage collector releases them.
 */
abstract class MappedIndex {
    private final Path file;
    private final long baseOffset;
    private final int entrySize;
    private final int maxIndexSize;
    private volatile MappedByteBuffer mmap;
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
            mmap = mapped;
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

    /** The mapping to read from; read {@link #entries()} before it. */
    final MappedByteBuffer buffer() {
        return mmap;
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
        mmap.force();
    }

    /**
     * Cheap checks that a file not rebuilt after a crash holds real entries: a zero-filled tail left
     * by preallocation shows up as a last entry whose keys fall below the first entry's.
     *
     * @throws CorruptIndexException if the entries cannot be trusted
     */
    abstract void sanityCheck(long segmentSize);

    /** An index file whose contents cannot be trusted; the segment is then rebuilt from its log. */
    static final class CorruptIndexException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CorruptIndexException(String message) {
            super(message);
        }
    }
}
