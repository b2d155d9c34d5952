package dev.sluice.broker.log;

import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.storage.LogCheckpoint;
import dev.sluice.storage.OffsetCheckpointFile;
import dev.sluice.storage.LogCleaner;
import dev.sluice.storage.PartitionLog;
import dev.sluice.storage.Scheduler;
import dev.sluice.storage.remote.ObjectStore;
import dev.sluice.wire.codec.Uuid;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions this broker holds, kept in step with the cluster metadata: logs are opened at
 * start-up, created when a topic or partition appears, reconfigured when a topic's or the broker's
 * settings change, created or deleted when a reassignment places a replica here or
 * moves it away, and deleted with their topic.
 *
 * <p>Each partition lives in {@code <data dir>/<topic>-<partition>}, with a
 * {@code partition.metadata} file naming its topic id ({@code version: 0} and
 * {@code topic_id: <id>} lines), so that a directory left over from a deleted topic of the same
 * name is recognised rather than served.
 *
 * <p>A partition directory that the metadata does not account for at start-up (its topic is not in
 * the image, or has another id) is a <em>stray</em>. Strays are renamed
 * {@code <topic>-<partition>.<epoch millis>-stray} and kept, never deleted: a stray may be the only
 * copy of data whose metadata was lost (a damaged or replaced journal), and only an operator can
 * tell. The move is logged once; a directory already ending in {@code -stray} is left alone, so
 * the name can never be taken for a partition's again.
 *
 * <p>The data directory also holds {@code recovery-point-offset-checkpoint},
 * {@code log-start-offset-checkpoint} and {@code replication-offset-checkpoint} (high watermarks),
 * format and crash behaviour in {@link OffsetCheckpointFile}: read when the logs are loaded,
 * written periodically ({@link LogMaintenance}) and at {@link #close()}.
 *
 * <p>A partition is held here when this broker is one of its replicas (or its leader); its role
 * (leader or follower) is the replica manager's to change after it opens.
 *
 * <p>Threading: metadata changes arrive on the controller thread; lookups may come from any thread.
 */
public final class Partitions implements MetadataListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Partitions.class);
    private static final String PARTITION_METADATA = "partition.metadata";
    static final String STRAY_DIR_SUFFIX = "-stray";
    /** Partitions of one new topic created on the I/O threads at a time; see {@link #prepare}. */
    private static final int PREPARE_WAVE = 4;
    private static final long PRODUCER_EXPIRATION_CHECK_MS = 600_000;

    /** A topic name and partition index. */
    public record Key(String topic, int partition) {
    }

    private final Path dataDir;
    private final int nodeId;
    private final ConfigResolver resolver;
    private final long producerIdExpirationMs;
    private final ExecutorService io;
    private final ScheduledExecutorService housekeeping;
    private final InstantSource clock = InstantSource.system();
    private final Map<Key, Partition> partitions = new ConcurrentHashMap<>();
    private final List<Partition.AppendListener> appendListeners = new CopyOnWriteArrayList<>();
    private final List<Partition.HighWatermarkListener> highWatermarkListeners = new CopyOnWriteArrayList<>();
    /** Who sends a leader's ISR changes to the controller; none on a single broker. */
    private volatile Partition.IsrListener isrListener = (partition, proposal) -> false;
    /** Whether this broker is in good standing with the controller (see {@link #mayLead}); always on a single node. */
    private volatile BooleanSupplier standing = () -> true;
    /** See {@link #mayLead}. */
    private volatile long followedWindowMs;
    private final OffsetCheckpointFile recoveryPoints;
    private final OffsetCheckpointFile logStartOffsets;
    private final OffsetCheckpointFile highWatermarks;
    /**
     * Logs opened by {@link #prepare} for a change not yet published, by partition, with the
     * settings they were opened with; taken by {@link #onChange} or closed by {@link #abandon}.
     */
    private final Map<Key, Prepared> prepared = new ConcurrentHashMap<>();

    private record Prepared(Partition partition, TopicSettings settings) {
    }
    /** The checkpoints as read at start-up, for the logs {@link #load} opens; empty if unreadable. */
    private volatile Optional<Map<OffsetCheckpointFile.TopicPartition, Long>> startupRecoveryPoints = Optional.empty();
    private volatile Optional<Map<OffsetCheckpointFile.TopicPartition, Long>> startupLogStartOffsets = Optional.empty();
    private volatile Optional<Map<OffsetCheckpointFile.TopicPartition, Long>> startupHighWatermarks = Optional.empty();
    private volatile LogCleaner cleaner;
    private volatile Tiering tiering;
    /** The image's first producer id not yet handed out; set before InitProducerId answers with a new one. */
    private volatile long nextProducerId;

    public Partitions(Path dataDir, int nodeId, ConfigResolver resolver, int ioThreads, long producerIdExpirationMs) {
        this.dataDir = dataDir;
        this.nodeId = nodeId;
        this.resolver = resolver;
        this.producerIdExpirationMs = producerIdExpirationMs;
        this.io = Executors.newFixedThreadPool(ioThreads, threads("sluice-io"));
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(threads("sluice-housekeeping"));
        this.recoveryPoints = new OffsetCheckpointFile(dataDir.resolve(OffsetCheckpointFile.RECOVERY_POINT));
        this.logStartOffsets = new OffsetCheckpointFile(dataDir.resolve(OffsetCheckpointFile.LOG_START_OFFSET));
        this.highWatermarks = new OffsetCheckpointFile(dataDir.resolve(OffsetCheckpointFile.HIGH_WATERMARK));
        housekeeping.scheduleWithFixedDelay(this::expireProducers, PRODUCER_EXPIRATION_CHECK_MS,
            PRODUCER_EXPIRATION_CHECK_MS, TimeUnit.MILLISECONDS);
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Starts the log cleaner, which compacts every partition whose {@code cleanup.policy} contains
     * {@code compact} (it follows policy changes by itself). Call before {@link #load}.
     */
    public void startLogCleaner(LogCleaner.Config config) {
        LogCleaner started = new LogCleaner(dataDir, config, clock);
        for (Partition p : partitions.values()) {
            started.register(p.topic(), p.index(), p.log(), p.writer(), p::lastStableOffset);
        }
        cleaner = started;
        started.start();
    }

    /**
     * Starts copying tiered topics' segments to {@code store} (when {@code remote.log.storage.system.enable}
     * is true) every {@code intervalMs}; partitions already open and opened later get their cold tier.
     */
    public void startTiering(ObjectStore store, long intervalMs, MeterRegistry registry) {
        Tiering started = new Tiering(store, intervalMs, this::all, clock, registry);
        tiering = started;
        for (Partition p : partitions.values()) {
            attachRemote(p);
        }
    }

    private void attachRemote(Partition p) {
        Tiering t = tiering;
        if (t != null && p.tiering().enabled() && p.remote() == null) {
            p.attachRemote(t.remoteLogFor(p), t.reads());
        }
    }

    public void addAppendListener(Partition.AppendListener listener) {
        appendListeners.add(listener);
    }

    /** Told on a partition's writer whenever its high watermark moves. */
    public void addHighWatermarkListener(Partition.HighWatermarkListener listener) {
        highWatermarkListeners.add(listener);
    }

    /** Sends the ISR changes leaders want to the controller (the replica manager, in a cluster). */
    public void setIsrListener(Partition.IsrListener listener) {
        isrListener = listener;
    }

    /**
     * Makes the partitions this broker leads answer clients only while {@link #mayLead} holds.
     *
     * @param inGoodStanding whether the controller has this broker unfenced and cannot have fenced
     *                       it since (within {@code broker.session.timeout.ms} of a heartbeat it
     *                       answered); always true on a single node
     * @param followedWindowMs how recently each in-sync follower must have fetched for a leader out
     *                         of good standing to go on leading: a follower that still fetches has
     *                         not moved to a newer leader
     */
    public void serveLeadershipWhile(BooleanSupplier inGoodStanding, long followedWindowMs) {
        this.followedWindowMs = followedWindowMs;
        this.standing = inGoodStanding;
    }

    /**
     * Whether this broker may act as the leader its image says it is of {@code partition}. Yes while
     * it is in good standing with the controller. When it is not, only while every in-sync follower
     * fetches from it at its leader epoch: the controller elects only from the ISR, so then none of
     * them has been made leader instead. That covers a broker cut off from the controller (its
     * session has lapsed, the controller has most likely fenced it and elected other leaders,
     * whose followers no longer fetch from it), the whole quorum being down while the brokers reach
     * each other (it goes on serving, as Kafka does), and a broker started again whose new
     * registration waits for its old session to end (its image may name it leader at an epoch the
     * followers have left).
     */
    public boolean mayLead(Partition partition) {
        if (standing.getAsBoolean()) {
            partition.actsAsLeader(true, followedWindowMs);
            return true;
        }
        boolean acts = partition.followedWithin(followedWindowMs);
        partition.actsAsLeader(acts, followedWindowMs);
        return acts;
    }

    /**
     * Whether clients should be told of this broker: it is in good standing, or still may lead
     * some partition (see {@link #mayLead}). A broker out of good standing that leads nothing it
     * may act on leaves itself out of its Metadata answers, so that clients ask the others.
     */
    public boolean servesClients() {
        if (standing.getAsBoolean()) {
            return true;
        }
        for (Partition p : partitions.values()) {
            if (p.isLeader() && mayLead(p)) {
                return true;
            }
        }
        return false;
    }

    /** This broker's node id: the partitions held here are those whose replicas name it. */
    public int nodeId() {
        return nodeId;
    }

    /** Whether this broker holds a replica of {@code p}. */
    boolean hosts(PartitionImage p) {
        return p.leader() == nodeId || p.replicas().contains(nodeId);
    }

    /** The role {@code p} gives this broker's replica. */
    public Partition.Role roleOf(PartitionImage p) {
        return new Partition.Role(p.leader() == nodeId, p.leader(), p.leaderEpoch(), p.isr(), p.partitionEpoch());
    }

    public Optional<Partition> get(String topic, int partition) {
        return Optional.ofNullable(partitions.get(new Key(topic, partition)));
    }

    public Collection<Partition> all() {
        return partitions.values();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The pool that runs partition writers; also suitable for other disk-bound work. */
    public java.util.concurrent.Executor ioExecutor() {
        return io;
    }

    /** Opens every partition this broker holds in {@code image} and moves aside directories of topics that are gone. */
    public void load(MetadataImage image) {
        nextProducerId = image.nextProducerId();
        startupRecoveryPoints = recoveryPoints.read();
        startupLogStartOffsets = logStartOffsets.read();
        startupHighWatermarks = highWatermarks.read();
        Map<String, Uuid> expected = new HashMap<>();
        List<CompletableFuture<Void>> opening = new ArrayList<>();
        for (TopicImage topic : image.topics()) {
            for (PartitionImage p : topic.partitions()) {
                if (hosts(p)) {
                    expected.put(topic.name() + "-" + p.partition(), topic.id());
                    opening.add(CompletableFuture.runAsync(() -> open(image, topic, p, true), io));
                }
            }
        }
        moveStraysAside(expected);
        CompletableFuture.allOf(opening.toArray(new CompletableFuture<?>[0])).join();
    }

    private void moveStraysAside(Map<String, Uuid> expected) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dataDir, Files::isDirectory)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (name.endsWith(PartitionLog.DELETE_DIR_SUFFIX)) {
                    // A deleted topic's partition whose removal the last run did not finish.
                    deleteTree(dir);
                    continue;
                }
                if (name.startsWith("__cluster_metadata") || name.endsWith(STRAY_DIR_SUFFIX)
                    || !Files.exists(dir.resolve(PARTITION_METADATA))) {
                    continue;
                }
                Uuid want = expected.get(name);
                if (want == null || !want.equals(readTopicId(dir))) {
                    moveAside(dir, "the cluster metadata has no topic " + (want == null ? "of that name" : "with its topic id")
                        + " for it");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dataDir, e);
        }
    }

    /** Renames a stray directory {@code <name>.<millis>-stray}, keeping it for an operator; see the class comment. */
    private void moveAside(Path dir, String why) throws IOException {
        Path aside = dir.resolveSibling(PartitionLog.asideName(dir.getFileName().toString(),
            Long.toString(clock.millis()), STRAY_DIR_SUFFIX));
        Files.move(dir, aside, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        log.warn("moved {} aside to {}: {}; it is kept for an operator to inspect or delete", dir, aside.getFileName(), why);
    }

    private static void deleteTree(Path root) throws IOException {
        try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private Partition open(MetadataImage image, TopicImage topic, PartitionImage p, boolean recover) {
        return register(create(image, topic, p, recover));
    }

    /** Creates or recovers the partition's directory and log without serving it yet. */
    private Partition create(MetadataImage image, TopicImage topic, PartitionImage p, boolean recover) {
        Path dir = dataDir.resolve(topic.name() + "-" + p.partition());
        TopicSettings settings = settings(image, topic);
        OffsetCheckpointFile.TopicPartition tp = new OffsetCheckpointFile.TopicPartition(topic.name(), p.partition());
        PartitionLog partitionLog;
        try {
            if (!recover && Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                // A new partition starts empty: whatever holds its name is not its data.
                moveAside(dir, "it was in the way of new partition " + tp.topic() + "-" + tp.partition());
            }
            Files.createDirectories(dir);
            Path meta = dir.resolve(PARTITION_METADATA);
            if (!Files.exists(meta)) {
                Files.writeString(meta, "version: 0\ntopic_id: " + topic.id() + "\n", StandardCharsets.UTF_8);
            }
            LogCheckpoint checkpoint = recover
                ? OffsetCheckpointFile.logCheckpoint(startupRecoveryPoints, startupLogStartOffsets, tp)
                : LogCheckpoint.NONE;
            partitionLog = PartitionLog.open(dir, settings.logConfig(), Scheduler.of(housekeeping), clock, checkpoint);
        } catch (IOException | RuntimeException e) {
            if (!recover) {
                // Nothing of a new partition may stay behind to be mistaken for it later.
                deleteQuietly(dir);
            }
            throw e instanceof IOException io ? new UncheckedIOException("cannot create partition directory " + dir, io)
                : (RuntimeException) e;
        }
        Partition partition = new Partition(topic.name(), topic.id(), p.partition(), partitionLog, settings,
            roleOf(p), io, clock, this::appended, this::highWatermarkMoved, () -> nextProducerId,
            (held, proposal) -> isrListener.isrChangeWanted(held, proposal));
        if (recover) {
            Long hw = startupHighWatermarks.map(m -> m.get(tp)).orElse(null);
            if (hw != null) {
                partition.restoreHighWatermark(hw);
            }
            partition.recoverProducerState();
        }
        return partition;
    }

    private static void deleteQuietly(Path dir) {
        try {
            if (Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(dir);
            }
        } catch (IOException e) {
            log.warn("could not remove {} after failing to create its partition: {}", dir, e.toString());
        }
    }

    /** Serves a created partition: lookups find it, the cold tier and the cleaner take it on. */
    private Partition register(Partition partition) {
        partitions.put(new Key(partition.topic(), partition.index()), partition);
        attachRemote(partition);
        LogCleaner logCleaner = cleaner;
        if (logCleaner != null) {
            logCleaner.register(partition.topic(), partition.index(), partition.log(), partition.writer(),
                partition::lastStableOffset);
        }
        return partition;
    }

    /**
     * Creates the directories and opens the logs of the new partitions this broker leads, in
     * parallel on the I/O threads, before the change naming them is written. If any cannot be
     * created, the ones that were are removed again and the change is refused.
     */
    @Override
    public void prepare(MetadataImage image, TopicImage topic, List<PartitionImage> added) throws IOException {
        List<PartitionImage> mine = added.stream().filter(this::hosts).toList();
        Throwable failure = null;
        List<Partition> opened = new ArrayList<>(mine.size());
        // In waves, so that a topic of thousands of partitions leaves room on the I/O threads for
        // produce, fetch and other topics' creation between waves, and stops at the first failure.
        for (int first = 0; first < mine.size() && failure == null; first += PREPARE_WAVE) {
            List<CompletableFuture<Partition>> wave = new ArrayList<>();
            for (PartitionImage p : mine.subList(first, Math.min(mine.size(), first + PREPARE_WAVE))) {
                wave.add(CompletableFuture.supplyAsync(() -> create(image, topic, p, false), io));
            }
            for (CompletableFuture<Partition> f : wave) {
                try {
                    opened.add(f.join());
                } catch (java.util.concurrent.CompletionException e) {
                    if (failure == null) {
                        failure = e.getCause() != null ? e.getCause() : e;
                    }
                }
            }
        }
        if (failure == null) {
            TopicSettings settings = settings(image, topic);
            for (Partition partition : opened) {
                prepared.put(new Key(partition.topic(), partition.index()), new Prepared(partition, settings));
            }
            return;
        }
        for (Partition partition : opened) {
            discard(partition);
        }
        Throwable cause = failure instanceof UncheckedIOException u ? u.getCause() : failure;
        log.error("cannot create the partitions of topic {}: {}", topic.name(), failure.getMessage());
        throw cause instanceof IOException io ? io : new IOException(failure.getMessage(), failure);
    }

    @Override
    public void abandon(TopicImage topic, List<PartitionImage> added) {
        for (PartitionImage p : added) {
            Prepared ready = prepared.remove(new Key(topic.name(), p.partition()));
            if (ready != null) {
                discard(ready.partition());
            }
        }
    }

    /** Removes a log that was created for a change that never happened; nothing has read it. */
    private void discard(Partition partition) {
        try {
            partition.delete().join();
        } catch (RuntimeException e) {
            log.warn("could not remove {} created for a topic change that was not made: {}", partition, e.toString());
        }
    }

    private static Uuid readTopicId(Path dir) {
        try {
            for (String line : Files.readAllLines(dir.resolve(PARTITION_METADATA), StandardCharsets.UTF_8)) {
                if (line.startsWith("topic_id:")) {
                    return Uuid.fromString(line.substring("topic_id:".length()).trim());
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            log.warn("unreadable {} in {}: {}", PARTITION_METADATA, dir, e.toString());
        }
        return null;
    }

    private TopicSettings settings(MetadataImage image, TopicImage topic) {
        return TopicSettings.resolve(resolver, topic.configs(), image.brokerConfigs(Integer.toString(nodeId)),
            image.brokerConfigs(""));
    }

    private void appended(Partition partition, int bytes, int records) {
        for (Partition.AppendListener l : appendListeners) {
            l.appended(partition, bytes, records);
        }
    }

    private void highWatermarkMoved(Partition partition) {
        for (Partition.HighWatermarkListener l : highWatermarkListeners) {
            l.highWatermarkMoved(partition);
        }
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        // Listeners run inside the controller's commit, before an InitProducerId that reserved a
        // new block of ids answers, so a producer never writes with an id not yet seen here.
        nextProducerId = next.nextProducerId();
        for (TopicImage old : previous.topics()) {
            TopicImage now = next.topic(old.id()).orElse(null);
            if (now == null) {
                for (PartitionImage p : old.partitions()) {
                    Partition removed = partitions.remove(new Key(old.name(), p.partition()));
                    LogCleaner logCleaner = cleaner;
                    if (logCleaner != null) {
                        logCleaner.unregister(old.name(), p.partition());
                    }
                    if (removed != null) {
                        // Waits so that a topic re-created under the same name finds the directory free.
                        removed.delete().join();
                        Tiering t = tiering;
                        if (t != null && removed.remote() != null) {
                            t.deleteRemote(removed, removed.remote());
                        }
                    }
                }
            }
        }
        for (TopicImage old : previous.topics()) {
            TopicImage now = next.topic(old.id()).orElse(null);
            if (now == null) {
                continue;
            }
            for (PartitionImage p : now.partitions()) {
                if (!hosts(p) && p.partition() < old.partitions().size() && hosts(old.partitions().get(p.partition()))) {
                    // A completed reassignment moved this replica away: its log is no longer needed here.
                    Partition removed = partitions.remove(new Key(now.name(), p.partition()));
                    if (removed != null) {
                        LogCleaner logCleaner = cleaner;
                        if (logCleaner != null) {
                            logCleaner.unregister(now.name(), p.partition());
                        }
                        log.info("deleting the replica of {}-{}: the partition's replicas are now {}", now.name(),
                            p.partition(), p.replicas());
                        removed.delete().join();
                    }
                }
            }
        }
        boolean brokerConfigsChanged = !Objects.equals(previous.brokerConfigs(), next.brokerConfigs());
        for (TopicImage topic : next.topics()) {
            TopicImage before = previous.topic(topic.id()).orElse(null);
            for (PartitionImage p : topic.partitions()) {
                Key key = new Key(topic.name(), p.partition());
                if (hosts(p) && !partitions.containsKey(key)) {
                    Prepared ready = prepared.remove(key);
                    if (ready != null) {
                        TopicSettings now = settings(next, topic);
                        if (!now.equals(ready.settings())) {
                            // The broker's settings changed while the partition was being created.
                            ready.partition().updateConfig(now);
                        }
                        register(ready.partition());
                    } else {
                        open(next, topic, p, false);
                    }
                }
            }
            if (before != null && (brokerConfigsChanged || !before.configs().equals(topic.configs()))) {
                TopicSettings settings = settings(next, topic);
                for (PartitionImage p : topic.partitions()) {
                    Partition partition = partitions.get(new Key(topic.name(), p.partition()));
                    if (partition != null) {
                        partition.updateConfig(settings);
                        if (settings.tiering().enabled() && partition.remote() == null && tiering != null) {
                            partition.attachRemote(tiering.remoteLogFor(partition), tiering.reads());
                        }
                    }
                }
                LogCleaner logCleaner = cleaner;
                if (logCleaner != null && settings.logConfig().compact()) {
                    logCleaner.wakeUp();
                }
            }
        }
    }

    /** The housekeeping thread: deferred deletions, producer expiry and {@link LogMaintenance}. */
    ScheduledExecutorService housekeeping() {
        return housekeeping;
    }

    /** Writes {@code recovery-point-offset-checkpoint} from every open partition. */
    void checkpointRecoveryPoints() {
        checkpoint(recoveryPoints, Partition::recoveryPoint);
    }

    /** Writes {@code log-start-offset-checkpoint} from every open partition. */
    void checkpointLogStartOffsets() {
        checkpoint(logStartOffsets, Partition::logStartOffset);
    }

    /** Writes {@code replication-offset-checkpoint} (high watermarks) from every open partition. */
    void checkpointHighWatermarks() {
        checkpoint(highWatermarks, Partition::highWatermark);
    }

    /** Synchronized: the periodic writers and {@link #close()} share the files' temporary names. */
    private synchronized void checkpoint(OffsetCheckpointFile file, java.util.function.ToLongFunction<Partition> offset) {
        checkpoint(file, partitions.values(), offset);
    }

    private synchronized void checkpoint(OffsetCheckpointFile file, Collection<Partition> which,
                                         java.util.function.ToLongFunction<Partition> offset) {
        Map<OffsetCheckpointFile.TopicPartition, Long> offsets = new HashMap<>();
        for (Partition p : which) {
            offsets.put(new OffsetCheckpointFile.TopicPartition(p.topic(), p.index()), offset.applyAsLong(p));
        }
        try {
            file.write(offsets);
        } catch (IOException e) {
            log.error("cannot write checkpoint {}: {}", file.file(), e.toString());
        }
    }

    private void expireProducers() {
        for (Partition p : partitions.values()) {
            p.expireProducers(producerIdExpirationMs);
        }
    }

    /** Flushes and closes every log (writing clean-shutdown markers), then stops the threads. */
    @Override
    public void close() {
        List<Partition> closed = new ArrayList<>(partitions.values());
        LogCleaner logCleaner = cleaner;
        if (logCleaner != null) {
            // First: a pass waiting on a partition's writer must finish before the writers stop.
            logCleaner.close();
        }
        Tiering t = tiering;
        if (t != null) {
            try {
                t.close();
            } catch (IOException e) {
                log.warn("closing the object store failed: {}", e.toString());
            }
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (Partition p : partitions.values()) {
            closing.add(p.close().exceptionally(e -> {
                log.warn("closing {} failed: {}", p, e.toString());
                return null;
            }));
        }
        CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).join();
        // After the logs are closed (and so flushed), the recovery points are their log ends.
        checkpoint(recoveryPoints, closed, Partition::recoveryPoint);
        checkpoint(logStartOffsets, closed, Partition::logStartOffset);
        checkpoint(highWatermarks, closed, Partition::highWatermark);
        partitions.clear();
        io.shutdown();
        // Deferred deletions only wait for readers to let go of old segments; with the broker
        // stopping there are none left, so run them now instead of abandoning or waiting for them.
        for (Runnable pending : housekeeping.shutdownNow()) {
            if (pending instanceof java.util.concurrent.RunnableScheduledFuture<?> f && (f.isCancelled() || f.isPeriodic())) {
                // Periodic work (producer expiry, maintenance) has nothing left to do once the logs are closed.
                continue;
            }
            try {
                pending.run();
            } catch (RuntimeException e) {
                log.warn("deferred housekeeping failed at shutdown: {}", e.toString());
            }
        }
        try {
            io.awaitTermination(10, TimeUnit.SECONDS);
            housekeeping.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
