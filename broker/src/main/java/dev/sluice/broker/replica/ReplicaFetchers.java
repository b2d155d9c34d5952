package dev.sluice.broker.replica;

import dev.sluice.broker.cluster.InterBrokerClient;
import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.SerialExecutor;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.message.ListOffsetsRequest;
import dev.sluice.wire.message.ListOffsetsResponse;
import dev.sluice.wire.message.OffsetForLeaderEpochRequest;
import dev.sluice.wire.message.OffsetForLeaderEpochResponse;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.Records;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower side of replication: for each partition this broker follows, a fetcher for its
 * leader sends Kafka replica fetches (Fetch with this broker's replica id and epoch) and applies
 * the answers to the local log: records appended byte for byte with the producer state, the
 * leader's high watermark and log start offset taken, a diverging epoch truncated away.
 *
 * <p>{@code num.replica.fetchers} fetchers per source broker share its partitions (by a hash of
 * topic and partition, as Kafka spreads them). Each fetcher is a loop of futures on the
 * {@link InterBrokerClient}, never a thread of its own: one fetch in flight, its answer applied on
 * the partitions' writers, then the next fetch. A fetch carries the fetcher's partitions that are
 * ready: position known, not paused, not backing off.
 *
 * <p>Per partition answers: NONE appends (or truncates at a {@code diverging_epoch}); OFFSET_OUT_OF_RANGE
 * restarts the log at the leader's log start when that is above the fetch offset, otherwise
 * truncates to where the leader's log of the last fetched epoch ends (OffsetForLeaderEpoch);
 * OFFSET_MOVED_TO_TIERED_STORAGE (a tiered partition's offset no longer on the leader's disk) asks
 * the leader's local log start and rebuilds the log below it from the cold tier
 * ({@link Partition#restartFromTier});
 * FENCED_LEADER_EPOCH pauses the partition until the metadata moves it ({@link #follow} again);
 * anything else (NOT_LEADER_OR_FOLLOWER and UNKNOWN_LEADER_EPOCH among them, as in Kafka: the
 * leader may not have applied the image that made it leader yet) retries it after
 * {@code replica.fetch.backoff.ms}. A fetch that gets no answer (connection lost, timeout) backs
 * the whole fetcher off as long.
 *
 * <p>A partition that {@code follower.replication.throttled.replicas} throttles on this broker
 * counts its fetched bytes against {@code follower.replication.throttled.rate}; while that rate is
 * exceeded and the partition is out of sync (its log end behind the leader's high watermark in the
 * last answer, or no answer yet), it is left out of the fetches, as Kafka's follower does, and looked
 * at again every {@link #THROTTLE_RECHECK_MS}.
 *
 * <p>Threading: {@link #follow} and {@link #stop} may be called from any thread (the metadata
 * thread). Each fetcher's state is confined to its own serial executor on a small shared pool;
 * partition changes run on the partitions' writers.
 */
public final class ReplicaFetchers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaFetchers.class);
    /** ListOffsets' timestamp for the first offset on the leader's local disk (KIP-405). */
    private static final long EARLIEST_LOCAL = -4;
    /** How often a fetcher whose only ready partitions are throttled looks at the quota again. */
    static final long THROTTLE_RECHECK_MS = 100;

    /**
     * The replica fetch settings, Kafka's keys and defaults.
     *
     * @param fetchersPerSource {@code num.replica.fetchers}
     * @param maxWaitMs {@code replica.fetch.wait.max.ms}
     * @param minBytes {@code replica.fetch.min.bytes}
     * @param responseMaxBytes {@code replica.fetch.response.max.bytes}
     * @param partitionMaxBytes {@code replica.fetch.max.bytes}
     * @param backoffMs {@code replica.fetch.backoff.ms}
     * @param socketTimeoutMs {@code replica.socket.timeout.ms}: how long a fetch may take beyond its wait
     */
    public record Settings(int fetchersPerSource, int maxWaitMs, int minBytes, int responseMaxBytes,
                           int partitionMaxBytes, long backoffMs, long socketTimeoutMs) {
        public static Settings from(BrokerConfig config) {
            return new Settings(config.getInt(BrokerConfigKeys.NUM_REPLICA_FETCHERS),
                config.getInt(BrokerConfigKeys.REPLICA_FETCH_WAIT_MAX_MS),
                config.getInt(BrokerConfigKeys.REPLICA_FETCH_MIN_BYTES),
                config.getInt(BrokerConfigKeys.REPLICA_FETCH_RESPONSE_MAX_BYTES),
                config.getInt(BrokerConfigKeys.REPLICA_FETCH_MAX_BYTES),
                config.getInt(BrokerConfigKeys.REPLICA_FETCH_BACKOFF_MS),
                config.getInt(BrokerConfigKeys.REPLICA_SOCKET_TIMEOUT_MS));
        }

        public Settings withBackoffMs(long backoff) {
            return new Settings(fetchersPerSource, maxWaitMs, minBytes, responseMaxBytes, partitionMaxBytes, backoff,
                socketTimeoutMs);
        }

        public Settings withMaxWaitMs(int wait) {
            return new Settings(fetchersPerSource, wait, minBytes, responseMaxBytes, partitionMaxBytes, backoffMs,
                socketTimeoutMs);
        }
    }

    private record FetcherKey(int leaderId, int slot) {
    }

    /** A partition of a fetch, as its answer names it. */
    private record SentKey(String topic, int index) {
    }

    private final InterBrokerClient client;
    private final int nodeId;
    private final LongSupplier brokerEpoch;
    private final Settings settings;
    private final ExecutorService pool;
    private final ScheduledExecutorService timer;
    private final Map<FetcherKey, Fetcher> fetchers = new ConcurrentHashMap<>();
    /** Which fetcher each followed partition belongs to, and at which leader epoch. */
    private final Map<Partition, Assignment> assigned = new ConcurrentHashMap<>();
    /** Each followed partition's lag behind its leader's high watermark in messages, after the last answer. */
    private final Map<Partition, Long> lags = new ConcurrentHashMap<>();
    private final ReplicationQuota quota;
    private volatile boolean closed;

    private record Assignment(Fetcher fetcher, int leaderId, int leaderEpoch) {
    }

    /**
     * @param nodeId this broker's id, sent as the replica id
     * @param brokerEpoch this broker's epoch from its registration, -1 while unknown (sent as the
     *     replica epoch, which a leader checks against the metadata)
     */
    public ReplicaFetchers(InterBrokerClient client, int nodeId, LongSupplier brokerEpoch, Settings settings) {
        this(client, nodeId, brokerEpoch, settings, new ReplicationQuota(1, 1000, System::currentTimeMillis));
    }

    /** @param quota the follower side's replication throttle */
    public ReplicaFetchers(InterBrokerClient client, int nodeId, LongSupplier brokerEpoch, Settings settings,
                           ReplicationQuota quota) {
        this.quota = quota;
        this.client = client;
        this.nodeId = nodeId;
        this.brokerEpoch = brokerEpoch;
        this.settings = settings;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(Math.max(1, Math.min(4, settings.fetchersPerSource())), r -> {
            Thread t = new Thread(r, "sluice-replica-fetcher-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-replica-fetcher-timer");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Follows {@code partition} from {@code leaderId} at {@code leaderEpoch}: added to that leader's
     * fetcher, or moved there from another, or resumed when paused. Nothing when it already
     * follows that leader at that epoch. Call after handing the partition its follower role (its
     * writer applies the role before the fetcher asks where the log stands).
     */
    public void follow(Partition partition, int leaderId, int leaderEpoch) {
        if (closed) {
            return;
        }
        Assignment before = assigned.get(partition);
        if (before != null && before.leaderId() == leaderId && before.leaderEpoch() == leaderEpoch) {
            return;
        }
        int slot = Math.floorMod(31 * partition.topic().hashCode() + partition.index(),
            Math.max(1, settings.fetchersPerSource()));
        Fetcher fetcher = fetchers.computeIfAbsent(new FetcherKey(leaderId, slot), k -> new Fetcher(k.leaderId(), k.slot()));
        if (before != null && before.fetcher() != fetcher) {
            before.fetcher().remove(partition);
        }
        assigned.put(partition, new Assignment(fetcher, leaderId, leaderEpoch));
        fetcher.add(partition, leaderEpoch);
    }

    /** Stops fetching {@code partition}: it leads now, or is deleted, or has no leader. */
    public void stop(Partition partition) {
        Assignment before = assigned.remove(partition);
        lags.remove(partition);
        if (before != null) {
            before.fetcher().remove(partition);
        }
    }

    /**
     * The largest lag, in messages, of a followed partition behind its leader's high watermark as
     * of the leader's last answer; 0 when this broker follows nothing (Kafka's replica fetcher
     * {@code MaxLag}).
     */
    public long maxLag() {
        long max = 0;
        for (long lag : lags.values()) {
            max = Math.max(max, lag);
        }
        return max;
    }

    /** The partitions being followed (for tests and metrics). */
    public int followedCount() {
        return assigned.size();
    }

    @Override
    public void close() {
        closed = true;
        for (Partition p : List.copyOf(assigned.keySet())) {
            stop(p);
        }
        timer.shutdownNow();
        pool.shutdown();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One partition's replication as its fetcher sees it. Fetcher executor only. */
    private static final class State {
        final int leaderEpoch;
        /** Null until the partition's writer said where its log stands. */
        Partition.FollowerPosition position;
        /** A change to the log is under way: no fetch for it meanwhile. */
        boolean busy;
        boolean paused;
        long delayedUntilMs;
        /** The leader's high watermark in its last answer; unknown (so out of sync) before the first. */
        long leaderHighWatermark = Long.MAX_VALUE;

        State(int leaderEpoch) {
            this.leaderEpoch = leaderEpoch;
        }
    }

    /** The fetches of one slot's partitions from one leader. State confined to {@link #executor}. */
    private final class Fetcher {
        final int leaderId;
        final SerialExecutor executor;
        final Map<Partition, State> states = new LinkedHashMap<>();
        boolean inFlight;
        /** Whether the last fetch got no answer: the first failure is logged, the next ones only at debug. */
        boolean failing;
        long backoffUntilMs;
        boolean wakeScheduled;

        Fetcher(int leaderId, int slot) {
            this.leaderId = leaderId;
            this.executor = new SerialExecutor(pool, "replica-fetcher-" + leaderId + "-" + slot);
        }

        void add(Partition partition, int leaderEpoch) {
            executor.execute(() -> {
                State state = new State(leaderEpoch);
                states.put(partition, state);
                partition.followerPosition(leaderEpoch).whenComplete((position, failure) -> executor.execute(() -> {
                    if (states.get(partition) != state) {
                        return;
                    }
                    if (failure != null || position.isEmpty()) {
                        // Its role moved on (or its log is offline): the metadata will say what next.
                        state.paused = true;
                        return;
                    }
                    state.position = position.get();
                    fetch();
                }));
            });
        }

        void remove(Partition partition) {
            executor.execute(() -> {
                states.remove(partition);
                if (!assigned.containsKey(partition)) {
                    lags.remove(partition);
                }
            });
        }

        /** Sends the next fetch if none is in flight and some partition is ready. */
        void fetch() {
            if (closed || inFlight) {
                return;
            }
            long now = System.currentTimeMillis();
            if (now < backoffUntilMs) {
                wakeAt(backoffUntilMs);
                return;
            }
            Map<Partition, State> ready = new LinkedHashMap<>();
            long nextDelayed = Long.MAX_VALUE;
            for (Map.Entry<Partition, State> e : states.entrySet()) {
                State s = e.getValue();
                if (s.position == null || s.busy || s.paused) {
                    continue;
                }
                if (s.delayedUntilMs > now) {
                    nextDelayed = Math.min(nextDelayed, s.delayedUntilMs);
                    continue;
                }
                if (heldBack(e.getKey(), s)) {
                    nextDelayed = Math.min(nextDelayed, now + THROTTLE_RECHECK_MS);
                    continue;
                }
                ready.put(e.getKey(), s);
            }
            if (ready.isEmpty()) {
                if (nextDelayed != Long.MAX_VALUE) {
                    wakeAt(nextDelayed);
                }
                return;
            }
            inFlight = true;
            client.usableVersion(leaderId, ApiKey.FETCH).whenComplete((version, failure) -> executor.execute(() ->
                send(ready, version == null ? Optional.empty() : version)));
        }

        /**
         * Whether the follower throttle keeps {@code p} out of the next fetch: throttled here, over
         * the rate, and out of sync (in-sync replicas are never held back, or the ISR would shrink).
         */
        private boolean heldBack(Partition p, State s) {
            return quota.isThrottled(p.topic(), p.index()) && s.position.logEndOffset() < s.leaderHighWatermark
                && quota.exceeded();
        }

        private void wakeAt(long atMs) {
            if (wakeScheduled || closed) {
                return;
            }
            wakeScheduled = true;
            timer.schedule(() -> executor.execute(() -> {
                wakeScheduled = false;
                fetch();
            }), Math.max(1, atMs - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        }

        private void send(Map<Partition, State> ready, Optional<Short> version) {
            // Unknown before the first connection negotiated: the newest shape, which Sluice peers speak.
            short v = version.orElse(FetchRequest.HIGHEST_SUPPORTED_VERSION);
            FetchRequest request = request(ready, v);
            Duration timeout = Duration.ofMillis(settings.socketTimeoutMs() + settings.maxWaitMs());
            client.<FetchResponse>send(leaderId, request, version.isPresent() ? v : (short) -1, timeout)
                .whenComplete((response, failure) -> executor.execute(() -> handle(ready, response, failure)));
        }

        private FetchRequest request(Map<Partition, State> ready, short version) {
            FetchRequest request = new FetchRequest().setMaxWaitMs(settings.maxWaitMs()).setMinBytes(settings.minBytes())
                .setMaxBytes(settings.responseMaxBytes()).setSessionId(0).setSessionEpoch(-1);
            if (version >= 15) {
                request.setReplicaState(new FetchRequest.ReplicaState().setReplicaId(nodeId)
                    .setReplicaEpoch(brokerEpoch.getAsLong()));
            } else {
                request.setReplicaId(nodeId);
            }
            boolean byId = version >= 13;
            Map<String, FetchRequest.FetchTopic> topics = new LinkedHashMap<>();
            for (Map.Entry<Partition, State> e : ready.entrySet()) {
                Partition p = e.getKey();
                State s = e.getValue();
                FetchRequest.FetchTopic topic = topics.computeIfAbsent(p.topic(), name -> new FetchRequest.FetchTopic()
                    .setTopic(byId ? "" : name).setTopicId(byId ? p.topicId() : dev.sluice.wire.codec.Uuid.ZERO)
                    .setPartitions(new ArrayList<>()));
                FetchRequest.FetchPartition fp = new FetchRequest.FetchPartition().setPartition(p.index())
                    .setCurrentLeaderEpoch(s.leaderEpoch).setFetchOffset(s.position.logEndOffset())
                    .setLogStartOffset(p.logStartOffset()).setPartitionMaxBytes(settings.partitionMaxBytes());
                if (version >= 12) {
                    fp.setLastFetchedEpoch(s.position.latestEpoch());
                }
                if (version >= 18) {
                    // The leader answers at once when its high watermark is ahead of this (KIP-1166).
                    fp.setHighWatermark(s.position.highWatermark());
                }
                topic.partitions().add(fp);
            }
            return request.setTopics(new ArrayList<>(topics.values()));
        }

        private void handle(Map<Partition, State> sent, FetchResponse response, Throwable failure) {
            if (failure != null || response.errorCode() != ErrorCode.NONE.code()) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
                inFlight = false;
                if (cause instanceof UnsupportedVersionException) {
                    // The request was shaped before the versions were known: now they are.
                    fetch();
                    return;
                }
                Object why = cause != null ? cause.toString() : ErrorCode.forCode(response.errorCode());
                if (failing) {
                    log.debug("Replica fetch from broker {} failed again: {}", leaderId, why);
                } else {
                    log.warn("Replica fetch from broker {} failed: {}; retrying every {} ms", leaderId, why,
                        settings.backoffMs());
                    failing = true;
                }
                backoffUntilMs = System.currentTimeMillis() + settings.backoffMs();
                fetch();
                return;
            }
            if (failing) {
                log.info("Replica fetches from broker {} work again", leaderId);
                failing = false;
            }
            Map<SentKey, Partition> byName = new HashMap<>();
            Map<dev.sluice.wire.codec.Uuid, String> names = new HashMap<>();
            for (Partition p : sent.keySet()) {
                byName.put(new SentKey(p.topic(), p.index()), p);
                names.put(p.topicId(), p.topic());
            }
            List<CompletableFuture<?>> steps = new ArrayList<>();
            for (FetchResponse.FetchableTopicResponse t : response.responses()) {
                String topic = t.topic() == null || t.topic().isEmpty() ? names.get(t.topicId()) : t.topic();
                for (FetchResponse.PartitionData data : t.partitions()) {
                    Partition p = byName.get(new SentKey(topic, data.partitionIndex()));
                    State s = p == null ? null : states.get(p);
                    if (s == null || s != sent.get(p)) {
                        continue; // removed or moved to another epoch while the fetch was out
                    }
                    CompletableFuture<?> step = apply(p, s, data);
                    if (step != null) {
                        steps.add(step);
                    }
                }
            }
            CompletableFuture.allOf(steps.toArray(new CompletableFuture<?>[0])).whenComplete((v, e) ->
                executor.execute(() -> {
                    inFlight = false;
                    for (Map.Entry<Partition, State> sentState : sent.entrySet()) {
                        State s = sentState.getValue();
                        if (states.get(sentState.getKey()) == s && s.position != null
                            && s.leaderHighWatermark != Long.MAX_VALUE && assigned.containsKey(sentState.getKey())) {
                            lags.put(sentState.getKey(), Math.max(0, s.leaderHighWatermark - s.position.logEndOffset()));
                        }
                    }
                    fetch();
                }));
        }

        /** Applies one partition's answer; returns the change under way, or null. */
        private CompletableFuture<?> apply(Partition p, State s, FetchResponse.PartitionData data) {
            ErrorCode error = ErrorCode.forCode(data.errorCode());
            switch (error) {
                case NONE -> {
                    FetchResponse.EpochEndOffset diverging = data.divergingEpoch();
                    if (diverging != null && (diverging.epoch() >= 0 || diverging.endOffset() >= 0)) {
                        return step(p, s, p.truncateToLeader(s.leaderEpoch, diverging.epoch(), diverging.endOffset()));
                    }
                    Records records = data.records();
                    MemoryRecords memory = records instanceof MemoryRecords m ? m : MemoryRecords.EMPTY;
                    s.leaderHighWatermark = data.highWatermark();
                    if (memory.sizeInBytes() > 0 && quota.isThrottled(p.topic(), p.index())) {
                        // In-sync replicas' bytes count too, as in Kafka: they are only never held back.
                        quota.record(memory.sizeInBytes());
                    }
                    if (memory.sizeInBytes() == 0 && data.highWatermark() == s.position.highWatermark()) {
                        // Nothing new (a long poll that ran out): no task for the partition's writer.
                        return null;
                    }
                    return step(p, s, p.appendAsFollower(s.leaderEpoch, memory, data.highWatermark(),
                        data.logStartOffset()));
                }
                case OFFSET_OUT_OF_RANGE -> {
                    long leaderStart = data.logStartOffset();
                    if (leaderStart >= 0 && leaderStart > s.position.logEndOffset()) {
                        return step(p, s, p.restartAt(s.leaderEpoch, leaderStart));
                    }
                    return step(p, s, truncateByEpoch(p, s));
                }
                case OFFSET_MOVED_TO_TIERED_STORAGE -> {
                    return step(p, s, restartFromTier(p, s));
                }
                case FENCED_LEADER_EPOCH -> {
                    // The leader is past this epoch: only a newer image can say whom to follow now.
                    log.info("Broker {} fenced leader epoch {} of {}; waiting for the metadata to move it", leaderId,
                        s.leaderEpoch, p);
                    s.paused = true;
                    return null;
                }
                default -> {
                    // NOT_LEADER_OR_FOLLOWER and UNKNOWN_LEADER_EPOCH among them: as in Kafka, the leader
                    // may not have applied the image that made it leader yet.
                    log.debug("Broker {} answered {} for {}; retrying in {} ms", leaderId, error, p, settings.backoffMs());
                    s.delayedUntilMs = System.currentTimeMillis() + settings.backoffMs();
                    return null;
                }
            }
        }

        /** Asks the leader where its log of this follower's last epoch ends, and truncates there. */
        private CompletableFuture<Optional<Partition.FollowerPosition>> truncateByEpoch(Partition p, State s) {
            int epoch = s.position.latestEpoch();
            if (epoch < 0) {
                return p.truncateToLeader(s.leaderEpoch, -1, -1);
            }
            OffsetForLeaderEpochRequest request = new OffsetForLeaderEpochRequest().setReplicaId(nodeId)
                .setTopics(new ArrayList<>(List.of(new OffsetForLeaderEpochRequest.OffsetForLeaderTopic()
                    .setTopic(p.topic()).setPartitions(new ArrayList<>(List.of(
                        new OffsetForLeaderEpochRequest.OffsetForLeaderPartition().setPartition(p.index())
                            .setCurrentLeaderEpoch(s.leaderEpoch).setLeaderEpoch(epoch)))))));
            return client.<OffsetForLeaderEpochResponse>send(leaderId, request).thenCompose(response -> {
                OffsetForLeaderEpochResponse.EpochEndOffset answer = response.topics().get(0).partitions().get(0);
                if (answer.errorCode() != ErrorCode.NONE.code()) {
                    throw new IllegalStateException("OffsetForLeaderEpoch for " + p + " answered "
                        + ErrorCode.forCode(answer.errorCode()));
                }
                return p.truncateToLeader(s.leaderEpoch, answer.leaderEpoch(), answer.endOffset());
            });
        }

        /**
         * Asks the leader where its local log starts (ListOffsets EARLIEST_LOCAL, as Kafka's
         * follower does), then rebuilds the log below that from the cold tier.
         */
        private CompletableFuture<Optional<Partition.FollowerPosition>> restartFromTier(Partition p, State s) {
            ListOffsetsRequest request = new ListOffsetsRequest().setReplicaId(nodeId).setIsolationLevel((byte) 0)
                .setTopics(new ArrayList<>(List.of(new ListOffsetsRequest.ListOffsetsTopic().setName(p.topic())
                    .setPartitions(new ArrayList<>(List.of(new ListOffsetsRequest.ListOffsetsPartition()
                        .setPartitionIndex(p.index()).setCurrentLeaderEpoch(s.leaderEpoch)
                        .setTimestamp(EARLIEST_LOCAL)))))));
            return client.<ListOffsetsResponse>send(leaderId, request).thenCompose(response -> {
                ListOffsetsResponse.ListOffsetsPartitionResponse answer = response.topics().get(0).partitions().get(0);
                if (answer.errorCode() != ErrorCode.NONE.code() || answer.offset() < 0) {
                    throw new IllegalStateException("ListOffsets EARLIEST_LOCAL for " + p + " answered "
                        + ErrorCode.forCode(answer.errorCode()) + " offset " + answer.offset());
                }
                return p.restartFromTier(s.leaderEpoch, answer.offset());
            });
        }

        /** Marks {@code s} busy until {@code change} is done, then takes its new position. */
        private CompletableFuture<?> step(Partition p, State s,
                                          CompletableFuture<Optional<Partition.FollowerPosition>> change) {
            s.busy = true;
            CompletableFuture<Void> done = new CompletableFuture<>();
            change.whenComplete((position, failure) -> executor.execute(() -> {
                s.busy = false;
                if (failure != null) {
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                    log.warn("Cannot apply what broker {} sent for {}: {}; retrying in {} ms", leaderId, p,
                        cause.toString(), settings.backoffMs());
                    s.delayedUntilMs = System.currentTimeMillis() + settings.backoffMs();
                    refreshPosition(p, s);
                } else if (position.isEmpty()) {
                    s.paused = true;
                } else {
                    s.position = position.get();
                }
                done.complete(null);
            }));
            return done;
        }

        /** After a failed change the log may stand elsewhere than thought: ask it again. */
        private void refreshPosition(Partition p, State s) {
            s.busy = true;
            p.followerPosition(s.leaderEpoch).whenComplete((position, failure) -> executor.execute(() -> {
                s.busy = false;
                if (failure != null || position.isEmpty()) {
                    s.paused = true;
                } else {
                    s.position = position.get();
                }
                fetch();
            }));
        }
    }
}
