package dev.sluice.broker.replica;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica manager: gives each partition this broker holds the role the metadata assigns it
 * (leader when {@code PartitionImage.leader()} is this node, follower otherwise, with the leader
 * epoch and ISR), tells {@link LeadershipListener}s when leadership arrives or leaves, and wakes
 * the requests waiting on a partition ({@link DelayedFetches}, {@link DelayedProduces}) when its
 * high watermark moves or its leadership is lost.
 *
 * <p>Register it with the metadata after {@link Partitions}, so a partition a change adds is open
 * before its role is applied. Roles are applied on each partition's writer, in order with its
 * appends; a listener hears of a partition's leadership changes in order, after the partition has
 * taken the role, on that partition's writer or the metadata thread: it must not block. A new
 * leader epoch while leading is announced as {@link LeadershipListener#becameLeader} again.
 *
 * <p>Threading: {@link #load} and {@link #onChange} run on the metadata thread, one at a time;
 * the leadership bookkeeping is confined to it. Listener registration is thread-safe.
 */
public final class Replicas implements MetadataListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replicas.class);

    private final Partitions partitions;
    private final DelayedFetches fetches;
    private final DelayedProduces produces;
    /** Follows the partitions other brokers lead; null on a single broker, where there are none. */
    private final ReplicaFetchers fetchers;
    private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
    /** Partitions this broker leads, with the epoch last announced. Written on the metadata thread only. */
    private final Map<Partitions.Key, Led> led = new ConcurrentHashMap<>();

    /**
     * The role last handed to each partition (applied on its writer, perhaps not yet). Metadata
     * thread only; rebuilt by every image, so deleted partitions leave it.
     */
    private Map<Partition, Partition.Role> requested = new HashMap<>();

    private record Led(Partition partition, int leaderEpoch) {
    }

    /** Wakes {@code fetches} and {@code produces} whenever a partition's high watermark moves. */
    public Replicas(Partitions partitions, DelayedFetches fetches, DelayedProduces produces) {
        this(partitions, fetches, produces, null);
    }

    /**
     * In a cluster: also hands each partition that another broker leads to {@code fetchers}, and
     * takes it away again when it leads here, loses its leader or is deleted; and wakes followers'
     * fetches parked here on every append.
     */
    public Replicas(Partitions partitions, DelayedFetches fetches, DelayedProduces produces, ReplicaFetchers fetchers) {
        this.partitions = partitions;
        this.fetches = fetches;
        this.produces = produces;
        this.fetchers = fetchers;
        partitions.addHighWatermarkListener(this::highWatermarkMoved);
        if (fetchers != null) {
            partitions.addAppendListener((partition, bytes, records) -> fetches.appended(partition));
        }
    }

    /** Listeners added before {@link #load} hear of every partition led at start-up. */
    public void addLeadershipListener(LeadershipListener listener) {
        listeners.add(listener);
    }

    private void highWatermarkMoved(Partition partition) {
        produces.wake(partition);
        fetches.wake(partition);
    }

    /** Takes the roles of {@code image} for the partitions {@link Partitions#load} opened. */
    public void load(MetadataImage image) {
        apply(image);
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        apply(next);
    }

    private void apply(MetadataImage image) {
        Map<Partitions.Key, Led> stillLed = new HashMap<>();
        Map<Partition, Partition.Role> nowRequested = new HashMap<>();
        for (TopicImage topic : image.topics()) {
            for (PartitionImage p : topic.partitions()) {
                Partition partition = partitions.get(topic.name(), p.partition()).orElse(null);
                if (partition == null) {
                    continue;
                }
                Partition.Role role = partitions.roleOf(p);
                nowRequested.put(partition, role);
                Partition.Role last = requested.get(partition);
                if (last == null && partition.role().equals(role)) {
                    // Opened with this role, and no role was handed to it since.
                    last = role;
                }
                Partitions.Key key = new Partitions.Key(topic.name(), p.partition());
                Led before = led.get(key);
                boolean replaced = before != null && before.partition() != partition;
                if (replaced) {
                    // The topic was deleted and created again under its name: the old one's leadership ended.
                    resign(key, before, before.leaderEpoch());
                    before = null;
                }
                if (role.leader()) {
                    stillLed.put(key, new Led(partition, role.leaderEpoch()));
                    led.put(key, new Led(partition, role.leaderEpoch()));
                }
                boolean announce = role.leader() && (before == null || before.leaderEpoch() != role.leaderEpoch());
                boolean resigned = !role.leader() && before != null;
                if (resigned) {
                    led.remove(key);
                }
                if (role.equals(last) && !announce && !resigned) {
                    // Most changes leave most partitions alone: no task for their writers.
                    if (fetchers != null) {
                        follow(partition, role);
                    }
                    continue;
                }
                // A partition seen for the first time has nothing queued, so announcing at once keeps the order.
                CompletableFuture<Void> applied = role.equals(last) ? CompletableFuture.completedFuture(null)
                    : partition.applyRole(role);
                if (fetchers != null) {
                    // Queued after the role, so the writer has applied it before the fetcher asks it anything.
                    follow(partition, role);
                }
                applied.whenComplete((v, failure) -> {
                    if (failure != null) {
                        log.error("{} could not take its role as {} at leader epoch {}: {}", partition,
                            role.leader() ? "leader" : "follower", role.leaderEpoch(), failure.toString());
                        return;
                    }
                    if (announce) {
                        for (LeadershipListener l : listeners) {
                            l.becameLeader(partition, role.leaderEpoch());
                        }
                    } else if (resigned) {
                        lost(partition, role.leaderEpoch());
                    }
                });
            }
        }
        if (fetchers != null) {
            for (Partition gone : requested.keySet()) {
                if (!nowRequested.containsKey(gone)) {
                    fetchers.stop(gone);
                }
            }
        }
        requested = nowRequested;
        // Led partitions the image no longer has (deleted topics) or no longer places here.
        for (Map.Entry<Partitions.Key, Led> e : Map.copyOf(led).entrySet()) {
            if (!stillLed.containsKey(e.getKey())) {
                resign(e.getKey(), e.getValue(), e.getValue().leaderEpoch());
            }
        }
    }

    private void follow(Partition partition, Partition.Role role) {
        if (!role.leader() && role.leaderId() >= 0 && role.leaderId() != partitions.nodeId()) {
            fetchers.follow(partition, role.leaderId(), role.leaderEpoch());
        } else {
            fetchers.stop(partition);
        }
    }

    private void resign(Partitions.Key key, Led before, int leaderEpoch) {
        led.remove(key);
        lost(before.partition(), leaderEpoch);
    }

    /** Answers what waits on a partition no longer led here, and tells the listeners. */
    private void lost(Partition partition, int leaderEpoch) {
        produces.cancelAll(partition);
        fetches.cancelAll(partition);
        for (LeadershipListener l : listeners) {
            l.resigned(partition.topic(), partition.index(), leaderEpoch);
        }
    }

    /** The partitions this broker leads now, by the last image applied (for tests and metrics). */
    public int leaderCount() {
        return led.size();
    }

    /** Answers every waiting request; the partitions themselves are closed by {@link Partitions}. */
    @Override
    public void close() {
        produces.close();
        fetches.close();
    }
}
