package dev.sluice.broker.handler;

import dev.sluice.broker.log.DelayedFetches;
import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.metrics.RecordCounts;
import dev.sluice.broker.metrics.TopicMetrics;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Fetch (key 1), v4-18, for consumers.
 *
 * <p>Reads each partition from its fetch offset up to the high watermark (the last stable offset
 * for {@code read_committed}, the same while there are no transactions), whole batches only: an
 * offset inside a batch returns that whole batch. At most {@code partition_max_bytes} per partition
 * and {@code max_bytes} in all, except that the first batch of the first partition with data is
 * returned whatever its size (KIP-74), so a consumer always makes progress. When fewer than
 * {@code min_bytes} are ready the request waits, up to {@code max_wait_ms}, for appends.
 *
 * <p>Errors per partition: UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id, v13+),
 * OFFSET_OUT_OF_RANGE, FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v9+). Incremental fetch
 * sessions (KIP-227, v7+): FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH and
 * FETCH_SESSION_TOPIC_ID_ERROR at the top level; sessions are evicted as {@link FetchSessions}
 * describes. Follower fetches (a replica id) are served as consumer reads: there are no followers.
 */
public final class FetchHandler extends ApiHandler<FetchRequest, FetchResponse> {
    private static final int READ_COMMITTED = 1;

    private final Controller controller;
    private final Partitions partitions;
    private final DelayedFetches delayed;
    private final FetchSessions sessions;
    private final int brokerMaxBytes;
    private final TopicMetrics topicMetrics;

    public FetchHandler(Controller controller, Partitions partitions, DelayedFetches delayed, int sessionSlots,
                        int brokerMaxBytes, TopicMetrics topicMetrics) {
        super(ApiKey.FETCH, 4, 18);
        this.controller = controller;
        this.partitions = partitions;
        this.delayed = delayed;
        this.sessions = new FetchSessions(sessionSlots);
        this.brokerMaxBytes = brokerMaxBytes;
        this.topicMetrics = topicMetrics;
    }

    /** Incremental fetch sessions currently cached (a gauge). */
    public int sessionCount() {
        return sessions.size();
    }

    /** What to read this time: the partitions, and the session they belong to, if any. */
    private record Plan(List<FetchSessions.Entry> entries, FetchSessions.Session session, boolean incremental) {
    }

    /** One partition's read. */
    private record Result(FetchSessions.Entry entry, Partition partition, ErrorCode error, Records records,
                          long highWatermark, long lastStableOffset, long logStartOffset) {
    }

