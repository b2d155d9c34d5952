package dev.sluice.wire.message;

/**
 * A response with a top-level {@code ThrottleTimeMs} field: how long the client is asked to wait
 * (and the broker stops reading from its connection) because it went over a quota (KIP-219). The
 * generator adds this interface to every response schema that has the field.
 */
public interface ThrottledResponse extends ApiMessage {
    int throttleTimeMs();

    ThrottledResponse setThrottleTimeMs(int throttleTimeMs);
}
