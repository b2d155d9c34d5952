package dev.sluice.broker.txn;

import java.util.Optional;

/**
 * The states of a transactional id, with the codes {@code __transaction_state} stores them by and
 * the names DescribeTransactions and ListTransactions use, as Kafka's.
 *
 * <p>Empty: no transaction open. Ongoing: partitions added, records may be written.
 * PrepareCommit / PrepareAbort: the producer asked to end it (or the coordinator aborts it); the
 * markers are being written. CompleteCommit / CompleteAbort: every marker written. Dead: the id
 * expired and is being removed. PrepareEpochFence is Kafka's transient state while a producer is
 * fenced; here fencing bumps the epoch and moves to PrepareAbort in one write, so it is never
 * stored, but it is read if a log written elsewhere holds it.
 */
public enum TransactionState {
    EMPTY(0, "Empty"),
    ONGOING(1, "Ongoing"),
    PREPARE_COMMIT(2, "PrepareCommit"),
    PREPARE_ABORT(3, "PrepareAbort"),
    COMPLETE_COMMIT(4, "CompleteCommit"),
    COMPLETE_ABORT(5, "CompleteAbort"),
    DEAD(6, "Dead"),
    PREPARE_EPOCH_FENCE(7, "PrepareEpochFence");

    private final byte code;
    private final String displayName;

    TransactionState(int code, String displayName) {
        this.code = (byte) code;
        this.displayName = displayName;
    }

    public byte code() {
        return code;
    }

    /** The name on the wire (DescribeTransactions, ListTransactions filters). */
    public String displayName() {
        return displayName;
    }

    public static Optional<TransactionState> forCode(byte code) {
        for (TransactionState s : values()) {
            if (s.code == code) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    public static Optional<TransactionState> forName(String name) {
        for (TransactionState s : values()) {
            if (s.displayName.equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** Markers are being written: requests that would change the transaction must wait. */
    public boolean preparing() {
        return this == PREPARE_COMMIT || this == PREPARE_ABORT || this == PREPARE_EPOCH_FENCE;
    }
}
