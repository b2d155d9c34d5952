package dev.sluice.storage;

import dev.sluice.wire.record.Records;

/**
 * What {@link PartitionLog#read} found.
 *
 * @param records whole batches: a {@link FileRecords} slice of one segment file, or empty
 *     records when there was nothing to return
 * @param logStartOffset the log start offset when the read began
 * @param logEndOffset the log end offset the read was bounded by
 */
public record LogReadResult(Records records, long logStartOffset, long logEndOffset) {
}
