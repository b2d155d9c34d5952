package dev.sluice.broker.handler;

import dev.sluice.broker.security.KafkaPrincipal;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.security.acl.StandardAuthorizer;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.RequestHeader;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a handler knows about a request besides its body: who sent it, on which listener, the API
 * version it must answer at, and the life of the connection it came on.
 *
 * @param mutations where a handler that creates or deletes partitions counts them for
 *                  {@code controller_mutation_rate} ({@link #mutated}); null for other APIs
 */
public record RequestContext(RequestHeader header, ApiKey apiKey, short version, SocketAddress clientAddress,
                             String listenerName, long receivedNanos, ConnectionLifetime connection,
                             StandardAuthorizer authorizer, AtomicLong mutations) {

    /** A request on a broker without an authorizer. */
    public RequestContext(RequestHeader header, ApiKey apiKey, short version, SocketAddress clientAddress,
                          String listenerName, long receivedNanos, ConnectionLifetime connection) {
        this(header, apiKey, version, clientAddress, listenerName, receivedNanos, connection, null, null);
    }

    /** Counts {@code partitions} created, added or deleted by this request against the client's mutation quota. */
    public void mutated(long partitions) {
        if (mutations != null) {
            mutations.addAndGet(partitions);
        }
    }

    /** Who sent the request. */
    public KafkaPrincipal principal() {
        return connection.principal();
    }

    /** The client's IP address, as ACL hosts are written ("" when unknown). */
    public String host() {
        if (clientAddress instanceof java.net.InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return "";
    }

    /** Whether the sender may do {@code operation} on the resource; always, without an authorizer. */
    public boolean allowed(AclOperation operation, AclResourceType type, String name) {
        return authorizer == null || authorizer.authorize(principal(), host(), operation, type, name);
    }

    /** Whether the sender may do {@code operation} on some resource of {@code type}; always, without an authorizer. */
    public boolean allowedOnAny(AclOperation operation, AclResourceType type) {
        return authorizer == null || authorizer.authorizeAny(principal(), host(), operation, type);
    }

    /** Whether the sender may do {@code operation} on the cluster. */
    public boolean allowedOnCluster(AclOperation operation) {
        return allowed(operation, AclResourceType.CLUSTER, AclResourceType.CLUSTER_NAME);
    }

    public String clientId() {
        return header.clientId() == null ? "" : header.clientId();
    }

    /** The client's address as Kafka reports it in group descriptions ("/127.0.0.1"). */
    public String clientHost() {
        if (clientAddress instanceof java.net.InetSocketAddress inet && inet.getAddress() != null) {
            return "/" + inet.getAddress().getHostAddress();
        }
        return clientAddress == null ? "" : clientAddress.toString();
    }

    public int correlationId() {
        return header.correlationId();
    }
}
