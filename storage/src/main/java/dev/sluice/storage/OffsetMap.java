package dev.sluice.storage;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The log cleaner's key → latest offset map over a log's dirty range, held within a memory budget
 * (its share of {@code log.cleaner.dedupe.buffer.size}). A key is stored as the 128-bit MD5 digest
 * of its bytes, so an entry is 24 bytes (digest and offset) whatever the key size; two distinct
 * keys sharing a digest is treated as impossible. Open addressing with linear probing in one
 * {@code long[]} of three longs a slot; the table starts small and grows up to the budget, so a
 * small log costs little. It takes at most 90% as many entries as the budget has slots, to keep
 * probes short.
 *
 * <p>Not thread-safe: one map per cleaner thread, cleared between passes.
 */
final class OffsetMap {
    /** Bytes of one slot. */
    static final int BYTES_PER_ENTRY = 24;
    private static final int INITIAL_SLOTS = 1024;
    private static final long EMPTY = -1;

    private final int maxSlots;
    private final int maxEntries;
    private final MessageDigest md5;
    private long[] table;
    private int slots;
    private int size;
    private long digestHigh;
    private long digestLow;

    /** @param budgetBytes memory for the table; at least two slots' worth */
    OffsetMap(long budgetBytes) {
        this.maxSlots = (int) Math.min(Integer.MAX_VALUE / 3, Math.max(2, budgetBytes / BYTES_PER_ENTRY));
        this.maxEntries = Math.max(1, (int) (maxSlots * 0.9));
        try {
            this.md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
        allocate(Math.min(maxSlots, INITIAL_SLOTS));
    }

    private void allocate(int count) {
        slots = count;
        table = new long[count * 3];
        clearTable();
    }

    private void clearTable() {
        for (int i = 2; i < table.length; i += 3) {
            table[i] = EMPTY;
        }
    }

    int size() {
        return size;
    }

    int maxEntries() {
        return maxEntries;
    }

    void clear() {
        if (slots > INITIAL_SLOTS) {
            allocate(INITIAL_SLOTS);
        } else {
            clearTable();
        }
        size = 0;
    }

    /**
     * Records {@code offset} (not negative) as the latest offset of {@code key} (read between
     * position and limit, not moved).
     *
     * @return false, changing nothing, if the key is new and the map is full
     */
    boolean put(ByteBuffer key, long offset) {
        digest(key);
        int slot = find();
        if (table[slot * 3 + 2] != EMPTY) {
            table[slot * 3 + 2] = offset;
            return true;
        }
        if (size >= maxEntries) {
            return false;
        }
        if (size + 1 > slots * 0.75 && slots < maxSlots) {
            long high = digestHigh;
            long low = digestLow;
            grow();
            digestHigh = high;
            digestLow = low;
            slot = find();
        }
        table[slot * 3] = digestHigh;
        table[slot * 3 + 1] = digestLow;
        table[slot * 3 + 2] = offset;
        size++;
        return true;
    }

    /** The latest offset recorded for {@code key}, or -1. */
    long get(ByteBuffer key) {
        digest(key);
        return table[find() * 3 + 2];
    }

    /** The slot holding the current digest, or the empty slot where it would go. */
    private int find() {
        int slot = (int) Long.remainderUnsigned(digestHigh, slots);
        while (table[slot * 3 + 2] != EMPTY && (table[slot * 3] != digestHigh || table[slot * 3 + 1] != digestLow)) {
            slot = slot + 1 == slots ? 0 : slot + 1;
        }
        return slot;
    }

    private void grow() {
        long[] old = table;
        allocate((int) Math.min(maxSlots, (long) slots * 2));
        for (int i = 0; i < old.length; i += 3) {
            if (old[i + 2] != EMPTY) {
                digestHigh = old[i];
                digestLow = old[i + 1];
                int slot = find();
                table[slot * 3] = old[i];
                table[slot * 3 + 1] = old[i + 1];
                table[slot * 3 + 2] = old[i + 2];
            }
        }
    }

    private void digest(ByteBuffer key) {
        md5.reset();
        md5.update(key.duplicate());
        ByteBuffer hash = ByteBuffer.wrap(md5.digest());
        digestHigh = hash.getLong();
        digestLow = hash.getLong();
    }

    @Override
    public String toString() {
        return "OffsetMap(" + size + " of " + maxEntries + " entries, " + slots + " slots)";
    }
}
