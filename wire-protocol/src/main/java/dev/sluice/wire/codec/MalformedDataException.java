package dev.sluice.wire.codec;

/**
 * Bytes that do not decode: a truncated buffer, a length that points past the end, an impossible
 * varint, a garbled or oversized compressed payload. Decoders throw only this for bad input, so a
 * caller can map it to one error (close the connection, or CORRUPT_MESSAGE for record data).
 */
public class MalformedDataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MalformedDataException(String message) {
        super(message);
    }

    public MalformedDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
