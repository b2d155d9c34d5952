package dev.sluice.compat.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Offset commit rate and latency: {@code consumers} members of one group subscribe to a topic of
 * {@code partitions} partitions and, once the group is stable, each commits new offsets for all
 * of its partitions in a loop for {@code seconds} seconds (after {@code warmup} seconds not
 * counted): with {@code commitSync}, one commit at a time; with {@code commitAsync}, keeping up to
 * {@code inflight} commits outstanding. Every commit carries offsets one higher than the last, so
 * the broker really writes each. Prints commits/s, partition offsets/s and latency percentiles
 * (for commitAsync, from the call to its callback), with the machine and the workload. After
 * the commitAsync loop it checks that the group's committed offsets are those of the last commit
 * sent, since a broker that handled one connection's pipelined commits out of order could leave an
 * older one in place. Works against any Kafka-compatible broker. Not a test.
 *
 * <p>Usage: {@code OffsetCommitPerformance <bootstrap> [protocol=classic|consumer] [mode=sync|async|both]
 * [seconds=10] [warmup=3] [consumers=1] [partitions=10] [inflight=8] [consumer.<key>=<value>]...}
 */
public final class OffsetCommitPerformance {
    private static final String USAGE = "usage: OffsetCommitPerformance <bootstrap> [protocol=classic|consumer]"
        + " [mode=sync|async|both] [seconds=10] [warmup=3] [consumers=1] [partitions=10] [inflight=8]"
        + " [consumer.<key>=<value>]...";

    private OffsetCommitPerformance() {
    }

