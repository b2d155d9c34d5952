package dev.sluice.storage.bench;

import dev.sluice.storage.LogCheckpoint;
import dev.sluice.storage.LogConfig;
import dev.sluice.storage.PartitionLog;
import dev.sluice.storage.Scheduler;
import dev.sluice.storage.append.BatchValidator;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.TimestampType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * What a partition does with one Produce request's batch: {@link BatchValidator#validate} with
 * the default topic rules (Kafka 4's defaults: CreateTime, producer compression, no bound before now, one hour after), then
 * the append to the log on real files ({@code validate} measures the first part alone, which
 * the page cache's writeback does not disturb). A 16 KiB batch of 100-byte records (the Java producer's
 * default {@code batch.size}), uncompressed or compressed by the producer; compressible values
 * (text-like, repeated words) so that the codecs have something to do. Run with
 * {@code mvn -pl storage test-compile exec:exec@jmh -Djmh.args="ProduceAppendBenchmark"}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ProduceAppendBenchmark {
    private static final int SEGMENT_BYTES = 64 * 1024 * 1024;
    private static final Scheduler INLINE = (name, task, delayMs) -> task.run();
    private static final String[] WORDS = {"sluice", "offset", "partition", "broker", "record", "batch", "topic"};

    @State(Scope.Thread)
    public static class AppendState {
        @Param({"none", "gzip", "snappy", "lz4", "zstd"})
        public String compression;

        Path dir;
        PartitionLog log;
        MemoryRecords records;
        RecordBatch batch;
        BatchValidator.Rules rules;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("sluice-produce-bench");
            log = PartitionLog.open(dir.resolve("bench-0"), LogConfig.builder().segmentBytes(SEGMENT_BYTES).build(),
                INLINE, InstantSource.system(), LogCheckpoint.NONE);
            RecordBatchBuilder builder = new RecordBatchBuilder(0)
                .compression(CompressionType.forConfigName(compression));
            SplittableRandom random = new SplittableRandom(7);
            long now = System.currentTimeMillis();
            while (builder.uncompressedRecordsSize() < 16 * 1024) {
                StringBuilder value = new StringBuilder();
                while (value.length() < 100) {
                    value.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
                }
                builder.append(now, null, value.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            records = MemoryRecords.withBatches(builder.build());
            batch = records.batches().iterator().next();
            rules = new BatchValidator.Rules(1024 * 1024 + 12, TimestampType.CREATE_TIME, Long.MAX_VALUE,
                3_600_000L, false, null);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            log.close();
            PartitionLogBenchmark.deleteRecursively(dir);
        }
    }

    /** Validation alone: the CPU a produce request costs before it reaches the disk. */
    @Benchmark
    public int validate(AppendState state) {
        state.batch.setBaseOffset(0);
        return BatchValidator.validate(state.records, state.rules, System.currentTimeMillis()).recordCount();
    }

    @Benchmark
    public long validateAndAppend(AppendState state) {
        PartitionLog log = state.log;
        long end = log.logEndOffset();
        state.batch.setBaseOffset(0);
        RecordBatch validated = BatchValidator.validate(state.records, state.rules, System.currentTimeMillis()).batch();
        validated.setBaseOffset(end);
        long last = log.append(MemoryRecords.readableRecords(validated.buffer())).lastOffset();
        if (log.segmentCount() > 2) {
            log.setLogStartOffset(end);
        }
        return last;
    }
}
