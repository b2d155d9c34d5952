package dev.sluice.wire.record;

import dev.sluice.wire.codec.MalformedDataException;

/**
 * Record data that does not decode or does not verify: a CRC mismatch, a length or count that
 * disagrees with the bytes, an unknown magic or codec. At a broker's edge this is Kafka's
 * CORRUPT_MESSAGE error.
 */
public class CorruptRecordException extends MalformedDataException {
    private static final long serialVersionUID = 1L;

    public CorruptRecordException(String message) {
        super(message);
    }

    public CorruptRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
