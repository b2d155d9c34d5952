package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.metadata.records.ProducerIdsRecord;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The single-node metadata log on real files: what its applier sees, how failed writes are answered, compaction. */
class JournalMetadataLogTest {
    @TempDir
    Path dir;

    /** Keeps what it was given; its state is the last producer-id block, as a {@link MetadataView}'s would be. */
    private static final class Recording implements MetadataLog.Applier {
        final List<List<Message>> loads = new ArrayList<>();
        final List<Long> loadOffsets = new ArrayList<>();
        final List<List<Message>> batches = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>();
        final List<String> threads = new ArrayList<>();
        long nextProducerId;

        @Override
        public synchronized void load(List<Message> records, long offset) {
            loads.add(records);
            loadOffsets.add(offset);
            records.forEach(this::take);
            threads.add(Thread.currentThread().getName());
        }

        @Override
        public synchronized void apply(List<Message> records, long offset) {
            batches.add(records);
            offsets.add(offset);
            records.forEach(this::take);
            threads.add(Thread.currentThread().getName());
        }

        private void take(Message record) {
            nextProducerId = ((ProducerIdsRecord) record).nextProducerId();
        }

        @Override
        public synchronized List<Message> snapshot() {
            return List.of(ids(nextProducerId));
        }
    }

    private static ProducerIdsRecord ids(long next) {
        return new ProducerIdsRecord().setNextProducerId(next);
    }

    private static ErrorCode failureOf(MetadataLog log, List<Message> batch) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> log.append(batch).get(10, TimeUnit.SECONDS));
        return assertInstanceOf(MetadataLog.AppendFailure.class, e.getCause()).error();
    }

    @Test
    void appendCompletesOnceAppliedAndARestartLoadsEveryBatchInOrder() throws Exception {
        Recording first = new Recording();
        try (JournalMetadataLog log = JournalMetadataLog.open(dir, 7)) {
            assertFalse(log.isLeader(), "leads before its journal was replayed");
            log.start(first);
            assertTrue(log.isLeader());
            assertEquals(OptionalInt.of(7), log.leaderId());
            assertEquals(List.of(List.of()), first.loads);
            assertEquals(0L, log.append(List.of(ids(10))).get(10, TimeUnit.SECONDS));
            synchronized (first) {
                assertEquals(10, first.nextProducerId, "the append completed before the batch was applied");
            }
            assertEquals(1L, log.append(List.of(ids(20), ids(30))).get(10, TimeUnit.SECONDS));
        }
        assertEquals(List.of(0L, 1L), first.offsets);
        assertTrue(first.threads.stream().allMatch("sluice-metadata-log"::equals), first.threads.toString());

        Recording second = new Recording();
        try (JournalMetadataLog log = JournalMetadataLog.open(dir, 7)) {
            log.start(second);
            assertEquals(List.of(List.of(ids(10), ids(20), ids(30))), second.loads);
            assertEquals(List.of(1L), second.loadOffsets);
            assertEquals(2L, log.append(List.of(ids(40))).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void failedWriteIsAStorageErrorAndAJournalThatStoppedAnswersNotControllerAndNoLongerLeads() throws Exception {
        AtomicReference<FaultyChannel> channel = new AtomicReference<>();
        Recording applier = new Recording();
        try (JournalMetadataLog log = JournalMetadataLog.open(FaultyChannel.journal(dir, channel), 1)) {
            log.start(applier);
            log.append(List.of(ids(10))).get(10, TimeUnit.SECONDS);
            channel.get().failWrites = true;
            assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, failureOf(log, List.of(ids(20))));
            assertTrue(log.isLeader(), "a write that was cut back stopped the log");
            channel.get().failTruncate = true;
            assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, failureOf(log, List.of(ids(30))));
            assertFalse(log.isLeader());
            channel.get().failWrites = false;
            channel.get().failTruncate = false;
            assertEquals(ErrorCode.NOT_CONTROLLER, failureOf(log, List.of(ids(40))));
        }
        assertEquals(List.of(List.of(ids(10))), applier.batches, "an unwritten batch was applied");
    }

    @Test
    void appendAfterCloseIsNotController() throws IOException {
        JournalMetadataLog log = JournalMetadataLog.open(dir, 1);
        log.start(new Recording());
        log.close();
        assertFalse(log.isLeader());
        assertEquals(ErrorCode.NOT_CONTROLLER, failureOf(log, List.of(ids(1))));
    }

    @Test
    void longJournalIsReplacedOnOpenByTheAppliersSnapshot() throws Exception {
        try (JournalMetadataLog log = JournalMetadataLog.open(dir, 1)) {
            log.start(new Recording());
            for (int i = 1; i <= 70; i++) {
                log.append(List.of(ids(i * 100L))).get(10, TimeUnit.SECONDS);
            }
        }
        try (JournalMetadataLog log = JournalMetadataLog.open(dir, 1)) {
            Recording applier = new Recording();
            log.start(applier);
            assertEquals(70, applier.loads.get(0).size());
            assertEquals(7000, applier.nextProducerId);
        }
        try (MetadataJournal journal = MetadataJournal.open(dir)) {
            assertEquals(List.of(List.<Message>of(ids(7000))), journal.replay());
        }
    }
}
