package dev.sluice.broker.metadata;

import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.io.IOException;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * The ordered, durable log of metadata record batches that every node's {@link MetadataView} is
 * built from. One node: a local journal. A cluster: a Ratis quorum of the controllers.
 */
public interface MetadataLog extends AutoCloseable {

    /** Receives committed batches in log order, on one thread the log owns. */
    interface Applier {
        /** Replaces all state with {@code records} (a snapshot), which covers the log up to {@code offset}. */
        void load(List<Message> records, long offset);

        /** Applies one committed batch at {@code offset}. */
        void apply(List<Message> records, long offset);

        /** The current state as records that {@link #load} rebuilds it from; called on the applying thread. */
        List<Message> snapshot();
    }

    /**
     * Replays what this node holds (latest snapshot, then batches) into {@code applier}, then keeps
     * feeding it committed batches. Returns when the local replay is done.
     */
    void start(Applier applier) throws IOException;

    /**
     * Appends one batch atomically. Completes with its offset once it is committed and this node's
     * applier has applied it; completes exceptionally with {@link AppendFailure} when it was not
     * written (NOT_CONTROLLER: this node does not lead, or lost leadership before commit;
     * KAFKA_STORAGE_ERROR: a local write failed and was undone).
     */
    CompletableFuture<Long> append(List<Message> records);

    /** The node id of the quorum's leader (the active controller), when one is known. */
    OptionalInt leaderId();

    /** Whether this node may append now: it leads, and has applied everything committed before its term. */
    boolean isLeader();

    /**
     * Completes with whether this node still led at some moment after the call: a quorum leader
     * that lost its majority may go on believing it leads until it notices, while the others have
     * elected a newer one. A replicated log confirms with a majority; a log with no other member
     * answers {@link #isLeader()}.
     */
    default CompletableFuture<Boolean> confirmLeadership() {
        return CompletableFuture.completedFuture(isLeader());
    }

    /** Why a batch was not written, as the error its request gets. */
    final class AppendFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final ErrorCode error;

        public AppendFailure(ErrorCode error, String message, Throwable cause) {
            super(message, cause, false, false);
            this.error = error;
        }

        public ErrorCode error() {
            return error;
        }
    }

    @Override
    void close() throws IOException;
}
