package dev.sluice.broker.share;

import dev.sluice.broker.cluster.InterBrokerClient;
import dev.sluice.broker.coordinator.CoordinatorTopic;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.DeleteShareGroupStateRequest;
import dev.sluice.wire.message.DeleteShareGroupStateResponse;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.InitializeShareGroupStateRequest;
import dev.sluice.wire.message.InitializeShareGroupStateResponse;
import dev.sluice.wire.message.ReadShareGroupStateRequest;
import dev.sluice.wire.message.ReadShareGroupStateResponse;
import dev.sluice.wire.message.ReadShareGroupStateSummaryRequest;
import dev.sluice.wire.message.ReadShareGroupStateSummaryResponse;
import dev.sluice.wire.message.WriteShareGroupStateRequest;
import dev.sluice.wire.message.WriteShareGroupStateResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the group coordinator and the share-partition leaders reach the share coordinator of a
 * share-partition, wherever it runs: in this broker, through {@link ShareCoordinator} directly,
 * else over the inter-broker connections with the share-state APIs (83-87), as Kafka's brokers
 * do. The coordinator is found as FindCoordinator key type 2 would name it (which creates
 * {@code __share_group_state} on first use), and found again after NOT_COORDINATOR: a state
 * partition that moves, or is still loading, is retried with a growing pause for up to
 * {@link #ATTEMPTS} attempts before its error is answered.
 *
 * <p>Thread-safe; answers complete on whichever thread finished the call.
 */
public final class SharePersister {
    private static final Logger log = LoggerFactory.getLogger(SharePersister.class);
    static final int ATTEMPTS = 10;
    private static final long FIRST_BACKOFF_MS = 50;
    private static final long MAX_BACKOFF_MS = 2000;

    private final ShareCoordinator local;
    private final InterBrokerClient peers;
    private final int nodeId;

    /** {@code peers} null on a single node, where every state is local. */
    public SharePersister(ShareCoordinator local, InterBrokerClient peers, int nodeId) {
        this.local = local;
        this.peers = peers;
        this.nodeId = nodeId;
    }

    public CompletableFuture<ShareStateOutcome> initialize(SharePartitionKey key, int stateEpoch, long startOffset) {
        return call(key, c -> c.initialize(key, stateEpoch, startOffset),
            () -> new InitializeShareGroupStateRequest().setGroupId(key.groupId()).setTopics(List.of(
                new InitializeShareGroupStateRequest.InitializeStateData().setTopicId(key.topicId()).setPartitions(
                    List.of(new InitializeShareGroupStateRequest.PartitionData().setPartition(key.partition())
                        .setStateEpoch(stateEpoch).setStartOffset(startOffset))))),
            (InitializeShareGroupStateResponse r) -> {
                InitializeShareGroupStateResponse.PartitionResult p = r.results().get(0).partitions().get(0);
                return outcome(p.errorCode(), p.errorMessage(), null);
            });
    }

    /** The state a new leader starts from; records {@code leaderEpoch}, fencing older leaders. */
    public CompletableFuture<ShareStateOutcome> read(SharePartitionKey key, int leaderEpoch) {
        return call(key, c -> c.read(key, leaderEpoch),
            () -> new ReadShareGroupStateRequest().setGroupId(key.groupId()).setTopics(List.of(
                new ReadShareGroupStateRequest.ReadStateData().setTopicId(key.topicId()).setPartitions(List.of(
                    new ReadShareGroupStateRequest.PartitionData().setPartition(key.partition())
                        .setLeaderEpoch(leaderEpoch))))),
            (ReadShareGroupStateResponse r) -> {
                ReadShareGroupStateResponse.PartitionResult p = r.results().get(0).partitions().get(0);
                List<StateBatches.Batch> batches = new ArrayList<>();
                for (ReadShareGroupStateResponse.StateBatch b : p.stateBatches()) {
                    batches.add(new StateBatches.Batch(b.firstOffset(), b.lastOffset(), b.deliveryState(),
                        b.deliveryCount()));
                }
                return outcome(p.errorCode(), p.errorMessage(), new ShareState(0, p.stateEpoch(), leaderEpoch,
                    p.startOffset(), -1, 0, 0, batches, 0));
            });
    }

    public CompletableFuture<ShareStateOutcome> write(SharePartitionKey key, int stateEpoch, int leaderEpoch,
                                                      long startOffset, int deliveryCompleteCount,
                                                      List<StateBatches.Batch> batches) {
        return call(key, c -> c.write(key, stateEpoch, leaderEpoch, startOffset, deliveryCompleteCount, batches),
            () -> {
                List<WriteShareGroupStateRequest.StateBatch> wire = new ArrayList<>();
                for (StateBatches.Batch b : batches) {
                    wire.add(new WriteShareGroupStateRequest.StateBatch().setFirstOffset(b.firstOffset())
                        .setLastOffset(b.lastOffset()).setDeliveryState(b.deliveryState())
                        .setDeliveryCount(b.deliveryCount()));
                }
                return new WriteShareGroupStateRequest().setGroupId(key.groupId()).setTopics(List.of(
                    new WriteShareGroupStateRequest.WriteStateData().setTopicId(key.topicId()).setPartitions(List.of(
                        new WriteShareGroupStateRequest.PartitionData().setPartition(key.partition())
                            .setStateEpoch(stateEpoch).setLeaderEpoch(leaderEpoch).setStartOffset(startOffset)
                            .setDeliveryCompleteCount(deliveryCompleteCount).setStateBatches(wire)))));
            },
            (WriteShareGroupStateResponse r) -> {
                WriteShareGroupStateResponse.PartitionResult p = r.results().get(0).partitions().get(0);
                return outcome(p.errorCode(), p.errorMessage(), null);
            });
    }

    public CompletableFuture<ShareStateOutcome> delete(SharePartitionKey key) {
        return call(key, c -> c.delete(key),
            () -> new DeleteShareGroupStateRequest().setGroupId(key.groupId()).setTopics(List.of(
                new DeleteShareGroupStateRequest.DeleteStateData().setTopicId(key.topicId()).setPartitions(List.of(
                    new DeleteShareGroupStateRequest.PartitionData().setPartition(key.partition()))))),
            (DeleteShareGroupStateResponse r) -> {
                DeleteShareGroupStateResponse.PartitionResult p = r.results().get(0).partitions().get(0);
                return outcome(p.errorCode(), p.errorMessage(), null);
            });
    }

    /** Start offset, epochs and completed count, without the batches (-1 start offset when never initialized). */
    public CompletableFuture<ShareStateOutcome> summary(SharePartitionKey key) {
        return call(key, c -> c.summary(key),
            () -> new ReadShareGroupStateSummaryRequest().setGroupId(key.groupId()).setTopics(List.of(
                new ReadShareGroupStateSummaryRequest.ReadStateSummaryData().setTopicId(key.topicId()).setPartitions(
                    List.of(new ReadShareGroupStateSummaryRequest.PartitionData().setPartition(key.partition())
                        .setLeaderEpoch(-1))))),
            (ReadShareGroupStateSummaryResponse r) -> {
                ReadShareGroupStateSummaryResponse.PartitionResult p = r.results().get(0).partitions().get(0);
                return outcome(p.errorCode(), p.errorMessage(), new ShareState(0, p.stateEpoch(), p.leaderEpoch(),
                    p.startOffset(), p.deliveryCompleteCount(), 0, 0, List.of(), 0));
            });
    }

    private static ShareStateOutcome outcome(short code, String message, ShareState state) {
        ErrorCode error = ErrorCode.forCode(code);
        return error == ErrorCode.NONE ? ShareStateOutcome.ok(state) : ShareStateOutcome.failed(error, message);
    }

    private <R extends ApiMessage> CompletableFuture<ShareStateOutcome> call(
            SharePartitionKey key, Function<ShareCoordinator, CompletableFuture<ShareStateOutcome>> here,
            Supplier<ApiMessage> request, Function<R, ShareStateOutcome> parse) {
        CompletableFuture<ShareStateOutcome> answer = new CompletableFuture<>();
        attempt(key, here, request, parse, 1, answer);
        return answer;
    }

    private <R extends ApiMessage> void attempt(SharePartitionKey key,
                                                Function<ShareCoordinator, CompletableFuture<ShareStateOutcome>> here,
                                                Supplier<ApiMessage> request, Function<R, ShareStateOutcome> parse,
                                                int attempt, CompletableFuture<ShareStateOutcome> answer) {
        local.locate(key.coordinatorKey()).thenCompose(located -> sendTo(located, here, request, parse))
            .whenComplete((outcome, failure) -> {
                ShareStateOutcome result = failure != null
                    ? ShareStateOutcome.failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, failure.getMessage()) : outcome;
                if (retriable(result.error()) && attempt < ATTEMPTS) {
                    long backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(attempt - 1, 10));
                    Executor later = CompletableFuture.delayedExecutor(backoff, TimeUnit.MILLISECONDS);
                    later.execute(() -> attempt(key, here, request, parse, attempt + 1, answer));
                    return;
                }
                if (result.error() != ErrorCode.NONE && retriable(result.error())) {
                    log.warn("The share coordinator of {} did not answer after {} attempts: {}", key, attempt,
                        result.error());
                }
                answer.complete(result);
            });
    }

    @SuppressWarnings("unchecked")
    private <R extends ApiMessage> CompletableFuture<ShareStateOutcome> sendTo(
            CoordinatorTopic.Located located, Function<ShareCoordinator, CompletableFuture<ShareStateOutcome>> here,
            Supplier<ApiMessage> request, Function<R, ShareStateOutcome> parse) {
        if (located.error() != ErrorCode.NONE) {
            return CompletableFuture.completedFuture(ShareStateOutcome.failed(located.error(), null));
        }
        if (located.nodeId() == nodeId || peers == null) {
            return here.apply(local);
        }
        return peers.<R>send(located.nodeId(), request.get()).thenApply(parse);
    }

    private static boolean retriable(ErrorCode error) {
        return switch (error) {
            case NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS -> true;
            default -> false;
        };
    }
}
