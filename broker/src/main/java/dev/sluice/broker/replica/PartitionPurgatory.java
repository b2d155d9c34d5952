package dev.sluice.broker.replica;

import dev.sluice.broker.log.Partition;

/**
 * One kind of request parked on partitions ({@link DelayedOperations} keyed by partition), as the
 * replica manager drives it: woken when a partition's high watermark moves, answered when its
 * leadership is lost or the broker closes. Thread-safe.
 */
abstract class PartitionPurgatory implements AutoCloseable {
    final DelayedOperations<Partition> operations;

    /** @param name names the timer thread */
    PartitionPurgatory(String name) {
        this.operations = new DelayedOperations<>(name);
    }

    /** The high watermark (or ISR) of {@code partition} changed: requests now satisfied complete. */
    void wake(Partition partition) {
        operations.wake(partition);
    }

    /** This broker no longer leads {@code partition}: requests waiting on it are answered now. */
    void cancelAll(Partition partition) {
        operations.cancelAll(partition);
    }

    /** Requests currently waiting (for metrics and tests). */
    public int waitingCount() {
        return operations.waitingCount();
    }

    /** Answers every waiting request now and stops the timer. */
    @Override
    public void close() {
        operations.close();
    }
}
