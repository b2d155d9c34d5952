package dev.sluice.broker.txn;

import dev.sluice.wire.message.ErrorCode;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Writes a transaction marker to partitions this broker leads, as WriteTxnMarkers does: each
 * marker committed (the high watermark past it) before its partition's answer is NONE.
 */
public interface MarkerWriter {
    /**
     * @param epochPerTransaction the producer bumps its epoch with every transaction (transactions
     *     v2): the marker's epoch must be newer than the one each partition holds
     */
    CompletableFuture<Map<TopicPartition, ErrorCode>> write(long producerId, short producerEpoch, int coordinatorEpoch,
                                                          boolean commit, boolean epochPerTransaction,
                                                          Set<TopicPartition> partitions);
}
