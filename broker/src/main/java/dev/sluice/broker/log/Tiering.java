package dev.sluice.broker.log;

import dev.sluice.storage.LogConfig;
import dev.sluice.storage.PartitionLog;
import dev.sluice.storage.remote.ChunkCache;
import dev.sluice.storage.remote.ObjectStore;
import dev.sluice.storage.remote.RemoteLog;
import dev.sluice.storage.remote.RemoteSegment;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves tiered topics' rolled segments to the object store and enforces their total retention
 * there, on one thread of its own every {@code remote.log.manager.task.interval.ms}, so that a slow
 * or unreachable store delays tiering but never blocks a produce or a local fetch.
 *
 * <p>Only a partition's leader writes to the store. Per partition it leads and round: (1) every rolled segment below the high watermark that the cold tier
 * does not hold yet is uploaded, oldest first, with the producer-state snapshot taken at its end
 * and the leader-epoch checkpoint; (2) remote segments past {@code retention.ms} or beyond
 * {@code retention.bytes} (counting remote and local bytes) are deleted, and local segments below
 * the new start follow; (3) local retention then deletes local copies that the store holds. A
 * failure is logged once until the partition succeeds again, and retried next round. A follower
 * re-reads the manifest every round and lets local retention delete what the store holds, never
 * more.
 */
