package dev.sluice.wire.record;

/**
 * What a batch's timestamps mean, attributes bit 3. With {@link #LOG_APPEND_TIME} the broker
 * stamped the batch: its max timestamp is the append time, and every record reads as having that
 * timestamp whatever its own delta says.
 */
public enum TimestampType {
    CREATE_TIME,
    LOG_APPEND_TIME
}
