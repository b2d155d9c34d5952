package dev.sluice.storage.remote;

import dev.sluice.storage.AbortedTxn;
import dev.sluice.storage.PartitionLog;
import dev.sluice.storage.TimestampAndOffset;
import dev.sluice.storage.TransactionIndex;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordCursor;
import dev.sluice.wire.record.MemoryRecords;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One partition's segments in the cold tier, under a key prefix of its own
 * ({@code <topic>-<partition>-<topic id>/}):
 * <ul>
 *   <li>{@code <base offset, 20 digits>.log}, {@code .index}, {@code .timeindex}: the segment and
 *       its indexes, byte for byte as on local disk, and its {@code .txnindex} (layout in
 *       {@link TransactionIndex}) when it has one, i.e. when an ABORT marker lies in it;</li>
 *   <li>{@code <base>.snapshot} and {@code <base>.leader-epoch-checkpoint}: the producer-state
 *       snapshot and leader-epoch history as of the segment's end, when the caller has them;</li>
 *   <li>{@code manifest}: the {@link RemoteManifest}, rewritten after every upload and deletion.</li>
 * </ul>
 * An upload puts the segment's objects first and the manifest last, so a crash at any point
 * leaves the manifest naming only whole segments; the next upload of the same segment simply puts
 * its objects again. Deletion rewrites the manifest first and deletes objects after.
 *
 * <p>Threading: uploads and deletions are serialised by this object's lock; reads use the
 * published manifest and never wait for them.
 */
public final class RemoteLog {
    private static final int INDEX_CACHE_ENTRIES = 64;
    private static final int BATCH_HEADER = 61;
    private static final int MIN_READ = 64 * 1024;