final class Tiering implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Tiering.class);

    private final ObjectStore store;
    /** Segment reads for all tiered partitions: 8 chunks of 4 MiB, at most 32 MiB of heap. */
    private final ChunkCache chunks = new ChunkCache(4 << 20, 8);
    private final Supplier<Collection<Partition>> partitions;
    private final InstantSource clock;
    private final ScheduledExecutorService thread;
    private final Set<Partition> failing = new HashSet<>();
    private final Set<Partition> cleaned = new HashSet<>();
    /** The leader epoch each partition this broker leads last read its manifest at. Tiering thread only. */
    private final Map<Partition, Integer> leaderEpochs = new HashMap<>();
    private final Counter bytesUploaded;
    private final Counter segmentsUploaded;
    private final Counter segmentsDeleted;
    private volatile long lagBytes;
    private final Reads reads;

    /** Fetches served from the object store: bytes and latency. */
    record Reads(Counter bytes, Timer latency) {
        void record(long nanos, int size) {
            latency.record(nanos, TimeUnit.NANOSECONDS);
            bytes.increment(size);
        }
    }

    Tiering(ObjectStore store, long intervalMs, Supplier<Collection<Partition>> partitions, InstantSource clock,
            MeterRegistry registry) {
        this.store = store;
        this.partitions = partitions;
        this.clock = clock;
        this.bytesUploaded = Counter.builder("sluice.remote.upload.bytes").baseUnit("bytes")
            .description("Bytes of segments copied to the object store").register(registry);
        this.segmentsUploaded = Counter.builder("sluice.remote.upload.segments")
            .description("Segments copied to the object store").register(registry);
        this.segmentsDeleted = Counter.builder("sluice.remote.delete.segments")
            .description("Segments deleted from the object store by retention").register(registry);
        registry.gauge("sluice.remote.tiering.lag.bytes", this, t -> t.lagBytes);
        this.reads = new Reads(Counter.builder("sluice.remote.fetch.bytes").baseUnit("bytes")
            .description("Bytes of records served from the object store").register(registry),
            Timer.builder("sluice.remote.fetch.latency").publishPercentiles(0.5, 0.99)
                .description("Time to read records from the object store for one partition of a fetch")
                .register(registry));
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-tiering");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::round, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    Reads reads() {
        return reads;
    }

    /** A remote log for a partition of a tiered topic, its manifest loaded when the store answers. */
    RemoteLog remoteLogFor(Partition p) {
        RemoteLog remote = new RemoteLog(store, RemoteLog.prefix(p.topic(), p.index(), p.topicId().toString()), chunks);
        try {
            remote.load();
        } catch (IOException e) {
            log.warn("Cannot read the cold-tier manifest of {} from {} yet; tiering retries: {}", p, store.describe(),
                e.toString());
        }
        return remote;
    }

    /** Deletes a deleted topic's partition from the store, in the background. */
    void deleteRemote(Partition p, RemoteLog remote) {
        thread.execute(() -> {
            try {
                remote.deleteAll();
            } catch (IOException e) {
                log.warn("Cannot delete the cold-tier data of deleted partition {} from {}: {}", p, remote, e.toString());
            }
        });
    }

    private void round() {
        long lag = 0;
        for (Partition p : partitions.get()) {
            RemoteLog remote = p.remote();
            if (remote == null || !p.tiering().enabled() || p.isOffline()) {
                continue;
            }
            if (!p.isLeader()) {
                follow(p, remote);
                continue;
            }
            List<PartitionLog.RolledSegment> rolled = p.log().rolledSegments(p.highWatermark());
            try {
                tier(p, remote, rolled);
                if (failing.remove(p)) {
                    log.info("Tiering of {} to {} works again", p, store.describe());
                }
            } catch (IOException | RuntimeException e) {
                if (failing.add(p)) {
                    log.warn("Cannot tier {} to {} (retrying every round; produce and local reads carry on): {}", p,
                        store.describe(), e.toString());
                }
            } finally {
                lag += waitingBytes(rolled, remote);
            }
        }
        lagBytes = lag;
    }

    /** Bytes of the rolled segments the store does not hold yet. */
    private static long waitingBytes(List<PartitionLog.RolledSegment> rolled, RemoteLog remote) {
        long waiting = 0;
        for (PartitionLog.RolledSegment segment : rolled) {
            if (segment.nextOffset() > remote.endOffset()) {
                waiting += segment.size();
            }
        }
        return waiting;
    }

    /**
     * A follower's round: it never writes to the store (only the leader does, as in Kafka), but
     * reads the manifest the leader keeps there, as Kafka's followers read the remote log
     * metadata, and lets local retention delete local copies the store now holds; the store's
     * start (its total retention) moves the local start up too.
     */
    private void follow(Partition p, RemoteLog remote) {
        leaderEpochs.remove(p);
        try {
            remote.load();
            long remoteStart = remote.startOffset();
            if (remoteStart > p.localLogStartOffset()) {
                p.advanceLocalStart(remoteStart).join();
            }
            p.applyRetention().join();
            if (failing.remove(p)) {
                log.info("Reading the cold-tier manifest of {} from {} works again", p, store.describe());
            }
        } catch (IOException | RuntimeException e) {
            if (failing.add(p)) {
                log.warn("Cannot read the cold-tier manifest of follower {} from {} (retrying every round; local "
                    + "segments stay until it is read): {}", p, store.describe(), e.toString());
            }
        }
    }

    /** One round for one partition, over its rolled segments below the high watermark. */
    private void tier(Partition p, RemoteLog remote, List<PartitionLog.RolledSegment> rolled) throws IOException {
        Integer tieredAt = leaderEpochs.get(p);
        if (!remote.isLoaded() || tieredAt == null || tieredAt != p.leaderEpoch()) {
            // A new leadership starts from the store's manifest, not from what this broker last
            // saw: the previous leader went on uploading after that, and this one continues
            // after its last segment, copying nothing twice and skipping nothing.
            remote.load();
            leaderEpochs.put(p, p.leaderEpoch());
        }
        if (cleaned.add(p)) {
            // Once per partition: objects of uploads or deletions a crash cut short.
            int orphans = remote.removeOrphans();
            if (orphans > 0) {
                log.info("Deleted {} objects of {} that its manifest does not name", orphans, p);
            }
        }
        PartitionLog partitionLog = p.log();
        for (PartitionLog.RolledSegment segment : rolled) {
            if (segment.nextOffset() <= remote.endOffset() || segment.nextOffset() <= partitionLog.logStartOffset()) {
                continue;
            }
            Path dir = partitionLog.dir();
            remote.upload(segment, dir.resolve(String.format("%020d.snapshot", segment.nextOffset())),
                dir.resolve("leader-epoch-checkpoint"));
            bytesUploaded.increment(segment.size());
            segmentsUploaded.increment();
        }
        applyTotalRetention(p, remote, partitionLog.config(), rolled);
        long remoteStart = remote.startOffset();
        if (remoteStart > p.localLogStartOffset()) {
            p.advanceLocalStart(remoteStart).join();
        }
        p.applyRetention().join();
    }

    private void applyTotalRetention(Partition p, RemoteLog remote, LogConfig config,
                                     List<PartitionLog.RolledSegment> rolled) throws IOException {
        if (!config.delete() || config.retentionMs() < 0 && config.retentionBytes() < 0) {
            return;
        }
        long now = clock.millis();
        long localOnly = 0;
        for (PartitionLog.RolledSegment s : rolled) {
            if (s.baseOffset() >= remote.endOffset()) {
                localOnly += s.size();
            }
        }
        long[] excess = {config.retentionBytes() < 0 ? -1 : remote.manifest().size() + localOnly - config.retentionBytes()};
        int deleted = remote.deleteOldest((RemoteSegment s) -> {
            boolean byTime = config.retentionMs() >= 0 && s.maxTimestamp() >= 0 && now - s.maxTimestamp() > config.retentionMs();
            boolean bySize = excess[0] >= 0 && excess[0] - s.size() >= 0;
            if (byTime || bySize) {
                excess[0] -= s.size();
                return true;
            }
            return false;
        });
        if (deleted > 0) {
            segmentsDeleted.increment(deleted);
            log.info("Retention deleted {} cold-tier segments of {}; the log now starts at offset {}", deleted, p,
                p.logStartOffset());
        }
    }

    @Override
    public void close() throws IOException {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}
