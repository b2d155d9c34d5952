package dev.sluice.wire.message;

/** A top-level request or response body: a message that belongs to one API key. */
public interface ApiMessage extends Message {
    ApiKey apiKey();
}
