package dev.sluice.broker.txn;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;

/**
 * The transaction coordinator's settings, read once at start-up; Kafka's keys and defaults.
 *
 * @param stateLogPartitions   {@code transaction.state.log.num.partitions}
 * @param stateLogReplicationFactor {@code transaction.state.log.replication.factor} (a single node uses 1)
 * @param stateLogMinIsr       {@code transaction.state.log.min.isr}
 * @param stateLogSegmentBytes {@code transaction.state.log.segment.bytes}
 * @param maxTimeoutMs         {@code transaction.max.timeout.ms}
 * @param idExpirationMs       {@code transactional.id.expiration.ms}
 * @param abortTimedOutIntervalMs {@code transaction.abort.timed.out.transaction.cleanup.interval.ms}
 * @param removeExpiredIntervalMs {@code transaction.remove.expired.transaction.cleanup.interval.ms}
 * @param partitionVerification {@code transaction.partition.verification.enable}
 * @param verificationBackoffMs {@code add.partitions.to.txn.retry.backoff.ms}
 * @param verificationBackoffMaxMs {@code add.partitions.to.txn.retry.backoff.max.ms}
 */
public record TransactionConfig(int stateLogPartitions, short stateLogReplicationFactor, int stateLogMinIsr,
                                int stateLogSegmentBytes, int maxTimeoutMs, long idExpirationMs,
                                long abortTimedOutIntervalMs, long removeExpiredIntervalMs,
                                boolean partitionVerification, long verificationBackoffMs,
                                long verificationBackoffMaxMs) {

    public static TransactionConfig from(BrokerConfig c) {
        return new TransactionConfig(c.getInt(BrokerConfigKeys.TRANSACTION_STATE_LOG_NUM_PARTITIONS),
            (short) c.getInt(BrokerConfigKeys.TRANSACTION_STATE_LOG_REPLICATION_FACTOR),
            c.getInt(BrokerConfigKeys.TRANSACTION_STATE_LOG_MIN_ISR),
            c.getInt(BrokerConfigKeys.TRANSACTION_STATE_LOG_SEGMENT_BYTES),
            c.getInt(BrokerConfigKeys.TRANSACTION_MAX_TIMEOUT_MS),
            c.getInt(BrokerConfigKeys.TRANSACTIONAL_ID_EXPIRATION_MS),
            c.getInt(BrokerConfigKeys.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS),
            c.getInt(BrokerConfigKeys.TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS),
            c.getBoolean(BrokerConfigKeys.TRANSACTION_PARTITION_VERIFICATION_ENABLE),
            c.getInt(BrokerConfigKeys.ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MS),
            c.getInt(BrokerConfigKeys.ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MAX_MS));
    }
}
