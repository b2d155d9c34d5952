package dev.sluice.compat.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * How long a consumer group takes to form: {@code members} consumers of one new group subscribe
 * to a topic of {@code partitions} partitions at the same moment, each on its own thread, and the
 * clock runs from that moment until (1) the group is stable, meaning every member holds at least
 * one partition and every partition is held by exactly one member (taken from the rebalance
 * callbacks, so it does not wait for a poll to return), and (2) every member has received its
 * first records (the topic holds records in every partition before the round starts). Repeated
 * for {@code rounds} rounds, each with a fresh group, after {@code warmup} rounds not counted;
 * prints each round and the median, min and max, with the machine and the workload. Works against
 * any Kafka-compatible broker. Not a test.
 *
 * <p>With {@code protocol=classic} members join with JoinGroup/SyncGroup (eager range assignment,
 * the client default); with {@code protocol=consumer} through ConsumerGroupHeartbeat (KIP-848),
 * where the broker assigns. The client's own timings (heartbeat.interval.ms, and with classic the
 * broker's group.initial.rebalance.delay.ms) dominate; pass {@code consumer.<key>=<value>} to
 * change the client's.
 *
 * <p>Usage: {@code GroupJoinPerformance <bootstrap> [protocol=classic|consumer] [members=10]
 * [partitions=10] [rounds=5] [warmup=1] [consumer.<key>=<value>]...}
 */
public final class GroupJoinPerformance {
    private static final String USAGE = "usage: GroupJoinPerformance <bootstrap> [protocol=classic|consumer] [members=10]"
        + " [partitions=10] [rounds=5] [warmup=1] [consumer.<key>=<value>]...";
    private static final Duration ROUND_TIMEOUT = Duration.ofMinutes(2);

    private GroupJoinPerformance() {
    }

