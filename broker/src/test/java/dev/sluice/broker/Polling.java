package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

/** Polls a condition of a running cluster until it holds, failing after a minute. */
final class Polling {
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** A check that may call clients that throw. */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    private Polling() {
    }

    static void until(String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(20);
        }
    }
}
