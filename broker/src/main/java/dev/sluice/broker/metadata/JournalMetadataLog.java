package dev.sluice.broker.metadata;

import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-node {@link MetadataLog}: a {@link MetadataJournal} in the node's metadata directory.
 * There is no quorum, so this node always leads and a batch is committed once it is forced to
 * disk; it is then applied, and only then does its append complete.
 *
 * <p>A write that failed and was cut back off the file fails its append with KAFKA_STORAGE_ERROR;
 * the next one may succeed. A journal that could not be cut back has stopped: this node no longer
 * leads ({@link #isLeader()} is false) and every later append fails with NOT_CONTROLLER, the answer
 * a Kafka client gets while its cluster has no active controller, until the broker is restarted.
 *
 * <p>The journal stores no offsets: the offset of a batch is its position among the entries
 * replayed at start and appended since, from 0. The entries replayed at start are together the
 * records that rebuild the state from nothing, so {@link #start} hands them to
 * {@link Applier#load} at once rather than building an image per entry. A journal that has grown
 * long against the state it describes (more than 64 changes, and more than two per topic) is then
 * replaced by the applier's {@link Applier#snapshot}, which renumbers the next start's offsets;
 * nothing on a single node keeps them across a restart.
 *
 * <p>Threading: the journal and the applier belong to this log's own thread, on which
 * {@link #start} replays and each {@link #append} writes, forces and applies, one at a time in
 * the order the appends were made. {@link #isLeader()} and {@link #leaderId()} may be called from
 * any thread.
 */
public final class JournalMetadataLog implements MetadataLog {
    private static final Logger log = LoggerFactory.getLogger(JournalMetadataLog.class);
    /** A journal with more changes than this (and more than two per topic) is compacted on open. */
    private static final int COMPACT_AFTER = 64;

    private final MetadataJournal journal;
    private final int nodeId;
    private final ExecutorService thread;
    /** Set once replay is done; log thread only. */
    private Applier applier;
    /** The offset the next appended batch gets; log thread only. */
    private long nextOffset;
    /** Replayed and not stopped: appends are taken. */
    private volatile boolean writable;

    private JournalMetadataLog(MetadataJournal journal, int nodeId) {
        this.journal = journal;
        this.nodeId = nodeId;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-metadata-log");
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens (creating it if needed) the journal in {@code dir} for node {@code nodeId}; {@link #start} replays it. */
    public static JournalMetadataLog open(Path dir, int nodeId) throws IOException {
        return open(MetadataJournal.open(dir), nodeId);
    }

    /** As {@link #open(Path, int)} on a journal a test opened (to fail its writes). */
    static JournalMetadataLog open(MetadataJournal journal, int nodeId) {
        return new JournalMetadataLog(journal, nodeId);
    }

    @Override
    public void start(Applier applier) throws IOException {
        try {
            thread.submit(() -> {
                replay(applier);
                return null;
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while replaying metadata journal " + journal.file());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException("could not replay metadata journal " + journal.file(), e.getCause());
        }
    }

    /** Runs on the log thread. */
    private void replay(Applier target) throws IOException {
        if (applier != null) {
            throw new IllegalStateException("metadata log " + journal.file() + " was started twice");
        }
        List<List<Message>> changes = journal.replay();
        List<Message> records = new ArrayList<>();
        for (List<Message> change : changes) {
            records.addAll(change);
        }
        target.load(records, changes.size() - 1L);
        applier = target;
        nextOffset = changes.size();
        if (changes.size() > COMPACT_AFTER) {
            List<Message> snapshot = target.snapshot();
            long topics = snapshot.stream().filter(TopicRecord.class::isInstance).count();
            if (changes.size() > 2 * (topics + 1)) {
                try {
                    journal.rewrite(snapshot);
                } catch (IOException e) {
                    // The long journal is still whole and in use: compaction can wait for the next start.
                    log.warn("could not compact the metadata journal {}: {}", journal.file(), e.toString());
                }
            }
        }
        writable = !journal.stopped();
    }

    @Override
    public CompletableFuture<Long> append(List<Message> records) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    done.complete(write(records));
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new AppendFailure(ErrorCode.NOT_CONTROLLER,
                "metadata log " + journal.file() + " is closed", e));
        }
        return done;
    }

    /** Runs on the log thread: writes and forces one batch, then has the applier apply it. */
    private long write(List<Message> records) {
        if (applier == null) {
            throw new AppendFailure(ErrorCode.NOT_CONTROLLER,
                "metadata log " + journal.file() + " has not been replayed yet", null);
        }
        try {
            journal.append(records);
        } catch (MetadataJournal.AppendFailedException e) {
            if (journal.stopped()) {
                writable = false;
            }
            throw e.refused()
                ? new AppendFailure(ErrorCode.NOT_CONTROLLER, "the controller stopped: " + e.getMessage(), e)
                : new AppendFailure(ErrorCode.KAFKA_STORAGE_ERROR, e.getMessage(), e);
        }
        long offset = nextOffset++;
        applier.apply(records, offset);
        return offset;
    }

    /** This node: a single node is its own active controller. */
    @Override
    public OptionalInt leaderId() {
        return OptionalInt.of(nodeId);
    }

    /** True once replayed, until a failed write could not be undone. */
    @Override
    public boolean isLeader() {
        return writable;
    }

    @Override
    public void close() throws IOException {
        writable = false;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("metadata log {} still writing 10 s after shutdown began", journal.file());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        journal.close();
    }
}