    /** What one member measured during the counted seconds. */
    private record MemberResult(long commits, long partitionOffsets, long[] latenciesNanos) {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, orderedDefaults(), USAGE);
        Machine.print();
        a.print("offset_commit");
        String mode = a.get("mode");
        List<String> modes = mode.equals("both") ? List.of("sync", "async") : List.of(mode);
        String topic = "offset-commit-bench-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, a.getInt("partitions"), (short) 1))).all().get();
            for (String m : modes) {
                run(a, topic, m);
            }
            admin.deleteTopics(List.of(topic)).all().get();
        }
        Machine.printLoad("machine_loadavg_1m_after");
    }

    private static Map<String, String> orderedDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("protocol", "classic");
        defaults.put("mode", "both");
        defaults.put("seconds", "10");
        defaults.put("warmup", "3");
        defaults.put("consumers", "1");
        defaults.put("partitions", "10");
        defaults.put("inflight", "8");
        return defaults;
    }

    private static void run(BenchArgs a, String topic, String mode) throws Exception {
        int consumers = a.getInt("consumers");
        String group = "offset-commit-bench-" + ProcessHandle.current().pid() + "-" + mode;
        AtomicInteger assigned = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        CyclicBarrier allAssigned = new CyclicBarrier(consumers);
        long warmupNanos = TimeUnit.SECONDS.toNanos(a.getInt("warmup"));
        long measureNanos = TimeUnit.SECONDS.toNanos(a.getInt("seconds"));
        List<MemberResult> results = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int m = 0; m < consumers; m++) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap);
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, a.get("protocol"));
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-member-" + m);
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.putAll(a.consumer);
            Thread t = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                    consumer.subscribe(List.of(topic));
                    // Join, then wait until every member holds partitions: the counted commits
                    // are then not interrupted by the group's own rebalances.
                    boolean holding = false;
                    while (!holding || assigned.get() < consumers) {
                        if (failed.get()) {
                            return;
                        }
                        consumer.poll(Duration.ofMillis(50));
                        if (!holding && !consumer.assignment().isEmpty()) {
                            holding = true;
                            assigned.incrementAndGet();
                        }
                    }
                    allAssigned.await();
                    MemberResult r = mode.equals("sync")
                        ? commitSyncLoop(consumer, warmupNanos, measureNanos)
                        : commitAsyncLoop(consumer, warmupNanos, measureNanos, a.getInt("inflight"));
                    synchronized (results) {
                        results.add(r);
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                    failed.set(true);
                    allAssigned.reset();
                }
            }, group + "-member-" + m);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a member failed", failures.get(0));
        }
        report(mode, results, measureNanos);
    }

    /** {@code offset} for every partition in {@code held}. */
    private static Map<TopicPartition, OffsetAndMetadata> next(Collection<TopicPartition> held, long offset) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : held) {
            offsets.put(tp, new OffsetAndMetadata(offset));
        }
        return offsets;
    }

    private static MemberResult commitSyncLoop(KafkaConsumer<byte[], byte[]> consumer, long warmupNanos,
                                               long measureNanos) {
        List<TopicPartition> held = List.copyOf(consumer.assignment());
        long start = System.nanoTime();
        long countFrom = start + warmupNanos;
        long end = countFrom + measureNanos;
        LongList latencies = new LongList();
        long offset = 0;
        long commits = 0;
        for (long now = start; now < end; now = System.nanoTime()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = next(held, ++offset);
            long t0 = System.nanoTime();
            consumer.commitSync(offsets);
            long t1 = System.nanoTime();
            if (t0 >= countFrom && t1 <= end) {
                latencies.add(t1 - t0);
                commits++;
            }
        }
        return new MemberResult(commits, commits * held.size(), latencies.toArray());
    }

    private static MemberResult commitAsyncLoop(KafkaConsumer<byte[], byte[]> consumer, long warmupNanos,
                                                long measureNanos, int inflight) {
        List<TopicPartition> held = List.copyOf(consumer.assignment());
        long start = System.nanoTime();
        long countFrom = start + warmupNanos;
        long end = countFrom + measureNanos;
        LongList latencies = new LongList();
        long[] outstanding = {0};
        long[] failed = {0};
        long offset = 0;
        while (System.nanoTime() < end) {
            if (outstanding[0] >= inflight) {
                // Callbacks run on this thread, inside the consumer's calls; a short poll lets
                // responses complete without spinning.
                consumer.poll(Duration.ofMillis(1));
                continue;
            }
            long t0 = System.nanoTime();
            outstanding[0]++;
            consumer.commitAsync(next(held, ++offset), (offsets, error) -> {
                long t1 = System.nanoTime();
                outstanding[0]--;
                if (error != null) {
                    failed[0]++;
                } else if (t0 >= countFrom && t1 <= end) {
                    latencies.add(t1 - t0);
                }
            });
        }
        while (outstanding[0] > 0) {
            consumer.poll(Duration.ofMillis(1));
        }
        if (failed[0] > 0) {
            throw new IllegalStateException(failed[0] + " async commits failed");
        }
        // Pipelined commits must take effect in the order they were sent: the last one wins.
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(held));
        for (TopicPartition tp : held) {
            OffsetAndMetadata c = committed.get(tp);
            if (c == null || c.offset() != offset) {
                throw new IllegalStateException("committed offset of " + tp + " is " + c + " after the last async commit of "
                    + offset + ": pipelined commits were applied out of order");
            }
        }
        long commits = latencies.size();
        return new MemberResult(commits, commits * held.size(), latencies.toArray());
    }

    private static void report(String mode, List<MemberResult> results, long measureNanos) {
        double seconds = measureNanos / 1e9;
        long commits = results.stream().mapToLong(MemberResult::commits).sum();
        long partitionOffsets = results.stream().mapToLong(MemberResult::partitionOffsets).sum();
        long[] all = results.stream().flatMapToLong(r -> Arrays.stream(r.latenciesNanos())).sorted().toArray();
        String p = "offset_commit_" + mode;
        System.out.printf("%s_commits=%d%n", p, commits);
        System.out.printf("%s_commits_per_s=%.1f%n", p, commits / seconds);
        System.out.printf("%s_partition_offsets_per_s=%.1f%n", p, partitionOffsets / seconds);
        for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
            System.out.printf("%s_latency_ms_p%s=%.3f%n", p, Percentiles.label(q), Percentiles.of(all, q) / 1e6);
        }
        System.out.printf("%s_latency_ms_max=%.3f%n", p, all.length == 0 ? Double.NaN : all[all.length - 1] / 1e6);
    }

    /** A growable array of longs, so a 10-second run does not box every latency. */
    private static final class LongList {
        private long[] values = new long[1 << 16];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int size() {
            return size;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
