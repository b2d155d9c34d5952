package dev.sluice.broker.replica;

import dev.sluice.broker.log.Partition;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * {@code acks=all} produce requests waiting for their records to be committed: each partition's
 * write is done once the partition's high watermark reaches the end of its appended batch. Then it
 * is answered NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR has meanwhile shrunk below the
 * topic's {@code min.insync.replicas} (the records are in the log, but fewer replicas hold them
 * than asked for); NOT_LEADER_OR_FOLLOWER when this broker stopped leading the partition; and
 * REQUEST_TIMED_OUT for partitions not done when the request's {@code timeout_ms} passes.
 *
 * <p>With a single replica the high watermark is the log end as soon as an append completes, so a
 * request is answered right away, on the thread that asks, without a timer or watch list entry.
 *
 * <p>Thread-safe; completion runs on the thread that decides it (a partition writer, the timer
 * thread, or a caller of {@link #cancelAll} or {@link #close}). Closing answers what is still
 * undecided NOT_LEADER_OR_FOLLOWER.
 */
public final class DelayedProduces extends PartitionPurgatory {
    public DelayedProduces() {
        super("produce");
    }

    /**
     * One partition's append an {@code acks=all} request waits for.
     *
     * @param requiredOffset the offset after the batch's last record: the high watermark that commits it
     */
    public record Appended(Partition partition, long requiredOffset) {
    }

    private static final class Produce extends DelayedOperations.DelayedOperation {
        private final List<Appended> appended;
        /** Per partition: null while waiting, then its answer (decided once). */
        private final AtomicReferenceArray<ErrorCode> outcomes;
        private final CompletableFuture<List<ErrorCode>> answer = new CompletableFuture<>();

        Produce(List<Appended> appended) {
            this.appended = appended;
            this.outcomes = new AtomicReferenceArray<>(appended.size());
        }

        @Override
        protected boolean isSatisfied() {
            boolean all = true;
            for (int i = 0; i < appended.size(); i++) {
                if (outcomes.get(i) == null) {
                    ErrorCode decided = check(appended.get(i));
                    if (decided == null) {
                        all = false;
                    } else {
                        outcomes.compareAndSet(i, null, decided);
                    }
                }
            }
            return all;
        }

        /** The partition's answer, or null while its write is not committed yet. */
        private static ErrorCode check(Appended a) {
            Partition p = a.partition();
            Partition.Role role = p.role();
            if (!role.leader()) {
                return ErrorCode.NOT_LEADER_OR_FOLLOWER;
            }
            if (p.highWatermark() >= a.requiredOffset()) {
                return role.isr().size() < p.minInsyncReplicas() ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
                    : ErrorCode.NONE;
            }
            return null;
        }

        @Override
        protected void onComplete(DelayedOperations.Completion how) {
            isSatisfied();
            // Still undecided: out of time, or nobody here will commit it any more.
            ErrorCode undecided = how == DelayedOperations.Completion.TIMED_OUT ? ErrorCode.REQUEST_TIMED_OUT
                : ErrorCode.NOT_LEADER_OR_FOLLOWER;
            List<ErrorCode> result = new ArrayList<>(appended.size());
            for (int i = 0; i < appended.size(); i++) {
                outcomes.compareAndSet(i, null, undecided);
                result.add(outcomes.get(i));
            }
            answer.complete(result);
        }
    }

    /**
     * Waits until every append in {@code appended} is committed, or {@code timeoutMs} passes.
     * Completes with one answer per append, in order.
     */
    public CompletableFuture<List<ErrorCode>> await(List<Appended> appended, long timeoutMs) {
        Produce produce = new Produce(List.copyOf(appended));
        List<Partition> keys = new ArrayList<>(appended.size());
        for (Appended a : appended) {
            keys.add(a.partition());
        }
        operations.completeOrWatch(produce, keys, timeoutMs);
        return produce.answer;
    }
}
