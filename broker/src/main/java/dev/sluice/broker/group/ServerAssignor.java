package dev.sluice.broker.group;

import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.codec.Uuid;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The server-side assignors of consumer (KIP-848) groups.
 *
 * <ul>
 *   <li>{@code uniform}: spreads all subscribed partitions evenly over the members that can take
 *       them (counts differ by at most one when subscriptions are equal), keeping each partition
 *       where it was as far as balance allows, so that a rebalance moves few partitions.</li>
 *   <li>{@code range}: for each topic, the members subscribed to it (in member id order) get
 *       consecutive ranges of its partitions, the first ones one more when it does not divide.</li>
 * </ul>
 */
final class ServerAssignor {
    private ServerAssignor() {
    }

    /**
     * @param subscriptions each member's subscribed topics, in a stable member order
     * @param previous the previous target assignment, to stay close to
     */
    static Map<String, Map<Uuid, Set<Integer>>> assign(String name, Map<String, List<TopicImage>> subscriptions,
                                                       Map<String, Map<Uuid, Set<Integer>>> previous) {
        return "range".equals(name) ? range(subscriptions) : uniform(subscriptions, previous);
    }

    private record TopicPartition(Uuid topic, int partition) {
    }

    private static Map<String, Map<Uuid, Set<Integer>>> range(Map<String, List<TopicImage>> subscriptions) {
        Map<String, Map<Uuid, Set<Integer>>> result = emptyResult(subscriptions);
        Map<Uuid, TopicImage> topics = new TreeMap<>(Comparator.comparing(Uuid::toString));
        Map<Uuid, List<String>> subscribers = new HashMap<>();
        subscriptions.forEach((member, list) -> {
            for (TopicImage t : list) {
                topics.put(t.id(), t);
                subscribers.computeIfAbsent(t.id(), k -> new ArrayList<>()).add(member);
            }
        });
        for (TopicImage t : topics.values()) {
            List<String> members = subscribers.get(t.id());
            members.sort(null);
            int partitions = t.partitions().size();
            int each = partitions / members.size();
            int extra = partitions % members.size();
            int next = 0;
            for (int i = 0; i < members.size(); i++) {
                int count = each + (i < extra ? 1 : 0);
                for (int j = 0; j < count; j++) {
                    result.get(members.get(i)).computeIfAbsent(t.id(), k -> new HashSet<>()).add(next++);
                }
            }
        }
        return result;
    }

    private static Map<String, Map<Uuid, Set<Integer>>> uniform(Map<String, List<TopicImage>> subscriptions,
                                                                Map<String, Map<Uuid, Set<Integer>>> previous) {
        Map<String, Map<Uuid, Set<Integer>>> result = emptyResult(subscriptions);
        if (subscriptions.isEmpty()) {
            return result;
        }
        Map<String, Set<Uuid>> eligible = new HashMap<>();
        Map<TopicPartition, Boolean> all = new LinkedHashMap<>();
        subscriptions.forEach((member, list) -> {
            Set<Uuid> ids = new HashSet<>();
            for (TopicImage t : list) {
                ids.add(t.id());
            }
            eligible.put(member, ids);
        });
        List<TopicImage> sortedTopics = new ArrayList<>();
        Set<Uuid> seen = new HashSet<>();
        for (List<TopicImage> list : subscriptions.values()) {
            for (TopicImage t : list) {
                if (seen.add(t.id())) {
                    sortedTopics.add(t);
                }
            }
        }
        sortedTopics.sort(Comparator.comparing(TopicImage::name));
        for (TopicImage t : sortedTopics) {
            for (int p = 0; p < t.partitions().size(); p++) {
                all.put(new TopicPartition(t.id(), p), Boolean.TRUE);
            }
        }
        int total = all.size();
        int members = subscriptions.size();
        int floor = total / members;
        int withExtra = total % members;
        Map<String, Integer> counts = new HashMap<>();
        subscriptions.keySet().forEach(m -> counts.put(m, 0));
        Set<TopicPartition> taken = new HashSet<>();
        // Members that held the most keep first, each up to its quota.
        List<String> byPrevious = new ArrayList<>(subscriptions.keySet());
        byPrevious.sort(Comparator.comparingInt((String m) -> -size(previous.get(m))).thenComparing(m -> m));
        for (String member : byPrevious) {
            Map<Uuid, Set<Integer>> had = previous.get(member);
            if (had == null) {
                continue;
            }
            int quota = floor + (withExtra > 0 ? 1 : 0);
            int kept = 0;
            Map<Uuid, Set<Integer>> ordered = new TreeMap<>(Comparator.comparing(Uuid::toString));
            ordered.putAll(had);
            for (Map.Entry<Uuid, Set<Integer>> e : ordered.entrySet()) {
                if (!eligible.get(member).contains(e.getKey())) {
                    continue;
                }
                for (int p : new TreeSet<>(e.getValue())) {
                    TopicPartition tp = new TopicPartition(e.getKey(), p);
                    if (kept < quota && all.containsKey(tp) && taken.add(tp)) {
                        result.get(member).computeIfAbsent(tp.topic(), k -> new HashSet<>()).add(p);
                        kept++;
                    }
                }
            }
            counts.put(member, kept);
            if (kept > floor) {
                withExtra--;
            }
        }
        // The rest go, in topic and partition order, to the least loaded member that subscribes to them.
        for (TopicPartition tp : all.keySet()) {
            if (taken.contains(tp)) {
                continue;
            }
            String best = null;
            for (String member : subscriptions.keySet()) {
                if (eligible.get(member).contains(tp.topic())
                    && (best == null || counts.get(member) < counts.get(best))) {
                    best = member;
                }
            }
            if (best != null) {
                result.get(best).computeIfAbsent(tp.topic(), k -> new HashSet<>()).add(tp.partition());
                counts.merge(best, 1, Integer::sum);
            }
        }
        return result;
    }

    private static int size(Map<Uuid, Set<Integer>> assignment) {
        if (assignment == null) {
            return 0;
        }
        int n = 0;
        for (Set<Integer> s : assignment.values()) {
            n += s.size();
        }
        return n;
    }

    private static Map<String, Map<Uuid, Set<Integer>>> emptyResult(Map<String, List<TopicImage>> subscriptions) {
        Map<String, Map<Uuid, Set<Integer>>> result = new LinkedHashMap<>();
        subscriptions.keySet().forEach(m -> result.put(m, new HashMap<>()));
        return result;
    }
}
