package dev.sluice.compat;

import dev.sluice.broker.SluiceCluster;
import dev.sluice.broker.junit.SluiceTest;

/**
 * The transaction flows of {@link TransactionFlows} against an in-process cluster of three
 * brokers, with every topic (and the transaction state log) replicated three times and
 * {@code min.insync.replicas=2}: the transaction coordinator, the group coordinator and the leaders
 * of the partitions written are then usually different brokers, so the coordinator's markers,
 * AddPartitionsToTxn (or its verification) and TxnOffsetCommit cross the cluster.
 */
@SluiceTest(brokers = 3, config = {
    "group.initial.rebalance.delay.ms=0",
    "offsets.topic.replication.factor=3",
    "transaction.state.log.replication.factor=3",
    "transaction.state.log.min.isr=2"})
class ClusterTransactionsTest extends TransactionFlows {
    static SluiceCluster cluster;

    @Override
    String brokerBootstrapServers() {
        return cluster.bootstrapServers();
    }

    @Override
    short replicationFactor() {
        return 3;
    }
}