    @Override
    public CompletableFuture<FetchResponse> handle(RequestContext context, FetchRequest request) {
        short version = context.version();
        boolean byId = version >= 13;
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
            FetchSessions.Session session = epoch == 0 ? sessions.create(byId, entries.size(), now) : null;
            if (session != null) {
                synchronized (session) {
                    for (FetchSessions.Entry e : entries) {
                        session.partitions.put(e.key, e);
                    }
                    entries = new ArrayList<>(session.partitions.values());
                }
            }
            plan = new Plan(entries, session, false);
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
                for (FetchRequest.FetchTopic t : request.topics()) {
                    for (FetchRequest.FetchPartition p : t.partitions()) {
                        FetchSessions.Key key = new FetchSessions.Key(byId ? t.topicId() : Uuid.ZERO,
                            byId ? null : t.topic(), p.partition());
                        FetchSessions.Entry e = session.partitions.computeIfAbsent(key, FetchSessions.Entry::new);
                        e.fetchOffset = p.fetchOffset();
                        e.maxBytes = p.partitionMaxBytes();
                        e.currentLeaderEpoch = p.currentLeaderEpoch();
                    }
                }
                session.nextEpoch = epoch == Integer.MAX_VALUE ? 1 : epoch + 1;
                session.lastUsedMs = now;
                plan = new Plan(new ArrayList<>(session.partitions.values()), session, true);
            }
        }

        List<Result> results = read(plan, request);
        long bytes = 0;
        boolean anyError = false;
        Set<Partition> watched = new LinkedHashSet<>();
        for (Result r : results) {
            bytes += r.records().sizeInBytes();
            anyError |= r.error() != ErrorCode.NONE;
            if (r.partition() != null) {
                watched.add(r.partition());
            }
        }
        if (bytes >= request.minBytes() || request.maxWaitMs() <= 0 || anyError || watched.isEmpty()) {
            return CompletableFuture.completedFuture(respond(plan, results, request, version));
        }
        CompletableFuture<FetchResponse> response = new CompletableFuture<>();
        delayed.await(watched, request.minBytes() - bytes, request.maxWaitMs(), () -> {
            try {
                response.complete(respond(plan, read(plan, request), request, version));
            } catch (RuntimeException e) {
                response.completeExceptionally(e);
            }
        });
        return response;
    }

    private static FetchSessions.Entry entry(FetchSessions.Key key, FetchRequest.FetchPartition p) {
        FetchSessions.Entry e = new FetchSessions.Entry(key);
        e.fetchOffset = p.fetchOffset();
        e.maxBytes = p.partitionMaxBytes();
        e.currentLeaderEpoch = p.currentLeaderEpoch();
        return e;
    }

    private List<Result> read(Plan plan, FetchRequest request) {
        MetadataImage image = controller.image();
        long budget = Math.min(request.maxBytes(), brokerMaxBytes);
        boolean haveData = false;
        List<Result> results = new ArrayList<>(plan.entries().size());
        for (FetchSessions.Entry e : plan.entries()) {
            FetchSessions.Key key = e.key;
            TopicImage topic = key.topic() != null ? image.topic(key.topic()).orElse(null) : image.topic(key.topicId()).orElse(null);
            if (topic == null) {
                results.add(failed(e, key.topic() != null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID));
                continue;
            }
            Partition partition = partitions.get(topic.name(), key.partition()).orElse(null);
            if (partition == null) {
                results.add(failed(e, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
                continue;
            }
            if (e.currentLeaderEpoch >= 0 && e.currentLeaderEpoch != partition.leaderEpoch()) {
                results.add(failed(e, e.currentLeaderEpoch > partition.leaderEpoch() ? ErrorCode.UNKNOWN_LEADER_EPOCH
                    : ErrorCode.FENCED_LEADER_EPOCH));
                continue;
            }
            if (partition.isOffline()) {
                results.add(failed(e, ErrorCode.KAFKA_STORAGE_ERROR));
                continue;
            }
            Records records = MemoryRecords.EMPTY;
            ErrorCode error = ErrorCode.NONE;
            long hw = partition.highWatermark();
            long start = partition.logStartOffset();
            if (budget > 0 || !haveData) {
                int max = (int) Math.min(e.maxBytes, Math.max(0, budget));
                try {
                    LogReadResult read = partition.read(e.fetchOffset, max, !haveData);
                    records = read.records();
                    start = read.logStartOffset();
                } catch (OffsetOutOfRangeException oor) {
                    error = ErrorCode.OFFSET_OUT_OF_RANGE;
                } catch (LogStorageException storage) {
                    error = ErrorCode.KAFKA_STORAGE_ERROR;
                }
            } else if (e.fetchOffset < start || e.fetchOffset > partition.logEndOffset()) {
                error = ErrorCode.OFFSET_OUT_OF_RANGE;
            }
            int size = records.sizeInBytes();
            if (size > 0) {
                haveData = true;
                budget -= size;
            }
            results.add(new Result(e, partition, error, records, hw, partition.lastStableOffset(), start));
        }
        return results;
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
                topicMetrics.fetched(r.partition().topic(), r.records().sizeInBytes(), RecordCounts.of(r.records()));
            }
            Object topicKey = byId ? e.key.topicId() : e.key.topic();
            if (current == null || !Objects.equals(currentTopic, topicKey)) {
                current = new FetchResponse.FetchableTopicResponse().setTopic(byId ? "" : e.key.topic())
                    .setTopicId(byId ? e.key.topicId() : Uuid.ZERO).setPartitions(new ArrayList<>());
                currentTopic = topicKey;
                topics.add(current);
            }
            current.partitions().add(new FetchResponse.PartitionData()
                .setPartitionIndex(e.key.partition())
                .setErrorCode(r.error().code())
                .setHighWatermark(r.highWatermark())
                .setLastStableOffset(r.lastStableOffset())
                .setLogStartOffset(r.logStartOffset())
                .setAbortedTransactions(readCommitted ? new ArrayList<>() : null)
                .setPreferredReadReplica(-1)
                .setRecords(r.records()));
        }
        if (plan.session() != null) {
            synchronized (plan.session()) {
                plan.session().rotate(returnedData);
            }
        }
        return new FetchResponse().setSessionId(plan.session() == null ? 0 : plan.session().id).setResponses(topics);
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
