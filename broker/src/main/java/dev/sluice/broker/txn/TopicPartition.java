package dev.sluice.broker.txn;

/** A partition of a transaction, by topic name and index. */
public record TopicPartition(String topic, int partition) {
    @Override
    public String toString() {
        return topic + "-" + partition;
    }
}
