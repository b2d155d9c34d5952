package dev.sluice.broker.handler;

import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.RequestHeader;
import java.net.SocketAddress;

/**
 * What a handler knows about a request besides its body: who sent it, on which listener, and the
 * API version it must answer at.
 */
public record RequestContext(RequestHeader header, ApiKey apiKey, short version, SocketAddress clientAddress,
                             String listenerName, long receivedNanos) {

    public String clientId() {
        return header.clientId() == null ? "" : header.clientId();
    }

    public int correlationId() {
        return header.correlationId();
    }
}
