package dev.sluice.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.metadata.MetadataRecords;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The active controller's feed of the committed metadata log to broker-only nodes. */
class MetadataFeedTest {

    /** A leader's log: batches by index (null for Raft's own entries), a purge point and a snapshot. */
    private static final class Log implements MetadataFeed.Source {
        final Map<Long, byte[]> entries = new TreeMap<>();
        volatile long applied = -1;
        volatile long start = 0;
        volatile MetadataFeed.Snapshot snapshot;

        void append(long index, String topic) {
            entries.put(index, topic == null ? null : batchOf(topic));
            applied = index;
        }

        @Override
        public long appliedIndex() {
            return applied;
        }

        @Override
        public long startIndex() {
            return start;
        }

        @Override
        public byte[] batch(long index) throws IOException {
            if (index < start) {
                throw new IOException("purged");
            }
            return entries.get(index);
        }

        @Override
        public long snapshotIndex() {
            return snapshot == null ? -1 : snapshot.index();
        }

        @Override
        public MetadataFeed.Snapshot snapshot() {
            return snapshot;
        }
    }

    private static byte[] batchOf(String topic) {
        return MetadataRecords.encode(List.of(new TopicRecord().setName(topic).setTopicId(new Uuid(1, topic.hashCode()))));
    }

    /** A decoded answer: the leader's applied index, and what it carried. */
    private record Answer(long leaderApplied, boolean snapshot, long position, List<Long> indexes, List<String> topics) {
    }

    private static Answer decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        assertEquals(7, in.getInt(), "the serving leader's id");
        long applied = in.getLong();
        byte kind = in.get();
        List<Long> indexes = new ArrayList<>();
        List<String> topics = new ArrayList<>();
        long position;
        int count;
        if (kind == MetadataFeed.SNAPSHOT) {
            position = in.getLong();
            indexes.add(position);
            count = 1;
        } else {
            position = in.getLong();
            count = in.getInt();
        }
        for (int i = 0; i < count; i++) {
            if (kind == MetadataFeed.ENTRIES) {
                indexes.add(in.getLong());
            }
            byte[] batch = new byte[in.getInt()];
            in.get(batch);
            for (Message m : MetadataRecords.decode(batch)) {
                topics.add(((TopicRecord) m).name());
            }
        }
        return new Answer(applied, kind == MetadataFeed.SNAPSHOT, position, indexes, topics);
    }

    private static Answer fetch(MetadataFeed feed, int node, long position, int waitMs) throws Exception {
        return decode(feed.serve(ByteBuffer.wrap(MetadataFeed.request(node, position, waitMs))).get(10, TimeUnit.SECONDS));
    }

    @Test
    void servesTheBatchesAfterThePositionAndSkipsRaftsOwnEntries() throws Exception {
        Log log = new Log();
        log.append(0, null);
        log.append(1, "a");
        log.append(2, "b");
        log.append(3, null);
        log.append(4, "c");
        try (MetadataFeed feed = new MetadataFeed(7, log)) {
            Answer all = fetch(feed, 4, -1, 0);
            assertFalse(all.snapshot());
            assertEquals(List.of(1L, 2L, 4L), all.indexes());
            assertEquals(List.of("a", "b", "c"), all.topics());
            assertEquals(4, all.position());
            assertEquals(4, all.leaderApplied());

            Answer rest = fetch(feed, 4, 2, 0);
            assertEquals(List.of("c"), rest.topics());
            assertEquals(4, rest.position());
        }
    }

    @Test
    void anObserverBehindTheSnapshotGetsTheSnapshotThenTheEntriesAfterIt() throws Exception {
        Log log = new Log();
        for (long i = 0; i <= 9; i++) {
            log.append(i, "t" + i);
        }
        log.snapshot = new MetadataFeed.Snapshot(6, batchOf("image-at-6"));
        log.start = 7;
        try (MetadataFeed feed = new MetadataFeed(7, log)) {
            Answer first = fetch(feed, 4, -1, 0);
            assertTrue(first.snapshot());
            assertEquals(6, first.position());
            assertEquals(List.of("image-at-6"), first.topics());

            Answer next = fetch(feed, 4, first.position(), 0);
            assertFalse(next.snapshot());
            assertEquals(List.of("t7", "t8", "t9"), next.topics());
            // Behind the snapshot even though the entries are still held: the snapshot is one batch.
            log.start = 0;
            assertTrue(fetch(feed, 5, 2, 0).snapshot());
        }
    }

    @Test
    void aFetchWithNothingNewWaitsForTheNextAppliedEntryOrItsMaximumWait() throws Exception {
        Log log = new Log();
        log.append(0, "a");
        try (MetadataFeed feed = new MetadataFeed(7, log)) {
            CompletableFuture<byte[]> parked = feed.serve(ByteBuffer.wrap(MetadataFeed.request(4, 0, 5_000)));
            assertFalse(parked.isDone(), "nothing new yet");
            log.append(1, "b");
            feed.applied();
            Answer woken = decode(parked.get(4, TimeUnit.SECONDS));
            assertEquals(List.of("b"), woken.topics());

            long started = System.nanoTime();
            Answer empty = fetch(feed, 4, 1, 200);
            assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(150), "waited for its maximum wait");
            assertEquals(List.of(), empty.topics());
            assertEquals(1, empty.position());

            List<QuorumState.VoterState> observers = feed.observers();
            assertEquals(1, observers.size());
            assertEquals(4, observers.get(0).nodeId());
            assertEquals(1, observers.get(0).lastAckedIndex());
        }
    }

    @Test
    void closingFailsTheFetchesItHolds() {
        Log log = new Log();
        log.append(0, "a");
        MetadataFeed feed = new MetadataFeed(7, log);
        CompletableFuture<byte[]> parked = feed.serve(ByteBuffer.wrap(MetadataFeed.request(4, 0, 5_000)));
        feed.close();
        assertTrue(parked.isCompletedExceptionally());
    }
}
