package dev.sluice.storage;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The log cleaner's key → latest offset map over a log's dirty range, with a hard entry limit
 * derived from {@code log.cleaner.dedupe.buffer.size}. A key is stored as the 128-bit MD5 digest
 * of its bytes (24 bytes an entry with the offset), so memory does not depend on key sizes; two
 * distinct keys sharing a digest is treated as impossible. Open addressing with linear probing;
 * the tables start small and double up to what the limit needs, so a small log costs little.
 *
 * <p>Not thread-safe: one map per cleaner thread, cleared between logs.
 */
final class OffsetMap {
    /** Bytes one entry stands for when a memory budget is turned into an entry limit. */
    static final int BYTES_PER_ENTRY = 24;
    private static final int INITIAL_SLOTS = 1024;

    private final int maxEntries;
    private final MessageDigest md5;
    private long[] high;
    private long[] low;
    private long[] offsets;
    private boolean[] used;
    private int size;

    /** @param maxEntries at least one */
    OffsetMap(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("an offset map needs room for one entry, not " + maxEntries);
        }
        this.maxEntries = maxEntries;
        try {
            this.md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
        allocate(INITIAL_SLOTS);
    }

    /** The entry limit a memory budget allows. */
    static int entriesFor(long bytes) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE / 4, bytes / BYTES_PER_ENTRY));
    }

    private void allocate(int slots) {
        high = new long[slots];
        low = new long[slots];
        offsets = new long[slots];
        used = new boolean[slots];
    }

    int size() {
        return size;
    }

    int maxEntries() {
        return maxEntries;
    }

    void clear() {
        if (high.length > INITIAL_SLOTS) {
            allocate(INITIAL_SLOTS);
        } else {
            java.util.Arrays.fill(used, false);
        }
        size = 0;
    }

    /**
     * Records {@code offset} as the latest offset of {@code key} (read between position and limit,
     * not moved).
     *
     * @return false, changing nothing, if the key is new and the map is full
     */
    boolean put(ByteBuffer key, long offset) {
        long[] digest = digest(key);
        int slot = find(digest[0], digest[1]);
        if (used[slot]) {
            offsets[slot] = offset;
            return true;
        }
        if (size >= maxEntries) {
            return false;
        }
        if ((size + 1) * 4L > high.length * 3L) {
            grow();
            slot = find(digest[0], digest[1]);
        }
        used[slot] = true;
        high[slot] = digest[0];
        low[slot] = digest[1];
        offsets[slot] = offset;
        size++;
        return true;
    }

    /** The latest offset recorded for {@code key}, or -1. */
    long get(ByteBuffer key) {
        long[] digest = digest(key);
        int slot = find(digest[0], digest[1]);
        return used[slot] ? offsets[slot] : -1;
    }

    private int find(long h, long l) {
        int mask = high.length - 1;
        int slot = (int) (h ^ (h >>> 32)) & mask;
        while (used[slot] && (high[slot] != h || low[slot] != l)) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        long[] oldHigh = high;
        long[] oldLow = low;
        long[] oldOffsets = offsets;
        boolean[] oldUsed = used;
        allocate(oldHigh.length * 2);
        for (int i = 0; i < oldHigh.length; i++) {
            if (oldUsed[i]) {
                int slot = find(oldHigh[i], oldLow[i]);
                used[slot] = true;
                high[slot] = oldHigh[i];
                low[slot] = oldLow[i];
                offsets[slot] = oldOffsets[i];
            }
        }
    }

    private long[] digest(ByteBuffer key) {
        md5.reset();
        md5.update(key.duplicate());
        ByteBuffer hash = ByteBuffer.wrap(md5.digest());
        return new long[] {hash.getLong(), hash.getLong()};
    }
}
