package dev.sluice.broker.cluster;

/**
 * Hears about the inter-broker client's connections, so that a controller can tell a dead broker
 * from a slow one without waiting for a session to expire.
 *
 * <p>Called on the client's event loop: implementations must return quickly and never block.
 */
public interface PeerListener {

    /** The connection to {@code nodeId} is up and its API versions are known. */
    default void connected(int nodeId) {
    }

    /**
     * The connection to {@code nodeId} closed, or could not be opened (refused, timed out, broken
     * by a protocol error). Not called when the client itself closes the connection because it is
     * closing, the node was removed, or its address changed.
     */
    void disconnected(int nodeId, Throwable cause);
}
