package dev.sluice.broker.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.codec.Uuid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServerAssignorTest {
    private static TopicImage topic(String name, long id, int partitions) {
        List<PartitionImage> ps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            ps.add(new PartitionImage(p, List.of(1), List.of(1), 1, 0, 0));
        }
        return new TopicImage(name, new Uuid(id, id), ps, Map.of());
    }

    private static int count(Map<Uuid, Set<Integer>> a) {
        return a.values().stream().mapToInt(Set::size).sum();
    }

    private static Set<String> owned(Map<String, Map<Uuid, Set<Integer>>> assignment) {
        Set<String> all = new HashSet<>();
        assignment.values().forEach(a -> a.forEach((id, ps) -> ps.forEach(p -> assertTrue(all.add(id + ":" + p),
            "partition " + id + ":" + p + " assigned twice"))));
        return all;
    }

    @Test
    void uniformSpreadsEveryPartitionEvenly() {
        TopicImage a = topic("a", 1, 7);
        TopicImage b = topic("b", 2, 3);
        Map<String, List<TopicImage>> subs = new LinkedHashMap<>();
        for (String m : List.of("m1", "m2", "m3", "m4")) {
            subs.put(m, List.of(a, b));
        }
        Map<String, Map<Uuid, Set<Integer>>> result = ServerAssignor.assign("uniform", subs, Map.of());
        assertEquals(10, owned(result).size());
        for (Map<Uuid, Set<Integer>> m : result.values()) {
            assertTrue(count(m) == 2 || count(m) == 3, result.toString());
        }
    }

    @Test
    void uniformMovesOnlyWhatBalanceRequiresWhenAMemberJoins() {
        TopicImage t = topic("t", 1, 6);
        Map<String, List<TopicImage>> two = new LinkedHashMap<>();
        two.put("m1", List.of(t));
        two.put("m2", List.of(t));
        Map<String, Map<Uuid, Set<Integer>>> before = ServerAssignor.assign("uniform", two, Map.of());
        Map<String, List<TopicImage>> three = new LinkedHashMap<>(two);
        three.put("m3", List.of(t));
        Map<String, Map<Uuid, Set<Integer>>> after = ServerAssignor.assign("uniform", three, before);
        assertEquals(6, owned(after).size());
        for (String m : List.of("m1", "m2")) {
            assertEquals(2, count(after.get(m)));
            assertTrue(before.get(m).get(t.id()).containsAll(after.get(m).get(t.id())), "m1 and m2 only give up partitions");
        }
        assertEquals(2, count(after.get("m3")));
    }

    @Test
    void uniformGivesEachTopicOnlyToItsSubscribers() {
        TopicImage a = topic("a", 1, 4);
        TopicImage b = topic("b", 2, 2);
        Map<String, List<TopicImage>> subs = new LinkedHashMap<>();
        subs.put("onlyA", List.of(a));
        subs.put("onlyB", List.of(b));
        Map<String, Map<Uuid, Set<Integer>>> result = ServerAssignor.assign("uniform", subs, Map.of());
        assertEquals(Set.of(a.id()), result.get("onlyA").keySet());
        assertEquals(Set.of(b.id()), result.get("onlyB").keySet());
        assertEquals(6, owned(result).size());
    }

    @Test
    void rangeGivesConsecutivePartitionsPerTopicInMemberOrder() {
        TopicImage t = topic("t", 1, 5);
        Map<String, List<TopicImage>> subs = new HashMap<>();
        subs.put("b", List.of(t));
        subs.put("a", List.of(t));
        Map<String, Map<Uuid, Set<Integer>>> result = ServerAssignor.assign("range", subs, Map.of());
        assertEquals(Set.of(0, 1, 2), result.get("a").get(t.id()));
        assertEquals(Set.of(3, 4), result.get("b").get(t.id()));
    }
}
