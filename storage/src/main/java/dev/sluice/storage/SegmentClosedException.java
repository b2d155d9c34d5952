package dev.sluice.storage;

import java.nio.channels.ClosedChannelException;

/**
 * Records handed out by a read could not be copied because their segment file was closed in the
 * meantime: the segment was deleted and its {@code file.delete.delay.ms} grace period ran out, or
 * the whole log was closed. Nothing is wrong with the disk; the reader should fetch again (the
 * offset it wanted may now be out of range).
 */
public class SegmentClosedException extends LogStorageException {
    private static final long serialVersionUID = 1L;

    public SegmentClosedException(String message, ClosedChannelException cause) {
        super(message, cause);
    }

    public SegmentClosedException(String message) {
        super(message);
    }
}
