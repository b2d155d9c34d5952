package dev.sluice.compat.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Consume throughput without a consumer group: assigns every partition of a topic, reads from the
 * beginning until {@code records} records arrive, and prints records/s, MiB/s and, given the
 * broker's pid, the broker's CPU seconds. Works against any Kafka-compatible broker, so Sluice and
 * Apache Kafka can be compared on the same data (e.g. the topic perf.sh leaves behind with
 * KEEP_TOPICS=1). Not a test.
 *
 * <p>Usage: {@code AssignedConsumerPerformance <bootstrap> <topic> <records> [broker-pid]}
 */
public final class AssignedConsumerPerformance {
    private AssignedConsumerPerformance() {
    }

    /** One read of a topic: records and key+value bytes read, wall time, broker CPU (0 without a pid). */
    record Read(long records, long bytes, double seconds, double brokerCpuSeconds) {
        double recordsPerSecond() {
            return records / seconds;
        }

        double mibPerSecond() {
            return bytes / seconds / (1024 * 1024);
        }
    }

    public static void main(String[] args) throws Exception {
        Read r = read(args[0], args[1], Long.parseLong(args[2]), new Properties(), args.length > 3 ? args[3] : null);
        System.out.printf("consume_assigned_records=%d%n", r.records());
        System.out.printf("consume_assigned_recs_per_s=%.1f%n", r.recordsPerSecond());
        System.out.printf("consume_assigned_MBps=%.2f%n", r.mibPerSecond());
        System.out.printf("consume_assigned_wall_s=%.2f%n", r.seconds());
        if (args.length > 3) {
            System.out.printf("consume_assigned_broker_cpu_s=%.2f%n", r.brokerCpuSeconds());
        }
    }

    /**
     * Reads {@code topic} from the beginning of every partition until {@code wanted} records have
     * arrived (or five minutes have passed), with {@code overrides} on top of the consumer settings
     * here; {@code pid}, if not null, is the broker's, whose CPU is counted over the read.
     */
    static Read read(String bootstrap, String topic, long wanted, Properties overrides, String pid) throws Exception {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 52428800);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1048576);
        props.putAll(overrides);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long cpuBefore = cpuTicks(pid);
            long start = System.nanoTime();
            long records = 0;
            long bytes = 0;
            long deadline = start + Duration.ofMinutes(5).toNanos();
            while (records < wanted && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    records++;
                    bytes += r.serializedValueSize() + Math.max(0, r.serializedKeySize());
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long cpuAfter = cpuTicks(pid);
            return new Read(records, bytes, seconds, (cpuAfter - cpuBefore) / 100.0);
        }
    }

    /**
     * utime + stime of a process (the broker, or the benchmark itself), in clock ticks (USER_HZ,
     * 100 on Linux); 0 for a null pid.
     */
    static long cpuTicks(String pid) throws Exception {
        if (pid == null) {
            return 0;
        }
        String stat = Files.readString(Path.of("/proc", pid, "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
