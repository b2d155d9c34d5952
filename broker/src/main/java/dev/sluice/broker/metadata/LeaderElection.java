package dev.sluice.broker.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntPredicate;

/**
 * How a partition's leader and ISR follow its brokers' lifecycle. Every change bumps the partition
 * epoch; a change of leader bumps the leader epoch too, which is what fences the old leader's
 * requests. Stateless.
 *
 * <p>The leader is the first replica, in replica order, that is in the ISR and active (unfenced,
 * not shutting down). With none, the partition goes offline (leader -1) unless unclean election is
 * allowed, in which case the first active replica leads with an ISR of itself alone and may have
 * lost committed records.
 */
final class LeaderElection {
    static final int NO_LEADER = -1;

    private LeaderElection() {
    }

    /**
     * The partition once {@code broker} may no longer lead or be in sync (fenced, shutting down,
     * unregistered): it leaves the ISR unless it is its last member, which stays so that the
     * partition can come back without losing committed records when that broker returns; a new
     * leader is elected if it led. Empty when the partition does not change.
     *
     * @param active whether a broker may lead, with {@code broker} already counted out
     */
    static Optional<PartitionImage> without(PartitionImage p, int broker, IntPredicate active, boolean unclean) {
        List<Integer> isr = new ArrayList<>(p.isr());
        isr.remove(Integer.valueOf(broker));
        if (isr.isEmpty()) {
            isr = p.isr();
        }
        return change(p, isr, p.leader() == broker || p.leader() == NO_LEADER, active, unclean);
    }

    /** The partition with a leader elected if it has none and one is now possible; empty otherwise. */
    static Optional<PartitionImage> ifLeaderless(PartitionImage p, IntPredicate active, boolean unclean) {
        if (p.leader() != NO_LEADER) {
            return Optional.empty();
        }
        return change(p, p.isr(), true, active, unclean);
    }

    /**
     * The partition led by its preferred replica (the first one), if that one is in sync and
     * active and does not lead already; empty otherwise.
     */
    static Optional<PartitionImage> preferred(PartitionImage p, IntPredicate active) {
        int preferred = p.replicas().get(0);
        if (p.leader() == preferred || !p.isr().contains(preferred) || !active.test(preferred)) {
            return Optional.empty();
        }
        return Optional.of(p.withLeaderAndIsr(preferred, p.isr(), p.leaderEpoch() + 1, p.partitionEpoch() + 1));
    }

    private static Optional<PartitionImage> change(PartitionImage p, List<Integer> isr, boolean elect,
                                                   IntPredicate active, boolean unclean) {
        int leader = p.leader();
        if (elect) {
            leader = NO_LEADER;
            for (int r : p.replicas()) {
                if (isr.contains(r) && active.test(r)) {
                    leader = r;
                    break;
                }
            }
            if (leader == NO_LEADER && unclean) {
                for (int r : p.replicas()) {
                    if (active.test(r)) {
                        leader = r;
                        isr = List.of(r);
                        break;
                    }
                }
            }
        }
        if (leader == p.leader() && isr.equals(p.isr())) {
            return Optional.empty();
        }
        int leaderEpoch = leader == p.leader() ? p.leaderEpoch() : p.leaderEpoch() + 1;
        return Optional.of(p.withLeaderAndIsr(leader, isr, leaderEpoch, p.partitionEpoch() + 1));
    }
}
