package dev.sluice.broker.replica;

import dev.sluice.wire.message.AlterPartitionRequest;
import dev.sluice.wire.message.AlterPartitionResponse;
import java.util.concurrent.CompletableFuture;

/**
 * Carries a leader's ISR changes to the active controller as Kafka's AlterPartition. The request
 * is built in the shape of version 3 (topic ids, leader and partition epochs, the new ISR with
 * each member's broker epoch); the channel sends it at the version both ends speak and completes
 * with the controller's answer, or exceptionally when none came (no controller known, connection
 * lost, timeout), in which case the change is proposed again later.
 *
 * <p>Threading: may be called from any thread (a partition's writer); must not block, and the
 * future may complete on any thread.
 */
@FunctionalInterface
public interface IsrChannel {
    CompletableFuture<AlterPartitionResponse> alterPartition(AlterPartitionRequest request);
}
