package dev.sluice.broker.share;

import dev.sluice.broker.coordinator.CoordinatorContext;
import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.coordinator.CoordinatorResult;
import dev.sluice.broker.coordinator.CoordinatorStateMachine;
import dev.sluice.wire.message.ErrorCode;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The share coordinator's state for one {@code __share_group_state} partition: the state of each
 * share-partition placed there, rebuilt on load from the snapshots and updates in the log, and
 * the five operations the share-partition leaders ask for (Kafka's InitializeShareGroupState,
 * ReadShareGroupState, WriteShareGroupState, DeleteShareGroupState, ReadShareGroupStateSummary).
 *
 * <p>Fencing, as in Kafka: a write or read from a leader epoch older than the newest one seen is
 * FENCED_LEADER_EPOCH; a write or initialization of an older state epoch (the state was
 * initialized anew since, e.g. its offsets were altered) is FENCED_STATE_EPOCH; reading or
 * writing a state never initialized is INVALID_REQUEST.
 *
 * <p>Not thread-safe: the runtime calls it on the partition's executor only.
 */
final class ShareStateShard implements CoordinatorStateMachine {
    private final CoordinatorContext context;
    private final int updatesPerSnapshot;
    private final Map<SharePartitionKey, ShareState> states = new HashMap<>();

    ShareStateShard(CoordinatorContext context, int updatesPerSnapshot) {
        this.context = context;
        this.updatesPerSnapshot = updatesPerSnapshot;
    }

    @Override
    public void replay(ByteBuffer key, ByteBuffer value) {
        ShareStateRecords.Read r = ShareStateRecords.read(key, value);
        if (r.type() == ShareStateRecords.SNAPSHOT) {
            if (r.snapshot() == null) {
                states.remove(r.key());
            } else {
                states.put(r.key(), ShareStateRecords.state(r.snapshot()));
            }
        } else if (r.update() != null) {
            ShareState current = states.get(r.key());
            if (current != null) {
                states.put(r.key(), current.merged(r.update().leaderEpoch(), r.update().startOffset(),
                    r.update().deliveryCompleteCount(), ShareStateRecords.batches(r.update()), false,
                    current.writeTimestamp()));
            }
        }
    }

    @Override
    public void loaded() {
    }

    @Override
    public void unloaded() {
    }

    /** Share-partition states kept here (a gauge). */
    int stateCount() {
        return states.size();
    }

    /** Starts the state of {@code key} anew at {@code stateEpoch}, replacing any it had. */
    CoordinatorResult<ShareStateOutcome> initialize(SharePartitionKey key, int stateEpoch, long startOffset) {
        ShareState current = states.get(key);
        if (current != null && stateEpoch < current.stateEpoch()) {
            return CoordinatorResult.answer(ShareStateOutcome.failed(ErrorCode.FENCED_STATE_EPOCH,
                "state epoch " + stateEpoch + " is older than the state's " + current.stateEpoch()));
        }
        ShareState next = ShareState.initialized(current, stateEpoch, startOffset, now());
        return write(List.of(ShareStateRecords.snapshot(key, next)), key, next);
    }

    /**
     * The state of {@code key}; a newer {@code leaderEpoch} than the state has is recorded first,
     * so that the previous leader's later writes are fenced.
     */
    CoordinatorResult<ShareStateOutcome> read(SharePartitionKey key, int leaderEpoch) {
        ShareState current = states.get(key);
        ShareStateOutcome refused = refusal(key, current, leaderEpoch, current == null ? 0 : current.stateEpoch());
        if (refused != null) {
            return CoordinatorResult.answer(refused);
        }
        if (leaderEpoch <= current.leaderEpoch()) {
            return CoordinatorResult.answer(ShareStateOutcome.ok(current));
        }
        return update(key, current, leaderEpoch, -1, current.deliveryCompleteCount(), List.of());
    }

    /** Merges a leader's write into the state of {@code key}. */
    CoordinatorResult<ShareStateOutcome> write(SharePartitionKey key, int stateEpoch, int leaderEpoch, long startOffset,
                                     int deliveryCompleteCount, List<StateBatches.Batch> batches) {
        ShareState current = states.get(key);
        ShareStateOutcome refused = refusal(key, current, leaderEpoch, stateEpoch);
        if (refused != null) {
            return CoordinatorResult.answer(refused);
        }
        return update(key, current, leaderEpoch, startOffset, deliveryCompleteCount, batches);
    }

    /** Deletes the state of {@code key}; a state that does not exist is no error. */
    CoordinatorResult<ShareStateOutcome> delete(SharePartitionKey key) {
        if (!states.containsKey(key)) {
            return CoordinatorResult.answer(ShareStateOutcome.ok(null));
        }
        return CoordinatorResult.write(List.of(ShareStateRecords.tombstone(key)), ShareStateOutcome.ok(null),
            () -> states.remove(key)).orOnFailure(e -> ShareStateOutcome.failed(e.error(), e.getMessage()));
    }

    /** The state of {@code key} without its ranges; an unknown one reads as never started (start offset -1). */
    ShareStateOutcome summary(SharePartitionKey key) {
        ShareState current = states.get(key);
        return ShareStateOutcome.ok(current != null ? current : new ShareState(0, 0, 0, -1, -1, 0, 0, List.of(), 0));
    }

    private static ShareStateOutcome refusal(SharePartitionKey key, ShareState current, int leaderEpoch, int stateEpoch) {
        if (current == null) {
            return ShareStateOutcome.failed(ErrorCode.INVALID_REQUEST, "the state of " + key.coordinatorKey()
                + " was never initialized");
        }
        if (leaderEpoch < 0 || stateEpoch < 0) {
            return ShareStateOutcome.failed(ErrorCode.INVALID_REQUEST, "epochs must not be negative");
        }
        if (leaderEpoch < current.leaderEpoch()) {
            return ShareStateOutcome.failed(ErrorCode.FENCED_LEADER_EPOCH, "leader epoch " + leaderEpoch
                + " is older than the state's " + current.leaderEpoch());
        }
        if (stateEpoch < current.stateEpoch()) {
            return ShareStateOutcome.failed(ErrorCode.FENCED_STATE_EPOCH, "state epoch " + stateEpoch
                + " is older than the state's " + current.stateEpoch());
        }
        return null;
    }

    /** Writes a change as an update record, or as a whole snapshot once enough updates followed the last one. */
    private CoordinatorResult<ShareStateOutcome> update(SharePartitionKey key, ShareState current, int leaderEpoch,
                                              long startOffset, int deliveryCompleteCount,
                                              List<StateBatches.Batch> batches) {
        boolean snapshot = current.updatesSinceSnapshot() >= updatesPerSnapshot;
        ShareState next = current.merged(leaderEpoch, startOffset, deliveryCompleteCount, batches, snapshot, now());
        CoordinatorRecord record = snapshot ? ShareStateRecords.snapshot(key, next)
            : ShareStateRecords.update(key, current.snapshotEpoch(), leaderEpoch, startOffset, deliveryCompleteCount,
                batches);
        return write(List.of(record), key, next);
    }

    private CoordinatorResult<ShareStateOutcome> write(List<CoordinatorRecord> records, SharePartitionKey key, ShareState next) {
        return CoordinatorResult.write(records, ShareStateOutcome.ok(next), () -> states.put(key, next))
            .orOnFailure(e -> ShareStateOutcome.failed(e.error(), e.getMessage()));
    }

    private long now() {
        return context.now();
    }
}
