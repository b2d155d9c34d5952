package dev.sluice.broker.network;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The broker-wide budget of {@code queued.max.request.bytes}: bytes of requests being received or
 * served over all connections. A connection reserves a frame's declared size when it reads the
 * size prefix, before buffering the body, and gives it back when the request's response has been
 * handed to the network (or the connection closes). While the budget is used up, connections
 * wait before their next frame: reading pauses, and the kernel's buffers push back on the client.
 *
 * <p>As in Kafka, a reservation succeeds whenever any budget is left, even if the frame is larger
 * than what is left, so one frame up to {@code socket.request.max.bytes} always gets through and
 * the overshoot is at most one frame per connection reading at that moment. Thread-safe.
 */
final class RequestMemory {
    private final long capacity;
    private final AtomicLong used = new AtomicLong();
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    /** @param capacity bytes; 0 or less for no bound (Kafka's -1) */
    RequestMemory(long capacity) {
        this.capacity = capacity;
    }

    boolean tryReserve(int bytes) {
        if (capacity <= 0) {
            used.addAndGet(bytes);
            return true;
        }
        while (true) {
            long now = used.get();
            if (now >= capacity) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    void release(int bytes) {
        used.addAndGet(-bytes);
        wake();
    }

    /** Runs {@code retry} once some budget is free again (at once if it already is). */
    void whenAvailable(Runnable retry) {
        waiting.add(retry);
        wake();
    }

    private void wake() {
        while (!waiting.isEmpty() && (capacity <= 0 || used.get() < capacity)) {
            Runnable next = waiting.poll();
            if (next != null) {
                next.run();
            }
        }
    }

    /** Bytes reserved now (a gauge). */
    long used() {
        return used.get();
    }

    long capacity() {
        return capacity;
    }
}
