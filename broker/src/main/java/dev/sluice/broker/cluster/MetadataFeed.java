package dev.sluice.broker.cluster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The committed metadata log as the active controller serves it to observers: brokers that are
 * not voters of the quorum ({@code process.roles=broker}) and so hold no Raft log of their own. As
 * in Kafka, such a broker fetches the metadata log from the quorum's leader. It asks for what
 * follows the last index it applied and gets the batches of the committed entries after it; when it
 * is behind the leader's latest snapshot it gets that snapshot (the whole image as one batch)
 * instead, then the entries after it. With nothing new, the request waits up to its maximum wait for
 * the next entry to be applied here, so a change reaches observers at once.
 *
 * <pre>
 * request  := node_id int32, position int64 (the last index the observer applied; -1: none),
 *             max_wait_ms int32
 * response := leader_id int32, leader_applied int64, kind int8, then
 *   kind ENTRIES  (0): position int64 (the observer's position after these), count int32,
 *                      count × (index int64, size int32, batch)
 *   kind SNAPSHOT (1): index int64, size int32, batch
 * </pre>
 * A batch is a {@link dev.sluice.broker.metadata.MetadataRecords} batch as the voters apply it.
 * Entries that carry no batch (Raft's own configuration and leader entries) only move the position.
 *
 * <p>Thread-safe: requests arrive on quorum threads and are answered on this feed's own thread,
 * which alone reads the log.
 */
final class MetadataFeed implements AutoCloseable {
    static final byte ENTRIES = 0;
    static final byte SNAPSHOT = 1;
    /** A response holds at least one entry and stops adding entries past this size. */
    private static final int MAX_RESPONSE_BYTES = 1 << 20;
    private static final int MAX_WAIT_MS = 5_000;
    /** An observer not heard from for this long is no longer listed. */
    private static final long FORGET_AFTER_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** What the feed reads on the leader. */
    interface Source {
        /** The last index applied here; everything up to it is committed. */
        long appliedIndex();

        /** The first index the log still holds; entries before it are in the snapshot. */
        long startIndex();

        /** The batch of entry {@code index}, or null if the entry carries none. */
        byte[] batch(long index) throws IOException;

        /** The index of the latest snapshot, or -1 if there is none. */
        long snapshotIndex();

        /** The latest snapshot's batch and index. */
        Snapshot snapshot() throws IOException;
    }

    record Snapshot(long index, byte[] batch) {
    }

    private record Seen(long position, long atNanos) {
    }

    private record Parked(long position, CompletableFuture<byte[]> answer) {
    }

    private final int leaderId;
    private final Source source;
    private final ScheduledExecutorService thread;
    private final Map<Integer, Seen> observers = new ConcurrentHashMap<>();
    private final Queue<Parked> parked = new ConcurrentLinkedQueue<>();

    MetadataFeed(int leaderId, Source source) {
        this.leaderId = leaderId;
        this.source = source;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "metadata-feed-" + leaderId);
            t.setDaemon(true);
            return t;
        });
    }

    /** Writes an observer's request. */
    static byte[] request(int nodeId, long position, int maxWaitMs) {
        return ByteBuffer.allocate(16).putInt(nodeId).putLong(position).putInt(maxWaitMs).array();
    }

    /** Answers an observer's request, at once when entries after its position are applied, else when one is. */
    CompletableFuture<byte[]> serve(ByteBuffer request) {
        if (request.remaining() < 16) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("short metadata fetch request"));
        }
        int nodeId = request.getInt();
        long position = request.getLong();
        int maxWait = Math.max(0, Math.min(MAX_WAIT_MS, request.getInt()));
        observers.put(nodeId, new Seen(position, System.nanoTime()));
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        if (source.appliedIndex() > position || maxWait == 0) {
            thread.execute(() -> complete(answer, position));
            return answer;
        }
        Parked p = new Parked(position, answer);
        parked.add(p);
        thread.schedule(() -> {
            if (parked.remove(p)) {
                complete(answer, position);
            }
        }, maxWait, TimeUnit.MILLISECONDS);
        // An entry applied between the check and parking would otherwise wait out the whole wait.
        applied();
        return answer;
    }

    /** Called whenever an entry has been applied here (on the quorum's applier thread). */
    void applied() {
        if (!parked.isEmpty() && !thread.isShutdown()) {
            thread.execute(this::wake);
        }
    }

    private void wake() {
        long applied = source.appliedIndex();
        for (Parked p : parked) {
            if (applied > p.position() && parked.remove(p)) {
                complete(p.answer(), p.position());
            }
        }
    }

    private void complete(CompletableFuture<byte[]> answer, long position) {
        try {
            answer.complete(read(position));
        } catch (IOException | RuntimeException e) {
            answer.completeExceptionally(e);
        }
    }

    private byte[] read(long position) throws IOException {
        long applied = source.appliedIndex();
        long snapshotIndex = source.snapshotIndex();
        if (position < applied && (snapshotIndex > position || position + 1 < source.startIndex())) {
            Snapshot snapshot = source.snapshot();
            if (snapshot.index() > position) {
                return ByteBuffer.allocate(4 + 8 + 1 + 8 + 4 + snapshot.batch().length).putInt(leaderId).putLong(applied)
                    .put(SNAPSHOT).putLong(snapshot.index()).putInt(snapshot.batch().length).put(snapshot.batch())
                    .array();
            }
        }
        List<byte[]> batches = new ArrayList<>();
        List<Long> indexes = new ArrayList<>();
        int bytes = 0;
        long next = position;
        while (next < applied && (batches.isEmpty() || bytes < MAX_RESPONSE_BYTES)) {
            next++;
            byte[] batch = source.batch(next);
            if (batch != null) {
                batches.add(batch);
                indexes.add(next);
                bytes += 12 + batch.length;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(4 + 8 + 1 + 8 + 4 + bytes).putInt(leaderId).putLong(applied).put(ENTRIES)
            .putLong(next).putInt(batches.size());
        for (int i = 0; i < batches.size(); i++) {
            out.putLong(indexes.get(i)).putInt(batches.get(i).length).put(batches.get(i));
        }
        return out.array();
    }

    /** The observers heard from lately: node id, last position, and milliseconds since. */
    List<QuorumState.VoterState> observers() {
        long now = System.nanoTime();
        List<QuorumState.VoterState> seen = new ArrayList<>();
        observers.entrySet().removeIf(e -> now - e.getValue().atNanos() > FORGET_AFTER_NANOS);
        observers.forEach((id, s) -> seen.add(new QuorumState.VoterState(id, s.position(),
            OptionalLong.of(TimeUnit.NANOSECONDS.toMillis(now - s.atNanos())))));
        seen.sort(java.util.Comparator.comparingInt(QuorumState.VoterState::nodeId));
        return seen;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        Parked p;
        while ((p = parked.poll()) != null) {
            p.answer().completeExceptionally(new IOException("node " + leaderId + " stopped serving the metadata log"));
        }
    }
}
