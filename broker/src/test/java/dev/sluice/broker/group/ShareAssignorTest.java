package dev.sluice.broker.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.codec.Uuid;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ShareAssignorTest {
    private static final Uuid T = new Uuid(1, 1);
    private static final Uuid U = new Uuid(2, 2);

    private static Map<String, Set<Uuid>> members(int n, Set<Uuid> topics) {
        Map<String, Set<Uuid>> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put("m" + i, topics);
        }
        return m;
    }

    private static Set<Integer> parts(int n) {
        Set<Integer> s = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            s.add(i);
        }
        return s;
    }

    /** How many members have each partition of {@code topic}. */
    private static Map<Integer, Integer> sharing(Map<String, Map<Uuid, Set<Integer>>> a, Uuid topic) {
        Map<Integer, Integer> count = new HashMap<>();
        a.values().forEach(m -> m.getOrDefault(topic, Set.of()).forEach(p -> count.merge(p, 1, Integer::sum)));
        return count;
    }

    private static List<Integer> sizes(Map<String, Map<Uuid, Set<Integer>>> a) {
        return a.values().stream().map(m -> m.values().stream().mapToInt(Set::size).sum()).sorted().toList();
    }

    @Test
    void moreMembersThanPartitionsShareThem() {
        var a = ShareAssignor.assign(members(3, Set.of(T)), Map.of(T, parts(1)), Map.of());
        assertEquals(Map.of(0, 3), sharing(a, T));
        var five = ShareAssignor.assign(members(5, Set.of(T)), Map.of(T, parts(2)), Map.of());
        assertEquals(Map.of(0, 3, 1, 3), sharing(five, T));
        assertEquals(List.of(1, 1, 1, 1, 2), sizes(five));
    }

    @Test
    void fewerMembersThanPartitionsSplitThem() {
        var a = ShareAssignor.assign(members(2, Set.of(T)), Map.of(T, parts(4)), Map.of());
        assertEquals(Map.of(0, 1, 1, 1, 2, 1, 3, 1), sharing(a, T));
        assertEquals(List.of(2, 2), sizes(a));
        var one = ShareAssignor.assign(members(1, Set.of(T)), Map.of(T, parts(6)), Map.of());
        assertEquals(parts(6), one.get("m0").get(T));
    }

    @Test
    void membersKeepWhatTheyHadWhereTheBoundsAllow() {
        var first = ShareAssignor.assign(members(2, Set.of(T)), Map.of(T, parts(4)), Map.of());
        var grown = new LinkedHashMap<>(members(2, Set.of(T)));
        grown.put("m2", Set.of(T));
        var second = ShareAssignor.assign(grown, Map.of(T, parts(4)), first);
        assertEquals(Map.of(0, 1, 1, 1, 2, 1, 3, 1), sharing(second, T));
        for (String m : List.of("m0", "m1")) {
            assertTrue(first.get(m).get(T).containsAll(second.get(m).getOrDefault(T, Set.of())), m + " kept its own");
        }
        assertEquals(List.of(1, 1, 2), sizes(second));
    }

    @Test
    void differentSubscriptionsAreAssignedPerTopic() {
        Map<String, Set<Uuid>> subs = new LinkedHashMap<>();
        subs.put("a", Set.of(T));
        subs.put("b", Set.of(T, U));
        var a = ShareAssignor.assign(subs, Map.of(T, parts(2), U, parts(1)), Map.of());
        assertEquals(Map.of(0, 1, 1, 1), sharing(a, T));
        assertEquals(Set.of(0), a.get("b").get(U));
        assertTrue(!a.get("a").containsKey(U));
    }

    @Test
    void nothingAssignableGivesEveryoneNothing() {
        var a = ShareAssignor.assign(members(2, Set.of(T)), Map.of(), Map.of());
        assertEquals(Map.of("m0", Map.of(), "m1", Map.of()), a);
    }
}
