package dev.sluice.compat.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.internals.AppInfoParser;

/**
 * Transactional produce, and consume of committed transactions with each isolation level.
 * Works against any Kafka-compatible broker. Not a test.
 *
 * <p>{@code mode=produce}: for each value of {@code records} (records per transaction) one
 * transactional producer ({@code transactional.id} unique to the run, idempotent, {@code acks=all},
 * {@code linger.ms=5}, {@code batch.size=65536}) writes to a fresh topic of {@code partitions}
 * partitions: {@code warmup} transactions not counted, then {@code transactions} counted ones, each
 * {@code beginTransaction}, {@code records} sends of {@code value.bytes}-byte values, {@code flush},
 * {@code commitTransaction}. Record {@code i} of a transaction goes to partition
 * {@code i % partitions}, so a transaction of at least {@code partitions} records spans every
 * partition and ends with a marker on each. The explicit flush (the same one
 * {@code commitTransaction} would do) separates the two costs: "sends" is begin to every record
 * acknowledged, which includes the partitions checking or adding themselves to the transaction with
 * the coordinator and, under transactions v2, waiting for the previous transaction's markers;
 * "commit" is {@code commitTransaction}, the EndTxn round trip. With {@code flush=false} the commit
 * also carries the transaction's last records. Prints records/s, MiB/s, transactions/s, latency
 * percentiles and, with {@code pid=}, the broker's CPU over the counted transactions.
 *
 * <p>{@code mode=consume}: fills a fresh topic as above with the first {@code records} value (warm-up
 * transactions included, all committed), reads it once untimed, then {@code rounds} times with
 * {@code read_committed} and {@code read_uncommitted} each, alternating which goes first, every
 * partition assigned and no group ({@link AssignedConsumerPerformance#read}). Prints each read and
 * the medians.
 *
 * <p>Usage: {@code TransactionalProducerPerformance <bootstrap> [mode=produce|consume]
 * [records=10,100,1000] [transactions=500] [warmup=50] [partitions=6] [value.bytes=1024]
 * [flush=true] [rounds=3] [pid=<broker pid>] [keep=false] [producer.<key>=<value>]...
 * [consumer.<key>=<value>]...}
 */
public final class TransactionalProducerPerformance {
    private static final String USAGE = "usage: TransactionalProducerPerformance <bootstrap> [mode=produce|consume]"
        + " [records=10,100,1000] [transactions=500] [warmup=50] [partitions=6] [value.bytes=1024] [flush=true]"
        + " [rounds=3] [pid=<broker pid>] [keep=false] [producer.<key>=<value>]... [consumer.<key>=<value>]...";
    private static final double[] QUANTILES = {0.5, 0.99};

    private TransactionalProducerPerformance() {
    }

