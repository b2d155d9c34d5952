package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;

/**
 * A compressed payload expanded past the caller's limit. A subclass of
 * {@link MalformedDataException} because, to a broker, a batch it refuses to expand is bad input
 * like any other; callers that want to report it differently (say, RECORD_TOO_LARGE rather than
 * CORRUPT_MESSAGE) can catch it first.
 */
public class DecompressionLimitException extends MalformedDataException {
    private static final long serialVersionUID = 1L;

    private final int limit;

    public DecompressionLimitException(String codec, int limit) {
        super(codec + " payload decompresses to more than the limit of " + limit + " bytes");
        this.limit = limit;
    }

    /** The limit that was exceeded, in bytes. */
    public int limit() {
        return limit;
    }
}
