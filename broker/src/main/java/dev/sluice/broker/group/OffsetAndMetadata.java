package dev.sluice.broker.group;

/**
 * A committed offset as the coordinator keeps it.
 *
 * @param offset the next offset the group will read
 * @param leaderEpoch leader epoch of the last record read, -1 if unknown
 * @param metadata the client's text, never null
 * @param commitTimestamp when the commit was accepted
 * @param expireTimestamp an explicit expiry time (old clients' retention time), -1 for none
 */
record OffsetAndMetadata(long offset, int leaderEpoch, String metadata, long commitTimestamp, long expireTimestamp) {
}
