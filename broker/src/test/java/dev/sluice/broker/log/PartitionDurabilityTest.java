package dev.sluice.broker.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.storage.LogCheckpoint;
import dev.sluice.storage.LogConfig;
import dev.sluice.storage.LogStorageException;
import dev.sluice.storage.PartitionLog;
import dev.sluice.storage.append.BatchValidator;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.TimestampType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention, the flush.ms flusher and disk errors as one partition sees them. */
class PartitionDurabilityTest {
    @TempDir
    Path root;

    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    private final AtomicLong now = new AtomicLong(System.currentTimeMillis());
    private final InstantSource clock = new InstantSource() {
        @Override
        public long millis() {
            return now.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };
    private final List<PartitionLog> logs = new ArrayList<>();
    private final AtomicLong producerIdsHandedOut = new AtomicLong(1000);

    @AfterEach
    void stop() {
        for (PartitionLog log : logs) {
            try {
                log.close();
            } catch (RuntimeException ignored) {
                // A test may have broken or closed it.
            }
        }
        pool.shutdownNow();
    }

    private static int batchSize() {
        return batch(1).sizeInBytes();
    }

    private static MemoryRecords batch(long timestamp) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0);
        for (int i = 0; i < 5; i++) {
            builder.append(timestamp, ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[200]);
        }
        RecordBatch batch = builder.build();
        return MemoryRecords.readableRecords(batch.buffer());
    }

    private Partition partition(String name, LogConfig config) {
        PartitionLog log = PartitionLog.open(root.resolve(name + "-0"), config, (n, task, delay) -> task.run(), clock,
            LogCheckpoint.NONE);
        logs.add(log);
        BatchValidator.Rules rules = new BatchValidator.Rules(1 << 20, TimestampType.CREATE_TIME, Long.MAX_VALUE,
            Long.MAX_VALUE, false, null);
        return new Partition(name, new Uuid(7L, 9L), 0, log, new TopicSettings(config, rules, 1, TopicSettings.Tiering.OFF), Partition.Role.soleLeader(1, 0), pool,
            clock,
            (p, bytes, records) -> { }, p -> { }, producerIdsHandedOut::get);
    }

    private static Partition.AppendOutcome append(Partition p, long timestamp) {
        return p.append(batch(timestamp)).join();
    }

    /**
     * A producer id no InitProducerId handed out (beyond the blocks a broker may not have seen yet)
     * is refused before it takes a place in the partition's producer state; once the id is handed
     * out, the same batch is appended.
     */
    @Test
    void aProducerIdNeverHandedOutIsUnknown() {
        Partition p = partition("t", LogConfig.defaults());
        long id = Partition.PRODUCER_IDS_NOT_YET_SEEN + 1000;
        MemoryRecords invented = MemoryRecords.withBatches(new RecordBatchBuilder(0).producer(id, (short) 0, 0)
            .append(now.get(), null, new byte[] {1}).build());
        Partition.AppendOutcome refused = p.append(invented).join();
        assertEquals(ErrorCode.UNKNOWN_PRODUCER_ID, refused.error());
        assertTrue(p.producers().join().isEmpty());
        producerIdsHandedOut.set(2000);
        assertEquals(ErrorCode.NONE, p.append(invented).join().error());
    }

    @Test
    void retentionRunsOnTheWriterAndMovesTheLogStart() {
        // Two batches per segment.
        Partition p = partition("t", LogConfig.builder().segmentBytes(batchSize() * 2).retentionMs(60_000).build());
        for (int i = 0; i < 6; i++) {
            assertEquals(ErrorCode.NONE, append(p, now.get()).error());
        }
        assertEquals(0, p.applyRetention().join());
        now.addAndGet(61_000);
        assertEquals(3, p.applyRetention().join(), "every segment, the active one after a roll");
        assertEquals(30, p.logStartOffset());
        assertEquals(30, p.logEndOffset());
        assertEquals(ErrorCode.NONE, append(p, now.get()).error());
        assertEquals(30, p.read(30, 10_000, true).logStartOffset());
    }

    @Test
    void flushIfDueFlushesOnceFlushMsHasPassed() {
        Partition p = partition("t", LogConfig.builder().flushMs(1000).build());
        append(p, now.get());
        assertEquals(0, p.recoveryPoint());
        assertFalse(p.flushIfDue(now.get() + 999).join());
        assertEquals(0, p.recoveryPoint());
        assertTrue(p.flushIfDue(now.get() + 1000).join());
        assertEquals(5, p.recoveryPoint());
    }

    @Test
    void defaultFlushMsNeverFlushes() {
        Partition p = partition("t", LogConfig.defaults());
        append(p, now.get());
        assertFalse(p.flushIfDue(Long.MAX_VALUE - 1).join());
        assertEquals(0, p.recoveryPoint());
    }

    @Test
    void restoredHighWatermarkNeverExceedsTheLogEnd() {
        Partition p = partition("t", LogConfig.defaults());
        append(p, now.get());
        p.restoreHighWatermark(1_000);
        assertEquals(5, p.highWatermark());
    }

    /**
     * The partition's directory disappears under it (as a failed disk's mount would), so the next
     * segment roll fails with a real I/O error: that partition goes offline, another carries on,
     * and what was written before is intact when the directory comes back.
     */
    @Test
    void storageErrorTakesOnlyThatPartitionOfflineAndDamagesNothingWritten() throws Exception {
        LogConfig config = LogConfig.builder().segmentBytes(batchSize() * 2).build();
        Partition failing = partition("failing", config);
        Partition healthy = partition("healthy", config);
        for (int i = 0; i < 3; i++) {
            assertEquals(ErrorCode.NONE, append(failing, now.get()).error());
        }
        Path dir = root.resolve("failing-0");
        Path away = root.resolve("elsewhere");
        Files.move(dir, away);
        // The active segment holds one batch; the next append that needs a roll cannot create its file.
        Partition.AppendOutcome first = append(failing, now.get());
        Partition.AppendOutcome second = first.error() == ErrorCode.NONE ? append(failing, now.get()) : first;
        assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, second.error());
        assertTrue(failing.isOffline());
        assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, append(failing, now.get()).error(), "stays offline");
        assertThrows(LogStorageException.class, () -> failing.read(0, 10_000, true));

        assertEquals(ErrorCode.NONE, append(healthy, now.get()).error());
        assertTrue(healthy.read(0, 10_000, true).records().sizeInBytes() > 0);
        assertFalse(healthy.isOffline());

        long acknowledged = first.error() == ErrorCode.NONE ? 20 : 15;
        Files.move(away, dir);
        PartitionLog reopened = PartitionLog.open(dir, config, (n, task, delay) -> task.run(), clock,
            new LogCheckpoint(java.util.OptionalLong.of(0), java.util.OptionalLong.empty()));
        logs.add(reopened);
        assertEquals(acknowledged, reopened.logEndOffset());
        long offset = 0;
        while (offset < acknowledged) {
            var records = reopened.read(offset, 1 << 20, Long.MAX_VALUE, true).records();
            ByteBuffer copy = ByteBuffer.allocate(records.sizeInBytes());
            records.writeTo(copy);
            for (RecordBatch batch : MemoryRecords.readableRecords(copy.flip()).batches()) {
                batch.ensureValid();
                assertEquals(offset, batch.baseOffset());
                offset = batch.nextOffset();
            }
        }
        assertEquals(acknowledged, offset);
    }
}
