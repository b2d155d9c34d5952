package dev.sluice.broker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

/** Waiting in cluster tests: ask a condition often until it holds, failing after a limit. */
final class Polling {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private Polling() {
    }

    /** A check that may call clients that throw. */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits up to a minute. */
    static void until(String what, Condition condition) throws Exception {
        until(WAIT, what, condition);
    }

    /**
     * A request that failed with an error Kafka calls retriable (a broker that has not yet learned
     * of a topic just created through another one, a leader moving) counts as "not yet".
     */
    static void until(Duration limit, String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!holds(condition)) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(20);
        }
    }

    private static boolean holds(Condition condition) throws Exception {
        try {
            return condition.holds();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.RetriableException) {
                return false;
            }
            throw e;
        }
    }
}
