package dev.sluice.broker.cluster;

import dev.sluice.broker.metadata.MetadataLog;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A node's membership in a cluster's metadata quorum: the metadata log it applies, plus the way to
 * the quorum's leader (the active controller). A controller is a voter ({@link RatisMetadataLog});
 * a broker-only node is an observer ({@link MetadataObserver}) that reads the committed log from the
 * active controller and never leads.
 */
public interface MetadataQuorum extends MetadataLog {
    /**
     * Delivers {@code request} to the handler registered with {@link #onLeaderRequest} on whichever
     * voter leads, following leader changes; fails with an {@link java.io.IOException} (in a
     * {@link java.util.concurrent.CompletionException}) when no ready leader answered in time.
     */
    CompletableFuture<byte[]> askLeader(byte[] request);

    /** The quorum as this node sees it, for DescribeQuorum and the controller's watch of its members. */
    QuorumState quorumState();

    /**
     * Sets the handler of what {@link #askLeader} sends from any node; it runs only while this node
     * is the ready leader, on a quorum thread, so it must not block. Never called on an observer.
     */
    void onLeaderRequest(Function<byte[], CompletableFuture<byte[]>> handler);

    /** Registers a listener told whenever this node becomes or stops being the ready leader. */
    void onLeadershipChange(Consumer<Boolean> listener);

    /**
     * On the leader: serves an observer's request for the committed metadata log after a position
     * ({@link MetadataFeed}); fails elsewhere.
     */
    CompletableFuture<byte[]> serveObserver(ByteBuffer request);
}
