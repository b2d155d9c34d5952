package dev.sluice.wire.bench;

import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.record.RecordBatch;
import dev.sluice.wire.record.RecordBatchBuilder;
import dev.sluice.wire.record.RecordHeader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/** The workload every benchmark here shares: a ~64 KiB batch of 1 KiB JSON-like records. */
final class BenchmarkData {
    static final int RECORDS = 64;
    static final int VALUE_SIZE = 1024;

    private BenchmarkData() {
    }

    /** Field names repeat and numbers vary, roughly how application payloads compress. */
    static byte[] value(Random random) {
        StringBuilder json = new StringBuilder(VALUE_SIZE + 64);
        while (json.length() < VALUE_SIZE - 40) {
            json.append("{\"user\":").append(random.nextInt(100_000))
                .append(",\"event\":\"click\",\"ts\":").append(1_700_000_000_000L + random.nextInt(1_000_000))
                .append(",\"score\":").append(random.nextDouble()).append('}');
        }
        json.setLength(VALUE_SIZE);
        return json.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static RecordBatch batch(CompressionType compression) {
        Random random = new Random(42);
        RecordBatchBuilder builder = new RecordBatchBuilder(0L).compression(compression).producer(1L, (short) 0, 0);
        for (int i = 0; i < RECORDS; i++) {
            builder.append(1_700_000_000_000L + i, ("key-" + i).getBytes(StandardCharsets.US_ASCII), value(random),
                List.of(RecordHeader.of("content-type", "application/json".getBytes(StandardCharsets.US_ASCII))));
        }
        return builder.build();
    }
}
