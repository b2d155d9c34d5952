package dev.sluice.broker.coordinator;

/**
 * One record a coordinator appends to its internal topic: a key, and a value or null for a
 * tombstone. The bytes are the state machine's own layout; the runtime only carries them.
 */
public record CoordinatorRecord(byte[] key, byte[] value) {
}
