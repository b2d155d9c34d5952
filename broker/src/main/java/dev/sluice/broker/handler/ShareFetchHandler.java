package dev.sluice.broker.handler;

import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.ReadPools;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.replica.DelayedFetches;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.share.SharePartition;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.broker.share.SharePartitions;
import dev.sluice.broker.share.ShareSessions;
import dev.sluice.broker.share.ShareSessions.TopicIdPartition;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ShareFetchRequest;
import dev.sluice.wire.message.ShareFetchResponse;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.Records;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * ShareFetch (key 78), v1-2 (KIP-932): a share group member fetches records from the share-partitions
 * this broker leads, each record acquired for it alone for the group's record lock duration, and
 * acknowledges what it got before in the same request. Sessions as {@link ShareSessions} keeps them:
 * epoch 0 opens one (acknowledgements are not allowed then), n adds and forgets partitions, -1
 * acknowledges, gives back the member's other records and closes it. MaxRecords bounds the whole
 * request (log batches are handed out whole, so a little more may come); a fetch with nothing to
 * acquire waits up to MaxWaitMs for new records or for records given back. Each acknowledgement's
 * outcome is the partition's AcknowledgeErrorCode. v2's acquire modes: batch_optimized (0) rounds
 * the records acquired up to whole log batches, record_limit (1) acquires at most MaxRecords in all,
 * so that a consumer's {@code max.poll.records} bounds what it holds; renewals are served.
 *
 * <p>Not done: NodeEndpoints stay empty (the metadata does not hold other brokers' endpoints here);
 * CurrentLeader names the leader for NOT_LEADER_OR_FOLLOWER.
 */
public final class ShareFetchHandler extends ApiHandler<ShareFetchRequest, ShareFetchResponse> {
    /** Fetches never park longer than this, whatever the client asks. */
    private static final long MAX_WAIT_MS = 30_000;
    /** ShareAcquireMode: whole log batches (the default), or no more than MaxRecords. */
    private static final byte BATCH_OPTIMIZED = 0;
    private static final byte RECORD_LIMIT = 1;

    private final ShareAcknowledgements acks;
    private final DelayedFetches delayed;
    private final ReadPools pools;
    private final int brokerMaxBytes;

    public ShareFetchHandler(ShareAcknowledgements acks, DelayedFetches delayed, ReadPools pools, int brokerMaxBytes) {
        super(ApiKey.SHARE_FETCH, 1, 2);
        this.acks = acks;
        this.delayed = delayed;
        this.pools = pools;
        this.brokerMaxBytes = brokerMaxBytes;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    /** One partition's answer as it builds up. */
    private static final class Answer {
        final TopicIdPartition tp;
        ErrorCode error = ErrorCode.NONE;
        ErrorCode ackError;
        int leaderId = -1;
        int leaderEpoch = -1;
        Records records = MemoryRecords.EMPTY;
        List<SharePartition.Acquired> acquired = List.of();

        Answer(TopicIdPartition tp) {
            this.tp = tp;
        }
    }

    @Override
    public CompletableFuture<ShareFetchResponse> handle(RequestContext context, ShareFetchRequest request) {
        short version = context.version();
        var refused = acks.check(context, request.groupId(), request.memberId());
        if (refused.isPresent()) {
            return done(error(refused.get().error(), refused.get().message()));
        }
        if (request.shareAcquireMode() != BATCH_OPTIMIZED && request.shareAcquireMode() != RECORD_LIMIT) {
            return done(error(ErrorCode.INVALID_REQUEST, "Unknown ShareAcquireMode " + request.shareAcquireMode() + "."));
        }
        boolean renewing = version >= 2 && request.isRenewAck();
        if (renewing && (request.maxBytes() != 0 || request.minBytes() != 0 || request.maxRecords() != 0
            || request.maxWaitMs() != 0)) {
            return done(error(ErrorCode.INVALID_REQUEST,
                "A renewing fetch must have MaxBytes, MinBytes, MaxRecords and MaxWaitMs 0."));
        }
        String groupId = request.groupId();
        String memberId = request.memberId();
        ShareSessions sessions = acks.sessions();
        ShareSessions.Key key = new ShareSessions.Key(groupId, memberId);
        List<TopicIdPartition> requested = new ArrayList<>();
        Map<TopicIdPartition, List<ShareAcknowledgements.Batch>> ackBatches = new LinkedHashMap<>();
        for (ShareFetchRequest.FetchTopic t : request.topics()) {
            for (ShareFetchRequest.FetchPartition p : t.partitions()) {
                TopicIdPartition tp = new TopicIdPartition(t.topicId(), p.partitionIndex());
                requested.add(tp);
                if (!p.acknowledgementBatches().isEmpty()) {
                    List<ShareAcknowledgements.Batch> batches = new ArrayList<>();
                    p.acknowledgementBatches().forEach(b -> batches.add(
                        new ShareAcknowledgements.Batch(b.firstOffset(), b.lastOffset(), b.acknowledgeTypes())));
                    ackBatches.put(tp, batches);
                }
            }
        }
        List<TopicIdPartition> forgotten = new ArrayList<>();
        request.forgottenTopicsData().forEach(f -> f.partitions().forEach(p ->
            forgotten.add(new TopicIdPartition(f.topicId(), p))));
        int epoch = request.shareSessionEpoch();
        ShareSessions.Outcome outcome;
        Set<TopicIdPartition> added = Set.of();
        if (epoch == 0) {
            if (!ackBatches.isEmpty()) {
                return done(error(ErrorCode.INVALID_REQUEST, "Acknowledgements are not allowed when a share session opens."));
            }
            outcome = sessions.open(key, context.connection(), requested);
            if (outcome.error() == ErrorCode.SHARE_SESSION_LIMIT_REACHED) {
                // Answered after the wait the client asked for, so that it does not retry in a tight loop.
                long wait = Math.min(Math.max(request.maxWaitMs(), 0), MAX_WAIT_MS);
                return CompletableFuture.supplyAsync(() -> error(outcome.error(), "This broker has no room for another share session."),
                    CompletableFuture.delayedExecutor(wait, TimeUnit.MILLISECONDS));
            }
            acks.closeWithConnection(context, outcome.session());
            added = Set.copyOf(requested);
        } else {
            outcome = sessions.use(key, epoch, epoch == -1);
            if (outcome.error() != ErrorCode.NONE) {
                return done(error(outcome.error(), null));
            }
            if (epoch != -1) {
                added = sessions.update(outcome.session(), requested, forgotten);
            }
        }
        ShareSessions.Session session = outcome.session();
        Map<TopicIdPartition, Answer> answers = new LinkedHashMap<>();
        List<CompletableFuture<?>> acking = new ArrayList<>();
        ackBatches.forEach((tp, batches) -> {
            Answer a = answers.computeIfAbsent(tp, Answer::new);
            acking.add(acks.acknowledge(context, groupId, memberId, tp.topicId(), tp.partition(), batches, version,
                renewing).thenAccept(e -> a.ackError = e));
        });
        CompletableFuture<Void> acknowledged = CompletableFuture.allOf(acking.toArray(new CompletableFuture<?>[0]));
        if (epoch == -1) {
            return acknowledged.thenApply(v -> {
                acks.released(session);
                return respond(request, answers, session, Set.of(), false);
            });
        }
        boolean full = epoch == 0;
        Set<TopicIdPartition> fresh = added;
        if (renewing || request.maxRecords() <= 0 || request.maxBytes() <= 0) {
            return acknowledged.thenApply(v -> respond(request, answers, session, fresh, full));
        }
        return acknowledged.thenCompose(v -> fetch(context, request, session, answers))
            .thenApply(v -> respond(request, answers, session, fresh, full));
    }

    /** Loads the session's share-partitions, acquires records from them, and waits once when there are none. */
    private CompletableFuture<Void> fetch(RequestContext context, ShareFetchRequest request,
                                          ShareSessions.Session session, Map<TopicIdPartition, Answer> answers) {
        String groupId = request.groupId();
        MetadataImage image = acks.view().image();
        Map<TopicIdPartition, CompletableFuture<Map.Entry<ErrorCode, SharePartitions.Entry>>> loading = new LinkedHashMap<>();
        for (TopicIdPartition tp : acks.sessions().partitions(session)) {
            Answer a = answers.computeIfAbsent(tp, Answer::new);
            TopicImage topic = image.topic(tp.topicId()).orElse(null);
            if (topic == null) {
                a.error = ErrorCode.UNKNOWN_TOPIC_ID;
                continue;
            }
            if (!context.allowed(AclOperation.READ, AclResourceType.TOPIC, topic.name())) {
                a.error = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
                continue;
            }
            PartitionLookup.Found found = acks.lookup().find(topic, tp.partition(), -1);
            if (found.error() != ErrorCode.NONE) {
                a.error = found.error();
                a.leaderId = found.leaderId();
                a.leaderEpoch = found.leaderEpoch();
                continue;
            }
            loading.put(tp, acks.shares().entry(new SharePartitionKey(groupId, tp.topicId(), tp.partition()),
                found.partition()));
        }
        return CompletableFuture.allOf(loading.values().toArray(new CompletableFuture<?>[0])).thenCompose(v -> {
            Map<TopicIdPartition, SharePartitions.Entry> entries = new LinkedHashMap<>();
            loading.forEach((tp, f) -> {
                Map.Entry<ErrorCode, SharePartitions.Entry> loaded = f.join();
                if (loaded.getKey() != ErrorCode.NONE) {
                    answers.get(tp).error = loaded.getKey();
                } else {
                    entries.put(tp, loaded.getValue());
                }
            });
            if (entries.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            Map<Partition, Long> marks = new HashMap<>();
            entries.values().forEach(e -> marks.merge(e.partition(), e.partition().committedBytes(), Math::min));
            return CompletableFuture.supplyAsync(() -> acquire(request, entries, answers), pools.local())
                .thenCompose(got -> {
                    long wait = Math.min(Math.max(request.maxWaitMs(), 0), MAX_WAIT_MS);
                    if (got || wait == 0 || request.minBytes() <= 0 && request.maxWaitMs() <= 0) {
                        return CompletableFuture.completedFuture(null);
                    }
                    return park(context, request, entries, answers, marks, wait);
                });
        });
    }

    /** Parks until new records land or records are given back, then acquires once more. */
    private CompletableFuture<Void> park(RequestContext context, ShareFetchRequest request,
                                         Map<TopicIdPartition, SharePartitions.Entry> entries,
                                         Map<TopicIdPartition, Answer> answers, Map<Partition, Long> marks, long wait) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicBoolean fired = new AtomicBoolean();
        DelayedFetches.Parked[] parked = new DelayedFetches.Parked[1];
        Runnable again = () -> {
            if (!fired.compareAndSet(false, true)) {
                return;
            }
            if (parked[0] != null) {
                parked[0].cancel();
            }
            CompletableFuture.runAsync(() -> acquire(request, entries, answers), pools.local())
                .whenComplete((r, e) -> done.complete(null));
        };
        entries.values().forEach(e -> acks.shares().onAvailable(e, again));
        parked[0] = delayed.await(marks, 1, wait, again);
        if (fired.get()) {
            parked[0].cancel();
        }
        boolean ready = false;
        for (SharePartitions.Entry e : entries.values()) {
            ready |= acks.shares().hasAvailable(e);
        }
        if (ready) {
            again.run();
        }
        Runnable forget = context.connection().whenClosed(() -> {
            if (fired.compareAndSet(false, true)) {
                parked[0].cancel();
                done.complete(null);
            }
        });
        return done.whenComplete((r, e) -> {
            forget.run();
            entries.values().forEach(entry -> acks.shares().forgetWaiter(entry, again));
        });
    }

    /** Acquires from each share-partition in turn within the request's record and byte budgets; whether any were. */
    private boolean acquire(ShareFetchRequest request, Map<TopicIdPartition, SharePartitions.Entry> entries,
                            Map<TopicIdPartition, Answer> answers) {
        int recordsLeft = request.maxRecords();
        long bytesLeft = Math.min(request.maxBytes(), brokerMaxBytes);
        int batchSize = request.batchSize();
        boolean any = false;
        for (Map.Entry<TopicIdPartition, SharePartitions.Entry> e : entries.entrySet()) {
            if (recordsLeft <= 0 || bytesLeft <= 0 && any) {
                break;
            }
            Answer a = answers.get(e.getKey());
            if (!a.acquired.isEmpty()) {
                continue;
            }
            SharePartitions.Fetched fetched = acks.shares().fetch(e.getValue(), request.memberId(), recordsLeft,
                batchSize, request.shareAcquireMode() == RECORD_LIMIT,
                (int) Math.max(1, Math.min(Integer.MAX_VALUE, bytesLeft)));
            if (fetched.error() != ErrorCode.NONE) {
                a.error = fetched.error();
                continue;
            }
            if (!fetched.acquired().isEmpty()) {
                a.records = fetched.records();
                a.acquired = fetched.acquired();
                any = true;
                bytesLeft -= fetched.records().sizeInBytes();
                for (SharePartition.Acquired r : fetched.acquired()) {
                    recordsLeft -= (int) (r.lastOffset() - r.firstOffset() + 1);
                }
            }
        }
        return any;
    }

    private ShareFetchResponse respond(ShareFetchRequest request, Map<TopicIdPartition, Answer> answers,
                                       ShareSessions.Session session, Set<TopicIdPartition> added, boolean full) {
        Map<dev.sluice.wire.codec.Uuid, ShareFetchResponse.ShareFetchableTopicResponse> topics = new LinkedHashMap<>();
        for (Answer a : answers.values()) {
            boolean hasData = !a.acquired.isEmpty();
            boolean errorNow = a.error != ErrorCode.NONE;
            boolean erroredBefore = acks.sessions().answeredErrorBefore(session, a.tp, errorNow);
            if (!full && !hasData && !errorNow && a.ackError == null && !added.contains(a.tp) && !erroredBefore) {
                continue;
            }
            List<ShareFetchResponse.AcquiredRecords> acquired = new ArrayList<>();
            for (SharePartition.Acquired r : a.acquired) {
                acquired.add(new ShareFetchResponse.AcquiredRecords().setFirstOffset(r.firstOffset())
                    .setLastOffset(r.lastOffset()).setDeliveryCount(r.deliveryCount()));
            }
            ShareFetchResponse.PartitionData p = new ShareFetchResponse.PartitionData()
                .setPartitionIndex(a.tp.partition()).setErrorCode(a.error.code())
                .setAcknowledgeErrorCode((a.ackError == null ? ErrorCode.NONE : a.ackError).code())
                .setCurrentLeader(new ShareFetchResponse.LeaderIdAndEpoch().setLeaderId(a.leaderId)
                    .setLeaderEpoch(a.leaderEpoch))
                .setRecords(a.records).setAcquiredRecords(acquired);
            topics.computeIfAbsent(a.tp.topicId(), id -> new ShareFetchResponse.ShareFetchableTopicResponse()
                .setTopicId(id).setPartitions(new ArrayList<>())).partitions().add(p);
        }
        return new ShareFetchResponse().setAcquisitionLockTimeoutMs(acks.lockDurationMs(request.groupId()))
            .setResponses(new ArrayList<>(topics.values())).setNodeEndpoints(new ArrayList<>());
    }

    private static ShareFetchResponse error(ErrorCode error, String message) {
        return new ShareFetchResponse().setErrorCode(error.code()).setErrorMessage(message)
            .setResponses(new ArrayList<>()).setNodeEndpoints(new ArrayList<>());
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    @Override
    public ShareFetchResponse errorResponse(ShareFetchRequest request, ErrorCode error) {
        return error(error, null);
    }
}

