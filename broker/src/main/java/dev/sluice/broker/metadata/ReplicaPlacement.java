package dev.sluice.broker.metadata;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where the replicas of new partitions go in a cluster: leaders spread evenly over the active
 * brokers, the replicas of one partition on as many different racks as there are, and followers
 * to the brokers given the fewest so far (within one placement; what brokers already hold is not
 * weighed, as in Kafka). Fenced
 * brokers are used only when there are too few active ones, and never as leader (Kafka does the
 * same, so that a topic can be created while a broker restarts). Stateless.
 */
final class ReplicaPlacement {
    private ReplicaPlacement() {
    }

    /** A placement, or why there is none (INVALID_REPLICATION_FACTOR). */
    record Result(List<List<Integer>> replicas, String problem) {
    }

    /**
     * Places {@code partitions} partitions of {@code replicationFactor} replicas each. The
     * {@code start}-th active broker (in rack-alternating order) leads the first one, the next the
     * second, and so on; callers vary {@code start} so that many small topics spread too.
     */
    static Result place(Collection<BrokerRegistration> brokers, int partitions, int replicationFactor, int start) {
        if (replicationFactor > brokers.size()) {
            return new Result(null, "Unable to replicate the partition " + replicationFactor + " time(s): The target"
                + " replication factor of " + replicationFactor + " cannot be reached because only " + brokers.size()
                + " broker(s) are registered.");
        }
        List<BrokerRegistration> active = rackAlternating(brokers.stream().filter(BrokerRegistration::active).toList());
        if (active.isEmpty()) {
            return new Result(null, "Unable to replicate the partition " + replicationFactor
                + " time(s): All brokers are currently fenced.");
        }
        List<BrokerRegistration> inactive = rackAlternating(brokers.stream().filter(b -> !b.active()).toList());
        Set<String> racks = new HashSet<>();
        brokers.forEach(b -> racks.add(rackOf(b)));
        List<List<Integer>> result = new ArrayList<>(partitions);
        Map<Integer, Integer> placed = new HashMap<>();
        int n = active.size();
        for (int p = 0; p < partitions; p++) {
            int leaderIndex = Math.floorMod(start + p, n);
            // After each round over the brokers, followers shift by one, so that a broker's
            // partitions do not all share the same followers.
            int shift = n > 1 ? Math.floorMod((start + p) / n, n - 1) : 0;
            List<BrokerRegistration> candidates = new ArrayList<>();
            for (int i = 1; i < n; i++) {
                candidates.add(active.get((leaderIndex + 1 + Math.floorMod(shift + i - 1, n - 1)) % n));
            }
            candidates.addAll(inactive);
            BrokerRegistration leader = active.get(leaderIndex);
            List<Integer> replicas = new ArrayList<>(List.of(leader.id()));
            Set<String> used = new HashSet<>(Set.of(rackOf(leader)));
            while (replicas.size() < replicationFactor) {
                if (used.size() == racks.size()) {
                    used.clear();
                }
                // On a rack the partition does not use yet if there is one; among those, an active
                // broker before a fenced one, then the one given the fewest followers so far.
                List<BrokerRegistration> eligible = candidates.stream().filter(b -> !used.contains(rackOf(b))).toList();
                BrokerRegistration next = (eligible.isEmpty() ? candidates : eligible).stream()
                    .min(Comparator.comparing((BrokerRegistration b) -> !b.active())
                        .thenComparing(b -> placed.getOrDefault(b.id(), 0)))
                    .orElseThrow();
                candidates.remove(next);
                replicas.add(next.id());
                used.add(rackOf(next));
                placed.merge(next.id(), 1, Integer::sum);
            }
            result.add(List.copyOf(replicas));
        }
        return new Result(result, null);
    }

    /** A broker without a rack is on a rack of its own, as far as spreading goes. */
    private static String rackOf(BrokerRegistration b) {
        return b.rack().map(r -> "rack:" + r).orElse("broker:" + b.id());
    }

    /** The brokers by id, reordered so that consecutive ones are on different racks where possible. */
    private static List<BrokerRegistration> rackAlternating(List<BrokerRegistration> brokers) {
        Map<String, List<BrokerRegistration>> byRack = new TreeMap<>();
        brokers.stream().sorted((a, b) -> Integer.compare(a.id(), b.id()))
            .forEach(b -> byRack.computeIfAbsent(b.rack().orElse(""), r -> new ArrayList<>()).add(b));
        List<BrokerRegistration> out = new ArrayList<>(brokers.size());
        Map<String, Integer> next = new LinkedHashMap<>();
        byRack.keySet().forEach(r -> next.put(r, 0));
        while (out.size() < brokers.size()) {
            for (Map.Entry<String, List<BrokerRegistration>> rack : byRack.entrySet()) {
                int i = next.get(rack.getKey());
                if (i < rack.getValue().size()) {
                    out.add(rack.getValue().get(i));
                    next.put(rack.getKey(), i + 1);
                }
            }
        }
        return out;
    }
}
