package dev.sluice.broker.log;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The threads that read partitions for Fetch and ListOffsets, so that the network event loops only
 * decode requests and encode responses, and a slow disk or object store delays the requests that
 * read from it, not every connection sharing an event loop. Neither pool is shared with the
 * partition writers, so reads never delay appends.
 *
 * <ul>
 *   <li>Local reads (index lookups, segment scans, lazy index rebuilds): {@code num.io.threads}
 *       threads. The queue needs no bound of its own: every task belongs to a request, and requests
 *       in flight are bounded by {@code queued.max.request.bytes} and the per-connection limit.</li>
 *   <li>Object-store reads: {@code remote.log.reader.threads} threads and at most
 *       {@code remote.log.reader.max.pending.tasks} waiting (Kafka's keys and defaults); a read
 *       beyond that is refused at once ({@link RejectedExecutionException}), and a fetch waits for
 *       one at most {@code remote.fetch.max.wait.ms}.</li>
 * </ul>
 * Threads start on first use and end after a minute idle, so a broker that never tiers starts none.
 */
public final class ReadPools implements AutoCloseable {
    private static final long IDLE_THREAD_SECONDS = 60;

    private final ThreadPoolExecutor local;
    private final ThreadPoolExecutor remote;
    private final long remoteWaitMs;

    public ReadPools(int localThreads, int remoteThreads, int remotePending, long remoteWaitMs) {
        this.local = pool(localThreads, new LinkedBlockingQueue<>(), "sluice-read");
        this.remote = pool(remoteThreads, new ArrayBlockingQueue<>(Math.max(1, remotePending)), "sluice-remote-read");
        this.remoteWaitMs = remoteWaitMs;
    }

    private static ThreadPoolExecutor pool(int threads, java.util.concurrent.BlockingQueue<Runnable> queue,
                                           String prefix) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, IDLE_THREAD_SECONDS, TimeUnit.SECONDS, queue,
            factory, new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Runs local reads. */
    public Executor local() {
        return local;
    }

    /** {@code remote.fetch.max.wait.ms}: how long a fetch waits for its object-store read. */
    public long remoteWaitMs() {
        return remoteWaitMs;
    }

    /**
     * Runs an object-store read. The future fails with {@link RejectedExecutionException} when
     * too many reads are already waiting.
     */
    public <T> CompletableFuture<T> remote(Supplier<T> read) {
        try {
            return CompletableFuture.supplyAsync(read, remote);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        local.shutdown();
        remote.shutdownNow();
        try {
            local.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
