package dev.sluice.compat;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.junit.SluiceTest;

/**
 * The transaction flows of {@link TransactionFlows} against one embedded broker, which is then
 * partition leader, group coordinator and transaction coordinator at once.
 */
@SluiceTest(config = {
    "group.initial.rebalance.delay.ms=0",
    // Kafka's default is 3, which a single broker cannot place.
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1"})
class TransactionsTest extends TransactionFlows {
    static SluiceBroker broker;

    @Override
    String brokerBootstrapServers() {
        return broker.bootstrapServers();
    }

    @Override
    short replicationFactor() {
        return 1;
    }
}
