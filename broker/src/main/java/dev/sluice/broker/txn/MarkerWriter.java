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
    CompletableFuture<Map<TopicPartition, ErrorCode>> write(long producerId, short producerEpoch, int coordinatorEpoch,
                                                          boolean commit, Set<TopicPartition> partitions);
}
