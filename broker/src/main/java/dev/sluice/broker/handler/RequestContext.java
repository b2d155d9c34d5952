package dev.sluice.broker.handler;

import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.RequestHeader;
import java.net.SocketAddress;

/**
 * What a handler knows about a request besides its body: who sent it, on which listener, the API
 * version it must answer at, and the life of the connection it came on.
 */
public record RequestContext(RequestHeader header, ApiKey apiKey, short version, SocketAddress clientAddress,
                             String listenerName, long receivedNanos, ConnectionLifetime connection) {

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
