package dev.sluice.broker.share;

import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The delivery state of one share-partition (one share group reading one topic partition, KIP-932)
 * on the broker that leads the partition: which offsets are handed out to which member, until
 * when, how often each was delivered, and which are done.
 *
 * <p>Offsets below the start offset (SPSO) are done. Offsets from it up to the end offset (SPEO,
 * the highest offset ever acquired or loaded) are in flight; each has a state (AVAILABLE 0,
 * ACQUIRED 1, ACKNOWLEDGED 2, ARCHIVED 4 — the ids the share coordinator persists), a delivery
 * count, the member holding it and its lock deadline while ACQUIRED, and whether an acknowledgement
 * of it is on its way to the share coordinator. ACKNOWLEDGED and ARCHIVED are terminal: once the
 * lowest in-flight offsets are terminal the start offset moves past them. Offsets past the end
 * offset have never been handed out.
 *
 * <p>The in-flight window is bounded by {@code maxRecordLocks} plus at most one log batch, so it is
 * kept per offset in parallel arrays indexed from the start offset, shifted down only when the end
 * needs room. That keeps acquisition and acknowledgement simple loops without range splitting.
 *
 * <p>Acknowledgements are two-phase because they must be persisted before they take effect:
 * {@link #acknowledge} checks and marks the offsets pending, and the caller {@link #commit commits}
 * or {@link #rollback rolls back} once the write is done. Releases (a member leaving, a lock
 * expiring, the log start moving) cannot be refused, so they apply at once and hand back what the
 * caller should persist afterwards. Every such delta is a list of {@link StateBatches.Batch} with
 * the state and count after the change, neighbours with equal state and count joined.
 *
 * <p>Pure logic: no I/O, no clock (times come in as {@code nowMs}), no timers. Not thread-safe:
 * the caller serializes every call, e.g. on the share-partition's executor.
 */
public final class SharePartition {
    static final byte AVAILABLE = 0;
    static final byte ACQUIRED = 1;
    static final byte ACKNOWLEDGED = 2;
    static final byte ARCHIVED = 4;

    static final byte GAP = 0;
    static final byte ACCEPT = 1;
    static final byte RELEASE = 2;
    static final byte REJECT = 3;
    static final byte RENEW = 4;

    /**
     * @param lockDurationMs     how long an acquisition holds its records ({@code group.share.record.lock.duration.ms})
     * @param deliveryCountLimit deliveries after which a record is archived rather than offered again
     *                           (at least 2, as in Kafka, so a record released once can be retried)
     * @param maxRecordLocks     in-flight offsets beyond which no new offsets are acquired
     */
    public record Settings(long lockDurationMs, int deliveryCountLimit, int maxRecordLocks) {
        public static final Settings DEFAULTS = new Settings(30_000, 5, 2000);

        public Settings {
            if (lockDurationMs <= 0 || deliveryCountLimit < 2 || deliveryCountLimit > Short.MAX_VALUE
                || maxRecordLocks < 1) {
                throw new IllegalArgumentException("invalid share-partition settings " + lockDurationMs + "/"
                    + deliveryCountLimit + "/" + maxRecordLocks);
            }
        }
    }

    /** One record batch of the log, both ends inclusive, as the caller read it. */
    public record LogBatch(long baseOffset, long lastOffset) {
        public LogBatch {
            if (lastOffset < baseOffset) {
                throw new IllegalArgumentException("log batch " + baseOffset + "-" + lastOffset + " is empty");
            }
        }
    }

    /** Offsets handed to a member by one acquisition, all delivered {@code deliveryCount} times. */
    public record Acquired(long firstOffset, long lastOffset, short deliveryCount) {
    }

    /**
     * Acknowledgement of offsets {@code firstOffset..lastOffset}: one type for all of them, or one
     * per offset. Types: 0 GAP, 1 ACCEPT, 2 RELEASE, 3 REJECT, 4 RENEW.
     */
    public record AckRange(long firstOffset, long lastOffset, List<Byte> types) {
        public AckRange {
            types = types == null ? null : List.copyOf(types);
        }
    }

    /**
     * The outcome of {@link #acknowledge}: an error and nothing changed, or offsets now pending
     * with {@code delta} to persist. {@code startOffset} is the start offset once the ack is
     * applied (past the offsets at the front that are done, or that this ack completes) and
     * {@code deliveryCompleteCount} the terminal offsets at or past it then, so the two agree with
     * each other in the coordinator. {@code id} tells {@link #commit} and
     * {@link #rollback} which pending change this is.
     */
    public record Ack(ErrorCode error, String message, List<StateBatches.Batch> delta, long startOffset,
                      int deliveryCompleteCount, long id) {
        public Ack {
            delta = List.copyOf(delta);
        }

        static Ack failed(ErrorCode error, String message) {
            return new Ack(error, message, List.of(), -1, -1, 0);
        }

        public boolean ok() {
            return error == ErrorCode.NONE;
        }
    }

    /** A change already applied, to persist: {@code delta}, the start offset and completed count after it. */
    public record Release(List<StateBatches.Batch> delta, long startOffset, int deliveryCompleteCount) {
        public Release {
            delta = List.copyOf(delta);
        }

        public boolean isEmpty() {
            return delta.isEmpty();
        }
    }

    private final Settings settings;
    /** Delivery count from which re-deliveries are throttled, so a poison record does not take its neighbours down. */
    private final int throttleFrom;

    private long start;
    private int size;
    private int head;
    private byte[] states;
    private short[] counts;
    private String[] members;
    private long[] deadlines;
    /** Id of the ack an offset's acknowledgement is pending in, 0 if none. */
    private long[] pendingAcks;

    private int acquired;
    private int terminal;
    /** No ACQUIRED, not pending offset has an earlier deadline; may be early after acks and releases. */
    private long deadlineBound = Long.MAX_VALUE;
    private long lastAckId;
    private final Delta unpersisted = new Delta();

    public SharePartition(Settings settings) {
        this.settings = Objects.requireNonNull(settings);
        this.throttleFrom = Math.max(2, (settings.deliveryCountLimit() + 1) / 2);
        allocate(16);
    }

    /**
     * Replaces the state with the share coordinator's: offsets below {@code startOffset} are done,
     * {@code persisted} (ascending, non-overlapping, states 0, 2 or 4) gives the rest; offsets
     * between its ranges were never delivered and are AVAILABLE with count 0.
     *
     * @throws IllegalArgumentException if the ranges are out of order, below the start offset or invalid
     */
    public void load(long startOffset, List<StateBatches.Batch> persisted) {
        if (startOffset < 0) {
            throw new IllegalArgumentException("start offset " + startOffset + " is not resolved");
        }
        long end = startOffset - 1;
        for (StateBatches.Batch b : persisted) {
            if (b.firstOffset() < startOffset) {
                throw new IllegalArgumentException("range " + b.firstOffset() + "-" + b.lastOffset()
                    + " starts below the start offset " + startOffset);
            }
            if (b.firstOffset() <= end || b.lastOffset() < b.firstOffset()) {
                throw new IllegalArgumentException("range " + b.firstOffset() + "-" + b.lastOffset()
                    + " overlaps the one before or is empty");
            }
            byte s = b.deliveryState();
            if ((s != AVAILABLE && s != ACKNOWLEDGED && s != ARCHIVED) || b.deliveryCount() < 0) {
                throw new IllegalArgumentException("range " + b.firstOffset() + "-" + b.lastOffset()
                    + " has state " + s + " and count " + b.deliveryCount());
            }
            end = b.lastOffset();
        }
        if (end - startOffset + 1 > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("persisted ranges span too many offsets");
        }
        int n = (int) (end - startOffset + 1);
        allocate(Math.max(16, n));
        start = startOffset;
        size = n;
        head = 0;
        acquired = 0;
        terminal = 0;
        deadlineBound = Long.MAX_VALUE;
        unpersisted.clear();
        for (StateBatches.Batch b : persisted) {
            for (long o = b.firstOffset(); o <= b.lastOffset(); o++) {
                int idx = index(o);
                states[idx] = b.deliveryState();
                counts[idx] = b.deliveryCount();
                if (isTerminal(b.deliveryState())) {
                    terminal++;
                }
            }
        }
        advanceStart();
    }

    /** The share-partition start offset: every offset below it is done. */
    public long startOffset() {
        return start;
    }

    /** The highest offset acquired or loaded so far; {@code startOffset() - 1} when nothing is in flight. */
    public long endOffset() {
        return start + size - 1;
    }

    /** Where the next acquisition starts: the lowest offset that can be handed out. */
    public long nextFetchOffset() {
        for (int i = 0; i < size; i++) {
            if (acquirable(head + i)) {
                return start + i;
            }
        }
        return start + size;
    }

    /** Offsets at or past the start offset whose delivery is complete (ACKNOWLEDGED or ARCHIVED). */
    public int deliveryCompleteCount() {
        return terminal;
    }

    /** Offsets currently ACQUIRED by some member, pending acknowledgements included. */
    public int acquiredCount() {
        return acquired;
    }

    /** Offsets from the start offset to the end offset. */
    public int inFlightCount() {
        return size;
    }

    /** Whether a fetch reading up to {@code highWatermark} (exclusive) would find something to acquire. */
    public boolean hasAvailable(long highWatermark) {
        return nextFetchOffset() <= endOffset()
            || (endOffset() + 1 < highWatermark && size < settings.maxRecordLocks());
    }

    /**
     * Acquires records for {@code memberId} from the log batches the caller read from
     * {@link #nextFetchOffset()} on (in order, the first possibly starting below it): AVAILABLE
     * offsets in flight are delivered again, offsets past the end offset for the first time.
     *
     * <p>At most {@code maxRecords} are taken, except that new offsets are taken up to the end of
     * the log batch holding the last one allowed, so whole batches go out (ShareFetch's
     * batch_optimized mode), unless {@code exact} (its record_limit mode); new offsets also stop at
     * {@code maxRecordLocks} in flight. Offsets the batches leave out (compacted away) are archived
     * and reported by {@link #takeUnpersistedChanges()}. Re-deliveries of records at or past half
     * the delivery limit are throttled: such a run is acquired alone and only a shrinking part of it,
     * a single record on its last delivery, so that one bad record costs its neighbours little.
     *
     * @param batchSize the returned ranges are cut at a log batch boundary once this long (≤ 0: never)
     */
    public List<Acquired> acquire(String memberId, List<LogBatch> logBatches, int maxRecords, int batchSize,
                                  long nowMs) {
        return acquire(memberId, logBatches, maxRecords, batchSize, false, nowMs);
    }

    /** As {@link #acquire(String, List, int, int, long)}; {@code exact} takes no more than {@code maxRecords}. */
    public List<Acquired> acquire(String memberId, List<LogBatch> logBatches, int maxRecords, int batchSize,
                                  boolean exact, long nowMs) {
        if (maxRecords <= 0 || logBatches.isEmpty()) {
            return List.of();
        }
        archiveMissing(nextFetchOffset(), logBatches);
        long from = nextFetchOffset();
        long lastInLog = logBatches.get(logBatches.size() - 1).lastOffset();
        Ranges out = new Ranges(batchSize);
        int budget = maxRecords;
        boolean decided = false;
        boolean throttled = false;
        int throttledCount = 0;
        int throttledTake = 0;
        long newAllowed = -1;
        long newTaken = 0;
        int lastNewBatch = -1;
        walk:
        for (int bi = 0; bi < logBatches.size(); bi++) {
            LogBatch b = logBatches.get(bi);
            for (long o = Math.max(b.baseOffset(), from); o <= b.lastOffset(); o++) {
                if (o <= endOffset()) {
                    int idx = index(o);
                    if (!acquirable(idx)) {
                        continue;
                    }
                    int c = counts[idx];
                    if (!decided) {
                        decided = true;
                        throttled = isPoisoned(c);
                        throttledCount = c;
                        throttledTake = throttled ? poisonShare(o, c, lastInLog) : 0;
                    } else if (throttled ? c != throttledCount || o != out.last + 1 : isPoisoned(c)) {
                        // A throttled run is never mixed with other records, and a poisoned record
                        // met later waits for a fetch of its own.
                        break walk;
                    }
                    if (budget <= 0 || (throttled && out.total >= throttledTake)) {
                        break walk;
                    }
                } else {
                    if (throttled) {
                        break walk;
                    }
                    decided = true;
                    if (newAllowed < 0) {
                        newAllowed = Math.min(budget, (long) settings.maxRecordLocks() - size);
                    }
                    if (newTaken >= newAllowed && (exact || lastNewBatch != bi)) {
                        break walk;
                    }
                    extendTo(o);
                    newTaken++;
                    lastNewBatch = bi;
                }
                int idx = index(o);
                take(idx, memberId, nowMs);
                budget--;
                out.add(o, counts[idx], o == b.baseOffset());
            }
        }
        advanceStart();
        return out.list();
    }

    /**
     * Checks {@code ranges} from {@code memberId} and, if all is well, marks their offsets pending
     * and returns what to persist; RENEW restarts the lock at once and persists nothing. Offsets
     * below the start offset are ignored. On any error nothing changes.
     */
    public Ack acknowledge(String memberId, List<AckRange> ranges, long nowMs) {
        long previousLast = Long.MIN_VALUE;
        for (AckRange r : ranges) {
            if (r == null || r.types() == null || r.types().isEmpty() || r.firstOffset() < 0
                || r.lastOffset() < r.firstOffset() || r.firstOffset() <= previousLast) {
                return Ack.failed(ErrorCode.INVALID_REQUEST, "acknowledgement ranges must be non-empty, ascending"
                    + " and non-overlapping");
            }
            if (r.types().size() != 1 && r.types().size() != r.lastOffset() - r.firstOffset() + 1) {
                return Ack.failed(ErrorCode.INVALID_REQUEST, "range " + r.firstOffset() + "-" + r.lastOffset()
                    + " has " + r.types().size() + " acknowledgement types");
            }
            for (Byte t : r.types()) {
                if (t == null || t < GAP || t > RENEW) {
                    return Ack.failed(ErrorCode.INVALID_REQUEST, "unknown acknowledgement type " + t);
                }
            }
            if (r.lastOffset() > endOffset()) {
                return Ack.failed(ErrorCode.INVALID_REQUEST, "offset " + r.lastOffset()
                    + " was never acquired (end offset " + endOffset() + ")");
            }
            previousLast = r.lastOffset();
        }
        for (AckRange r : ranges) {
            for (long o = Math.max(r.firstOffset(), start); o <= r.lastOffset(); o++) {
                int idx = index(o);
                if (states[idx] != ACQUIRED || pendingAcks[idx] != 0 || !Objects.equals(memberId, members[idx])) {
                    return Ack.failed(ErrorCode.INVALID_RECORD_STATE, "offset " + o
                        + " is not acquired by this member");
                }
            }
        }
        long id = ++lastAckId;
        Delta delta = new Delta();
        int completing = 0;
        java.util.BitSet completes = new java.util.BitSet();
        for (AckRange r : ranges) {
            for (long o = Math.max(r.firstOffset(), start); o <= r.lastOffset(); o++) {
                int idx = index(o);
                byte type = r.types().size() == 1 ? r.types().get(0) : r.types().get((int) (o - r.firstOffset()));
                if (type == RENEW) {
                    deadlines[idx] = nowMs + settings.lockDurationMs();
                    deadlineBound = Math.min(deadlineBound, deadlines[idx]);
                    continue;
                }
                byte target = switch (type) {
                    case ACCEPT -> ACKNOWLEDGED;
                    case RELEASE -> releasedState(idx);
                    default -> ARCHIVED;
                };
                pendingAcks[idx] = id;
                delta.add(o, target, counts[idx]);
                if (isTerminal(target)) {
                    completing++;
                    completes.set(idx);
                }
            }
        }
        // Written with the start offset this ack moves to once it is done, so the share coordinator
        // (and kafka-share-groups --describe) does not lag a write behind.
        long after = start;
        while (after <= endOffset()) {
            int idx = index(after);
            if (!(pendingAcks[idx] == 0 && isTerminal(states[idx]) || completes.get(idx))) {
                break;
            }
            after++;
        }
        return new Ack(ErrorCode.NONE, "", delta.batches(), after, terminal + completing - (int) (after - start), id);
    }

    /** Applies an ack once persisted, and moves the start offset past the done offsets at the front. */
    public void commit(Ack ack) {
        settle(ack, true);
        advanceStart();
    }

    /** Forgets an ack whose persisting failed: its offsets are ACQUIRED as before and can be acked again. */
    public void rollback(Ack ack) {
        settle(ack, false);
    }

    private void settle(Ack ack, boolean apply) {
        if (!ack.ok()) {
            return;
        }
        for (StateBatches.Batch b : ack.delta()) {
            for (long o = Math.max(b.firstOffset(), start); o <= Math.min(b.lastOffset(), endOffset()); o++) {
                int idx = index(o);
                if (pendingAcks[idx] != ack.id()) {
                    continue;
                }
                pendingAcks[idx] = 0;
                if (apply) {
                    setState(idx, b.deliveryState());
                } else {
                    deadlineBound = Math.min(deadlineBound, deadlines[idx]);
                }
            }
        }
    }

    /** Returns every record {@code memberId} holds (acks pending aside), e.g. when it leaves the group. */
    public Release releaseMember(String memberId) {
        Delta delta = new Delta();
        for (int i = 0; i < size; i++) {
            int idx = head + i;
            if (states[idx] == ACQUIRED && pendingAcks[idx] == 0 && Objects.equals(memberId, members[idx])) {
                release(idx, start + i, delta);
            }
        }
        advanceStart();
        return new Release(delta.batches(), start, terminal);
    }

    /**
     * When {@link #expireLocks} should next be called: never early enough to miss an expiry, but
     * possibly early (then it finds nothing). {@link Long#MAX_VALUE} when nothing is acquired.
     */
    public long nextLockDeadline() {
        return acquired == 0 ? Long.MAX_VALUE : deadlineBound;
    }

    /** Returns the records whose lock ran out by {@code nowMs}; cheap when none can have. */
    public Release expireLocks(long nowMs) {
        if (acquired == 0 || nowMs < deadlineBound) {
            return new Release(List.of(), start, terminal);
        }
        Delta delta = new Delta();
        long bound = Long.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            int idx = head + i;
            if (states[idx] != ACQUIRED || pendingAcks[idx] != 0) {
                continue;
            }
            if (deadlines[idx] <= nowMs) {
                release(idx, start + i, delta);
            } else {
                bound = Math.min(bound, deadlines[idx]);
            }
        }
        deadlineBound = bound;
        advanceStart();
        return new Release(delta.batches(), start, terminal);
    }

    /**
     * The log's start offset moved to {@code logStartOffset} (retention, DeleteRecords): what lies
     * below it can no longer be delivered, so it is archived, held or not, and the start offset follows.
     */
    public Release logStartMoved(long logStartOffset) {
        Delta delta = new Delta();
        if (logStartOffset <= start) {
            return new Release(List.of(), start, terminal);
        }
        long upTo = Math.min(logStartOffset - 1, endOffset());
        for (long o = start; o <= upTo; o++) {
            int idx = index(o);
            if (!isTerminal(states[idx])) {
                pendingAcks[idx] = 0;
                setState(idx, ARCHIVED);
                delta.add(o, ARCHIVED, counts[idx]);
            }
        }
        dropFront((int) (upTo - start + 1));
        if (start < logStartOffset) {
            start = logStartOffset;
        }
        advanceStart();
        return new Release(delta.batches(), start, terminal);
    }

    /**
     * Changes made inside {@link #acquire} (offsets missing from the log, archived) that the caller
     * should persist; the list is emptied by this call.
     */
    public Release takeUnpersistedChanges() {
        Release r = new Release(unpersisted.batches(), start, terminal);
        unpersisted.clear();
        return r;
    }

    private boolean isPoisoned(int count) {
        return count >= throttleFrom || count >= settings.deliveryCountLimit() - 1;
    }

    /** How many of the run of AVAILABLE offsets with count {@code c} from {@code first} to acquire. */
    private int poisonShare(long first, int c, long lastInLog) {
        if (c >= settings.deliveryCountLimit() - 1) {
            return 1;
        }
        long n = 0;
        long limit = Math.min(endOffset(), lastInLog);
        for (long o = first; o <= limit && acquirable(index(o)) && counts[index(o)] == c; o++) {
            n++;
        }
        return (int) Math.max(1, n >> (c - throttleFrom + 1));
    }

    /**
     * Archives AVAILABLE in-flight offsets from {@code from} up to the last batch that no batch
     * covers: the caller read the log from there, so those records are gone from it.
     */
    private void archiveMissing(long from, List<LogBatch> logBatches) {
        long upTo = Math.min(endOffset(), logBatches.get(logBatches.size() - 1).lastOffset());
        int bi = 0;
        for (long o = from; o <= upTo; o++) {
            while (logBatches.get(bi).lastOffset() < o) {
                bi++;
            }
            int idx = index(o);
            if (logBatches.get(bi).baseOffset() > o && acquirable(idx)) {
                setState(idx, ARCHIVED);
                unpersisted.add(o, ARCHIVED, counts[idx]);
            }
        }
        advanceStart();
    }

    /** Adds offsets up to {@code offset} to the window; those skipped over are missing from the log. */
    private void extendTo(long offset) {
        long end = endOffset();
        int newSize = size + (int) (offset - end);
        ensureRoom(newSize);
        for (long o = end + 1; o <= offset; o++) {
            int idx = head + (int) (o - start);
            boolean missing = o < offset;
            states[idx] = missing ? ARCHIVED : AVAILABLE;
            counts[idx] = 0;
            members[idx] = null;
            deadlines[idx] = 0;
            pendingAcks[idx] = 0;
            if (missing) {
                terminal++;
                unpersisted.add(o, ARCHIVED, (short) 0);
            }
        }
        size = newSize;
    }

    private void take(int idx, String memberId, long nowMs) {
        setState(idx, ACQUIRED);
        counts[idx]++;
        members[idx] = memberId;
        deadlines[idx] = nowMs + settings.lockDurationMs();
        deadlineBound = Math.min(deadlineBound, deadlines[idx]);
    }

    private void release(int idx, long offset, Delta delta) {
        byte target = releasedState(idx);
        setState(idx, target);
        delta.add(offset, target, counts[idx]);
    }

    /** A released record is offered again unless it has used up its deliveries. */
    private byte releasedState(int idx) {
        return counts[idx] >= settings.deliveryCountLimit() ? ARCHIVED : AVAILABLE;
    }

    private void setState(int idx, byte next) {
        byte prev = states[idx];
        if (prev == ACQUIRED) {
            acquired--;
        }
        if (isTerminal(prev)) {
            terminal--;
        }
        if (next == ACQUIRED) {
            acquired++;
        } else {
            members[idx] = null;
        }
        if (isTerminal(next)) {
            terminal++;
        }
        states[idx] = next;
    }

    private void advanceStart() {
        int k = 0;
        while (k < size && isTerminal(states[head + k])) {
            k++;
        }
        dropFront(k);
    }

    /** Removes {@code k} offsets, all terminal, from the front of the window. */
    private void dropFront(int k) {
        for (int i = 0; i < k; i++) {
            members[head + i] = null;
        }
        terminal -= k;
        head += k;
        size -= k;
        start += k;
        if (size == 0) {
            head = 0;
        }
    }

    private boolean acquirable(int idx) {
        return states[idx] == AVAILABLE && pendingAcks[idx] == 0;
    }

    private static boolean isTerminal(byte state) {
        return state == ACKNOWLEDGED || state == ARCHIVED;
    }

    private int index(long offset) {
        return head + (int) (offset - start);
    }

    private void allocate(int capacity) {
        states = new byte[capacity];
        counts = new short[capacity];
        members = new String[capacity];
        deadlines = new long[capacity];
        pendingAcks = new long[capacity];
    }

    /** Makes room for {@code newSize} offsets from {@code head}, moving the window to index 0. */
    private void ensureRoom(int newSize) {
        if (head + newSize <= states.length) {
            return;
        }
        int capacity = states.length;
        while (capacity < newSize) {
            capacity *= 2;
        }
        // copyOfRange pads past the old arrays' end, so shifting and growing are one step.
        states = Arrays.copyOfRange(states, head, head + capacity);
        counts = Arrays.copyOfRange(counts, head, head + capacity);
        members = Arrays.copyOfRange(members, head, head + capacity);
        deadlines = Arrays.copyOfRange(deadlines, head, head + capacity);
        pendingAcks = Arrays.copyOfRange(pendingAcks, head, head + capacity);
        head = 0;
    }

    /** Changed offsets, in ascending order, joined into ranges of equal state and count. */
    private static final class Delta {
        private final List<StateBatches.Batch> batches = new ArrayList<>();

        void add(long offset, byte state, short count) {
            int last = batches.size() - 1;
            if (last >= 0) {
                StateBatches.Batch b = batches.get(last);
                if (b.lastOffset() + 1 == offset && b.deliveryState() == state && b.deliveryCount() == count) {
                    batches.set(last, new StateBatches.Batch(b.firstOffset(), offset, state, count));
                    return;
                }
            }
            batches.add(new StateBatches.Batch(offset, offset, state, count));
        }

        List<StateBatches.Batch> batches() {
            return List.copyOf(batches);
        }

        void clear() {
            batches.clear();
        }
    }

    /** Acquired offsets joined into ranges of equal delivery count, cut at log batches once long enough. */
    private static final class Ranges {
        private final int batchSize;
        private final List<Acquired> out = new ArrayList<>();
        private long first = -1;
        private long last = -2;
        private short count;
        private int total;

        Ranges(int batchSize) {
            this.batchSize = batchSize;
        }

        void add(long offset, short deliveryCount, boolean startsLogBatch) {
            total++;
            boolean longEnough = batchSize > 0 && last - first + 1 >= batchSize;
            if (offset == last + 1 && deliveryCount == count && !(startsLogBatch && longEnough)) {
                last = offset;
                return;
            }
            flush();
            first = offset;
            last = offset;
            count = deliveryCount;
        }

        List<Acquired> list() {
            flush();
            return List.copyOf(out);
        }

        private void flush() {
            if (first >= 0) {
                out.add(new Acquired(first, last, count));
            }
        }
    }
}
