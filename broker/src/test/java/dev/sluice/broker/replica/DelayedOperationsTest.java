package dev.sluice.broker.replica;

import static dev.sluice.broker.replica.Eventually.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The purgatory on its own: operations waiting on keys for a condition a test moves. */
class DelayedOperationsTest {
    private final DelayedOperations<String> operations = new DelayedOperations<>("test");
    /** Stands in for a partition's high watermark. */
    private final AtomicLong highWatermark = new AtomicLong();

    @AfterEach
    void stop() {
        operations.close();
    }

    /** Waits for the high watermark to reach an offset, counting its completions. */
    private final class Waiter extends DelayedOperations.DelayedOperation {
        final long offset;
        final AtomicInteger completions = new AtomicInteger();
        final AtomicReference<DelayedOperations.Completion> how = new AtomicReference<>();
        volatile long completedNanos;

        Waiter(long offset) {
            this.offset = offset;
        }

        @Override
        protected boolean isSatisfied() {
            return highWatermark.get() >= offset;
        }

        @Override
        protected void onComplete(DelayedOperations.Completion completion) {
            completedNanos = System.nanoTime();
            how.set(completion);
            completions.incrementAndGet();
        }
    }


    @Test
    void anOperationAlreadySatisfiedCompletesAtOnceWithoutBeingWatched() {
        highWatermark.set(10);
        Waiter w = new Waiter(10);
        assertTrue(operations.completeOrWatch(w, List.of("p"), 60_000));
        assertEquals(DelayedOperations.Completion.SATISFIED, w.how.get());
        assertEquals(0, operations.waitingCount());
    }

    @Test
    void aWakeCompletesOnlyOnceTheHighWatermarkReachesTheOffset() {
        Waiter w = new Waiter(5);
        assertFalse(operations.completeOrWatch(w, List.of("p"), 60_000));
        highWatermark.set(4);
        assertEquals(0, operations.wake("p"));
        assertNull(w.how.get());
        assertEquals(1, operations.waitingCount());
        highWatermark.set(5);
        assertEquals(0, operations.wake("other"), "a key it does not watch leaves it waiting");
        assertNull(w.how.get());
        assertEquals(1, operations.wake("p"));
        assertEquals(DelayedOperations.Completion.SATISFIED, w.how.get());
        assertEquals(0, operations.waitingCount(), "a completed operation leaves its keys");
    }

    @Test
    void anOperationNobodySatisfiesTimesOutAfterItsTimeout() throws Exception {
        long started = System.nanoTime();
        Waiter w = new Waiter(1);
        operations.completeOrWatch(w, List.of("p"), 150);
        await(() -> w.how.get() != null, "never timed out");
        assertEquals(DelayedOperations.Completion.TIMED_OUT, w.how.get());
        assertTrue(w.completedNanos - started >= TimeUnit.MILLISECONDS.toNanos(150),
            "timed out after " + (w.completedNanos - started) / 1_000_000 + " ms");
        assertEquals(0, operations.waitingCount());
        highWatermark.set(1);
        operations.wake("p");
        assertEquals(1, w.completions.get());
    }

    @Test
    void racingWakesTimeoutsAndCancelsCompleteEachOperationExactlyOnce() throws Exception {
        List<Waiter> waiters = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            Waiter w = new Waiter(1);
            waiters.add(w);
            // Timeouts of 0-4 ms fire while the wakes and cancels below run.
            operations.completeOrWatch(w, List.of("a", "b"), i % 5);
        }
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> racing = new ArrayList<>();
            for (String key : List.of("a", "b", "a")) {
                racing.add(threads.submit(() -> {
                    go.await();
                    highWatermark.set(1);
                    operations.wake(key);
                    return null;
                }));
            }
            racing.add(threads.submit(() -> {
                go.await();
                operations.cancelAll("b");
                return null;
            }));
            go.countDown();
            for (Future<?> f : racing) {
                f.get(10, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        await(() -> waiters.stream().allMatch(w -> w.how.get() != null), "an operation never completed");
        for (Waiter w : waiters) {
            assertEquals(1, w.completions.get());
        }
        assertEquals(0, operations.waitingCount());
    }

    @Test
    void manyWaitersAtDifferentOffsetsCompleteAsTheHighWatermarkPassesEach() {
        List<Waiter> waiters = new ArrayList<>();
        for (int i = 1; i <= 1_000; i++) {
            Waiter w = new Waiter(i);
            waiters.add(w);
            operations.completeOrWatch(w, List.of("p"), 60_000);
        }
        assertEquals(1_000, operations.waitingCount());
        highWatermark.set(250);
        assertEquals(250, operations.wake("p"));
        assertEquals(750, operations.waitingCount());
        for (Waiter w : waiters) {
            assertEquals(w.offset <= 250, w.how.get() != null, "waiter for offset " + w.offset);
        }
        highWatermark.set(1_000);
        assertEquals(750, operations.wake("p"));
        assertEquals(0, operations.waitingCount());
        assertTrue(waiters.stream().allMatch(w -> w.completions.get() == 1));
    }

    @Test
    void cancellingAKeyCompletesItsWaitersOnlyAndClosingCompletesTheRest() {
        Waiter onA = new Waiter(1);
        Waiter onB = new Waiter(1);
        operations.completeOrWatch(onA, List.of("a"), 60_000);
        operations.completeOrWatch(onB, List.of("b"), 60_000);
        operations.cancelAll("a");
        assertEquals(DelayedOperations.Completion.CANCELLED, onA.how.get());
        assertNull(onB.how.get());
        operations.close();
        assertEquals(DelayedOperations.Completion.CANCELLED, onB.how.get());
        Waiter late = new Waiter(1);
        assertTrue(operations.completeOrWatch(late, List.of("a"), 60_000), "after close nothing waits");
        assertEquals(DelayedOperations.Completion.CANCELLED, late.how.get());
    }

    @Test
    void aForgottenOperationNeverCompletesAndLeavesItsKeys() throws Exception {
        Waiter w = new Waiter(1);
        operations.completeOrWatch(w, List.of("p"), 20);
        w.forget();
        assertEquals(0, operations.waitingCount());
        highWatermark.set(1);
        operations.wake("p");
        Waiter witness = new Waiter(2);
        operations.completeOrWatch(witness, List.of("p"), 40);
        await(() -> witness.how.get() != null, "the witness never timed out");
        assertEquals(0, w.completions.get());
    }
}
