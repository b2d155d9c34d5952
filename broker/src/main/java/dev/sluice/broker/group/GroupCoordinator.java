package dev.sluice.broker.group;

import dev.sluice.broker.coordinator.CoordinatorException;
import dev.sluice.broker.coordinator.CoordinatorResult;
import dev.sluice.broker.coordinator.CoordinatorRuntime;
import dev.sluice.broker.coordinator.CoordinatorTopic;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.Controller;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.MetadataListener;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.replica.LeadershipListener;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.broker.share.SharePersister;
import dev.sluice.broker.share.ShareStateOutcome;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.message.ConsumerGroupDescribeResponse;
import dev.sluice.wire.message.ConsumerGroupHeartbeatRequest;
import dev.sluice.wire.message.ConsumerGroupHeartbeatResponse;
import dev.sluice.wire.message.DescribeGroupsResponse;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.HeartbeatRequest;
import dev.sluice.wire.message.HeartbeatResponse;
import dev.sluice.wire.message.JoinGroupRequest;
import dev.sluice.wire.message.JoinGroupResponse;
import dev.sluice.wire.message.LeaveGroupRequest;
import dev.sluice.wire.message.LeaveGroupResponse;
import dev.sluice.wire.message.ListGroupsResponse;
import dev.sluice.wire.message.ShareGroupDescribeResponse;
import dev.sluice.wire.message.ShareGroupHeartbeatRequest;
import dev.sluice.wire.message.ShareGroupHeartbeatResponse;
import dev.sluice.wire.message.StreamsGroupDescribeResponse;
import dev.sluice.wire.message.StreamsGroupHeartbeatRequest;
import dev.sluice.wire.message.StreamsGroupHeartbeatResponse;
import dev.sluice.wire.message.SyncGroupRequest;
import dev.sluice.wire.message.SyncGroupResponse;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group coordinator: routes each group to the {@link GroupShard} of its
 * {@code __consumer_offsets} partition (Kafka's hash of the group id, so a group lands on the same
 * partition as in Kafka), creates that topic on the first FindCoordinator, and loads a partition's
 * shard whenever the partition appears in the metadata.
 *
 * <p>The shards are state machines on a {@link CoordinatorRuntime}, which gives each partition its
 * serial executor and timers, writes before answering, and loads and unloads the partitions.
 *
 * <p>Threading: the entry points may be called from any thread; each runs on its group's shard.
 * The shards run on the runtime's own pool ({@code group.coordinator.threads}), never on the
 * partition writers' pool: a request's work on a group (matching a subscription regex against every
 * topic, computing an assignment for many members) then delays only other groups, never produce or
 * fetch.
 */
