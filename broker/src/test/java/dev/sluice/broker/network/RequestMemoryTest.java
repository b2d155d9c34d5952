package dev.sluice.broker.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestMemoryTest {
    private static final int KIB = 1024;

    @Test
    void largeFramesLeaveTheLastEighthToSmallOnes() {
        RequestMemory memory = new RequestMemory(800 * KIB);
        assertTrue(memory.tryReserve(600 * KIB));
        assertTrue(memory.tryReserve(100 * KIB), "up to seven eighths");
        assertFalse(memory.tryReserve(100 * KIB), "a large frame may not take the last eighth");
        assertTrue(memory.tryReserve(KIB), "a small request still fits");
        assertTrue(memory.tryReserve(RequestMemory.SMALL_FRAME_BYTES), "small ones may overshoot while any is left");
        memory.release(701 * KIB + RequestMemory.SMALL_FRAME_BYTES);
        assertEquals(0, memory.used());
    }

    @Test
    void aFrameLargerThanTheWholeBudgetPassesAlone() {
        RequestMemory memory = new RequestMemory(800 * KIB);
        assertTrue(memory.tryReserve(2048 * KIB), "nothing else reserved");
        assertFalse(memory.tryReserve(100 * KIB));
        memory.release(2048 * KIB);
        assertTrue(memory.tryReserve(100 * KIB));
    }

    @Test
    void waitersAreWokenOnlyWhenTheirFrameFits() {
        RequestMemory memory = new RequestMemory(800 * KIB);
        assertTrue(memory.tryReserve(650 * KIB));
        AtomicInteger largeWoken = new AtomicInteger();
        AtomicInteger smallWoken = new AtomicInteger();
        memory.whenAvailable(100 * KIB, largeWoken::incrementAndGet);
        assertEquals(0, largeWoken.get(), "650 + 100 KiB is past seven eighths");
        memory.whenAvailable(KIB, smallWoken::incrementAndGet);
        assertEquals(1, smallWoken.get(), "a small frame fits at once");
        memory.release(50 * KIB);
        assertEquals(1, largeWoken.get(), "600 + 100 KiB fits");
        memory.release(600 * KIB);
        assertEquals(1, largeWoken.get(), "woken once");
    }

    @Test
    void zeroOrLessIsNoBound() {
        RequestMemory memory = new RequestMemory(-1);
        assertTrue(memory.tryReserve(Integer.MAX_VALUE));
        assertTrue(memory.tryReserve(Integer.MAX_VALUE));
    }
}
