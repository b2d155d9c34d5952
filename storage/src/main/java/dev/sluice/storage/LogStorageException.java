package dev.sluice.storage;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A log's files could not be read or written: Kafka's KAFKA_STORAGE_ERROR. After one of these from
 * a write ({@code append}, {@code roll}, {@code truncateTo}, {@code flush}) the log refuses further
 * writes, because the bytes on disk may no longer match what it believes; reopening it runs
 * recovery, which repairs the tail.
 */
public class LogStorageException extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    public LogStorageException(String message, IOException cause) {
        super(message, cause);
    }

    /** A failure found by the log itself rather than reported by the file system. */
    public LogStorageException(String message) {
        super(message, new IOException(message));
    }
}
