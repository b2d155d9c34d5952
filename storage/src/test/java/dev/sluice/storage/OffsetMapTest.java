package dev.sluice.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OffsetMapTest {
    private static ByteBuffer key(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void keepsTheLatestOffsetPerKeyAcrossGrowth() {
        OffsetMap map = new OffsetMap(24L * 100_000);
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < 50_000; k++) {
                assertTrue(map.put(key("key-" + k), round * 50_000L + k));
            }
        }
        assertEquals(50_000, map.size());
        for (int k = 0; k < 50_000; k += 997) {
            assertEquals(100_000L + k, map.get(key("key-" + k)));
        }
        assertEquals(-1, map.get(key("absent")));
    }

    @Test
    void refusesNewKeysBeyondItsBudgetButStillUpdatesKnownOnes() {
        OffsetMap map = new OffsetMap(24L * 20);
        assertEquals(18, map.maxEntries());
        for (int k = 0; k < 18; k++) {
            assertTrue(map.put(key("k" + k), k));
        }
        assertFalse(map.put(key("one too many"), 99));
        assertEquals(-1, map.get(key("one too many")));
        assertTrue(map.put(key("k3"), 100));
        assertEquals(100, map.get(key("k3")));

        map.clear();
        assertEquals(0, map.size());
        assertEquals(-1, map.get(key("k3")));
        assertTrue(map.put(key("one too many"), 1));
    }

    @Test
    void keysAreComparedByContentBetweenPositionAndLimit() {
        OffsetMap map = new OffsetMap(24L * 100);
        ByteBuffer framed = ByteBuffer.wrap("xxabcyy".getBytes(StandardCharsets.UTF_8)).position(2).limit(5);
        map.put(framed, 7);
        assertEquals(2, framed.position());
        assertEquals(7, map.get(key("abc")));
    }
}
