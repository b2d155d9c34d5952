package dev.sluice.broker.cluster;

/**
 * A request to another broker failed because its connection closed (or never opened) before the
 * response arrived. Whether the broker processed the request is unknown.
 */
public final class PeerDisconnectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int nodeId;

    public PeerDisconnectedException(int nodeId, String message, Throwable cause) {
        super(message, cause);
        this.nodeId = nodeId;
    }

    /** The node the connection led to. */
    public int nodeId() {
        return nodeId;
    }
}
