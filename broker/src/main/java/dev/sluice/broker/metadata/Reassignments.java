package dev.sluice.broker.metadata;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * How a partition reassignment (Kafka's KIP-455) changes a partition. A reassignment first grows
 * the replicas to the target ones followed by the current ones the target drops, marking the
 * new ones as adding and the dropped ones as removing; the new replicas then fetch from the
 * leader, which asks for them in the ISR as they catch up; once every adding replica is in sync
 * the reassignment completes: the replicas become the target, the removing ones leave the ISR, and
 * a target replica takes the lead if the leader was removed. A reassignment that adds nothing
 * completes at once. Cancelling one is reassigning the partition back to its original replicas.
 *
 * <p>Every change bumps the partition epoch, and a change of leader the leader epoch. Stateless.
 */
final class Reassignments {
    private Reassignments() {
    }

    /** Why a reassignment cannot be made, as the error and message its partition is answered with. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * {@code p} reassigned to {@code target} (which the caller has validated: distinct, registered
     * brokers), completed at once when nothing needs to be added. A reassignment already in
     * progress is replaced: the new one starts from the partition's original replicas.
     *
     * @param active whether a broker may lead
     * @throws Refused when none of the partition's in-sync replicas would remain
     */
    static PartitionImage reassign(PartitionImage p, List<Integer> target, IntPredicate active) throws Refused {
        List<Integer> original = p.originalReplicas();
        List<Integer> replicas = new ArrayList<>(target);
        List<Integer> removing = new ArrayList<>();
        for (int r : original) {
            if (!target.contains(r)) {
                replicas.add(r);
                removing.add(r);
            }
        }
        List<Integer> adding = new ArrayList<>(target);
        adding.removeAll(original);
        List<Integer> isr = new ArrayList<>(p.isr());
        isr.retainAll(replicas);
        if (isr.isEmpty()) {
            throw new Refused("none of the in-sync replicas " + p.isr() + " of partition " + p.partition()
                + " would remain among replicas " + replicas);
        }
        int leader = isr.contains(p.leader()) ? p.leader() : elect(replicas, isr, active);
        PartitionImage grown = new PartitionImage(p.partition(), replicas, isr, leader,
            leader == p.leader() ? p.leaderEpoch() : p.leaderEpoch() + 1, p.partitionEpoch() + 1, adding, removing);
        PartitionImage result = complete(grown, active).orElse(grown);
        if (sameAssignment(result, p)) {
            return p;
        }
        return result;
    }

    /**
     * {@code p} with its reassignment completed, if one is in progress and can complete now: every
     * adding replica is in sync, and a target replica in sync and active can lead. Empty otherwise.
     * {@code p} is the partition as the change being decided leaves it, its partition epoch
     * already bumped: completing is part of that change, not another one.
     */
    static Optional<PartitionImage> complete(PartitionImage p, IntPredicate active) {
        if (!p.reassigning() || !p.isr().containsAll(p.addingReplicas())) {
            return Optional.empty();
        }
        List<Integer> target = p.targetReplicas();
        List<Integer> isr = new ArrayList<>(p.isr());
        isr.retainAll(target);
        int leader = target.contains(p.leader()) && isr.contains(p.leader()) ? p.leader() : elect(target, isr, active);
        if (isr.isEmpty() || leader == LeaderElection.NO_LEADER) {
            return Optional.empty();
        }
        return Optional.of(new PartitionImage(p.partition(), target, isr, leader,
            leader == p.leader() ? p.leaderEpoch() : p.leaderEpoch() + 1, p.partitionEpoch(), List.of(), List.of()));
    }

    /**
     * Why {@code target} cannot be a partition's replicas, or null: Kafka refuses an empty list,
     * a broker listed twice and a broker that is not registered.
     */
    static String invalidTarget(List<Integer> target, IntPredicate registered) {
        if (target.isEmpty()) {
            return "the replica assignment is empty";
        }
        Set<Integer> seen = new HashSet<>();
        for (int r : target) {
            if (!seen.add(r)) {
                return "the replica assignment " + target + " lists broker " + r + " more than once";
            }
            if (!registered.test(r)) {
                return "the replica assignment " + target + " names broker " + r + ", which is not registered";
            }
        }
        return null;
    }

    /** The first replica, in replica order, that is in sync and active; NO_LEADER when none is. */
    private static int elect(List<Integer> replicas, List<Integer> isr, IntPredicate active) {
        for (int r : replicas) {
            if (isr.contains(r) && active.test(r)) {
                return r;
            }
        }
        return LeaderElection.NO_LEADER;
    }

    private static boolean sameAssignment(PartitionImage a, PartitionImage b) {
        return a.replicas().equals(b.replicas()) && a.isr().equals(b.isr()) && a.leader() == b.leader()
            && a.addingReplicas().equals(b.addingReplicas()) && a.removingReplicas().equals(b.removingReplicas());
    }
}
