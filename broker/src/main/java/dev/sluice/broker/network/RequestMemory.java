package dev.sluice.broker.network;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The broker-wide budget of {@code queued.max.request.bytes}: bytes of requests being received or
 * served over all connections. A connection reserves a frame's declared size when it reads the
 * size prefix, before buffering the body, and gives it back when the request's response has been
 * handed to the network (or the connection closes). While a frame does not fit, its connection
 * waits before reading it: reading pauses, and the kernel's buffers push back on the client.
 *
 * <p>What fits:
 * <ul>
 *   <li>a small frame (at most {@link #SMALL_FRAME_BYTES}: metadata, heartbeats, fetches, offset
 *       commits) whenever any budget is left, as in Kafka, even if it overshoots a little;</li>
 *   <li>a larger frame only while it leaves the last eighth of the budget free, or when nothing
 *       else is reserved (so a frame larger than the budget still gets through alone). Large
 *       frames, including ones a client announces and then trickles, can therefore never take
 *       the room small requests need: other clients keep being served while the large ones wait.</li>
 * </ul>
 * Thread-safe; reserving and giving back are lock-free, only waiting takes a lock.
 */
final class RequestMemory {
    /** Frames up to this size are never held back by large ones. */
    static final int SMALL_FRAME_BYTES = 64 * 1024;

    private record Waiter(int bytes, Runnable retry) {
    }

    private final long capacity;
    private final long largeLimit;
    private final AtomicLong used = new AtomicLong();
    /** Guarded by itself; {@link #waiters} says without the lock whether it is empty. */
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private final AtomicInteger waiters = new AtomicInteger();

    /** @param capacity bytes; 0 or less for no bound (Kafka's -1) */
    RequestMemory(long capacity) {
        this.capacity = capacity;
        this.largeLimit = capacity - capacity / 8;
    }

    private boolean fits(long now, int bytes) {
        if (capacity <= 0) {
            return true;
        }
        if (bytes <= SMALL_FRAME_BYTES) {
            return now < capacity;
        }
        return now == 0 || now + bytes <= largeLimit;
    }

    boolean tryReserve(int bytes) {
        while (true) {
            long now = used.get();
            if (!fits(now, bytes)) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    void release(int bytes) {
        used.addAndGet(-bytes);
        if (waiters.get() > 0) {
            wake();
        }
    }

    /**
     * Runs {@code retry} once a frame of {@code bytes} fits (at once if it already does). The
     * retry must try to reserve again: another connection may have taken the room meanwhile.
     */
    void whenAvailable(int bytes, Runnable retry) {
        synchronized (waiting) {
            waiting.add(new Waiter(bytes, retry));
            waiters.incrementAndGet();
        }
        wake();
    }

    private void wake() {
        List<Runnable> ready = new ArrayList<>();
        synchronized (waiting) {
            long now = used.get();
            for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (fits(now, w.bytes())) {
                    it.remove();
                    waiters.decrementAndGet();
                    ready.add(w.retry());
                }
            }
        }
        ready.forEach(Runnable::run);
    }

    /** Bytes reserved now (a gauge). */
    long used() {
        return used.get();
    }
}