    /** One round's figures, in milliseconds from the common start. */
    private record Round(double stableMs, double firstRecordsMs) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("protocol", "classic");
        defaults.put("members", "10");
        defaults.put("partitions", "10");
        defaults.put("rounds", "5");
        defaults.put("warmup", "1");
        BenchArgs a = BenchArgs.parse(args, defaults, USAGE);
        int members = a.getInt("members");
        int partitions = a.getInt("partitions");
        if (members > partitions) {
            throw new IllegalArgumentException("members > partitions: some members would stay idle and the group never "
                + "counts as stable here");
        }
        Machine.print();
        a.print("group_join");
        String topic = "group-join-bench-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            fill(a.bootstrap, topic, partitions);
            List<Round> counted = new ArrayList<>();
            int total = a.getInt("warmup") + a.getInt("rounds");
            for (int i = 0; i < total; i++) {
                boolean warmup = i < a.getInt("warmup");
                Round r = round(a, topic, "group-join-bench-" + ProcessHandle.current().pid() + "-" + i, members, partitions);
                System.out.printf("group_join_round_%d%s_stable_ms=%.1f first_records_ms=%.1f%n", i,
                    warmup ? "_warmup" : "", r.stableMs(), r.firstRecordsMs());
                if (!warmup) {
                    counted.add(r);
                }
            }
            Percentiles.summarize("group_join_stable_ms", counted.stream().mapToDouble(Round::stableMs).toArray());
            Percentiles.summarize("group_join_first_records_ms", counted.stream().mapToDouble(Round::firstRecordsMs).toArray());
            admin.deleteTopics(List.of(topic)).all().get();
        }
        Machine.printLoad("machine_loadavg_1m_after");
    }

    /** Ten small records in every partition, so each member has something to read once assigned. */
    private static void fill(String bootstrap, String topic, int partitions) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int p = 0; p < partitions; p++) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>(topic, p, null, new byte[100]));
                }
            }
            producer.flush();
        }
    }

    private static Round round(BenchArgs a, String topic, String group, int members, int partitions) throws Exception {
        GroupState state = new GroupState(members, partitions);
        List<KafkaConsumer<byte[], byte[]>> consumers = new ArrayList<>();
        for (int m = 0; m < members; m++) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap);
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, a.get("protocol"));
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-member-" + m);
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.putAll(a.consumer);
            consumers.add(new KafkaConsumer<>(props));
        }
        // Consumers are built before the clock starts: that cost is the client's, not the group's.
        CountDownLatch go = new CountDownLatch(1);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int m = 0; m < members; m++) {
            int member = m;
            KafkaConsumer<byte[], byte[]> consumer = consumers.get(m);
            Thread t = new Thread(() -> {
                try (consumer) {
                    go.await();
                    consumer.subscribe(List.of(topic), state.listener(member));
                    while (!stop.get()) {
                        if (!consumer.poll(Duration.ofMillis(50)).isEmpty()) {
                            state.recordsArrived(member);
                        }
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                    state.fail();
                }
            }, group + "-member-" + m);
            threads.add(t);
            t.start();
        }
        state.start();
        go.countDown();
        boolean done = state.awaitDone(ROUND_TIMEOUT);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a member failed", failures.get(0));
        }
        if (!done) {
            throw new IllegalStateException("round did not finish in " + ROUND_TIMEOUT + ": " + state);
        }
        return state.figures();
    }

    /**
     * What the members have, fed by their threads; the round is done when the group is stable
     * and every member has had records.
     */
    private static final class GroupState {
        private final int members;
        private final int partitions;
        private final List<Set<TopicPartition>> held = new ArrayList<>();
        private final long[] firstRecordsNanos;
        private final CountDownLatch done = new CountDownLatch(1);
        private long startNanos;
        private long stableNanos;
        private boolean failed;

        GroupState(int members, int partitions) {
            this.members = members;
            this.partitions = partitions;
            this.firstRecordsNanos = new long[members];
            for (int m = 0; m < members; m++) {
                held.add(new HashSet<>());
            }
        }

        synchronized void start() {
            startNanos = System.nanoTime();
        }

        ConsumerRebalanceListener listener(int member) {
            return new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                    changed(member, revoked, false);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> lost) {
                    changed(member, lost, false);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                    changed(member, assigned, true);
                }
            };
        }

        private synchronized void changed(int member, Collection<TopicPartition> partitions, boolean added) {
            if (added) {
                held.get(member).addAll(partitions);
            } else {
                held.get(member).removeAll(partitions);
            }
            if (stableNanos == 0 && stable()) {
                stableNanos = System.nanoTime();
                checkDone();
            }
        }

        private boolean stable() {
            Set<TopicPartition> union = new HashSet<>();
            int sum = 0;
            for (Set<TopicPartition> h : held) {
                if (h.isEmpty()) {
                    return false;
                }
                union.addAll(h);
                sum += h.size();
            }
            return sum == partitions && union.size() == partitions;
        }

        synchronized void recordsArrived(int member) {
            if (firstRecordsNanos[member] == 0) {
                firstRecordsNanos[member] = System.nanoTime();
                checkDone();
            }
        }

        synchronized void fail() {
            failed = true;
            done.countDown();
        }

        private void checkDone() {
            if (stableNanos != 0 && Arrays.stream(firstRecordsNanos).allMatch(t -> t != 0)) {
                done.countDown();
            }
        }

        boolean awaitDone(Duration timeout) throws InterruptedException {
            return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && !isFailed();
        }

        private synchronized boolean isFailed() {
            return failed;
        }

        synchronized Round figures() {
            long lastFirst = Arrays.stream(firstRecordsNanos).max().orElseThrow();
            return new Round((stableNanos - startNanos) / 1e6, (lastFirst - startNanos) / 1e6);
        }

        @Override
        public synchronized String toString() {
            return "held=" + held + " firstRecords=" + Arrays.toString(firstRecordsNanos) + " of " + members + " members";
        }
    }
}
