package dev.sluice.wire.bench;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.FetchResponse;
import dev.sluice.wire.message.ProduceRequest;
import dev.sluice.wire.record.MemoryRecords;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
 * The two message paths every produced record crosses: decoding a Produce request (records stay
 * a view of the request bytes) and encoding a Fetch response. Workload: one topic, {@code
 * partitions} partitions, 16 KiB of record bytes per partition.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MessageCodecBenchmark {
    private static final short PRODUCE_VERSION = 12;
    private static final short FETCH_VERSION = 17;

    @Param({"6", "100"})
    int partitions;

    private ByteBuffer produceBytes;
    private FetchResponse fetchResponse;
    private ByteBuffer fetchOut;
    private org.apache.kafka.common.message.FetchResponseData kafkaFetchResponse;

    @Setup
    public void setUp() {
        Random random = new Random(1);
        byte[] records = new byte[16 * 1024];
        random.nextBytes(records);

        List<ProduceRequest.PartitionProduceData> produced = new ArrayList<>();
        List<FetchResponse.PartitionData> fetched = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            produced.add(new ProduceRequest.PartitionProduceData().setIndex(p)
                .setRecords(MemoryRecords.readableRecords(ByteBuffer.wrap(records))));
            fetched.add(new FetchResponse.PartitionData().setPartitionIndex(p).setHighWatermark(1_000_000L + p)
                .setLastStableOffset(1_000_000L + p).setLogStartOffset(0)
                .setRecords(MemoryRecords.readableRecords(ByteBuffer.wrap(records))));
        }
        ProduceRequest produce = new ProduceRequest().setAcks((short) -1).setTimeoutMs(30_000)
            .setTopicData(new ArrayList<>(List.of(new ProduceRequest.TopicProduceData().setName("bench-topic")
                .setPartitionData(produced))));
        produceBytes = produce.serialize(PRODUCE_VERSION);

        fetchResponse = new FetchResponse().setSessionId(17)
            .setResponses(new ArrayList<>(List.of(new FetchResponse.FetchableTopicResponse()
                .setTopicId(new Uuid(random.nextLong(), random.nextLong())).setPartitions(fetched))));
        fetchOut = ByteBuffer.allocate(fetchResponse.size(FETCH_VERSION));

        kafkaFetchResponse = new org.apache.kafka.common.message.FetchResponseData();
        kafkaFetchResponse.read(new org.apache.kafka.common.protocol.ByteBufferAccessor(fetchResponse.serialize(FETCH_VERSION)),
            FETCH_VERSION);
    }

    @Benchmark
    public Object kafkaDecodeProduceRequest() {
        return new org.apache.kafka.common.message.ProduceRequestData(
            new org.apache.kafka.common.protocol.ByteBufferAccessor(produceBytes.duplicate()), PRODUCE_VERSION);
    }

    @Benchmark
    public ByteBuffer kafkaEncodeFetchResponse() {
        ByteBuffer out = fetchOut.clear();
        var cache = new org.apache.kafka.common.protocol.ObjectSerializationCache();
        if (kafkaFetchResponse.size(cache, FETCH_VERSION) > out.capacity()) {
            throw new IllegalStateException("size changed");
        }
        kafkaFetchResponse.write(new org.apache.kafka.common.protocol.ByteBufferAccessor(out), cache, FETCH_VERSION);
        return out;
    }

    @Benchmark
    public ProduceRequest decodeProduceRequest() {
        return new ProduceRequest(new ByteReader(produceBytes.duplicate()), PRODUCE_VERSION);
    }

    @Benchmark
    public ByteBuffer encodeFetchResponse() {
        ByteBuffer out = fetchOut.clear();
        int size = fetchResponse.size(FETCH_VERSION);
        if (size > out.capacity()) {
            throw new IllegalStateException("size changed");
        }
        fetchResponse.write(new ByteWriter(out), FETCH_VERSION);
        return out;
    }
}
