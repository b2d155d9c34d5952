package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.log.ReadPools;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.metrics.RecordCounts;
import dev.sluice.broker.metrics.TopicMetrics;
import dev.sluice.broker.replica.DelayedFetches;
import dev.sluice.broker.replica.ReplicationQuota;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.storage.AbortedTxn;
import dev.sluice.storage.LeaderEpochCheckpoint;
import dev.sluice.storage.LogReadResult;
import dev.sluice.storage.LogStorageException;
import dev.sluice.storage.OffsetOutOfRangeException;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.Records;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Fetch (key 1), v4-18, for consumers.
 *
 * <p>Reads each partition from its fetch offset up to the high watermark, or for
 * {@code isolation_level} 1 (read_committed) up to the last stable offset, listing in
 * {@code aborted_transactions} the aborted transactions whose records may be among those returned
 * (a read_committed consumer drops them); {@code last_stable_offset} is always the partition's
 * (-1 with an error). Whole batches only: an
 * offset inside a batch returns that whole batch. At most {@code partition_max_bytes} per partition
 * and {@code max_bytes} in all, except that the first batch of the first partition with data is
 * returned whatever its size (KIP-74), so a consumer always makes progress. When fewer than
 * {@code min_bytes} are ready the request waits, up to {@code max_wait_ms}, for the high
 * watermark to move past more ({@link DelayedFetches}).
 *
 * <p>Errors per partition: UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id, v13+),
 * OFFSET_OUT_OF_RANGE, FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v9+), NOT_LEADER_OR_FOLLOWER
 * where this broker does not lead the partition, with the current leader (KIP-951, v12+; the
 * {@code node_endpoints} of v16+ stay empty while the metadata holds no other brokers' endpoints). Incremental fetch
 * sessions (KIP-227, v7+): FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH and
 * FETCH_SESSION_TOPIC_ID_ERROR at the top level; sessions are evicted as {@link FetchSessions}
 * describes.
 *
 * <p>A follower's fetch (replica id ≥ 0: {@code ReplicaState} from v15, {@code ReplicaId} before)
 * is served only by the leader and only to a broker in the partition's replicas (else
 * NOT_LEADER_OR_FOLLOWER); its fetch offset is first recorded as the follower's log end
 * ({@link Partition#followerFetched}, which may move the high watermark and grow the ISR). It reads
 * up to the log end, not the high watermark, whatever its isolation level, never from the cold
 * tier, and long-polls for appends rather than commits. When its {@code last_fetched_epoch}
 * (v12+) shows its log left this one's, it gets {@code diverging_epoch} and no records. Below the
 * local log start of a tiered partition it gets OFFSET_MOVED_TO_TIERED_STORAGE (it rebuilds from
 * the store), and every answer carries the whole log's start, the store's when lower, as Kafka's.
 * Bytes sent for partitions the leader's replication throttle covers count against
 * {@code leader.replication.throttled.rate}; while it is exceeded, an out-of-sync follower's
 * throttled partitions are answered without data (not delayed), as Kafka's leader does.
 *
 * <p>Threading: session bookkeeping runs on the event loop that decoded the request; every read
 * runs on {@link ReadPools} (the object store's own pool for the cold tier), never on an event loop
 * or a partition writer. {@code max_wait_ms} is clamped to {@link #MAX_WAIT_MS}, and a parked
 * fetch is dropped as soon as its connection closes.
 */
public final class FetchHandler extends ApiHandler<FetchRequest, FetchResponse> {
    private static final int READ_COMMITTED = 1;
    /**
     * The longest a fetch may park. Kafka takes any {@code max_wait_ms}; consumers send 500 ms by
     * default and give up on a request after {@code request.timeout.ms} (30 s), so a longer wait
     * only holds broker state for an answer nobody reads.
     */
    static final long MAX_WAIT_MS = 30_000;
    /**
     * Partitions the cluster does not have that one fetch session may accumulate. Kafka keeps any it
     * is sent; here a session is a bounded thing, whatever names a client invents.
     */
    static final int MAX_UNKNOWN_PARTITIONS = 1000;

    private final MetadataView view;
    private final PartitionLookup lookup;
    private final boolean rackAwareReads;
    private final DelayedFetches delayed;
    private final FetchSessions sessions;
    private final int brokerMaxBytes;
    private final TopicMetrics topicMetrics;
    private final ReadPools pools;
    private final ReplicationQuota leaderQuota;

    public FetchHandler(MetadataView view, Partitions partitions, DelayedFetches delayed, ReadPools pools,
                        int sessionSlots, int brokerMaxBytes, TopicMetrics topicMetrics) {
        this(view, partitions, delayed, pools, sessionSlots, brokerMaxBytes, topicMetrics, false,
            new ReplicationQuota(1, 1000, System::currentTimeMillis));
    }

    /**
     * @param rackAwareReads whether {@code replica.selector.class} is Kafka's rack-aware selector:
     *                       consumers in a rack with an in-sync follower are sent to read from it
     * @param leaderQuota    the leader side's replication throttle
     */
    public FetchHandler(MetadataView view, Partitions partitions, DelayedFetches delayed, ReadPools pools,
                        int sessionSlots, int brokerMaxBytes, TopicMetrics topicMetrics, boolean rackAwareReads,
                        ReplicationQuota leaderQuota) {
        super(ApiKey.FETCH, 4, 18);
        this.rackAwareReads = rackAwareReads;
        this.view = view;
        this.lookup = new PartitionLookup(view, partitions);
        this.delayed = delayed;
        this.sessions = new FetchSessions(sessionSlots);
        this.brokerMaxBytes = brokerMaxBytes;
        this.topicMetrics = topicMetrics;
        this.pools = pools;
        this.leaderQuota = leaderQuota;
    }

    /** Incremental fetch sessions currently cached (a gauge). */
    public int sessionCount() {
        return sessions.size();
    }

    /**
     * What to read this time: the partitions, the session they belong to, if any, and the
     * follower asking (its broker id), -1 for a consumer.
     */
    private record Plan(List<FetchSessions.Entry> entries, FetchSessions.Session session, boolean incremental,
                        int replicaId, short version, java.util.function.Predicate<String> readable) {
        boolean fromFollower() {
            return replicaId >= 0;
        }

        /** A consumer's fetch that a follower may serve (KIP-392: clients that know of it, v11+). */
        boolean followerMayServe() {
            return replicaId < 0 && version >= 11;
        }
    }

    /**
     * One partition's read; {@code leaderId}/{@code leaderEpoch} name the leader with
     * NOT_LEADER_OR_FOLLOWER; {@code diverging} is where a follower's log left this one's, or null;
     * {@code waitMark} is the partition's byte count a parked fetch waits to see grow (appended
     * bytes for a follower, committed for a consumer) as taken before the read, -1 when unread;
     * {@code aborted} the aborted transactions a read_committed consumer must know of for the records.
     */
    private record Result(FetchSessions.Entry entry, Partition partition, ErrorCode error, Records records,
                          long highWatermark, long lastStableOffset, long logStartOffset, int leaderId, int leaderEpoch,
                          LeaderEpochCheckpoint.EpochEnd diverging, int preferredReadReplica, long waitMark,
                          List<AbortedTxn> aborted) {
        Result(FetchSessions.Entry entry, Partition partition, ErrorCode error, Records records, long highWatermark,
               long lastStableOffset, long logStartOffset, int leaderId, int leaderEpoch,
               LeaderEpochCheckpoint.EpochEnd diverging) {
            this(entry, partition, error, records, highWatermark, lastStableOffset, logStartOffset, leaderId,
                leaderEpoch, diverging, -1, -1, List.of());
        }

        Result(FetchSessions.Entry entry, Partition partition, ErrorCode error, Records records, long highWatermark,
               long lastStableOffset, long logStartOffset, long waitMark, List<AbortedTxn> aborted) {
            this(entry, partition, error, records, highWatermark, lastStableOffset, logStartOffset, -1, -1, null, -1,
                waitMark, aborted);
        }

        Result(FetchSessions.Entry entry, Partition partition, ErrorCode error, Records records, long highWatermark,
               long lastStableOffset, long logStartOffset) {
            this(entry, partition, error, records, highWatermark, lastStableOffset, logStartOffset, -1, List.of());
        }

        /** This result, telling the client to read from {@code replica} instead (KIP-392). */
        Result preferring(int replica) {
            return new Result(entry, partition, error, records, highWatermark, lastStableOffset, logStartOffset,
                leaderId, leaderEpoch, diverging, replica, waitMark, aborted);
        }
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    /**
     * Which topics the fetch may read, as Kafka decides: a follower's fetch needs CLUSTER_ACTION
     * on the cluster (else every partition is TOPIC_AUTHORIZATION_FAILED), a consumer's READ on
     * each topic.
     */
    private static java.util.function.Predicate<String> readable(RequestContext context, int replicaId) {
        if (context.authorizer() == null) {
            return topic -> true;
        }
        if (replicaId >= 0) {
            boolean cluster = context.allowedOnCluster(AclOperation.CLUSTER_ACTION);
            return topic -> cluster;
        }
        // One decision per topic, however many of its partitions the fetch names.
        Map<String, Boolean> decided = new java.util.concurrent.ConcurrentHashMap<>();
        return topic -> decided.computeIfAbsent(topic,
            t -> context.allowed(AclOperation.READ, AclResourceType.TOPIC, t));
    }

    @Override
    public CompletableFuture<FetchResponse> handle(RequestContext context, FetchRequest request) {
        short version = context.version();
        boolean byId = version >= 13;
        int replicaId = version >= 15 ? request.replicaState().replicaId() : request.replicaId();
        long now = System.currentTimeMillis();
        int sessionId = request.sessionId();
        int epoch = request.sessionEpoch();
        Plan plan;
        if (epoch == 0 || epoch == -1) {
            if (sessionId != 0) {
                sessions.remove(sessionId);
            }
            List<FetchSessions.Entry> entries = new ArrayList<>();
            for (FetchRequest.FetchTopic t : request.topics()) {
                for (FetchRequest.FetchPartition p : t.partitions()) {
                    entries.add(entry(new FetchSessions.Key(byId ? t.topicId() : Uuid.ZERO, byId ? null : t.topic(),
                        p.partition()), p));
                }
            }
            // A client naming many partitions the cluster does not have gets no session to keep them in.
            FetchSessions.Session session = epoch == 0 && unknownPartitions(entries) <= MAX_UNKNOWN_PARTITIONS
                ? sessions.create(byId, entries.size(), now) : null;
            if (session != null) {
                synchronized (session) {
                    for (FetchSessions.Entry e : entries) {
                        session.partitions.put(e.key, e);
                    }
                    entries = new ArrayList<>(session.partitions.values());
                }
            }
            plan = new Plan(entries, session, false, replicaId, version, readable(context, replicaId));
        } else {
            FetchSessions.Session session = sessions.get(sessionId);
            if (session == null) {
                return CompletableFuture.completedFuture(sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND));
            }
            synchronized (session) {
                if (session.nextEpoch != epoch) {
                    return CompletableFuture.completedFuture(sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH));
                }
                if (session.usesTopicIds != byId) {
                    return CompletableFuture.completedFuture(sessionError(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR));
                }
                for (FetchRequest.ForgottenTopic f : request.forgottenTopicsData()) {
                    for (int p : f.partitions()) {
                        session.partitions.remove(new FetchSessions.Key(byId ? f.topicId() : Uuid.ZERO,
                            byId ? null : f.topic(), p));
                    }
                }
                MetadataImage image = view.image();
                for (FetchRequest.FetchTopic t : request.topics()) {
                    for (FetchRequest.FetchPartition p : t.partitions()) {
                        FetchSessions.Key key = new FetchSessions.Key(byId ? t.topicId() : Uuid.ZERO,
                            byId ? null : t.topic(), p.partition());
                        FetchSessions.Entry e = session.partitions.get(key);
                        if (e == null) {
                            if (!exists(image, key) && ++session.unknownAdded > MAX_UNKNOWN_PARTITIONS) {
                                // The session would keep growing with names nobody serves: drop it, and the
                                // client starts over with a full fetch (which then gets no session).
                                sessions.remove(session.id);
                                return CompletableFuture.completedFuture(sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND));
                            }
                            e = new FetchSessions.Entry(key);
                            session.partitions.put(key, e);
                        }
                        e.fetchOffset = p.fetchOffset();
                        e.maxBytes = p.partitionMaxBytes();
                        e.currentLeaderEpoch = p.currentLeaderEpoch();
                        e.lastFetchedEpoch = p.lastFetchedEpoch();
                        e.replicaHighWatermark = p.highWatermark();
                    }
                }
                session.nextEpoch = epoch == Integer.MAX_VALUE ? 1 : epoch + 1;
                session.lastUsedMs = now;
                plan = new Plan(new ArrayList<>(session.partitions.values()), session, true, replicaId, version,
                    readable(context, replicaId));
            }
        }

        long maxWaitMs = Math.min(request.maxWaitMs(), MAX_WAIT_MS);
        // A follower's fetch offset says what it holds: recorded first, so the answer carries the
        // high watermark it may have moved.
        CompletableFuture<Void> recorded = plan.fromFollower() ? followerFetched(plan) : CompletableFuture.completedFuture(null);
        return recorded.thenCompose(ignored -> read(plan, request)).thenCompose(results -> {
            long bytes = 0;
            boolean answerNow = false;
            // Each partition's byte count from before its read: what lands while a read runs wakes the park.
            Map<Partition, Long> watched = new LinkedHashMap<>();
            Map<Partition, Long> stable = new LinkedHashMap<>();
            for (Result r : results) {
                bytes += r.records().sizeInBytes();
                answerNow |= r.error() != ErrorCode.NONE || r.diverging() != null
                    // A follower behind on the high watermark learns the new one at once (KIP-1166), unless
                    // the throttle holds its data back: it would only come straight back for nothing.
                    || plan.fromFollower() && r.partition() != null && r.highWatermark() > r.entry().replicaHighWatermark
                    && !heldBack(r.partition(), plan.replicaId());
                if (r.partition() != null) {
                    watched.merge(r.partition(), r.waitMark(), Math::min);
                    stable.merge(r.partition(), r.lastStableOffset(), Math::min);
                }
            }
            if (bytes >= request.minBytes() || maxWaitMs <= 0 || answerNow || watched.isEmpty()) {
                return CompletableFuture.completedFuture(respond(plan, results, request, version));
            }
            CompletableFuture<FetchResponse> response = new CompletableFuture<>();
            Runnable again = () -> read(plan, request).whenComplete((reread, error) -> {
                if (error != null) {
                    response.completeExceptionally(error);
                    return;
                }
                try {
                    response.complete(respond(plan, reread, request, version));
                } catch (RuntimeException e) {
                    response.completeExceptionally(e);
                }
            });
            // A follower waits for appends, a consumer for commits; a read_committed consumer also for
            // its last stable offset to move (committed bytes above it wake it without data for it).
            DelayedFetches.Parked parked = plan.fromFollower()
                ? delayed.awaitAppended(watched, request.minBytes() - bytes, maxWaitMs, again)
                : request.isolationLevel() == READ_COMMITTED
                ? delayed.awaitStable(watched, stable, request.minBytes() - bytes, maxWaitMs, again)
                : delayed.await(watched, request.minBytes() - bytes, maxWaitMs, again);
            // Nobody is left to answer once the connection is gone: let go of the partitions at once.
            Runnable forget = context.connection().whenClosed(parked::cancel);
            return response.whenComplete((r, e) -> forget.run());
        });
    }

    /**
     * Records each fetched partition's fetch offset as its follower's log end, on the partitions
     * this broker leads and the follower is a replica of; the rest answer their errors in the read.
     */
    private CompletableFuture<Void> followerFetched(Plan plan) {
        MetadataImage image = view.image();
        List<CompletableFuture<Void>> recorded = new ArrayList<>();
        for (FetchSessions.Entry e : plan.entries()) {
            TopicImage topic = e.key.topic() != null ? image.topic(e.key.topic()).orElse(null)
                : image.topic(e.key.topicId()).orElse(null);
            if (topic == null || !isReplica(topic, e.key.partition(), plan.replicaId())) {
                continue;
            }
            PartitionLookup.Found found = lookup.find(topic, e.key.partition(), e.currentLeaderEpoch, false, true);
            if (found.error() == ErrorCode.NONE) {
                recorded.add(found.partition().followerFetched(plan.replicaId(), e.fetchOffset));
            }
        }
        return CompletableFuture.allOf(recorded.toArray(new CompletableFuture<?>[0]));
    }

    private static boolean isReplica(TopicImage topic, int index, int replicaId) {
        return index >= 0 && index < topic.partitions().size()
            && topic.partitions().get(index).replicas().contains(replicaId);
    }

    private int unknownPartitions(List<FetchSessions.Entry> entries) {
        MetadataImage image = view.image();
        int unknown = 0;
        for (FetchSessions.Entry e : entries) {
            if (!exists(image, e.key)) {
                unknown++;
            }
        }
        return unknown;
    }

    private static boolean exists(MetadataImage image, FetchSessions.Key key) {
        Optional<TopicImage> topic = key.topic() != null ? image.topic(key.topic()) : image.topic(key.topicId());
        return topic.isPresent() && key.partition() >= 0 && key.partition() < topic.get().partitions().size();
    }

    private static FetchSessions.Entry entry(FetchSessions.Key key, FetchRequest.FetchPartition p) {
        FetchSessions.Entry e = new FetchSessions.Entry(key);
        e.fetchOffset = p.fetchOffset();
        e.maxBytes = p.partitionMaxBytes();
        e.currentLeaderEpoch = p.currentLeaderEpoch();
        e.lastFetchedEpoch = p.lastFetchedEpoch();
        e.replicaHighWatermark = p.highWatermark();
        return e;
    }

    /**
     * Reads every partition of the plan: local logs on the read pool; then, as Kafka does, at most
     * one partition whose offset lies in the cold tier, on the object-store pool, waiting for it at
     * most {@code remote.fetch.max.wait.ms}. Other cold-tier partitions answer no records this
     * time (no error), and get their turn in later fetches.
     */
    private CompletableFuture<List<Result>> read(Plan plan, FetchRequest request) {
        return CompletableFuture.supplyAsync(() -> readLocal(plan, request), pools.local()).thenCompose(local -> {
            if (local.remote() < 0) {
                return CompletableFuture.completedFuture(local.results());
            }
            Result pending = local.results().get(local.remote());
            FetchSessions.Entry e = pending.entry();
            Partition partition = pending.partition();
            int max = (int) Math.min(e.maxBytes, Math.max(0, local.budget()));
            boolean minOneBatch = !local.haveData();
            boolean readCommitted = request.isolationLevel() == READ_COMMITTED;
            return pools.remote(() -> readOne(e, partition, max, minOneBatch, false, readCommitted))
                .completeOnTimeout(null, pools.remoteWaitMs(), TimeUnit.MILLISECONDS)
                .handle((read, error) -> {
                    Result result;
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                        // Too many object-store reads waiting: no records this time, the client asks again.
                        result = cause instanceof RejectedExecutionException ? pending : failed(e,
                            ErrorCode.KAFKA_STORAGE_ERROR);
                    } else {
                        result = read == null ? pending : read;
                    }
                    List<Result> all = new ArrayList<>(local.results());
                    all.set(local.remote(), result);
                    return all;
                });
        });
    }

    /** The partitions read from local disk, and the one (index into results, or -1) left for the cold tier. */
    private record LocalReads(List<Result> results, int remote, long budget, boolean haveData) {
    }

    private LocalReads readLocal(Plan plan, FetchRequest request) {
        MetadataImage image = view.image();
        long budget = Math.min(request.maxBytes(), brokerMaxBytes);
        boolean haveData = false;
        int remote = -1;
        List<Result> results = new ArrayList<>(plan.entries().size());
        for (FetchSessions.Entry e : plan.entries()) {
            FetchSessions.Key key = e.key;
            TopicImage topic = key.topic() != null ? image.topic(key.topic()).orElse(null) : image.topic(key.topicId()).orElse(null);
            String name = topic != null ? topic.name() : key.topic();
            if (name != null && !plan.readable().test(name)) {
                results.add(failed(e, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
                continue;
            }
            if (topic == null) {
                results.add(failed(e, key.topic() != null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID));
                continue;
            }
            PartitionLookup.Found found = lookup.find(topic, key.partition(), e.currentLeaderEpoch,
                plan.followerMayServe(), plan.replicaId() >= 0);
            if (found.error() != ErrorCode.NONE) {
                results.add(new Result(e, null, found.error(), MemoryRecords.EMPTY, -1, -1, -1, found.leaderId(),
                    found.leaderEpoch(), null));
                continue;
            }
            Partition partition = found.partition();
            int preferred = plan.followerMayServe() && partition.isLeader()
                ? preferredReadReplica(image, topic, key.partition(), request.rackId()) : -1;
            if (preferred >= 0) {
                // KIP-392: the client reads from a replica in its rack; this answer only says which.
                results.add(empty(e, partition).preferring(preferred));
                continue;
            }
            if (partition.isOffline()) {
                results.add(failed(e, ErrorCode.KAFKA_STORAGE_ERROR));
                continue;
            }
            if (plan.fromFollower()) {
                if (!isReplica(topic, key.partition(), plan.replicaId())) {
                    // As Kafka: a broker outside the partition's assignment is no follower of it.
                    results.add(failed(e, ErrorCode.NOT_LEADER_OR_FOLLOWER));
                    continue;
                }
                LeaderEpochCheckpoint.EpochEnd diverging = diverging(e, partition);
                if (diverging != null) {
                    results.add(new Result(e, partition, ErrorCode.NONE, MemoryRecords.EMPTY, partition.highWatermark(),
                        partition.lastStableOffset(), partition.logStartOffset(), -1, -1, diverging));
                    continue;
                }
                if (heldBack(partition, plan.replicaId())) {
                    results.add(empty(e, partition));
                    continue;
                }
            }
            if (!plan.fromFollower() && partition.inRemoteTier(e.fetchOffset)) {
                if (remote < 0 && (budget > 0 || !haveData)) {
                    remote = results.size();
                }
                results.add(empty(e, partition));
                continue;
            }
            Result r;
            if (budget > 0 || !haveData) {
                r = readOne(e, partition, (int) Math.min(e.maxBytes, Math.max(0, budget)), !haveData, plan.fromFollower(),
                    request.isolationLevel() == READ_COMMITTED);
            } else {
                long start = plan.fromFollower() ? partition.localLogStartOffset() : partition.logStartOffset();
                r = e.fetchOffset < start || e.fetchOffset > partition.logEndOffset()
                    ? new Result(e, partition, outOfRange(e, partition, plan.fromFollower()), MemoryRecords.EMPTY,
                        partition.highWatermark(), partition.lastStableOffset(), partition.logStartOffset())
                    : empty(e, partition);
            }
            int size = r.records().sizeInBytes();
            if (size > 0) {
                haveData = true;
                budget -= size;
            }
            results.add(r);
        }
        return new LocalReads(results, remote, budget, haveData);
    }

    /**
     * Whether the leader's replication throttle holds back {@code partition}'s data from follower
     * {@code replicaId} now: the partition is throttled here, the rate is over its bound, and the
     * follower is not in the ISR (in-sync followers are never held back, or the ISR would shrink).
     */
    private boolean heldBack(Partition partition, int replicaId) {
        return leaderQuota.isThrottled(partition.topic(), partition.index()) && leaderQuota.exceeded()
            && !partition.role().isr().contains(replicaId);
    }

    /**
     * With {@code replica.selector.class} set to Kafka's rack-aware selector, the in-sync replica on
     * an active broker in the client's rack ({@code client.rack}) that the client should read
     * from, when the leader is not in that rack; -1 for the leader itself.
     */
    private int preferredReadReplica(MetadataImage image, TopicImage topic, int index, String clientRack) {
        if (!rackAwareReads || clientRack == null || clientRack.isEmpty()) {
            return -1;
        }
        PartitionImage meta = topic.partitions().get(index);
        if (image.broker(meta.leader()).flatMap(b -> b.rack()).filter(clientRack::equals).isPresent()) {
            return -1;
        }
        for (int replica : meta.isr()) {
            boolean sameRack = image.broker(replica).filter(b -> b.active())
                .flatMap(b -> b.rack()).filter(clientRack::equals).isPresent();
            if (replica != meta.leader() && sameRack) {
                return replica;
            }
        }
        return -1;
    }

    /**
     * Where a follower's log diverged from this leader's, by its last fetched epoch (KIP-595): the
     * leader's log of that epoch (or the largest below it) ends before the fetch offset, or the
     * leader knows no such epoch. Null when the follower's log is a prefix of this one's.
     */
    private static LeaderEpochCheckpoint.EpochEnd diverging(FetchSessions.Entry e, Partition partition) {
        if (e.lastFetchedEpoch < 0) {
            return null;
        }
        LeaderEpochCheckpoint.EpochEnd end = partition.endOffsetForEpoch(e.lastFetchedEpoch);
        return end.epoch() < e.lastFetchedEpoch || end.endOffset() < e.fetchOffset ? end : null;
    }

    /**
     * One partition's read: its records from the fetch offset, or the error that stops it. A
     * follower reads up to the log end, a consumer up to the high watermark, or with
     * {@code readCommitted} up to the last stable offset, with the aborted transactions whose
     * data may be among the records.
     */
    private static Result readOne(FetchSessions.Entry e, Partition partition, int maxBytes, boolean minOneBatch,
                                  boolean follower, boolean readCommitted) {
        // Taken first: bytes that land during the read wake a fetch that parks after it.
        long mark = follower ? partition.appendedBytes() : partition.committedBytes();
        Records records = MemoryRecords.EMPTY;
        ErrorCode error = ErrorCode.NONE;
        long hw = partition.highWatermark();
        // Taken before the read too: a parked read_committed fetch wakes once it moves past this.
        long stable = partition.lastStableOffset();
        // A follower learns the log's true start (the cold tier's when it is lower), as Kafka's
        // does; its local retention follows the store's manifest, not this broker's local start.
        long start = partition.logStartOffset();
        List<AbortedTxn> aborted = List.of();
        boolean committedOnly = readCommitted && !follower;
        try {
            LogReadResult read = follower ? partition.readForReplica(e.fetchOffset, maxBytes, minOneBatch)
                : partition.read(e.fetchOffset, maxBytes, minOneBatch, committedOnly);
            records = read.records();
            if (!follower) {
                start = read.logStartOffset();
            }
            if (committedOnly && records.sizeInBytes() > 0) {
                // Up to the last stable offset as it is now, at or past the end of what was read.
                aborted = partition.abortedTransactions(e.fetchOffset, partition.lastStableOffset());
            }
        } catch (OffsetOutOfRangeException oor) {
            error = outOfRange(e, partition, follower);
        } catch (LogStorageException storage) {
            error = ErrorCode.KAFKA_STORAGE_ERROR;
        }
        return new Result(e, partition, error, records, hw, stable, start, mark, aborted);
    }

    /**
     * A fetch offset this broker cannot serve from its log. A follower copies local segments
     * only: one asking for an offset that has left local disk for the cold tier is told so
     * (OFFSET_MOVED_TO_TIERED_STORAGE, as Kafka's leader answers), and rebuilds what lies below
     * this broker's local log start from the store; anything else is OFFSET_OUT_OF_RANGE.
     */
    private static ErrorCode outOfRange(FetchSessions.Entry e, Partition partition, boolean follower) {
        return follower && partition.isTiered() && e.fetchOffset < partition.localLogStartOffset()
            && e.fetchOffset >= partition.logStartOffset()
            ? ErrorCode.OFFSET_MOVED_TO_TIERED_STORAGE : ErrorCode.OFFSET_OUT_OF_RANGE;
    }

    private static Result empty(FetchSessions.Entry e, Partition partition) {
        return new Result(e, partition, ErrorCode.NONE, MemoryRecords.EMPTY, partition.highWatermark(),
            partition.lastStableOffset(), partition.logStartOffset());
    }

    private static Result failed(FetchSessions.Entry e, ErrorCode error) {
        return new Result(e, null, error, MemoryRecords.EMPTY, -1, -1, -1);
    }

    private FetchResponse respond(Plan plan, List<Result> results, FetchRequest request, short version) {
        boolean byId = version >= 13;
        boolean readCommitted = request.isolationLevel() == READ_COMMITTED;
        List<FetchResponse.FetchableTopicResponse> topics = new ArrayList<>();
        List<FetchSessions.Key> returnedData = new ArrayList<>();
        FetchResponse.FetchableTopicResponse current = null;
        Object currentTopic = null;
        for (Result r : results) {
            FetchSessions.Entry e = r.entry();
            boolean changed = r.highWatermark() != e.lastHighWatermark || r.lastStableOffset() != e.lastStableOffset
                || r.logStartOffset() != e.lastLogStartOffset;
            boolean hasData = r.records().sizeInBytes() > 0;
            if (plan.session() != null) {
                e.lastHighWatermark = r.highWatermark();
                e.lastStableOffset = r.lastStableOffset();
                e.lastLogStartOffset = r.logStartOffset();
            }
            if (plan.incremental() && !hasData && !changed && r.error() == ErrorCode.NONE) {
                continue;
            }
            if (hasData) {
                returnedData.add(e.key);
            }
            if (hasData && !plan.fromFollower()) {
                topicMetrics.fetched(r.partition().topic(), r.records().sizeInBytes(), RecordCounts.of(r.records()));
            } else if (hasData && leaderQuota.isThrottled(r.partition().topic(), r.partition().index())) {
                // In-sync followers' bytes count too, as in Kafka: they are only never held back.
                leaderQuota.record(r.records().sizeInBytes());
            }
            Object topicKey = byId ? e.key.topicId() : e.key.topic();
            if (current == null || !Objects.equals(currentTopic, topicKey)) {
                current = new FetchResponse.FetchableTopicResponse().setTopic(byId ? "" : e.key.topic())
                    .setTopicId(byId ? e.key.topicId() : Uuid.ZERO).setPartitions(new ArrayList<>());
                currentTopic = topicKey;
                topics.add(current);
            }
            FetchResponse.PartitionData data = new FetchResponse.PartitionData()
                .setPartitionIndex(e.key.partition())
                .setErrorCode(r.error().code())
                .setHighWatermark(r.highWatermark())
                .setLastStableOffset(r.lastStableOffset())
                .setLogStartOffset(r.logStartOffset())
                .setAbortedTransactions(readCommitted ? abortedTransactions(r.aborted()) : null)
                .setPreferredReadReplica(r.preferredReadReplica())
                .setRecords(r.records());
            if (r.diverging() != null) {
                data.setDivergingEpoch(new FetchResponse.EpochEndOffset().setEpoch(r.diverging().epoch())
                    .setEndOffset(r.diverging().endOffset()));
            }
            if (r.error() == ErrorCode.NOT_LEADER_OR_FOLLOWER) {
                data.setCurrentLeader(new FetchResponse.LeaderIdAndEpoch().setLeaderId(r.leaderId())
                    .setLeaderEpoch(r.leaderEpoch()));
            }
            current.partitions().add(data);
        }
        if (plan.session() != null) {
            synchronized (plan.session()) {
                plan.session().rotate(returnedData);
            }
        }
        return new FetchResponse().setSessionId(plan.session() == null ? 0 : plan.session().id).setResponses(topics);
    }

    private static List<FetchResponse.AbortedTransaction> abortedTransactions(List<AbortedTxn> aborted) {
        List<FetchResponse.AbortedTransaction> out = new ArrayList<>(aborted.size());
        for (AbortedTxn txn : aborted) {
            out.add(new FetchResponse.AbortedTransaction().setProducerId(txn.producerId())
                .setFirstOffset(txn.firstOffset()));
        }
        return out;
    }

    @Override
    protected int fileBackedBytes(FetchResponse response) {
        int bytes = 0;
        for (FetchResponse.FetchableTopicResponse t : response.responses()) {
            for (FetchResponse.PartitionData p : t.partitions()) {
                Records records = p.records();
                if (records != null && !(records instanceof MemoryRecords)) {
                    bytes += records.sizeInBytes();
                }
            }
        }
        return bytes;
    }

    private static FetchResponse sessionError(ErrorCode error) {
        return new FetchResponse().setErrorCode(error.code()).setSessionId(0);
    }

    @Override
    public FetchResponse errorResponse(FetchRequest request, ErrorCode error) {
        List<FetchResponse.FetchableTopicResponse> topics = new ArrayList<>();
        for (FetchRequest.FetchTopic t : request.topics()) {
            List<FetchResponse.PartitionData> parts = new ArrayList<>();
            for (FetchRequest.FetchPartition p : t.partitions()) {
                parts.add(new FetchResponse.PartitionData().setPartitionIndex(p.partition()).setErrorCode(error.code())
                    .setHighWatermark(-1).setRecords(MemoryRecords.EMPTY));
            }
            topics.add(new FetchResponse.FetchableTopicResponse().setTopic(t.topic()).setTopicId(t.topicId())
                .setPartitions(parts));
        }
        return new FetchResponse().setErrorCode(error.code()).setResponses(topics);
    }
}
