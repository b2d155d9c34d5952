package dev.sluice.broker.group;

/**
 * A committed offset as the coordinator keeps it.
 *
 * @param offset the next offset the group will read
 * @param leaderEpoch leader epoch of the last record read, -1 if unknown
 * @param metadata the client's text, never null
 * @param commitTimestamp when the commit was accepted
 * @param expireTimestamp an explicit expiry time (old clients' retention time), -1 for none
 * @param order where its record stands among the offset records this shard applied (log order,
 *     counted from the load): of a transactional offset and a plain commit of the same partition,
 *     the later record wins when the transaction commits, as in Kafka
 */
record OffsetAndMetadata(long offset, int leaderEpoch, String metadata, long commitTimestamp, long expireTimestamp,
                         long order) {

    OffsetAndMetadata(long offset, int leaderEpoch, String metadata, long commitTimestamp, long expireTimestamp) {
        this(offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp, 0);
    }

    OffsetAndMetadata withOrder(long order) {
        return new OffsetAndMetadata(offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp, order);
    }
}
