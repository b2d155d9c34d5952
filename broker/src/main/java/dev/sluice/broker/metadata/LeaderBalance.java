package dev.sluice.broker.metadata;

/**
 * Automatic preferred-leader rebalancing, as Kafka's {@code auto.leader.rebalance.enable} keys set
 * it. Leadership drifts away from the preferred (first) replicas whenever brokers are fenced or
 * shut down, and does not come back on its own: a restarted broker rejoins as a follower
 * everywhere. Left alone, the brokers that stayed up lead nearly everything. The active controller
 * therefore looks every {@code checkIntervalMs} and, for each broker whose share of "preferred
 * here but led elsewhere" partitions is above {@code imbalancePercentage}, hands those partitions
 * back to it where it is an active in-sync replica.
 *
 * @param enabled             {@code auto.leader.rebalance.enable}
 * @param imbalancePercentage {@code leader.imbalance.per.broker.percentage}
 * @param checkIntervalMs     {@code leader.imbalance.check.interval.seconds}, in milliseconds
 */
public record LeaderBalance(boolean enabled, int imbalancePercentage, long checkIntervalMs) {

    /** No automatic rebalancing: leadership moves back only when an administrator asks (ElectLeaders). */
    public static final LeaderBalance OFF = new LeaderBalance(false, 10, 300_000);

    public LeaderBalance {
        if (imbalancePercentage < 0 || imbalancePercentage > 100) {
            throw new IllegalArgumentException("leader.imbalance.per.broker.percentage must be within 0..100, was "
                + imbalancePercentage);
        }
        if (checkIntervalMs <= 0) {
            throw new IllegalArgumentException("leader.imbalance.check.interval.seconds must be positive");
        }
    }
}