public final class GroupCoordinator implements MetadataListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);
    public static final String TOPIC = "__consumer_offsets";

    /** A committed offset's topic and partition. */
    public record PartitionKey(String topic, int partition) {
    }

    /** One partition of an OffsetCommit, with its topic name resolved. */
    public record OffsetToCommit(String topic, int partition, long offset, int leaderEpoch, String metadata) {
    }

    /**
     * A committed offset; -1 with empty metadata when the group has none for the partition, or
     * when the partition answers an error (UNSTABLE_OFFSET_COMMIT while a transactional offset is
     * pending and the fetch requires stable offsets).
     */
    public record CommittedOffset(String topic, int partition, long offset, int leaderEpoch, String metadata,
                                  ErrorCode error) {
        public CommittedOffset(String topic, int partition, long offset, int leaderEpoch, String metadata) {
            this(topic, partition, offset, leaderEpoch, metadata, ErrorCode.NONE);
        }
    }

    /** What an OffsetFetch found for one group: an error for the whole group, or its offsets. */
    public record GroupOffsets(ErrorCode error, List<CommittedOffset> offsets) {
    }

    /** A share group's error, or its partitions with share-partition states: by topic id, the name and partitions. */
    public record ShareGroupPartitions(ErrorCode error, Map<Uuid, Map.Entry<String, Set<Integer>>> partitions) {
    }

    /** A partition of a share group's topic, by topic id. */
    public record ShareTopicPartition(Uuid topicId, int partition) {
    }

    /** What OffsetDelete did: an error for the whole group, or each partition's outcome. */
    public record DeletedOffsets(ErrorCode error, Map<PartitionKey, ErrorCode> partitions) {
    }

    private final GroupConfig config;
    private final MetadataView view;
    private final Controller controller;
    private final Partitions partitions;
    private final CoordinatorRuntime<GroupShard> runtime;
    private final AtomicLong rebalances = new AtomicLong();
    private final CoordinatorTopic topic;
    private volatile short offsetsReplicationFactor = 1;
    private final SharePersister sharePersister;

    public GroupCoordinator(GroupConfig config, MetadataView view, Controller controller, Partitions partitions) {
        this(config, view, controller, partitions, InstantSource.system());
    }

    /** With a clock of the caller's: session and retention timers still run in real time. */
    public GroupCoordinator(GroupConfig config, MetadataView view, Controller controller, Partitions partitions,
                            InstantSource clock) {
        this(config, view, controller, partitions, clock, ShareGroupSettings.DEFAULTS, null);
    }

    /** With share groups, whose share-partition states {@code sharePersister} keeps. */
    public GroupCoordinator(GroupConfig config, MetadataView view, Controller controller, Partitions partitions,
                            InstantSource clock, ShareGroupSettings shareSettings, SharePersister sharePersister) {
        this.sharePersister = sharePersister;
        this.config = config;
        this.view = view;
        this.controller = controller;
        this.partitions = partitions;
        this.runtime = new CoordinatorRuntime<>("group", TOPIC, config.threads(), clock,
            CompressionType.forId(config.compressionCodec()),
            context -> new GroupShard(context, config, view::image, rebalances, shareSettings, sharePersister));
        this.topic = new CoordinatorTopic(TOPIC, view, controller, partitions, runtime,
            groupId -> groupId.hashCode() & 0x7fffffff, config.offsetsTopicPartitions());
        // Group writes are answered once committed, and a load waits for its log to be committed.
        partitions.addHighWatermarkListener(runtime::highWatermarkMoved);
    }

    /** Loads the shards of the partitions that exist now; later ones load as they appear. */
    public void start() {
        topic.start();
    }

    public GroupConfig config() {
        return config;
    }

    /**
     * Where leadership of {@code __consumer_offsets} partitions is announced, so that their shards
     * load and unload with it.
     */
    public LeadershipListener leadershipListener() {
        return runtime;
    }

    @Override
    public void onChange(MetadataImage previous, MetadataImage next) {
        topic.onChange(previous, next);
    }

    /** Groups (of both protocols, and groups with offsets only) on the loaded shards. */
    public int groupCount() {
        int n = 0;
        for (GroupShard shard : runtime.stateMachines()) {
            n += shard.groupCount();
        }
        return n;
    }

    /** Rebalances so far: new classic generations and new consumer group epochs. */
    public long rebalanceCount() {
        return rebalances.get();
    }

    /** Kafka's placement: the group id's hash modulo the partition count of {@code __consumer_offsets}. */
    public int partitionFor(String groupId) {
        return topic.partitionFor(groupId);
    }

    /**
     * Whether this broker coordinates {@code groupId} now: NONE, COORDINATOR_NOT_AVAILABLE (no
     * {@code __consumer_offsets} yet), NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS.
     */
    public ErrorCode status(String groupId) {
        return topic.status(groupId);
    }

    /**
     * FindCoordinator: creates {@code __consumer_offsets} when it does not exist yet (as Kafka
     * does); see {@link CoordinatorTopic#locate}.
     */
    public CompletableFuture<CoordinatorTopic.Located> locate(String groupId) {
        return topic.locate(groupId, () -> new Controller.NewTopic(TOPIC, config.offsetsTopicPartitions(),
            offsetsReplicationFactor, null, Map.of("cleanup.policy", "compact", "compression.type", "producer",
                "segment.bytes", Integer.toString(config.offsetsTopicSegmentBytes()))));
    }

    /**
     * Sets the replication factor {@code __consumer_offsets} is created with: a cluster's
     * {@code offsets.topic.replication.factor}; a single node keeps 1 (Kafka would refuse to create
     * the topic on fewer brokers than the factor; one broker is all a single node has).
     */
    public void offsetsReplicationFactor(short replicationFactor) {
        this.offsetsReplicationFactor = replicationFactor;
    }

    /** Runs {@code op} on the group's shard; {@code onError} answers when the shard does not serve. */
    private <T> CompletableFuture<T> route(String groupId, Function<GroupShard, CompletableFuture<T>> op,
                                           Function<ErrorCode, T> onError) {
        return routed(groupId, partition -> runtime.call(partition, counted(op)), onError);
    }

    /** Runs {@code op} on the group's shard and writes its records before answering. */
    private <T> CompletableFuture<T> routeWrite(String groupId, Function<GroupShard, CoordinatorResult<T>> op,
                                                Function<ErrorCode, T> onError) {
        return routed(groupId, partition -> runtime.write(partition, counted(op)), onError);
    }

    private <T> CompletableFuture<T> routed(String groupId, IntFunction<CompletableFuture<T>> submit,
                                            Function<ErrorCode, T> onError) {
        return topic.route(groupId, submit::apply, onError);
    }

    /** {@code op}, then a fresh group count for the gauge. */
    private static <R> Function<GroupShard, R> counted(Function<GroupShard, R> op) {
        return shard -> {
            R result = op.apply(shard);
            shard.recount();
            return result;
        };
    }

    // ------------------------------------------------------------------ classic protocol

    public CompletableFuture<JoinGroupResponse> joinGroup(JoinGroupRequest request, short version, String clientId,
                                                          String clientHost) {
        if (!config.classicEnabled()) {
            return CompletableFuture.completedFuture(ClassicGroup.joinError(request.memberId(),
                ErrorCode.UNSUPPORTED_VERSION));
        }
        return route(request.groupId(), s -> s.join(request, version, clientId, clientHost),
            e -> ClassicGroup.joinError(request.memberId(), e));
    }

    public CompletableFuture<SyncGroupResponse> syncGroup(SyncGroupRequest request) {
        return route(request.groupId(), s -> s.sync(request), ClassicGroup::syncError);
    }

    public CompletableFuture<HeartbeatResponse> heartbeat(HeartbeatRequest request) {
        return route(request.groupId(), s -> s.heartbeat(request),
            e -> new HeartbeatResponse().setErrorCode(e.code()));
    }

    public CompletableFuture<LeaveGroupResponse> leaveGroup(LeaveGroupRequest request, short version) {
        return route(request.groupId(), s -> s.leave(request, version),
            e -> new LeaveGroupResponse().setErrorCode(e.code()));
    }

    // ------------------------------------------------------------------ consumer protocol

    public CompletableFuture<ConsumerGroupHeartbeatResponse> consumerGroupHeartbeat(
            ConsumerGroupHeartbeatRequest request, String clientId, String clientHost) {
        StringBuilder message = new StringBuilder();
        ErrorCode invalid = ConsumerGroup.validate(request, config, message);
        if (invalid != null) {
            return CompletableFuture.completedFuture(new ConsumerGroupHeartbeatResponse().setErrorCode(invalid.code())
                .setErrorMessage(message.toString()).setMemberEpoch(-1));
        }
        return route(request.groupId(), s -> s.consumerHeartbeat(request, clientId, clientHost),
            e -> new ConsumerGroupHeartbeatResponse().setErrorCode(e.code()).setMemberEpoch(-1));
    }

    public CompletableFuture<ConsumerGroupDescribeResponse.DescribedGroup> describeConsumerGroup(String groupId) {
        return route(groupId, s -> s.describeConsumerGroup(groupId),
            e -> new ConsumerGroupDescribeResponse.DescribedGroup().setGroupId(groupId).setErrorCode(e.code())
                .setGroupState("").setAssignorName(""));
    }

    // ------------------------------------------------------------------ streams groups

    /**
     * StreamsGroupHeartbeat: the response, and the internal topics of the group's topology that do
     * not exist yet, for the caller to create with the client's rights.
     */
    public CompletableFuture<Map.Entry<StreamsGroupHeartbeatResponse, List<Controller.NewTopic>>> streamsGroupHeartbeat(
            StreamsGroupHeartbeatRequest request, String clientId, String clientHost) {
        String invalid = StreamsGroup.invalid(request);
        if (invalid != null) {
            return CompletableFuture.completedFuture(Map.entry(new StreamsGroupHeartbeatResponse()
                .setErrorCode(ErrorCode.INVALID_REQUEST.code()).setErrorMessage(invalid).setMemberEpoch(-1), List.of()));
        }
        return route(request.groupId(), s -> s.streamsHeartbeat(request, clientId, clientHost),
            e -> new StreamsGroup.HeartbeatResult(new StreamsGroupHeartbeatResponse().setErrorCode(e.code())
                .setMemberEpoch(-1), List.of()))
            .thenApply(r -> Map.entry(r.response(), r.topicsToCreate()));
    }

    public CompletableFuture<StreamsGroupDescribeResponse.DescribedGroup> describeStreamsGroup(String groupId,
                                                                                            boolean includeDescription) {
        return route(groupId, s -> s.describeStreamsGroup(groupId, includeDescription),
            e -> new StreamsGroupDescribeResponse.DescribedGroup().setGroupId(groupId).setErrorCode(e.code())
                .setGroupState("").setAssignorName(""));
    }

    // ------------------------------------------------------------------ share groups

    public CompletableFuture<ShareGroupHeartbeatResponse> shareGroupHeartbeat(ShareGroupHeartbeatRequest request,
                                                                          String clientId, String clientHost) {
        String invalid = ShareGroup.invalid(request);
        if (invalid != null) {
            return CompletableFuture.completedFuture(new ShareGroupHeartbeatResponse()
                .setErrorCode(ErrorCode.INVALID_REQUEST.code()).setErrorMessage(invalid).setMemberEpoch(-1));
        }
        return route(request.groupId(), s -> s.shareHeartbeat(request, clientId, clientHost),
            e -> new ShareGroupHeartbeatResponse().setErrorCode(e.code()).setMemberEpoch(-1));
    }

    public CompletableFuture<ShareGroupDescribeResponse.DescribedGroup> describeShareGroup(String groupId) {
        return route(groupId, s -> s.describeShareGroup(groupId),
            e -> new ShareGroupDescribeResponse.DescribedGroup().setGroupId(groupId).setErrorCode(e.code())
                .setGroupState("").setAssignorName(""));
    }

    /** Where share-partition states are kept; null when share groups have none (a coordinator built without). */
    public SharePersister sharePersister() {
        return sharePersister;
    }

    /** A share group's partitions with states; GROUP_ID_NOT_FOUND, or NON_EMPTY_GROUP when {@code mustBeEmpty}. */
    public CompletableFuture<ShareGroupPartitions> shareGroupPartitions(String groupId, boolean mustBeEmpty) {
        return route(groupId, s -> s.sharePartitions(groupId, mustBeEmpty), e -> new ShareGroupPartitions(e, Map.of()));
    }

    /**
     * AlterShareGroupOffsets: the empty (or new) share group's partitions start anew at the given
     * offsets: marked initializing at a new group epoch (fencing leaders holding the old states),
     * then initialized by the share coordinator. Each partition's error, or the group's.
     *
     * @param offsets by topic id: the topic name and each partition's new start offset
     */
    public CompletableFuture<Map.Entry<ErrorCode, Map<ShareTopicPartition, ErrorCode>>>
            alterShareGroupOffsets(String groupId, Map<Uuid, Map.Entry<String, Map<Integer, Long>>> offsets) {
        Map<Uuid, Map.Entry<String, Set<Integer>>> partitions = new LinkedHashMap<>();
        Map<Uuid, String> names = new HashMap<>();
        offsets.forEach((id, e) -> {
            partitions.put(id, Map.entry(e.getKey(), Set.copyOf(e.getValue().keySet())));
            names.put(id, e.getKey());
        });
        return routeWrite(groupId, s -> s.prepareShareReset(groupId, partitions), e -> Map.entry(e, -1))
            .thenCompose(prepared -> {
                if (prepared.getKey() != ErrorCode.NONE) {
                    return CompletableFuture.completedFuture(Map.entry(prepared.getKey(),
                        Map.<ShareTopicPartition, ErrorCode>of()));
                }
                Map<ShareTopicPartition, CompletableFuture<ShareStateOutcome>> calls = new LinkedHashMap<>();
                offsets.forEach((id, e) -> e.getValue().forEach((p, offset) -> calls.put(
                    new ShareTopicPartition(id, p),
                    sharePersister.initialize(new SharePartitionKey(groupId, id, p), prepared.getValue(), offset))));
                return CompletableFuture.allOf(calls.values().toArray(new CompletableFuture<?>[0])).thenCompose(v -> {
                    Map<ShareTopicPartition, ErrorCode> errors = new LinkedHashMap<>();
                    Map<ShareTopicPartition, Boolean> ok = new LinkedHashMap<>();
                    calls.forEach((k, f) -> {
                        errors.put(k, f.join().error());
                        ok.put(k, f.join().error() == ErrorCode.NONE);
                    });
                    return routeWrite(groupId, s -> s.finishShareReset(groupId, names, ok), e -> e)
                        .thenApply(written -> Map.entry(written, errors));
                });
            });
    }

    /**
     * DeleteShareGroupOffsets: deletes the share-partition states of {@code topics} (ids) at the
     * share coordinator, then forgets them in the empty group. The error of each topic's deletion.
     */
    public CompletableFuture<Map<Uuid, ErrorCode>> deleteShareGroupOffsets(String groupId,
                                                                          Map<Uuid, Set<Integer>> topics) {
        Map<Uuid, List<CompletableFuture<ShareStateOutcome>>> calls = new LinkedHashMap<>();
        topics.forEach((id, ps) -> ps.forEach(p -> calls.computeIfAbsent(id, k -> new ArrayList<>())
            .add(sharePersister.delete(new SharePartitionKey(groupId, id, p)))));
        List<CompletableFuture<ShareStateOutcome>> all = new ArrayList<>();
        calls.values().forEach(all::addAll);
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).thenCompose(v -> {
            Map<Uuid, ErrorCode> errors = new LinkedHashMap<>();
            calls.forEach((id, fs) -> errors.put(id, fs.stream().map(f -> f.join().error())
                .filter(e -> e != ErrorCode.NONE).findFirst().orElse(ErrorCode.NONE)));
            Set<Uuid> deleted = new java.util.HashSet<>();
            errors.forEach((id, e) -> {
                if (e == ErrorCode.NONE) {
                    deleted.add(id);
                }
            });
            return routeWrite(groupId, s -> s.forgetShareTopics(groupId, deleted), e -> e).thenApply(written -> {
                if (written != ErrorCode.NONE) {
                    deleted.forEach(id -> errors.put(id, written));
                }
                return errors;
            });
        });
    }

    // ------------------------------------------------------------------ offsets

    public CompletableFuture<List<ErrorCode>> commitOffsets(String groupId, String memberId, String instanceId,
                                                            int generation, short version, long retentionMs,
                                                            List<OffsetToCommit> offsets) {
        return routeWrite(groupId, s -> s.commit(groupId, memberId, instanceId, generation, version, retentionMs, offsets),
            e -> offsets.stream().map(o -> e).toList());
    }

    /**
     * {@code wanted} null fetches every committed offset of the group. With {@code requireStable}
     * (OffsetFetch v7+) partitions with pending transactional offsets answer UNSTABLE_OFFSET_COMMIT.
     */
    public CompletableFuture<GroupOffsets> fetchOffsets(String groupId, String memberId, int memberEpoch,
                                                        List<PartitionKey> wanted, boolean requireStable) {
        return route(groupId, s -> s.fetchOffsets(groupId, memberId, memberEpoch, wanted, requireStable),
            e -> new GroupOffsets(e, List.of()));
    }

    /**
     * TxnOffsetCommit: writes the offsets for the transactional producer; they become the group's
     * committed offsets only when the producer's transaction commits (see
     * {@link #completeTransaction}). Each partition's error, in order, once durable.
     */
    public CompletableFuture<List<ErrorCode>> commitTransactionalOffsets(String groupId, String memberId,
                                                                         String instanceId, int generation,
                                                                         long producerId, short producerEpoch,
                                                                         List<OffsetToCommit> offsets) {
        return routeWrite(groupId, s -> s.txnCommit(groupId, memberId, instanceId, generation, producerId,
            producerEpoch, offsets), e -> offsets.stream().map(o -> e).toList());
    }

    public CompletableFuture<DeletedOffsets> deleteOffsets(String groupId, List<PartitionKey> partitionsToDelete) {
        return routeWrite(groupId, s -> s.deleteOffsets(groupId, partitionsToDelete), e -> new DeletedOffsets(e, Map.of()));
    }

    /**
     * WriteTxnMarkers for a {@code __consumer_offsets} partition: writes the marker through the
     * partition's shard and, on COMMIT, makes the producer's pending transactional offsets the
     * group's committed offsets (on ABORT drops them). Completes once the marker is committed, with
     * NONE, or the error to answer for this partition: NOT_LEADER_OR_FOLLOWER when its shard is not
     * loaded here or still loading (as Kafka answers: the transaction coordinator retries that one,
     * while it does not expect the group coordinator's own errors), else the partition's refusal
     * (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED, KAFKA_STORAGE_ERROR...).
     */
    public CompletableFuture<ErrorCode> completeTransaction(int partition, long producerId, short producerEpoch,
                                                            int coordinatorEpoch, boolean commit,
                                                            boolean epochPerTransaction) {
        return runtime.writeMarker(partition, producerId, producerEpoch, coordinatorEpoch, commit, epochPerTransaction)
            .thenApply(v -> ErrorCode.NONE)
            .exceptionally(failure -> CoordinatorException.of(failure).map(e -> switch (e.error()) {
                case NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER ->
                    ErrorCode.NOT_LEADER_OR_FOLLOWER;
                default -> e.error();
            }).orElseGet(() -> {
                log.error("Cannot write a transaction marker to {}-{} for producer {}", TOPIC, partition, producerId,
                    failure);
                return ErrorCode.UNKNOWN_SERVER_ERROR;
            }));
    }

    // ------------------------------------------------------------------ groups

    public CompletableFuture<DescribeGroupsResponse.DescribedGroup> describeGroup(String groupId, short version) {
        return route(groupId, s -> s.describe(groupId, version),
            e -> new DescribeGroupsResponse.DescribedGroup().setGroupId(groupId).setErrorCode(e.code())
                .setGroupState("").setProtocolType("").setProtocolData("").setMembers(List.of()));
    }

    /**
     * DeleteGroups for one group. An empty share group's share-partition states are deleted at the
     * share coordinator first, as Kafka does; an error there is the group's answer.
     */
    public CompletableFuture<ErrorCode> deleteGroup(String groupId) {
        return route(groupId, s -> s.shareStatesOfEmptyGroup(groupId), e -> Map.<Uuid, Set<Integer>>of())
            .thenCompose(states -> {
                if (states.isEmpty() || sharePersister == null) {
                    return routeWrite(groupId, s -> s.deleteGroup(groupId), e -> e);
                }
                List<CompletableFuture<ShareStateOutcome>> deletions = new ArrayList<>();
                states.forEach((id, ps) -> ps.forEach(p ->
                    deletions.add(sharePersister.delete(new SharePartitionKey(groupId, id, p)))));
                return CompletableFuture.allOf(deletions.toArray(new CompletableFuture<?>[0])).thenCompose(v -> {
                    for (CompletableFuture<ShareStateOutcome> d : deletions) {
                        if (d.join().error() != ErrorCode.NONE) {
                            return CompletableFuture.completedFuture(d.join().error());
                        }
                    }
                    return routeWrite(groupId, s -> s.deleteGroup(groupId), e -> e);
                });
            });
    }

    /** Every group on every shard passing the filters; an error if some shard is still loading. */
    public CompletableFuture<Map.Entry<ErrorCode, List<ListGroupsResponse.ListedGroup>>> listGroups(
            Set<String> states, Set<String> types) {
        List<CompletableFuture<List<ListGroupsResponse.ListedGroup>>> parts = new ArrayList<>();
        ErrorCode error = ErrorCode.NONE;
        for (int partition : runtime.partitions()) {
            ErrorCode status = runtime.status(partition);
            if (status == ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
                error = status;
            } else if (status == ErrorCode.NONE) {
                // A partition unloaded meanwhile lists nothing, as if it had gone a moment earlier.
                parts.add(CoordinatorTopic.answer(runtime.call(partition, shard -> shard.list(states, types)), e -> List.of()));
            }
        }
        ErrorCode finalError = error;
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<ListGroupsResponse.ListedGroup> all = new ArrayList<>();
            parts.forEach(p -> all.addAll(p.join()));
            return Map.entry(finalError, all);
        });
    }

    @Override
    public void close() {
        runtime.close();
    }
}
