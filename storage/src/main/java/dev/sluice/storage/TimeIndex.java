package dev.sluice.storage;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

/**
 * The sparse time index of one segment, file {@code <base offset>.timeindex}: when the offset
 * index gains an entry, this one records the segment's largest batch timestamp so far and the
 * batch that first reached it, if that timestamp grew. ListOffsets by time starts its scan there.
 *
 * <p>Layout: 12-byte entries, big-endian, back to back from byte 0, both fields increasing:
 * <pre>
 * offset  field           type
 *  0      timestamp       int64   largest batch max timestamp in the segment up to this entry
 *  8      relativeOffset  int32   last offset of the first batch with that timestamp, minus the
 *                                 segment's base offset
 * </pre>
 * Every batch before the one named by an entry has a max timestamp below the entry's, so the scan
 * for the first batch with max timestamp at least {@code t} may start at the last entry whose
 * timestamp is at most {@code t}. When a segment stops being active its true maximum is appended
 * as a final entry (one slot is always kept free for it), so the last entry of a rolled segment
 * gives its largest timestamp without a scan.
 *
 * <p>Recovery: as for {@link OffsetIndex}; the index is rebuilt from the segment's batches.
 * Threading as in {@link MappedIndex}.
 */
final class TimeIndex extends MappedIndex {
    static final int ENTRY_SIZE = 12;

    /** An entry, with the offset made absolute; the timestamp is -1 for an empty index. */
    record Entry(long timestamp, long offset) {
    }

    TimeIndex(Path file, long baseOffset, int maxIndexSize, boolean active) throws IOException {
        super(file, baseOffset, ENTRY_SIZE, maxIndexSize, active);
    }

    @Override
    long key(MappedByteBuffer buffer, int slot) {
        return buffer.getLong(slot * ENTRY_SIZE);
    }

    private Entry entry(MappedByteBuffer buffer, int slot) {
        return new Entry(buffer.getLong(slot * ENTRY_SIZE), baseOffset() + buffer.getInt(slot * ENTRY_SIZE + 8));
    }

    /** Full one entry early: the last slot is kept for the final entry written on roll. */
    @Override
    boolean isFull() {
        return entries() >= maxEntries() - 1;
    }

    /**
     * The last entry with timestamp at most {@code timestamp} and offset below
     * {@code offsetBound}, or (-1, base offset) when there is none. The bound keeps a reader from
     * starting past the data it may see: the writer indexes a batch before publishing it.
     */
    Entry lookup(long timestamp, long offsetBound) {
        try (Mapping m = acquire()) {
            MappedByteBuffer buffer = m.buffer();
            int slot = lastSlotAtOrBelow(timestamp, readableEntries(m), buffer);
            while (slot >= 0 && entry(buffer, slot).offset() >= offsetBound) {
                slot--;
            }
            return slot < 0 ? new Entry(-1, baseOffset()) : entry(buffer, slot);
        }
    }

    /** The last entry, or (-1, base offset) when the index is empty. */
    Entry lastEntry() {
        try (Mapping m = acquire()) {
            int count = readableEntries(m);
            return count == 0 ? new Entry(-1, baseOffset()) : entry(m.buffer(), count - 1);
        }
    }

    /**
     * Writer only: appends (timestamp, offset) if the timestamp is larger than the last entry's.
     * {@code finalEntry} may use the slot kept free for a segment's last entry.
     */
    void maybeAppend(long timestamp, long offset, boolean finalEntry) throws IOException {
        int count = entries();
        Entry last = lastEntry();
        if (count > 0 && timestamp <= last.timestamp()) {
            return;
        }
        if (timestamp < 0) {
            return;
        }
        if (!finalEntry && isFull()) {
            throw new IllegalStateException("time index " + file() + " is full at " + count + " entries");
        }
        if (count > 0 && offset < last.offset()) {
            throw new IllegalArgumentException("time index entry (" + timestamp + ", " + offset + ") goes back from "
                + last + " in " + file());
        }
        int relative = relativeOffset(offset);
        int at = slotForAppend();
        try (Mapping m = acquire()) {
            m.buffer().putLong(at, timestamp);
            m.buffer().putInt(at + 8, relative);
        }
        publishEntry();
    }

    /** Writer only: drops the entries naming offsets at or above {@code offset}. */
    void truncateToOffset(long offset) {
        int keep;
        try (Mapping m = acquire()) {
            keep = readableEntries(m);
            while (keep > 0 && entry(m.buffer(), keep - 1).offset() >= offset) {
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
        if (count > 1 && (last.timestamp() <= first.timestamp() || last.offset() < first.offset())) {
            throw new CorruptIndexException(file() + ": last entry " + last + " does not follow first entry " + first);
        }
    }
}
