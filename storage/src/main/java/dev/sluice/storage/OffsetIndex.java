package dev.sluice.storage;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

/**
 * The sparse offset index of one segment, file {@code <base offset>.index}: every
 * {@code index.interval.bytes} of log it records where a batch starts, so a read seeks close to its
 * offset and scans only a few batch headers from there.
 *
 * <p>Layout: 8-byte entries, big-endian, back to back from byte 0, in increasing order of both
 * fields:
 * <pre>
 * offset  field           type
 *  0      relativeOffset  int32   the batch's last offset minus the segment's base offset
 *  4      position        int32   byte position of the batch in the {@code .log} file
 * </pre>
 * Every batch before {@code position} ends below {@code base + relativeOffset}, so the entry for
 * the largest relative offset at most {@code target - base} is a safe place to start scanning for
 * {@code target}. Positions are batch starts, so the same entries also find the last batch boundary
 * below a byte limit.
 *
 * <p>Recovery: the file is preallocated while active (see {@link MappedIndex}); after a crash the
 * segment is scanned and the index rebuilt from its batches, and an index that is missing or fails
 * {@link #sanityCheck} is rebuilt the same way. Threading as in {@link MappedIndex}.
 */
final class OffsetIndex extends MappedIndex {
    static final int ENTRY_SIZE = 8;

    /** An entry, with the offset made absolute. */
    record Entry(long offset, int position) {
    }

    OffsetIndex(Path file, long baseOffset, int maxIndexSize, boolean active) throws IOException {
        super(file, baseOffset, ENTRY_SIZE, maxIndexSize, active);
    }

    @Override
    long key(MappedByteBuffer buffer, int slot) {
        return buffer.getInt(slot * ENTRY_SIZE);
    }

    private static int position(MappedByteBuffer buffer, int slot) {
        return buffer.getInt(slot * ENTRY_SIZE + 4);
    }

    /**
     * The entry with the largest offset at most {@code target}, or (base offset, 0) when there is
     * none: where to start scanning for the batch holding {@code target}.
     */
    Entry lookup(long target) {
        long relative = target - baseOffset();
        if (relative < 0) {
            return new Entry(baseOffset(), 0);
        }
        try (Mapping m = acquire()) {
            MappedByteBuffer buffer = m.buffer();
            int slot = lastSlotAtOrBelow(Math.min(relative, Integer.MAX_VALUE), readableEntries(m), buffer);
            return slot < 0 ? new Entry(baseOffset(), 0) : entry(buffer, slot);
        }
    }

    /** The last batch start recorded at or below byte {@code position}, or 0 when there is none. */
    int lookupPosition(int position) {
        try (Mapping m = acquire()) {
            MappedByteBuffer buffer = m.buffer();
            int low = 0;
            int high = readableEntries(m) - 1;
            int found = 0;
            while (low <= high) {
                int mid = (low + high) >>> 1;
                int candidate = position(buffer, mid);
                if (candidate <= position) {
                    found = candidate;
                    low = mid + 1;
                } else {
                    high = mid - 1;
                }
            }
            return found;
        }
    }

    /** The last entry, or (base offset, 0) when the index is empty. */
    Entry lastEntry() {
        try (Mapping m = acquire()) {
            int count = readableEntries(m);
            return count == 0 ? new Entry(baseOffset(), 0) : entry(m.buffer(), count - 1);
        }
    }

    private Entry entry(MappedByteBuffer buffer, int slot) {
        return new Entry(baseOffset() + buffer.getInt(slot * ENTRY_SIZE), position(buffer, slot));
    }

    /**
     * Writer only: records that the batch ending at {@code lastOffset} starts at {@code position}.
     *
     * @throws IllegalArgumentException if either field does not increase on the last entry
     */
    void append(long lastOffset, int position) throws IOException {
        int relative = relativeOffset(lastOffset);
        int count = entries();
        if (count > 0) {
            Entry last = lastEntry();
            if (relative <= last.offset() - baseOffset() || position <= last.position()) {
                throw new IllegalArgumentException("index entry (" + lastOffset + ", " + position + ") does not follow "
                    + last + " in " + file());
            }
        }
        int at = slotForAppend();
        try (Mapping m = acquire()) {
            m.buffer().putInt(at, relative);
            m.buffer().putInt(at + 4, position);
        }
        publishEntry();
    }

    /** Writer only: drops the entries of batches at or after byte {@code position}. */
    void truncateToPosition(int position) {
        int keep;
        try (Mapping m = acquire()) {
            keep = readableEntries(m);
            while (keep > 0 && position(m.buffer(), keep - 1) >= position) {
                keep--;
            }
        }
        truncateToEntries(keep);
    }

    @Override
    void sanityCheck(long segmentSize) {
        Entry first;
        Entry last;
        int count;
        try (Mapping m = acquire()) {
            count = readableEntries(m);
            if (count == 0) {
                return;
            }
            first = entry(m.buffer(), 0);
            last = entry(m.buffer(), count - 1);
        }
        if (last.position() >= segmentSize || last.position() < 0) {
            throw new CorruptIndexException(file() + ": last entry " + last + " points past the log's "
                + segmentSize + " bytes");
        }
        if (count > 1 && (last.offset() <= first.offset() || last.position() <= first.position())) {
            throw new CorruptIndexException(file() + ": last entry " + last + " does not follow first entry " + first);
        }
    }
}
