package dev.sluice.wire.bench;

import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.record.BatchRecord;
import dev.sluice.wire.record.RecordBatch;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Reading every record of a 64-record, ~64 KiB batch: the cost a consumer-side or compaction
 * pass pays per batch. Uncompressed it measures the parser alone (no bytes copied); compressed it
 * is dominated by decompression. Run with
 * {@code mvn -pl wire-protocol test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=org.openjdk.jmh.Main -Dexec.args=RecordBatchIteration}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RecordBatchIterationBenchmark {
    @Param({"NONE", "LZ4", "ZSTD", "SNAPPY", "GZIP"})
    public CompressionType compression;

    private RecordBatch batch;

    @Setup
    public void setUp() {
        batch = BenchmarkData.batch(compression);
    }

    @Benchmark
    public void iterateRecords(Blackhole blackhole) {
        Iterator<BatchRecord> records = batch.records(1024 * 1024);
        while (records.hasNext()) {
            BatchRecord record = records.next();
            blackhole.consume(record.offset());
            blackhole.consume(record.key());
            blackhole.consume(record.value());
            blackhole.consume(record.headers());
        }
    }

    @Benchmark
    public boolean validateCrc() {
        return batch.isValid();
    }
}
