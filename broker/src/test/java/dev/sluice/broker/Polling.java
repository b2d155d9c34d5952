package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

/** Waiting in cluster tests: ask a condition every 50 ms until it holds, failing after a limit. */
final class Polling {
    private Polling() {
    }

    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    static void until(Duration limit, String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(50);
        }
    }
}
