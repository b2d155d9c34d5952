package dev.sluice.storage;

import dev.sluice.wire.record.Records;
import java.io.IOException;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * Whole record batches as they lie in a segment file: a slice {@code [position, position + size)}
 * of its channel. Nothing is read until the records are written out, and then only with
 * positional reads (or {@link #transferTo}, which the kernel may serve with sendfile), so a fetch
 * never copies log data through the heap on its way to a plaintext socket.
 *
 * <p>Safe to use from any thread. The slice stays readable after its segment is deleted, for
 * {@code file.delete.delay.ms}; after that, or once the log is closed, copying throws
 * {@link SegmentClosedException}. A reader thread must not be interrupted while copying: the JDK
 * closes a {@link FileChannel} on which an interrupted thread was blocked, for every user of it.
 */
public final class FileRecords implements Records {
    private final FileChannel channel;
    private final Path file;
    private final int position;
    private final int size;

    FileRecords(FileChannel channel, Path file, int position, int size) {
        this.channel = channel;
        this.file = file;
        this.position = position;
        this.size = size;
    }

    /** The segment file's channel, for a network layer that sends the slice with {@code transferTo}. */
    public FileChannel channel() {
        return channel;
    }

    /** The segment file, for messages. */
    public Path file() {
        return file;
    }

    /** Byte position of the first batch in the file. */
    public int position() {
        return position;
    }

    @Override
    public int sizeInBytes() {
        return size;
    }

    /**
     * Copies the slice into {@code out} at its position, advancing it.
     *
     * @throws BufferOverflowException if {@code out} has less room than {@link #sizeInBytes()}
     * @throws SegmentClosedException if the segment file was closed meanwhile
     * @throws LogStorageException if it cannot be read, or is now shorter than the slice (the log
     *     was truncated under the reader)
     */
    @Override
    public void writeTo(ByteBuffer out) {
        if (out.remaining() < size) {
            throw new BufferOverflowException();
        }
        ByteBuffer target = out.duplicate();
        target.limit(target.position() + size);
        try {
            while (target.hasRemaining()) {
                int done = target.position() - out.position();
                int read = channel.read(target, (long) position + done);
                if (read < 0) {
                    throw new LogStorageException("segment file " + file + " ended " + (size - done)
                        + " bytes before the records read from it; the log was truncated meanwhile");
                }
            }
        } catch (ClosedChannelException e) {
            throw closed(e);
        } catch (IOException e) {
            throw new LogStorageException("cannot read records from " + file, e);
        }
        out.position(out.position() + size);
    }

    /**
     * Sends up to {@code maxBytes} of the slice, starting {@code offset} bytes into it, to
     * {@code target} with {@link FileChannel#transferTo}.
     *
     * @return bytes sent, possibly fewer than asked (as with any channel write)
     */
    public long transferTo(WritableByteChannel target, int offset, int maxBytes) throws IOException {
        if (offset < 0 || offset > size) {
            throw new IndexOutOfBoundsException("offset " + offset + " outside a slice of " + size + " bytes");
        }
        int count = Math.min(maxBytes, size - offset);
        try {
            return channel.transferTo((long) position + offset, count, target);
        } catch (ClosedChannelException e) {
            if (!channel.isOpen()) {
                throw closed(e);
            }
            throw e;
        }
    }

    private SegmentClosedException closed(ClosedChannelException e) {
        return new SegmentClosedException("segment file " + file + " was closed (segment deleted or log closed)"
            + " while its records were being read", e);
    }

    @Override
    public String toString() {
        return "FileRecords(" + file.getFileName() + ", position " + position + ", " + size + " bytes)";
    }
}
