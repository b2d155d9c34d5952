package dev.sluice.wire.bench;

import dev.sluice.wire.compress.CompressionCodec;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.record.RecordBatch;
import java.nio.ByteBuffer;
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

/**
 * Each codec on the records section of a ~64 KiB batch of 1 KiB records, both directions, at the
 * codecs' default levels. Run with
 * {@code mvn -pl wire-protocol test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=org.openjdk.jmh.Main -Dexec.args=CompressionCodec}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CompressionCodecBenchmark {
    @Param({"GZIP", "SNAPPY", "LZ4", "ZSTD"})
    public CompressionType compression;

    private CompressionCodec codec;
    private ByteBuffer uncompressed;
    private ByteBuffer compressed;

    @Setup
    public void setUp() {
        codec = compression.codec();
        RecordBatch batch = BenchmarkData.batch(CompressionType.NONE);
        uncompressed = batch.buffer().position(RecordBatch.HEADER_SIZE).slice();
        compressed = codec.compress(uncompressed);
    }

    @Benchmark
    public ByteBuffer compress() {
        return codec.compress(uncompressed);
    }

    @Benchmark
    public ByteBuffer decompress() {
        return codec.decompress(compressed, 1024 * 1024);
    }
}
