package dev.sluice.broker.network;

import dev.sluice.storage.FileRecords;
import io.netty.channel.DefaultFileRegion;

/**
 * A slice of a log segment sent with sendfile. It is Netty's file region (so the native epoll
 * transport uses its zero-copy path) except that it leaves the segment's file channel open when it
 * is released: the channel belongs to the log, which serves many readers from it.
 */
final class SegmentRegion extends DefaultFileRegion {
    SegmentRegion(FileRecords records) {
        super(records.channel(), records.position(), records.sizeInBytes());
    }

    @Override
    protected void deallocate() {
        // The log owns the channel; it closes it when the segment goes away.
    }
}
