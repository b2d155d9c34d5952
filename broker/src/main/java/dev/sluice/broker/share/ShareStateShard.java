package dev.sluice.broker.share;

import dev.sluice.broker.coordinator.CoordinatorContext;
import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.coordinator.CoordinatorResult;
import dev.sluice.broker.coordinator.CoordinatorStateMachine;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>Pruning, as Kafka's share coordinator prunes: a state is rebuilt from its latest snapshot and
 * the updates after it, so every {@code pruneIntervalMs} the records below the oldest latest
 * snapshot of the states held here are deleted (all of them when no state is left); a state not
 * written for {@code coldSnapshotIntervalMs} is written whole again, so that a quiet state does
 * not keep every later record of the partition.
 *
 * <p>Not thread-safe: the runtime calls it on the partition's executor only.
 */
final class ShareStateShard implements CoordinatorStateMachine {
    private static final Logger log = LoggerFactory.getLogger(ShareStateShard.class);
    private static final String PRUNE = "prune";
    private static final String COLD_SNAPSHOTS = "cold-snapshots";

    private final CoordinatorContext context;
    private final int updatesPerSnapshot;
    private final long pruneIntervalMs;
    private final long coldSnapshotIntervalMs;
    private final java.util.function.Predicate<Uuid> topicExists;
    private final Map<SharePartitionKey, ShareState> states = new HashMap<>();
    /** Where each state's latest snapshot record is: the partition is kept from the least of them. */
    private final Map<SharePartitionKey, Long> snapshotOffsets = new HashMap<>();
    /** When each state was last written (ms); for those read from the log, when they were loaded. */
    private final Map<SharePartitionKey, Long> writtenAt = new HashMap<>();

    ShareStateShard(CoordinatorContext context, int updatesPerSnapshot, long pruneIntervalMs,
                    long coldSnapshotIntervalMs) {
        this(context, updatesPerSnapshot, pruneIntervalMs, coldSnapshotIntervalMs, topicId -> true);
    }

    /** @param topicExists whether a topic id is in the cluster metadata: states of deleted topics are dropped */
    ShareStateShard(CoordinatorContext context, int updatesPerSnapshot, long pruneIntervalMs,
                    long coldSnapshotIntervalMs, java.util.function.Predicate<Uuid> topicExists) {
        this.topicExists = topicExists;
        this.context = context;
        this.updatesPerSnapshot = updatesPerSnapshot;
        this.pruneIntervalMs = pruneIntervalMs;
        this.coldSnapshotIntervalMs = coldSnapshotIntervalMs;
    }

    @Override
    public void replay(ByteBuffer key, ByteBuffer value) {
        // Without its offset a snapshot pins the whole partition: nothing is pruned below it.
        replay(0, key, value);
    }

    @Override
    public void replay(long offset, ByteBuffer key, ByteBuffer value) {
        ShareStateRecords.Read r = ShareStateRecords.read(key, value);
        if (r.type() == ShareStateRecords.SNAPSHOT) {
            if (r.snapshot() == null) {
                forget(r.key());
            } else {
                states.put(r.key(), ShareStateRecords.state(r.snapshot()));
                snapshotOffsets.put(r.key(), offset);
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
        long now = now();
        states.keySet().forEach(k -> writtenAt.put(k, now));
        context.schedule(PRUNE, pruneIntervalMs, this::prune);
        context.schedule(COLD_SNAPSHOTS, coldSnapshotIntervalMs, this::snapshotColdStates);
    }

    /**
     * Deletes the records no state needs. Timers run only while no write is in flight, so every
     * state written so far is in the maps and committed.
     */
    private void prune() {
        long keepFrom = snapshotOffsets.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
        if (keepFrom > 0) {
            context.deleteRecordsBefore(keepFrom).whenComplete((start, failure) -> {
                if (failure != null) {
                    log.warn("Cannot prune {} below offset {}: {}", context.partitionName(), keepFrom, failure.toString());
                }
                context.schedule(PRUNE, pruneIntervalMs, this::prune);
            });
        } else {
            context.schedule(PRUNE, pruneIntervalMs, this::prune);
        }
    }

    /**
     * Writes whole again, in one batch, the states not written for the cold-snapshot interval, and
     * deletes those of topics that no longer exist (a topic id is never used again).
     */
    private void snapshotColdStates() {
        long now = now();
        List<SharePartitionKey> keys = new ArrayList<>();
        List<ShareState> snapshots = new ArrayList<>();
        List<CoordinatorRecord> records = new ArrayList<>();
        List<SharePartitionKey> gone = new ArrayList<>();
        states.forEach((key, state) -> {
            if (!topicExists.test(key.topicId())) {
                gone.add(key);
            } else if (now - writtenAt.getOrDefault(key, now) >= coldSnapshotIntervalMs) {
                ShareState next = state.merged(state.leaderEpoch(), -1, state.deliveryCompleteCount(), List.of(), true,
                    now);
                keys.add(key);
                snapshots.add(next);
                records.add(ShareStateRecords.snapshot(key, next));
            }
        });
        gone.forEach(key -> records.add(ShareStateRecords.tombstone(key)));
        Runnable again = () -> context.schedule(COLD_SNAPSHOTS, coldSnapshotIntervalMs, this::snapshotColdStates);
        if (records.isEmpty()) {
            again.run();
            return;
        }
        context.write(CoordinatorResult.write(records, null, () -> {
            long base = context.appliedOffset();
            // The snapshots come first in the batch, the tombstones after them.
            for (int i = 0; i < keys.size(); i++) {
                applied(keys.get(i), snapshots.get(i), base < 0 ? -1 : base + i);
            }
            gone.forEach(this::forget);
        })).whenComplete((ignored, failure) -> {
            if (failure != null) {
                log.warn("Cannot write the quiet share states of {} again: {}", context.partitionName(),
                    failure.toString());
            }
            again.run();
        });
    }

    /** A written state: kept, with where its snapshot is when the write was one ({@code snapshotOffset} >= 0). */
    private void applied(SharePartitionKey key, ShareState state, long snapshotOffset) {
        states.put(key, state);
        writtenAt.put(key, now());
        if (snapshotOffset >= 0) {
            snapshotOffsets.put(key, snapshotOffset);
        }
    }

    private void forget(SharePartitionKey key) {
        states.remove(key);
        snapshotOffsets.remove(key);
        writtenAt.remove(key);
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
        return write(ShareStateRecords.snapshot(key, next), true, key, next);
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
            () -> forget(key)).orOnFailure(e -> ShareStateOutcome.failed(e.error(), e.getMessage()));
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
        return write(record, snapshot, key, next);
    }

    private CoordinatorResult<ShareStateOutcome> write(CoordinatorRecord record, boolean snapshot, SharePartitionKey key,
                                                       ShareState next) {
        return CoordinatorResult.write(List.of(record), ShareStateOutcome.ok(next),
                () -> applied(key, next, snapshot ? context.appliedOffset() : -1))
            .orOnFailure(e -> ShareStateOutcome.failed(e.error(), e.getMessage()));
    }

    private long now() {
        return context.now();
    }
}
