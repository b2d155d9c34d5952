package dev.sluice.storage.bench;

import dev.sluice.storage.FileRecords;
import dev.sluice.storage.LogCheckpoint;
import dev.sluice.storage.LogConfig;
import dev.sluice.storage.LogReadResult;
import dev.sluice.storage.PartitionLog;
import dev.sluice.storage.Scheduler;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The partition log alone, on real files (the page cache, no fsync: Kafka's default flush policy).
 * {@code append} writes one uncompressed batch of {@code batchBytes} per call, as a produce request
 * for one partition does; segments roll at 64 MiB and old ones are deleted as the log grows, so
 * the disk use stays bounded. {@code read*} fetch from random offsets of a 64 MiB log: locating the
 * batches ({@code readLocate}, what a fetch costs before the bytes leave by sendfile) and also
 * copying them into a buffer ({@code readAndCopy}, the TLS path). Run with
 * {@code mvn -pl storage test-compile exec:exec@jmh -Djmh.args="PartitionLogBenchmark"}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PartitionLogBenchmark {
    private static final int SEGMENT_BYTES = 64 * 1024 * 1024;

    /** Deletes at once: the benchmark holds no records across deletions. */
    private static final Scheduler INLINE = (name, task, delayMs) -> task.run();

    static MemoryRecords batchOf(int batchBytes) {
        int recordBytes = 1024;
        RecordBatchBuilder builder = new RecordBatchBuilder(0);
        SplittableRandom random = new SplittableRandom(7);
        int count = Math.max(1, batchBytes / (recordBytes + 16));
        for (int i = 0; i < count; i++) {
            byte[] value = new byte[recordBytes];
            for (int j = 0; j < value.length; j++) {
                value[j] = (byte) random.nextInt(256);
            }
            // Current timestamps: old ones would make every append roll a segment by age (segment.ms).
            builder.append(System.currentTimeMillis(), null, value);
        }
        return MemoryRecords.withBatches(builder.build());
    }

    static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    @State(Scope.Thread)
    public static class AppendState {
        @Param({"1024", "16384", "262144"})
        public int batchBytes;

        Path dir;
        PartitionLog log;
        MemoryRecords records;
        RecordBatch batch;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("sluice-append-bench");
            log = PartitionLog.open(dir.resolve("bench-0"), LogConfig.builder().segmentBytes(SEGMENT_BYTES).build(),
                INLINE, InstantSource.system(), LogCheckpoint.NONE);
            records = batchOf(batchBytes);
            batch = records.batches().iterator().next();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            log.close();
            deleteRecursively(dir);
        }
    }

    @Benchmark
    public long append(AppendState state) {
        PartitionLog log = state.log;
        long end = log.logEndOffset();
        // The base offset lies outside the CRC: re-stamping it is what a broker does on produce.
        state.batch.setBaseOffset(end);
        long last = log.append(state.records).lastOffset();
        if (log.segmentCount() > 2) {
            log.setLogStartOffset(end);
        }
        return last;
    }

    @State(Scope.Thread)
    public static class ReadState {
        @Param({"16384"})
        public int batchBytes;

        @Param({"1048576"})
        public int maxBytes;

        Path dir;
        PartitionLog log;
        ByteBuffer out;
        SplittableRandom random = new SplittableRandom(11);

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("sluice-read-bench");
            log = PartitionLog.open(dir.resolve("bench-0"), LogConfig.builder().segmentBytes(SEGMENT_BYTES).build(),
                INLINE, InstantSource.system(), LogCheckpoint.NONE);
            MemoryRecords records = batchOf(batchBytes);
            RecordBatch batch = records.batches().iterator().next();
            while (log.size() < SEGMENT_BYTES - 2L * batch.sizeInBytes()) {
                batch.setBaseOffset(log.logEndOffset());
                log.append(records);
            }
            out = ByteBuffer.allocateDirect(maxBytes + batch.sizeInBytes());
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            log.close();
            deleteRecursively(dir);
        }
    }

    @Benchmark
    public int readLocate(ReadState state) {
        long offset = state.random.nextLong(state.log.logEndOffset());
        LogReadResult result = state.log.read(offset, state.maxBytes, Long.MAX_VALUE, true);
        return ((FileRecords) result.records()).position();
    }

    @Benchmark
    public int readAndCopy(ReadState state) {
        long offset = state.random.nextLong(state.log.logEndOffset());
        LogReadResult result = state.log.read(offset, state.maxBytes, Long.MAX_VALUE, true);
        state.out.clear();
        result.records().writeTo(state.out);
        return state.out.position();
    }
}
