package dev.sluice.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuorumVoterTest {
    @Test
    void parsesKafkasControllerQuorumVotersFormat() {
        List<QuorumVoter> voters = QuorumVoter.parseAll("1@broker-a:9093, 2@10.0.0.2:9093,3@[::1]:19093");

        assertEquals(List.of(new QuorumVoter(1, "broker-a", 9093), new QuorumVoter(2, "10.0.0.2", 9093),
            new QuorumVoter(3, "::1", 19093)), voters);
        assertEquals("[::1]:19093", voters.get(2).address());
        assertEquals("broker-a:9093", voters.get(0).address());
    }

    @Test
    void rejectsEntriesThatAreNotIdAtHostColonPort() {
        for (String bad : List.of("broker-a:9093", "x@broker-a:9093", "1@broker-a", "1@:9093", "1@broker-a:",
            "1@broker-a:port", "-1@broker-a:9093", "1@broker-a:70000")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuorumVoter.parseAll(bad),
                bad);
            assertTrue(e.getMessage().contains("voter") || e.getMessage().contains("id@host:port"), e.getMessage());
        }
    }

    @Test
    void rejectsAVoterIdNamedTwice() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> QuorumVoter.parseAll("1@a:9093,1@b:9093"));
        assertTrue(e.getMessage().contains("voter 1 twice"), e.getMessage());
    }
}
