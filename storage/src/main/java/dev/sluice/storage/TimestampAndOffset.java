package dev.sluice.storage;

import java.util.OptionalInt;

/**
 * A record found by timestamp, as ListOffsets returns it.
 *
 * @param timestamp the record's timestamp (for a LogAppendTime batch, the batch's)
 * @param offset the record's offset
 * @param leaderEpoch the partition leader epoch stamped on the record's batch, if any
 */
public record TimestampAndOffset(long timestamp, long offset, OptionalInt leaderEpoch) {
}
