package dev.sluice.broker.txn;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts of transactions this broker's coordinator completed, for metrics; shared by its shards.
 *
 * @param committed transactions whose COMMIT markers were all written
 * @param aborted   transactions whose ABORT markers were all written (by the producer, by fencing or by timeout)
 * @param timedOut  transactions the coordinator aborted because they stayed open past their timeout
 */
public record TransactionCounts(AtomicLong committed, AtomicLong aborted, AtomicLong timedOut) {
    public TransactionCounts() {
        this(new AtomicLong(), new AtomicLong(), new AtomicLong());
    }
}