    /** What one producer's counted transactions measured; latencies in nanoseconds, sorted. */
    private record Run(long records, long bytes, int transactions, double seconds, long[] sendsNanos,
                       long[] commitNanos, long[] transactionNanos, double brokerCpuSeconds, double clientCpuSeconds) {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, orderedDefaults(), USAGE);
        String mode = a.get("mode");
        if (!mode.equals("produce") && !mode.equals("consume")) {
            System.err.println("mode must be produce or consume\n" + USAGE);
            System.exit(2);
        }
        int[] sizes = Arrays.stream(a.get("records").split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        String pid = a.get("pid").isEmpty() ? null : a.get("pid");
        Machine.print();
        a.print("txn");
        System.out.printf("txn_client_version=%s%n", AppInfoParser.getVersion());
        String topic = "txn-bench-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap))) {
            System.out.printf("txn_broker_transaction_version=%s%n", transactionVersion(admin));
            admin.createTopics(List.of(new NewTopic(topic, a.getInt("partitions"), (short) 1))).all().get();
            if (mode.equals("produce")) {
                for (int perTransaction : sizes) {
                    report("txn_r" + perTransaction, produce(a, topic, perTransaction, pid));
                }
            } else {
                consume(a, topic, sizes[0], pid);
            }
            if (!Boolean.parseBoolean(a.get("keep"))) {
                admin.deleteTopics(List.of(topic)).all().get();
            }
        }
        Machine.printLoad("machine_loadavg_1m_after");
    }

    private static Map<String, String> orderedDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("mode", "produce");
        defaults.put("records", "10,100,1000");
        defaults.put("transactions", "500");
        defaults.put("warmup", "50");
        defaults.put("partitions", "6");
        defaults.put("value.bytes", "1024");
        defaults.put("flush", "true");
        defaults.put("rounds", "3");
        defaults.put("pid", "");
        defaults.put("keep", "false");
        return defaults;
    }

    /** The finalized {@code transaction.version} feature: 2 means the client runs KIP-890's protocol. */
    private static String transactionVersion(Admin admin) {
        try {
            FinalizedVersionRange range = admin.describeFeatures().featureMetadata().get(10, TimeUnit.SECONDS)
                .finalizedFeatures().get("transaction.version");
            return range == null ? "none" : Short.toString(range.maxVersionLevel());
        } catch (Exception e) {
            return "unknown (" + e + ")";
        }
    }

    private static Run produce(BenchArgs a, String topic, int perTransaction, String pid) throws Exception {
        int partitions = a.getInt("partitions");
        int warmup = a.getInt("warmup");
        int counted = a.getInt("transactions");
        boolean flush = Boolean.parseBoolean(a.get("flush"));
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-r" + perTransaction);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
        props.putAll(a.producer);
        byte[] value = new byte[a.getInt("value.bytes")];
        new Random(perTransaction).nextBytes(value);
        long[] sends = new long[counted];
        long[] commits = new long[counted];
        long[] transactions = new long[counted];
        String self = Long.toString(ProcessHandle.current().pid());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
            new ByteArraySerializer())) {
            producer.initTransactions();
            long start = 0;
            long brokerTicks = 0;
            long clientTicks = 0;
            for (int t = -warmup; t < counted; t++) {
                if (t == 0) {
                    brokerTicks = AssignedConsumerPerformance.cpuTicks(pid);
                    clientTicks = AssignedConsumerPerformance.cpuTicks(self);
                    start = System.nanoTime();
                }
                long t0 = System.nanoTime();
                producer.beginTransaction();
                for (int i = 0; i < perTransaction; i++) {
                    producer.send(new ProducerRecord<>(topic, i % partitions, null, value));
                }
                if (flush) {
                    producer.flush();
                }
                long t1 = System.nanoTime();
                producer.commitTransaction();
                long t2 = System.nanoTime();
                if (t >= 0) {
                    sends[t] = t1 - t0;
                    commits[t] = t2 - t1;
                    transactions[t] = t2 - t0;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double brokerCpu = (AssignedConsumerPerformance.cpuTicks(pid) - brokerTicks) / 100.0;
            double clientCpu = (AssignedConsumerPerformance.cpuTicks(self) - clientTicks) / 100.0;
            Arrays.sort(sends);
            Arrays.sort(commits);
            Arrays.sort(transactions);
            long records = (long) counted * perTransaction;
            return new Run(records, records * value.length, counted, seconds, sends, commits, transactions,
                pid == null ? Double.NaN : brokerCpu, clientCpu);
        }
    }

    private static void report(String p, Run r) {
        System.out.printf("%s_transactions=%d%n", p, r.transactions());
        System.out.printf("%s_records=%d%n", p, r.records());
        System.out.printf("%s_wall_s=%.2f%n", p, r.seconds());
        System.out.printf("%s_records_per_s=%.1f%n", p, r.records() / r.seconds());
        System.out.printf("%s_MBps=%.2f%n", p, r.bytes() / r.seconds() / (1024 * 1024));
        System.out.printf("%s_transactions_per_s=%.1f%n", p, r.transactions() / r.seconds());
        latencies(p + "_sends", r.sendsNanos());
        latencies(p + "_commit", r.commitNanos());
        latencies(p + "_transaction", r.transactionNanos());
        System.out.printf("%s_broker_cpu_s=%.2f%n", p, r.brokerCpuSeconds());
        System.out.printf("%s_broker_cpu_ms_per_transaction=%.3f%n", p, r.brokerCpuSeconds() * 1000 / r.transactions());
        System.out.printf("%s_client_cpu_s=%.2f%n", p, r.clientCpuSeconds());
    }

    private static void latencies(String name, long[] sortedNanos) {
        for (double q : QUANTILES) {
            System.out.printf("%s_ms_p%s=%.3f%n", name, Percentiles.label(q), Percentiles.of(sortedNanos, q) / 1e6);
        }
        System.out.printf("%s_ms_max=%.3f%n", name, sortedNanos[sortedNanos.length - 1] / 1e6);
    }

    private static void consume(BenchArgs a, String topic, int perTransaction, String pid) throws Exception {
        report("txn_fill_r" + perTransaction, produce(a, topic, perTransaction, pid));
        long written = (long) (a.getInt("warmup") + a.getInt("transactions")) * perTransaction;
        read(a, topic, written, "read_uncommitted", pid);
        List<String> levels = List.of("read_committed", "read_uncommitted");
        Map<String, List<AssignedConsumerPerformance.Read>> reads = new LinkedHashMap<>();
        for (int round = 0; round < a.getInt("rounds"); round++) {
            for (int i = 0; i < levels.size(); i++) {
                String level = levels.get((i + round) % levels.size());
                AssignedConsumerPerformance.Read r = read(a, topic, written, level, pid);
                reads.computeIfAbsent(level, l -> new ArrayList<>()).add(r);
                String p = "txn_consume_" + level + "_round" + round;
                System.out.printf("%s_MBps=%.1f%n", p, r.mibPerSecond());
                System.out.printf("%s_records_per_s=%.1f%n", p, r.recordsPerSecond());
                System.out.printf("%s_broker_cpu_s=%.2f%n", p, pid == null ? Double.NaN : r.brokerCpuSeconds());
            }
        }
        for (String level : levels) {
            List<AssignedConsumerPerformance.Read> rs = reads.get(level);
            String p = "txn_consume_" + level;
            Percentiles.summarize(p + "_MBps", rs.stream().mapToDouble(AssignedConsumerPerformance.Read::mibPerSecond).toArray());
            Percentiles.summarize(p + "_records_per_s",
                rs.stream().mapToDouble(AssignedConsumerPerformance.Read::recordsPerSecond).toArray());
            if (pid != null) {
                Percentiles.summarize(p + "_broker_cpu_ms",
                    rs.stream().mapToDouble(r -> r.brokerCpuSeconds() * 1000).toArray());
            }
        }
    }

    /** One read of the whole topic at {@code level}; fails if it did not get every record written. */
    private static AssignedConsumerPerformance.Read read(BenchArgs a, String topic, long written, String level,
                                                         String pid) throws Exception {
        Properties props = new Properties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, level);
        props.putAll(a.consumer);
        AssignedConsumerPerformance.Read r = AssignedConsumerPerformance.read(a.bootstrap, topic, written, props, pid);
        if (r.records() != written) {
            throw new IllegalStateException(level + " read " + r.records() + " of the " + written + " records written");
        }
        return r;
    }
}