    private final ObjectStore store;
    private final String prefix;
    private final ChunkCache chunks;
    private volatile RemoteManifest manifest = RemoteManifest.EMPTY;
    private volatile boolean loaded;
    private final Map<Long, ByteBuffer> indexCache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, ByteBuffer> eldest) {
            return size() > INDEX_CACHE_ENTRIES;
        }
    };
    /** Tiered segments' aborted transactions (none for a segment without a transaction index), by base offset. */
    private final Map<Long, List<AbortedTxn>> abortCache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, List<AbortedTxn>> eldest) {
            return size() > INDEX_CACHE_ENTRIES;
        }
    };

    public RemoteLog(ObjectStore store, String prefix, ChunkCache chunks) {
        this.store = store;
        this.chunks = chunks;
        this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
    }

    /** The key prefix for a partition: topic, partition and topic id, so a re-created topic starts afresh. */
    public static String prefix(String topic, int partition, String topicId) {
        return topic + "-" + partition + "-" + topicId + "/";
    }

    /** Reads the manifest from the store (an absent one means nothing is tiered yet). */
    public synchronized void load() throws IOException {
        Optional<byte[]> bytes = store.get(prefix + "manifest");
        try {
            manifest = bytes.map(RemoteManifest::decode).orElse(RemoteManifest.EMPTY);
            loaded = true;
        } catch (IllegalArgumentException e) {
            throw new IOException("unreadable manifest " + prefix + "manifest in " + store.describe(), e);
        }
    }

    /** Whether the manifest has been read (a store that did not answer at start-up leaves it unread). */
    public boolean isLoaded() {
        return loaded;
    }

    public RemoteManifest manifest() {
        return manifest;
    }

    /** The first offset the cold tier serves, or -1 when it holds nothing. */
    public long startOffset() {
        RemoteManifest m = manifest;
        return m.segments().isEmpty() ? -1 : Math.max(m.startOffset(), m.segments().get(0).baseOffset());
    }

    /** One past the last tiered offset, or -1. */
    public long endOffset() {
        return manifest.endOffset();
    }

    private static String name(long baseOffset) {
        return String.format("%020d", baseOffset);
    }

    /**
     * Copies a rolled segment (and the state files given, any of which may be null) to the store
     * and records it in the manifest. A segment already recorded is skipped.
     */
    public synchronized void upload(PartitionLog.RolledSegment segment, Path producerSnapshot, Path leaderEpochs)
            throws IOException {
        requireLoaded();
        RemoteManifest current = manifest;
        if (current.endOffset() >= segment.nextOffset()) {
            return;
        }
        String base = prefix + name(segment.baseOffset());
        store.put(base + ".log", segment.logFile());
        if (Files.exists(segment.offsetIndexFile())) {
            store.put(base + ".index", segment.offsetIndexFile());
        }
        if (Files.exists(segment.timeIndexFile())) {
            store.put(base + ".timeindex", segment.timeIndexFile());
        }
        if (Files.exists(segment.txnIndexFile())) {
            store.put(base + TransactionIndex.SUFFIX, segment.txnIndexFile());
        }
        if (producerSnapshot != null && Files.exists(producerSnapshot)) {
            store.put(base + ".snapshot", producerSnapshot);
        }
        if (leaderEpochs != null && Files.exists(leaderEpochs)) {
            store.put(base + ".leader-epoch-checkpoint", leaderEpochs);
        }
        // A new leader's segment may begin inside what an earlier leader tiered (replicas roll at
        // different offsets): it is kept whole, overlapping the tail before it, as Kafka keeps
        // such a segment. Entries it covers entirely go: one at the same base offset had its
        // objects just replaced by this segment's (a byte-for-byte superset, replicas being
        // copies), the others' objects are deleted once the manifest no longer names them.
        List<RemoteSegment> segments = new ArrayList<>();
        List<RemoteSegment> covered = new ArrayList<>();
        for (RemoteSegment s : current.segments()) {
            if (s.baseOffset() < segment.baseOffset()) {
                segments.add(s);
            } else if (s.baseOffset() > segment.baseOffset()) {
                covered.add(s);
            }
        }
        segments.add(new RemoteSegment(segment.baseOffset(), segment.nextOffset(), segment.size(),
            segment.maxTimestamp()));
        long start = current.segments().isEmpty() ? segment.baseOffset() : current.startOffset();
        publish(new RemoteManifest(start, segments));
        synchronized (indexCache) {
            indexCache.remove(segment.baseOffset());
        }
        synchronized (abortCache) {
            abortCache.remove(segment.baseOffset());
        }
        deleteObjects(covered);
    }

    /**
     * The tiered segment holding {@code offset} (the one ending last when segments overlap), or
     * empty when the manifest as last read has none.
     */
    public Optional<RemoteSegment> segmentHolding(long offset) {
        RemoteSegment found = null;
        for (RemoteSegment s : manifest.segments()) {
            if (s.baseOffset() <= offset && offset < s.nextOffset()
                && (found == null || s.nextOffset() > found.nextOffset())) {
                found = s;
            }
        }
        return offset < startOffset() ? Optional.empty() : Optional.ofNullable(found);
    }

    /** The producer-state snapshot stored with {@code segment} (the state at its end), if it was uploaded with one. */
    public Optional<byte[]> producerSnapshot(RemoteSegment segment) throws IOException {
        return store.get(prefix + name(segment.baseOffset()) + ".snapshot");
    }

    /** The leader-epoch checkpoint stored with {@code segment} (as of its upload), if it was uploaded with one. */
    public Optional<byte[]> leaderEpochs(RemoteSegment segment) throws IOException {
        return store.get(prefix + name(segment.baseOffset()) + ".leader-epoch-checkpoint");
    }

    /** A write based on a manifest never read would replace the real one and forget its segments. */
    private void requireLoaded() throws IOException {
        if (!loaded) {
            throw new IOException("the manifest of " + this + " has not been read yet");
        }
    }

    private void publish(RemoteManifest next) throws IOException {
        store.put(prefix + "manifest", next.encode());
        manifest = next;
    }

    /**
     * Removes the oldest segments while {@code doomed} says so (retention); returns how many went.
     * The manifest is rewritten first, then the objects are deleted.
     */
    public synchronized int deleteOldest(Predicate<RemoteSegment> doomed) throws IOException {
        requireLoaded();
        RemoteManifest current = manifest;
        int n = 0;
        while (n < current.segments().size() && doomed.test(current.segments().get(n))) {
            n++;
        }
        if (n == 0) {
            return 0;
        }
        List<RemoteSegment> kept = current.segments().subList(n, current.segments().size());
        long start = kept.isEmpty() ? -1 : Math.max(current.startOffset(), kept.get(0).baseOffset());
        publish(new RemoteManifest(start, kept));
        deleteObjects(current.segments().subList(0, n));
        return n;
    }

    /** DeleteRecords: the cold tier serves nothing below {@code offset} any more. */
    public synchronized void deleteBefore(long offset) throws IOException {
        if (!loaded) {
            load();
        }
        RemoteManifest current = manifest;
        if (current.segments().isEmpty() || offset <= startOffset()) {
            return;
        }
        List<RemoteSegment> gone = new ArrayList<>();
        List<RemoteSegment> kept = new ArrayList<>();
        for (RemoteSegment s : current.segments()) {
            (s.nextOffset() <= offset ? gone : kept).add(s);
        }
        publish(new RemoteManifest(kept.isEmpty() ? -1 : offset, kept));
        deleteObjects(gone);
    }

    /** Topic deletion: every object under the prefix, manifest first. */
    public synchronized void deleteAll() throws IOException {
        store.delete(List.of(prefix + "manifest"));
        manifest = RemoteManifest.EMPTY;
        store.delete(store.list(prefix));
    }

    /**
     * Deletes objects under the prefix that the manifest does not name (uploads that died before
     * their manifest, deletions that died after it).
     */
    public synchronized int removeOrphans() throws IOException {
        requireLoaded();
        Set<String> live = new HashSet<>();
        live.add(prefix + "manifest");
        for (RemoteSegment s : manifest.segments()) {
            live.add(prefix + name(s.baseOffset()));
        }
        List<String> orphans = new ArrayList<>();
        for (String key : store.list(prefix)) {
            if (!live.contains(key) && !live.contains(stem(key))) {
                orphans.add(key);
            }
        }
        store.delete(orphans);
        return orphans.size();
    }

    private static String stem(String key) {
        int slash = key.lastIndexOf('/');
        int dot = key.indexOf('.', slash + 1);
        return dot < 0 ? key : key.substring(0, dot);
    }

    private void deleteObjects(List<RemoteSegment> segments) throws IOException {
        List<String> keys = new ArrayList<>();
        for (RemoteSegment s : segments) {
            String base = prefix + name(s.baseOffset());
            for (String suffix : List.of(".log", ".index", ".timeindex", TransactionIndex.SUFFIX, ".snapshot",
                ".leader-epoch-checkpoint")) {
                keys.add(base + suffix);
            }
            synchronized (indexCache) {
                indexCache.remove(s.baseOffset());
            }
            synchronized (abortCache) {
                abortCache.remove(s.baseOffset());
            }
        }
        store.delete(keys);
    }

    /**
     * Adds to {@code out} the aborted transactions a read_committed fetch from {@code fetchOffset}
     * up to {@code upperBoundOffset} must know of, from the tiered segments holding
     * {@code fetchOffset} and those after it that begin below {@code localStart} (the local log
     * covers the rest), by the rule of {@link TransactionIndex#collect}.
     *
     * @return whether no later segment (in this tier or on local disk) can hold more
     */
    public boolean collectAbortedTransactions(long fetchOffset, long upperBoundOffset, long localStart,
                                              List<AbortedTxn> out) throws IOException {
        RemoteManifest m = manifest;
        for (RemoteSegment s : m.segments()) {
            if (s.nextOffset() <= fetchOffset) {
                continue;
            }
            if (s.baseOffset() >= localStart) {
                return false;
            }
            if (TransactionIndex.collect(aborts(s), fetchOffset, upperBoundOffset, out)) {
                return true;
            }
        }
        return false;
    }

    private List<AbortedTxn> aborts(RemoteSegment segment) throws IOException {
        synchronized (abortCache) {
            List<AbortedTxn> cached = abortCache.get(segment.baseOffset());
            if (cached != null) {
                return cached;
            }
        }
        String key = prefix + name(segment.baseOffset()) + TransactionIndex.SUFFIX;
        List<AbortedTxn> loaded = store.get(key).map(bytes -> TransactionIndex.decode(bytes, key)).orElse(List.of());
        synchronized (abortCache) {
            abortCache.put(segment.baseOffset(), loaded);
        }
        return loaded;
    }

    /**
     * Whole batches from the one holding {@code offset}, up to {@code maxBytes} (at least one batch
     * when {@code minOneBatch}); empty if the cold tier does not hold {@code offset}.
     */
    public Optional<MemoryRecords> read(long offset, int maxBytes, boolean minOneBatch) throws IOException {
        RemoteManifest m = manifest;
        RemoteSegment segment = null;
        for (RemoteSegment s : m.segments()) {
            if (offset < s.nextOffset()) {
                segment = s;
                break;
            }
        }
        if (segment == null || offset < startOffset()) {
            return Optional.empty();
        }
        String key = prefix + name(segment.baseOffset()) + ".log";
        long position = indexPosition(segment, Math.max(offset, segment.baseOffset()));
        ByteBuffer out = null;
        while (position < segment.size()) {
            int window = (int) Math.min(segment.size() - position, Math.max(maxBytes, MIN_READ) + BATCH_HEADER);
            ByteBuffer chunk = chunks.read(store, key, segment.size(), position, window);
            int used = 0;
            int first = -1;
            while (chunk.remaining() - used >= 12) {
                int size = batchSize(chunk, chunk.position() + used, segment.size() - position - used, key);
                if (chunk.remaining() - used < Math.min(size, BATCH_HEADER)) {
                    break;
                }
                long last = chunk.getLong(chunk.position() + used) + chunk.getInt(chunk.position() + used + 23);
                if (first < 0 && last < offset) {
                    used += size;
                    continue;
                }
                if (first < 0) {
                    first = used;
                }
                int taken = used + size - first;
                if (taken > maxBytes && (!minOneBatch || used > first)) {
                    break;
                }
                if (chunk.remaining() - used < size) {
                    if (used == first) {
                        // The first batch is larger than the window: read exactly it.
                        ByteBuffer whole = chunks.read(store, key, segment.size(), position + used, size);
                        return Optional.of(MemoryRecords.readableRecords(whole));
                    }
                    break;
                }
                used += size;
            }
            if (first >= 0) {
                out = chunk.duplicate();
                out.position(chunk.position() + first).limit(chunk.position() + used);
                break;
            }
            if (used == 0) {
                break;
            }
            position += used;
        }
        if (out == null) {
            // Past the last batch of this segment (compacted gaps): the next segment starts later.
            for (RemoteSegment s : m.segments()) {
                if (s.baseOffset() > offset && s.baseOffset() >= segment.nextOffset()) {
                    return read(s.baseOffset(), maxBytes, minOneBatch);
                }
            }
            return Optional.of(MemoryRecords.EMPTY);
        }
        return Optional.of(MemoryRecords.readableRecords(out.slice()));
    }

    /**
     * The first record at or after {@code timestamp} in the cold tier, from {@code fromOffset} on;
     * empty if no tiered record is that late. Batches are walked without holding their records; a
     * compressed one may expand to at most {@code maxDecompressedBytes} (the log's
     * {@code LogConfig#maxDecompressedBatchBytes}).
     */
    public Optional<TimestampAndOffset> offsetForTimestamp(long timestamp, long fromOffset, int maxDecompressedBytes)
        throws IOException {
        RemoteManifest m = manifest;
        for (RemoteSegment s : m.segments()) {
            if (s.nextOffset() <= fromOffset || s.maxTimestamp() < timestamp) {
                continue;
            }
            String key = prefix + name(s.baseOffset()) + ".log";
            long position = 0;
            while (position < s.size()) {
                int window = (int) Math.min(s.size() - position, 1 << 20);
                ByteBuffer chunk = store.read(key, position, window).orElseThrow(() ->
                    new IOException("segment object " + key + " named in the manifest is missing"));
                int used = 0;
                while (chunk.remaining() - used >= BATCH_HEADER) {
                    int at = chunk.position() + used;
                    int size = batchSize(chunk, at, s.size() - position - used, key);
                    long last = chunk.getLong(at) + chunk.getInt(at + 23);
                    long maxTimestamp = chunk.getLong(at + 35);
                    if (last >= fromOffset && maxTimestamp >= timestamp) {
                        ByteBuffer whole = chunk.remaining() - used >= size
                            ? chunk.duplicate().position(at).limit(at + size).slice()
                            : store.read(key, position + used, size).orElseThrow();
                        RecordBatch batch = RecordBatch.wrap(whole);
                        try (RecordCursor records = batch.recordCursor(maxDecompressedBytes)) {
                            while (records.next()) {
                                if (records.offset() >= fromOffset && records.timestamp() >= timestamp) {
                                    int epoch = batch.partitionLeaderEpoch();
                                    return Optional.of(new TimestampAndOffset(records.timestamp(), records.offset(),
                                        epoch >= 0 ? OptionalInt.of(epoch) : OptionalInt.empty()));
                                }
                            }
                        }
                    }
                    if (chunk.remaining() - used < size) {
                        break;
                    }
                    used += size;
                }
                if (used == 0) {
                    break;
                }
                position += used;
            }
        }
        return Optional.empty();
    }

    /**
     * The size of the batch at {@code at}, framing included, checked against what is left of its
     * segment object before anything is read or allocated by it: a damaged object must fail the
     * read, not ask for gigabytes.
     */
    private static int batchSize(ByteBuffer chunk, int at, long leftInSegment, String key) throws IOException {
        long size = 12L + chunk.getInt(at + 8);
        if (size < BATCH_HEADER || size > leftInSegment) {
            throw new IOException("segment object " + key + " holds a batch of " + size + " bytes with "
                + leftInSegment + " bytes left in it: the object is damaged");
        }
        return (int) size;
    }

    /** Position of the last indexed batch ending at or before {@code offset}, from the cached index. */
    private long indexPosition(RemoteSegment segment, long offset) throws IOException {
        ByteBuffer index;
        synchronized (indexCache) {
            index = indexCache.get(segment.baseOffset());
        }
        if (index == null) {
            index = store.get(prefix + name(segment.baseOffset()) + ".index").map(ByteBuffer::wrap)
                .orElse(ByteBuffer.allocate(0));
            synchronized (indexCache) {
                indexCache.put(segment.baseOffset(), index);
            }
        }
        // Entries are (offset - base, position), ascending; a binary search for the last entry at
        // or below the offset. Rolled segments' indexes are trimmed to their entries.
        int low = 0;
        int high = index.limit() / 8 - 1;
        long position = 0;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            long entryOffset = segment.baseOffset() + index.getInt(mid * 8);
            if (entryOffset <= offset) {
                position = index.getInt(mid * 8 + 4);
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return position;
    }

    @Override
    public String toString() {
        return store.describe() + "/" + prefix;
    }
}
