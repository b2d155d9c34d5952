package dev.sluice.compat.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.internals.AppInfoParser;

/**
 * Share groups (KIP-932) with Kafka 4.4's {@link KafkaShareConsumer}. Works against any
 * Kafka-compatible broker. Not a test, but it checks what it measures: every record delivered,
 * how many more than once, and every acknowledgement's result, and exits with status 1 when one
 * of those is wrong, after printing its figures.
 *
 * <p>Delivery throughput ({@code phase=delivery}): a fresh topic of {@code partitions} partitions,
 * the group's {@code share.auto.offset.reset} set to {@code earliest} (an incrementalAlterConfigs
 * on the GROUP resource), {@code records} records of {@code record.size} bytes produced
 * ({@code acks=1}, {@code linger.ms=5}, {@code batch.size=65536}); then {@code consumers}
 * KafkaShareConsumers of one new group, each on its own thread with implicit acknowledgement and
 * otherwise default settings, subscribe at the same moment and poll until the distinct
 * (partition, offset) pairs delivered reach {@code records}; then each {@code commitSync()}s (which
 * acknowledges its last poll) and closes. The clock runs from the first record any member receives
 * to the last distinct one, since a new share group's first records wait for its assignment (one
 * share heartbeat interval, 5 s by default); the time from subscribe is printed too. Prints
 * records/s, MiB/s of values, duplicates (records delivered more than once, counted here; a sample
 * of them when there are any, and of the missing ones after a timeout), the records the broker
 * itself marked as redelivered (delivery count above 1), the spread over members and, with
 * {@code pid=}, the broker's CPU seconds over the same window and from subscribe to the last close.
 *
 * <p>Acknowledgement round trip ({@code phase=ack}): one KafkaShareConsumer with explicit
 * acknowledgement on a fresh 1-partition topic that a producer keeps fed at {@code ack.rate}
 * records a second. After its first records and {@code warmup} seconds, for {@code ack.seconds}
 * seconds: poll, {@code acknowledge} each record, and time {@code commitSync()}, the
 * ShareAcknowledge round trip, whose answer waits until the acknowledgements are durable at the
 * share coordinator. Prints commits, records, latency percentiles, duplicates and, with
 * {@code pid=}, the broker's CPU seconds over the counted seconds (which include serving the
 * producer that feeds the topic).
 *
 * <p>Usage: {@code ShareGroupPerformance <bootstrap> [phase=delivery|ack|both] [partitions=1]
 * [consumers=1] [records=200000] [record.size=1024] [ack.seconds=10] [ack.rate=1000] [warmup=3]
 * [timeout.seconds=180] [pid=<broker pid>[,<pid>...]] [consumer.<key>=<value>]... [producer.<key>=<value>]...}
 */
public final class ShareGroupPerformance {
    private static final String USAGE = "usage: ShareGroupPerformance <bootstrap> [phase=delivery|ack|both]"
        + " [partitions=1] [consumers=1] [records=200000] [record.size=1024] [ack.seconds=10] [ack.rate=1000]"
        + " [warmup=3] [timeout.seconds=180] [pid=<broker pid>[,<pid>...]] [consumer.<key>=<value>]..."
        + " [producer.<key>=<value>]...";
    private static final double[] QUANTILES = {0.5, 0.99, 0.999};

