package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where new partitions' replicas go in a cluster. */
class ReplicaPlacementTest {

    private static BrokerRegistration broker(int id, String rack, boolean fenced) {
        return new BrokerRegistration(id, Controller.randomId(), id, List.of(), Optional.ofNullable(rack), fenced, false, 0);
    }

    private static String rackOf(List<BrokerRegistration> brokers, int id) {
        return brokers.stream().filter(b -> b.id() == id).findFirst().orElseThrow().rack().orElseThrow();
    }

    @Test
    void everyPartitionSpansAllRacksAndLeadersAndReplicasAreSpreadEvenly() {
        List<BrokerRegistration> brokers = new ArrayList<>();
        for (int id = 1; id <= 6; id++) {
            brokers.add(broker(id, "r" + (id % 3), false));
        }
        ReplicaPlacement.Result result = ReplicaPlacement.place(brokers, 12, 3, 5);
        assertNull(result.problem());
        Map<Integer, Integer> leaders = new HashMap<>();
        Map<Integer, Integer> replicas = new HashMap<>();
        for (List<Integer> partition : result.replicas()) {
            assertEquals(3, new HashSet<>(partition).size(), "a broker holds two replicas of " + partition);
            assertEquals(3, partition.stream().map(id -> rackOf(brokers, id)).distinct().count(),
                "replicas " + partition + " share a rack");
            leaders.merge(partition.get(0), 1, Integer::sum);
            partition.forEach(r -> replicas.merge(r, 1, Integer::sum));
        }
        assertEquals(Map.of(1, 2, 2, 2, 3, 2, 4, 2, 5, 2, 6, 2), leaders);
        assertTrue(replicas.values().stream().allMatch(n -> n == 6), "replicas unevenly spread: " + replicas);
    }

    @Test
    void fencedBrokersOnlyFillWhatActiveOnesCannotAndNeverLead() {
        List<BrokerRegistration> brokers = List.of(broker(1, null, false), broker(2, null, true), broker(3, null, false));
        ReplicaPlacement.Result two = ReplicaPlacement.place(brokers, 4, 2, 0);
        two.replicas().forEach(p -> assertEquals(new HashSet<>(List.of(1, 3)), new HashSet<>(p)));
        ReplicaPlacement.Result three = ReplicaPlacement.place(brokers, 4, 3, 0);
        three.replicas().forEach(p -> {
            assertTrue(p.get(0) != 2, "fenced broker 2 leads " + p);
            assertEquals(2, p.get(2));
        });
    }

    @Test
    void noActiveBrokerOrTooFewBrokersIsRefused() {
        List<BrokerRegistration> fenced = List.of(broker(1, null, true), broker(2, null, true));
        assertEquals("Unable to replicate the partition 1 time(s): All brokers are currently fenced.",
            ReplicaPlacement.place(fenced, 1, 1, 0).problem());
        assertEquals("Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be"
            + " reached because only 2 broker(s) are registered.", ReplicaPlacement.place(fenced, 1, 3, 0).problem());
    }
}
