package dev.sluice.storage.bench;

import dev.sluice.storage.LogCheckpoint;
import dev.sluice.storage.LogConfig;
import dev.sluice.storage.PartitionLog;
import dev.sluice.storage.Scheduler;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
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
 * Crash recovery of the partition log: opening a log of {@code logMiB} MiB in one segment that
 * was not closed cleanly (no clean-shutdown marker, no recovery-point checkpoint), so the whole
 * segment is scanned: every batch's CRC checked and the offset and time indexes rebuilt. The
 * segment stays in the page cache between invocations, so this is the CPU cost of recovery (the
 * lower bound); a cold cache adds the disk's read time. Batches are 16 KiB of 1 KiB records,
 * uncompressed. Divide the time by {@code logMiB / 1024} for seconds per GiB; {@code crashed=false}
 * opens the same log after a clean shutdown, the control. Run with
 * {@code mvn -pl storage test-compile exec:exec@jmh -Djmh.args="RecoveryBenchmark"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
@State(Scope.Thread)
public class RecoveryBenchmark {
    private static final Scheduler INLINE = (name, task, delayMs) -> task.run();

    @Param({"256"})
    public int logMiB;

    /** false: the control, a clean-shutdown open that scans nothing. */
    @Param({"true", "false"})
    public boolean crashed;

    private Path dir;
    private final LogConfig config = LogConfig.builder().segmentBytes(1024 * 1024 * 1024).build();
    private PartitionLog opened;

    @Setup(Level.Trial)
    public void writeLog() throws IOException {
        dir = Files.createTempDirectory("sluice-recovery-bench-");
        MemoryRecords template = PartitionLogBenchmark.batchOf(16 * 1024);
        long target = (long) logMiB * 1024 * 1024;
        try (PartitionLog log = PartitionLog.open(dir, config, INLINE, InstantSource.system(), LogCheckpoint.NONE)) {
            while (log.size() < target) {
                RecordBatch batch = template.batches().iterator().next();
                batch.setBaseOffset(log.logEndOffset());
                log.append(template);
            }
        }
    }

    /** As after {@code kill -9}: the log was never closed, so its active segment must be scanned. */
    @Setup(Level.Invocation)
    public void forgetCleanShutdown() throws IOException {
        if (!crashed) {
            return;
        }
        Files.deleteIfExists(dir.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE));
    }

    @Benchmark
    public long recoverUnflushedLog() {
        opened = PartitionLog.open(dir, config, INLINE, InstantSource.system(), LogCheckpoint.NONE);
        return opened.logEndOffset();
    }

    @TearDown(Level.Invocation)
    public void closeLog() {
        opened.close();
    }

    @TearDown(Level.Trial)
    public void deleteLog() throws IOException {
        PartitionLogBenchmark.deleteRecursively(dir);
    }
}