    private ShareGroupPerformance() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, orderedDefaults(), USAGE);
        String phase = a.get("phase");
        if (!phase.equals("delivery") && !phase.equals("ack") && !phase.equals("both")) {
            System.err.println("phase must be delivery, ack or both\n" + USAGE);
            System.exit(2);
        }
        List<String> pids = a.get("pid").isEmpty() ? List.of() : List.of(a.get("pid").split("[, ]+"));
        Machine.print();
        a.print("share");
        System.out.printf("share_client_version=%s%n", AppInfoParser.getVersion());
        String run = "share-bench-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis();
        List<String> topics = new ArrayList<>();
        boolean ok = true;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap))) {
            System.out.printf("share_broker_share_version=%s%n", shareVersion(admin));
            try {
                if (!phase.equals("ack")) {
                    String topic = run + "-p" + a.getInt("partitions");
                    createTopic(admin, topic, a.getInt("partitions"), topics);
                    ok &= delivery(a, admin, topic, run + "-delivery", pids);
                }
                if (!phase.equals("delivery")) {
                    String topic = run + "-ack";
                    createTopic(admin, topic, 1, topics);
                    ok &= acknowledgements(a, admin, topic, run + "-ack", pids);
                }
            } finally {
                admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
            }
        }
        Machine.printLoad("machine_loadavg_1m_after");
        System.out.printf("share_ok=%s%n", ok);
        System.exit(ok ? 0 : 1);
    }

    private static Map<String, String> orderedDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("phase", "both");
        defaults.put("partitions", "1");
        defaults.put("consumers", "1");
        defaults.put("records", "200000");
        defaults.put("record.size", "1024");
        defaults.put("ack.seconds", "10");
        defaults.put("ack.rate", "1000");
        defaults.put("warmup", "3");
        defaults.put("timeout.seconds", "180");
        defaults.put("pid", "");
        return defaults;
    }

    /** The finalized {@code share.version} feature: 0 or none means share groups are off. */
    private static String shareVersion(Admin admin) {
        try {
            FinalizedVersionRange range = admin.describeFeatures().featureMetadata().get(10, TimeUnit.SECONDS)
                .finalizedFeatures().get("share.version");
            return range == null ? "none" : Short.toString(range.maxVersionLevel());
        } catch (Exception e) {
            return "unknown (" + e + ")";
        }
    }

    /** utime + stime of every process in {@code pids}, in clock ticks (100 a second); 0 for none. */
    private static long cpuTicks(List<String> pids) throws Exception {
        long ticks = 0;
        for (String pid : pids) {
            ticks += AssignedConsumerPerformance.cpuTicks(pid);
        }
        return ticks;
    }

    /** Creates {@code topic} (RF 1) and adds it to {@code created}, the topics deleted at the end. */
    private static void createTopic(Admin admin, String topic, int partitions, List<String> created) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        created.add(topic);
    }

    /** Sets {@code share.auto.offset.reset=earliest} on {@code group}, which need not exist yet. */
    private static void readFromEarliest(Admin admin, String group) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        AlterConfigOp op = new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"),
            AlterConfigOp.OpType.SET);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(op))).all().get(30, TimeUnit.SECONDS);
    }

    private static Properties producerProps(BenchArgs a, int lingerMs) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        props.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(lingerMs));
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
        props.putAll(a.producer);
        return props;
    }

    private static KafkaShareConsumer<byte[], byte[]> shareConsumer(BenchArgs a, String group, String clientId,
                                                                    String acknowledgementMode) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, acknowledgementMode);
        props.putAll(a.consumer);
        return new KafkaShareConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** The acknowledgement failures in a {@code commitSync} result, as "partition: error" strings. */
    private static List<String> failures(Map<TopicIdPartition, Optional<KafkaException>> result) {
        List<String> failed = new ArrayList<>();
        result.forEach((tp, error) -> error.ifPresent(e -> failed.add(tp + ": " + e)));
        return failed;
    }

    /**
     * How often each (partition, offset) of the produced records was delivered: a count per offset
     * of each partition, up to the end offset the topic had once produced. Shared by every member.
     */
    private static final class Deliveries {
        private final AtomicIntegerArray[] counts;
        private final AtomicLong distinct = new AtomicLong();
        private final AtomicLong duplicated = new AtomicLong();
        private final AtomicLong redeliveries = new AtomicLong();
        private final AtomicLong outOfRange = new AtomicLong();

        Deliveries(long[] endOffsets) {
            counts = new AtomicIntegerArray[endOffsets.length];
            for (int p = 0; p < endOffsets.length; p++) {
                counts[p] = new AtomicIntegerArray(Math.toIntExact(endOffsets[p]));
            }
        }

        /** Counts one delivery; returns the distinct records delivered so far if this one is new, else -1. */
        long deliver(int partition, long offset) {
            if (partition < 0 || partition >= counts.length || offset < 0 || offset >= counts[partition].length()) {
                outOfRange.incrementAndGet();
                return -1;
            }
            int before = counts[partition].getAndIncrement((int) offset);
            if (before == 0) {
                return distinct.incrementAndGet();
            }
            redeliveries.incrementAndGet();
            if (before == 1) {
                duplicated.incrementAndGet();
            }
            return -1;
        }

        /** Up to {@code limit} "partition/offset" of records delivered {@code times} times (0: never). */
        List<String> sample(int times, int limit) {
            List<String> found = new ArrayList<>();
            for (int p = 0; p < counts.length && found.size() < limit; p++) {
                for (int o = 0; o < counts[p].length() && found.size() < limit; o++) {
                    int n = counts[p].get(o);
                    if (times == 0 ? n == 0 : n > 1) {
                        found.add(p + "/" + o + (n > 1 ? "x" + n : ""));
                    }
                }
            }
            return found;
        }
    }

    /** What one member of the delivery phase saw. */
    private record Member(long records, long polls, long redeliveredByCount, List<String> ackFailures) {
    }

    private static boolean delivery(BenchArgs a, Admin admin, String topic, String group, List<String> pids)
        throws Exception {
        int partitions = a.getInt("partitions");
        int consumers = a.getInt("consumers");
        int records = a.getInt("records");
        int recordSize = a.getInt("record.size");
        String p = "share_delivery";
        readFromEarliest(admin, group);

        long produceStart = System.nanoTime();
        byte[] value = new byte[recordSize];
        new Random(records).nextBytes(value);
        AtomicReference<Exception> sendError = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(a, 5),
            new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, value), (metadata, e) -> {
                    if (e != null) {
                        sendError.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
        }
        if (sendError.get() != null) {
            throw new IllegalStateException("producing the records failed", sendError.get());
        }
        System.out.printf("%s_produce_s=%.2f%n", p, (System.nanoTime() - produceStart) / 1e9);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int i = 0; i < partitions; i++) {
            latest.put(new TopicPartition(topic, i), OffsetSpec.latest());
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
            .get(30, TimeUnit.SECONDS);
        long[] endOffsets = new long[partitions];
        for (int i = 0; i < partitions; i++) {
            endOffsets[i] = ends.get(new TopicPartition(topic, i)).offset();
        }
        System.out.printf("%s_end_offsets=%s%n", p, Arrays.toString(endOffsets));
        if (Arrays.stream(endOffsets).sum() != records) {
            throw new IllegalStateException("the topic holds " + Arrays.stream(endOffsets).sum() + " records, not "
                + records);
        }

        Deliveries deliveries = new Deliveries(endOffsets);
        CyclicBarrier subscribed = new CyclicBarrier(consumers + 1);
        AtomicBoolean stop = new AtomicBoolean();
        // Counted down when every record was delivered or a member failed: what the run waits for.
        CountDownLatch ended = new CountDownLatch(1);
        AtomicLong firstRecordAt = new AtomicLong();
        AtomicLong firstRecordTicks = new AtomicLong();
        AtomicLong allDeliveredAt = new AtomicLong();
        AtomicLong allDeliveredTicks = new AtomicLong();
        List<Member> members = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int m = 0; m < consumers; m++) {
            String clientId = group + "-member-" + m;
            Thread t = new Thread(() -> {
                try (KafkaShareConsumer<byte[], byte[]> consumer = shareConsumer(a, group, clientId, "implicit")) {
                    subscribed.await();
                    consumer.subscribe(List.of(topic));
                    long received = 0;
                    long polls = 0;
                    long redeliveredByCount = 0;
                    while (!stop.get()) {
                        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                        polls++;
                        if (batch.isEmpty()) {
                            continue;
                        }
                        if (firstRecordAt.get() == 0 && firstRecordAt.compareAndSet(0, System.nanoTime())) {
                            firstRecordTicks.set(cpuTicks(pids));
                        }
                        for (ConsumerRecord<byte[], byte[]> r : batch) {
                            received++;
                            if (r.deliveryCount().orElse((short) 1) > 1) {
                                redeliveredByCount++;
                            }
                            if (deliveries.deliver(r.partition(), r.offset()) == records) {
                                allDeliveredAt.set(System.nanoTime());
                                allDeliveredTicks.set(cpuTicks(pids));
                                stop.set(true);
                                ended.countDown();
                            }
                        }
                    }
                    // Implicit acknowledgement sends the last poll's acknowledgements with the next
                    // poll or a commit; commit them here, so that the group ends with nothing in flight.
                    List<String> ackFailures = failures(consumer.commitSync());
                    synchronized (members) {
                        members.add(new Member(received, polls, redeliveredByCount, ackFailures));
                    }
                } catch (Throwable e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                    stop.set(true);
                    ended.countDown();
                    subscribed.reset();
                }
            }, clientId);
            threads.add(t);
            t.start();
        }
        subscribed.await();
        long subscribeAt = System.nanoTime();
        long subscribeTicks = cpuTicks(pids);
        boolean timedOut = !ended.await(a.getInt("timeout.seconds"), TimeUnit.SECONDS);
        stop.set(true);
        // commitSync and close are bounded by the client's own timeouts (60 s and 30 s by default);
        // a member still busy after both is reported rather than waited for.
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(120));
            if (t.isAlive()) {
                synchronized (errors) {
                    errors.add(new IllegalStateException(t.getName() + " did not finish commitSync and close within"
                        + " 120 s; it was at " + Arrays.toString(Arrays.copyOf(t.getStackTrace(), 5))));
                }
            }
        }
        long closedAt = System.nanoTime();
        long closedTicks = cpuTicks(pids);

        long delivered = deliveries.distinct.get();
        long received = members.stream().mapToLong(Member::records).sum();
        List<String> ackFailures = members.stream().flatMap(m -> m.ackFailures().stream()).toList();
        System.out.printf("%s_records_delivered=%d%n", p, delivered);
        System.out.printf("%s_records_missing=%d%n", p, records - delivered);
        System.out.printf("%s_records_received=%d%n", p, received);
        System.out.printf("%s_duplicates=%d%n", p, deliveries.duplicated.get());
        System.out.printf("%s_redeliveries=%d%n", p, deliveries.redeliveries.get());
        System.out.printf("%s_broker_redeliveries=%d%n", p,
            members.stream().mapToLong(Member::redeliveredByCount).sum());
        System.out.printf("%s_out_of_range=%d%n", p, deliveries.outOfRange.get());
        if (deliveries.duplicated.get() > 0) {
            System.out.printf("%s_duplicated_sample=%s%n", p, deliveries.sample(2, 10));
        }
        if (delivered < records) {
            System.out.printf("%s_missing_sample=%s%n", p, deliveries.sample(0, 10));
        }
        System.out.printf("%s_ack_failures=%d%n", p, ackFailures.size());
        ackFailures.stream().limit(5).forEach(f -> System.out.printf("%s_ack_failure=%s%n", p, f));
        long[] perMember = members.stream().mapToLong(Member::records).sorted().toArray();
        if (perMember.length > 0) {
            System.out.printf("%s_records_per_member_min=%d%n", p, perMember[0]);
            System.out.printf("%s_records_per_member_max=%d%n", p, perMember[perMember.length - 1]);
            System.out.printf("%s_members_with_records=%d%n", p, Arrays.stream(perMember).filter(n -> n > 0).count());
        }
        System.out.printf("%s_polls=%d%n", p, members.stream().mapToLong(Member::polls).sum());
        if (firstRecordAt.get() != 0) {
            System.out.printf("%s_first_record_ms=%.1f%n", p, (firstRecordAt.get() - subscribeAt) / 1e6);
        }
        if (!timedOut && errors.isEmpty() && allDeliveredAt.get() != 0) {
            double seconds = (allDeliveredAt.get() - firstRecordAt.get()) / 1e9;
            System.out.printf("%s_s=%.3f%n", p, seconds);
            System.out.printf("%s_s_from_subscribe=%.3f%n", p, (allDeliveredAt.get() - subscribeAt) / 1e9);
            System.out.printf("%s_records_per_s=%.1f%n", p, records / seconds);
            System.out.printf("%s_MBps=%.2f%n", p, (double) records * recordSize / seconds / (1024 * 1024));
            System.out.printf("%s_commit_and_close_s=%.3f%n", p, (closedAt - allDeliveredAt.get()) / 1e9);
            if (!pids.isEmpty()) {
                System.out.printf("%s_broker_cpu_s=%.2f%n", p,
                    (allDeliveredTicks.get() - firstRecordTicks.get()) / 100.0);
                System.out.printf("%s_broker_cpu_s_subscribe_to_close=%.2f%n", p,
                    (closedTicks - subscribeTicks) / 100.0);
            }
        }
        if (timedOut) {
            System.out.printf("%s_error=timed out after %d s with %d of %d records delivered%n", p,
                a.getInt("timeout.seconds"), delivered, records);
        }
        for (Throwable e : errors) {
            System.out.printf("%s_error=%s%n", p, e);
            e.printStackTrace();
        }
        return !timedOut && errors.isEmpty() && delivered == records && deliveries.duplicated.get() == 0
            && deliveries.outOfRange.get() == 0 && ackFailures.isEmpty();
    }

    private static boolean acknowledgements(BenchArgs a, Admin admin, String topic, String group, List<String> pids)
        throws Exception {
        String p = "share_ack";
        readFromEarliest(admin, group);
        byte[] value = new byte[a.getInt("record.size")];
        new Random(1).nextBytes(value);
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / a.getInt("ack.rate");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Exception> sendError = new AtomicReference<>();
        AtomicLong sent = new AtomicLong();
        Thread feeder = new Thread(() -> {
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(a, 0),
                new ByteArraySerializer(), new ByteArraySerializer())) {
                long next = System.nanoTime();
                while (!stop.get()) {
                    producer.send(new ProducerRecord<>(topic, value), (metadata, e) -> {
                        if (e != null) {
                            sendError.compareAndSet(null, e);
                        }
                    });
                    sent.incrementAndGet();
                    next += intervalNanos;
                    LockSupport.parkNanos(next - System.nanoTime());
                }
            }
        }, group + "-producer");
        feeder.start();

        long warmupNanos = TimeUnit.SECONDS.toNanos(a.getInt("warmup"));
        long measureNanos = TimeUnit.SECONDS.toNanos(a.getInt("ack.seconds"));
        long[] latencies = new long[1 << 16];
        int commits = 0;
        long countedRecords = 0;
        long ticksBefore = 0;
        long ticksAfter = 0;
        boolean counting = false;
        List<String> ackFailures = new ArrayList<>();
        BitSet seen = new BitSet();
        long duplicates = 0;
        Throwable error = null;
        long subscribeAt = System.nanoTime();
        long timeoutAt = subscribeAt + TimeUnit.SECONDS.toNanos(a.getInt("timeout.seconds"));
        try (KafkaShareConsumer<byte[], byte[]> consumer = shareConsumer(a, group, group + "-member", "explicit")) {
            consumer.subscribe(List.of(topic));
            long countFrom = Long.MAX_VALUE;
            long end = Long.MAX_VALUE;
            for (long now = System.nanoTime(); now < end && now < timeoutAt; now = System.nanoTime()) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                if (batch.isEmpty()) {
                    continue;
                }
                if (countFrom == Long.MAX_VALUE) {
                    System.out.printf("%s_first_record_ms=%.1f%n", p, (System.nanoTime() - subscribeAt) / 1e6);
                    countFrom = System.nanoTime() + warmupNanos;
                    end = countFrom + measureNanos;
                }
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    if (seen.get(Math.toIntExact(r.offset()))) {
                        duplicates++;
                    }
                    seen.set(Math.toIntExact(r.offset()));
                    consumer.acknowledge(r);
                }
                long t0 = System.nanoTime();
                if (t0 >= countFrom && !counting) {
                    counting = true;
                    ticksBefore = cpuTicks(pids);
                }
                List<String> failed = failures(consumer.commitSync());
                long t1 = System.nanoTime();
                ackFailures.addAll(failed);
                if (t0 >= countFrom && t1 <= end) {
                    if (commits == latencies.length) {
                        latencies = Arrays.copyOf(latencies, commits * 2);
                    }
                    latencies[commits++] = t1 - t0;
                    countedRecords += batch.count();
                }
            }
            ticksAfter = cpuTicks(pids);
            if (end == Long.MAX_VALUE) {
                error = new IllegalStateException("no record arrived within " + a.getInt("timeout.seconds") + " s");
            }
        } catch (Exception e) {
            error = e;
        } finally {
            stop.set(true);
            feeder.join();
        }

        long[] sorted = Arrays.copyOf(latencies, commits);
        Arrays.sort(sorted);
        double seconds = measureNanos / 1e9;
        System.out.printf("%s_records_produced=%d%n", p, sent.get());
        System.out.printf("%s_commits=%d%n", p, commits);
        System.out.printf("%s_commits_per_s=%.1f%n", p, commits / seconds);
        System.out.printf("%s_records=%d%n", p, countedRecords);
        System.out.printf("%s_records_per_commit=%.1f%n", p,
            commits == 0 ? Double.NaN : (double) countedRecords / commits);
        for (double q : QUANTILES) {
            System.out.printf("%s_commit_ms_p%s=%.3f%n", p, Percentiles.label(q), Percentiles.of(sorted, q) / 1e6);
        }
        System.out.printf("%s_commit_ms_max=%.3f%n", p, commits == 0 ? Double.NaN : sorted[commits - 1] / 1e6);
        System.out.printf("%s_duplicates=%d%n", p, duplicates);
        System.out.printf("%s_ack_failures=%d%n", p, ackFailures.size());
        ackFailures.stream().limit(5).forEach(f -> System.out.printf("%s_ack_failure=%s%n", p, f));
        if (!pids.isEmpty() && counting) {
            System.out.printf("%s_broker_cpu_s=%.2f%n", p, (ticksAfter - ticksBefore) / 100.0);
        }
        if (sendError.get() != null) {
            System.out.printf("%s_error=producing failed: %s%n", p, sendError.get());
        }
        if (error != null) {
            System.out.printf("%s_error=%s%n", p, error);
            error.printStackTrace();
        }
        return error == null && sendError.get() == null && ackFailures.isEmpty() && duplicates == 0 && commits > 0;
    }
}
