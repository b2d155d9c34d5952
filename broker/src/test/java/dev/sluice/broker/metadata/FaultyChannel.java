package dev.sluice.broker.metadata;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real file channel that can be told to fail the way a full or broken disk does: a write puts
 * part of its bytes in the file and then throws, and truncation can be made to fail as well.
 */
final class FaultyChannel extends FileChannel {
    private final FileChannel file;
    volatile boolean failWrites;
    volatile boolean failTruncate;

    private FaultyChannel(FileChannel file) {
        this.file = file;
    }

    static FaultyChannel open(Path path) throws IOException {
        return new FaultyChannel(FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE));
    }

    /** A metadata journal in {@code dir} whose file is a faulty channel, handed to {@code channel} on each open. */
    static MetadataJournal journal(Path dir, AtomicReference<FaultyChannel> channel) throws IOException {
        return MetadataJournal.open(dir, path -> {
            FaultyChannel c = open(path);
            channel.set(c);
            return c;
        });
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (failWrites) {
            // Half the bytes land, as when the disk fills up in the middle of an entry.
            ByteBuffer half = src.slice(src.position(), Math.max(1, src.remaining() / 2));
            int written = file.write(half);
            src.position(src.position() + written);
            throw new IOException("No space left on device");
        }
        return file.write(src);
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        if (failTruncate) {
            throw new IOException("Input/output error");
        }
        file.truncate(size);
        return this;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return file.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return file.read(dsts, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        throw new UnsupportedOperationException("the journal writes one buffer at a time");
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public void force(boolean metaData) throws IOException {
        file.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return file.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        throw new UnsupportedOperationException("the journal appends at its position");
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return file.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }
}
