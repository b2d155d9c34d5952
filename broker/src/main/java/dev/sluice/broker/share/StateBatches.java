package dev.sluice.broker.share;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The delivery state of a share-partition's offsets past its start offset, as the share
 * coordinator keeps it: non-overlapping offset ranges, each with a delivery state and count.
 *
 * <p>Merging a write's ranges follows Kafka's share coordinator: where a new range overlaps a
 * stored one, the higher delivery count wins, then the higher delivery state (so a late write of
 * an older view of a record cannot take back its progress); elsewhere each range stands as it is.
 * Ranges below the start offset are dropped, a range across it is cut at it, and touching ranges
 * with the same state and count are joined.
 */
public final class StateBatches {
    /** One range of offsets, both ends inclusive, and their delivery state and count. */
    public record Batch(long firstOffset, long lastOffset, byte deliveryState, short deliveryCount) {
        public Batch {
            if (lastOffset < firstOffset) {
                throw new IllegalArgumentException("range " + firstOffset + "-" + lastOffset + " is empty");
            }
        }

        Batch within(long first, long last) {
            return new Batch(first, last, deliveryState, deliveryCount);
        }

        boolean sameDelivery(Batch other) {
            return deliveryState == other.deliveryState && deliveryCount == other.deliveryCount;
        }

        /** Whether this range's view of its records supersedes {@code other}'s. */
        boolean winsOver(Batch other) {
            if (deliveryCount != other.deliveryCount) {
                return deliveryCount > other.deliveryCount;
            }
            return deliveryState >= other.deliveryState;
        }
    }

    private final TreeMap<Long, Batch> byFirst = new TreeMap<>();

    public StateBatches() {
    }

    public StateBatches(List<Batch> batches, long startOffset) {
        merge(batches, startOffset);
    }

    /** The ranges in offset order. */
    public List<Batch> batches() {
        return List.copyOf(byFirst.values());
    }

    public boolean isEmpty() {
        return byFirst.isEmpty();
    }

    /** Merges {@code incoming} (in any order, overlapping or not) and drops what lies below {@code startOffset}. */
    public void merge(List<Batch> incoming, long startOffset) {
        for (Batch b : incoming) {
            put(b);
        }
        prune(startOffset);
        coalesce();
    }

    private void put(Batch b) {
        split(b.firstOffset());
        split(b.lastOffset() + 1);
        NavigableMap<Long, Batch> covered = byFirst.subMap(b.firstOffset(), true, b.lastOffset(), true);
        List<Batch> result = new ArrayList<>();
        long next = b.firstOffset();
        for (Batch old : covered.values()) {
            if (old.firstOffset() > next) {
                result.add(b.within(next, old.firstOffset() - 1));
            }
            result.add(old.winsOver(b) ? old : b.within(old.firstOffset(), old.lastOffset()));
            next = old.lastOffset() + 1;
        }
        if (next <= b.lastOffset()) {
            result.add(b.within(next, b.lastOffset()));
        }
        covered.clear();
        result.forEach(r -> byFirst.put(r.firstOffset(), r));
    }

    /** Cuts the range holding {@code offset} so that one range starts there. */
    private void split(long offset) {
        Map.Entry<Long, Batch> e = byFirst.floorEntry(offset);
        if (e == null || e.getKey() == offset || e.getValue().lastOffset() < offset) {
            return;
        }
        Batch b = e.getValue();
        byFirst.put(b.firstOffset(), b.within(b.firstOffset(), offset - 1));
        byFirst.put(offset, b.within(offset, b.lastOffset()));
    }

    private void prune(long startOffset) {
        if (startOffset < 0) {
            return;
        }
        split(startOffset);
        byFirst.headMap(startOffset, false).clear();
    }

    private void coalesce() {
        List<Batch> joined = new ArrayList<>();
        for (Batch b : byFirst.values()) {
            Batch last = joined.isEmpty() ? null : joined.get(joined.size() - 1);
            if (last != null && last.lastOffset() + 1 == b.firstOffset() && last.sameDelivery(b)) {
                joined.set(joined.size() - 1, last.within(last.firstOffset(), b.lastOffset()));
            } else {
                joined.add(b);
            }
        }
        byFirst.clear();
        joined.forEach(b -> byFirst.put(b.firstOffset(), b));
    }
}
