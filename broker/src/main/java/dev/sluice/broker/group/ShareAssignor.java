package dev.sluice.broker.group;

import dev.sluice.wire.codec.Uuid;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code simple} assignor of share groups (KIP-932), the only one Kafka ships: several members
 * may share a partition, since a share-partition hands each record to one member at a time.
 *
 * <p>Each pool of partitions (all the group's, when every member subscribes to the same topics;
 * else each topic's among its subscribers) is spread so that every partition has
 * {@code ceil(members / partitions)} members, and the slots are divided as evenly as possible
 * among the members. It is sticky: a member keeps the partitions it had as far as these bounds
 * allow, then the members short of their share take the partitions with room left, in turn. Every
 * partition of the pool ends up with at least one member.
 *
 * <p>Stateless and thread-safe.
 */
final class ShareAssignor {
    static final String NAME = "simple";

    private record Slot(Uuid topicId, int partition) {
    }

    private ShareAssignor() {
    }

    /**
     * The target assignment.
     *
     * @param subscriptions each member's subscribed topic ids
     * @param assignable    each topic's partitions that may be assigned (those with a share-partition state)
     * @param previous      the previous target assignment
     */
    static Map<String, Map<Uuid, Set<Integer>>> assign(Map<String, Set<Uuid>> subscriptions,
                                                       Map<Uuid, Set<Integer>> assignable,
                                                       Map<String, Map<Uuid, Set<Integer>>> previous) {
        Map<String, Map<Uuid, Set<Integer>>> result = new TreeMap<>();
        subscriptions.keySet().forEach(m -> result.put(m, new HashMap<>()));
        Set<Set<Uuid>> distinct = new HashSet<>(subscriptions.values());
        if (distinct.size() == 1) {
            Set<Uuid> topics = distinct.iterator().next();
            spread(new ArrayList<>(new java.util.TreeSet<>(subscriptions.keySet())), slots(topics, assignable),
                previous, result);
        } else {
            Map<Uuid, List<String>> subscribers = new TreeMap<>(Comparator.comparing(Uuid::toString));
            subscriptions.forEach((member, topics) -> topics.forEach(t ->
                subscribers.computeIfAbsent(t, k -> new ArrayList<>()).add(member)));
            subscribers.forEach((topic, members) -> {
                members.sort(null);
                spread(members, slots(Set.of(topic), assignable), previous, result);
            });
        }
        result.values().removeIf(Map::isEmpty);
        subscriptions.keySet().forEach(m -> result.putIfAbsent(m, Map.of()));
        return result;
    }

    private static List<Slot> slots(Set<Uuid> topics, Map<Uuid, Set<Integer>> assignable) {
        List<Slot> slots = new ArrayList<>();
        for (Uuid topic : topics) {
            for (int p : assignable.getOrDefault(topic, Set.of())) {
                slots.add(new Slot(topic, p));
            }
        }
        slots.sort(Comparator.comparing((Slot s) -> s.topicId().toString()).thenComparingInt(Slot::partition));
        return slots;
    }

    /** Spreads {@code slots} over {@code members} (sorted), adding to {@code result}. */
    private static void spread(List<String> members, List<Slot> slots, Map<String, Map<Uuid, Set<Integer>>> previous,
                               Map<String, Map<Uuid, Set<Integer>>> result) {
        int m = members.size();
        int p = slots.size();
        if (m == 0 || p == 0) {
            return;
        }
        int sharing = (m + p - 1) / p;
        long total = (long) sharing * p;
        Map<String, Integer> quota = new HashMap<>();
        for (int i = 0; i < m; i++) {
            // ceil(total * (i+1) / m) - ceil(total * i / m): the remainder spread evenly.
            long upper = (total * (i + 1) + m - 1) / m;
            long lower = (total * i + m - 1) / m;
            quota.put(members.get(i), (int) (upper - lower));
        }
        Set<Slot> pool = new HashSet<>(slots);
        Map<String, LinkedHashSet<Slot>> held = new HashMap<>();
        Map<Slot, Integer> holders = new HashMap<>();
        for (String member : members) {
            LinkedHashSet<Slot> kept = new LinkedHashSet<>();
            previous.getOrDefault(member, Map.of()).forEach((topic, parts) -> {
                for (int part : new java.util.TreeSet<>(parts)) {
                    Slot s = new Slot(topic, part);
                    if (pool.contains(s) && kept.size() < quota.get(member)) {
                        kept.add(s);
                    }
                }
            });
            held.put(member, kept);
            kept.forEach(s -> holders.merge(s, 1, Integer::sum));
        }
        // A partition kept by more members than its share loses the excess, from the fullest first.
        for (Slot s : slots) {
            while (holders.getOrDefault(s, 0) > sharing) {
                String fullest = null;
                for (String member : members) {
                    if (held.get(member).contains(s)
                        && (fullest == null || held.get(member).size() > held.get(fullest).size())) {
                        fullest = member;
                    }
                }
                held.get(fullest).remove(s);
                holders.merge(s, -1, Integer::sum);
            }
        }
        int next = 0;
        for (String member : members) {
            LinkedHashSet<Slot> mine = held.get(member);
            for (int tried = 0; mine.size() < quota.get(member) && tried < p; tried++) {
                Slot s = slots.get(next);
                next = (next + 1) % p;
                if (holders.getOrDefault(s, 0) < sharing && !mine.contains(s)) {
                    mine.add(s);
                    holders.merge(s, 1, Integer::sum);
                }
            }
        }
        for (Slot s : slots) {
            if (holders.getOrDefault(s, 0) == 0) {
                String least = members.get(0);
                for (String member : members) {
                    if (held.get(member).size() < held.get(least).size()) {
                        least = member;
                    }
                }
                held.get(least).add(s);
                holders.put(s, 1);
            }
        }
        held.forEach((member, mine) -> mine.forEach(s ->
            result.get(member).computeIfAbsent(s.topicId(), k -> new HashSet<>()).add(s.partition())));
    }
}
