package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.ApiVersionsRequest;
import dev.sluice.wire.message.ApiVersionsResponse;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.MetadataRequest;
import dev.sluice.wire.message.MetadataResponse;
import dev.sluice.wire.message.ProduceRequest;
import dev.sluice.wire.message.RequestHeader;
import dev.sluice.wire.message.ResponseHeader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A protocol fuzzer against the packaged broker in its own process, so that its death, its memory
 * and its log are all observable. For every API and version the broker advertises, well-formed
 * requests with random contents are built from the generated classes, most are then damaged (see
 * {@link FrameMutator}), and they are sent pipelined over many short connections while an acks=all
 * producer writes and a prober asks for Metadata on its own connections. Afterwards:
 * <ul>
 *   <li>the broker is still running and answers Metadata on a fresh connection;</li>
 *   <li>the prober was answered every time within its deadline (others keep being served);</li>
 *   <li>no response carried UNKNOWN_SERVER_ERROR (client input deserves a proper error) and every
 *       response decodes as the answer to the request it names;</li>
 *   <li>the broker logged no stack trace;</li>
 *   <li>every record the producer had acknowledged is read back.</li>
 * </ul>
 * The run lasts {@code sluice.fuzz.seconds} (default 20); {@code sluice.fuzz.seed} replays a run
 * (the seed is printed first; each worker draws from its own generator seeded from it, so a replay
 * is the same requests, though not the same interleaving); {@code sluice.fuzz.connections} sets how
 * many connections send at once (default 8).
 */
class ProtocolFuzzTest {
    private static final String ACKED_TOPIC = "fuzz-acked";
    private static final List<String> NAMES = List.of("fuzz-0", "fuzz-1", "fuzz-2", "fuzz-group", "fuzz-txn");
    private static final int PROBE_TIMEOUT_MS = 10_000;
    private static final int RESPONSE_TIMEOUT_MS = 2_000;
    private static final int MAX_FINDINGS_KEPT = 25;

    private final long seed = Long.getLong("sluice.fuzz.seed", System.nanoTime());
    private final int seconds = Integer.getInteger("sluice.fuzz.seconds", 20);
    private final int connections = Integer.getInteger("sluice.fuzz.connections", 8);

    /** What went wrong, by kind, with the first few cases of each written out in full. */
    private final Map<String, LongAdder> findingCounts = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> findings = new ConcurrentLinkedQueue<>();
    private final LongAdder requestsSent = new LongAdder();
    private final LongAdder mutatedSent = new LongAdder();
    private final LongAdder responses = new LongAdder();
    private final LongAdder closedByBroker = new LongAdder();
    private final LongAdder unanswered = new LongAdder();
    private final LongAdder connectionsOpened = new LongAdder();
    private final Map<String, LongAdder> errorCodes = new ConcurrentHashMap<>();
    private final AtomicLong slowestProbeMs = new AtomicLong();
    private final LongAdder probes = new LongAdder();
    private volatile boolean fuzzing = true;
    private long startNanos;

    @Test
    void mutatedRequestsOfEveryApiAndVersionNeitherStopTheBrokerNorGoUnansweredNorLoseAcknowledgedRecords(
        @TempDir Path dataDir) throws Exception {
        System.out.printf("protocol fuzz: seed %d (-Dsluice.fuzz.seed=%d replays it), %d s, %d connections%n",
            seed, seed, seconds, connections);
        try (BrokerProcess broker = BrokerProcess.start(dataDir, BrokerProcess.freePort())) {
            try (Admin admin = KafkaClients.admin(broker.bootstrapServers())) {
                List<NewTopic> topics = new ArrayList<>(List.of(new NewTopic(ACKED_TOPIC, 3, (short) 1)));
                for (String name : NAMES.subList(0, 3)) {
                    topics.add(new NewTopic(name, 2, (short) 1));
                }
                admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
            }
            List<Target> served = servedApisAndVersions(broker.port());
            MemoryWatch memory = new MemoryWatch(broker.pid());

            try (AckedProducer producer = new AckedProducer(broker.bootstrapServers(), ACKED_TOPIC)) {
                Path log = Path.of("target", "protocol-fuzz-broker-" + seed + ".log");
                try {
                    runAndCheck(broker, served, memory, producer);
                } finally {
                    fuzzing = false;
                    Files.writeString(log, broker.output());
                    System.out.println("protocol fuzz: the broker's output is in " + log.toAbsolutePath());
                }
            }
            List<String> traces = stackTraces(broker.output());
            assertTrue(traces.isEmpty(), "the broker logged " + traces.size() + " stack trace(s) for client input, "
                + "the first:\n" + String.join("\n", traces.subList(0, Math.min(3, traces.size()))));
            assertTrue(findings.isEmpty(), "findings " + findingCounts + ":\n" + String.join("\n", findings));
        }
    }

    private void runAndCheck(BrokerProcess broker, List<Target> served, MemoryWatch memory, AckedProducer producer)
            throws Exception {
        double alone = measureRate(producer, Math.max(3, Math.min(10, seconds / 5)));

        startNanos = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            Random random = new Random(seed + i);
            threads.add(start("fuzz-" + i, () -> fuzz(broker.port(), served, random)));
        }
        threads.add(start("metadata-prober", () -> probe(broker.port())));
        long fuzzStartAcks = producer.acks();
        long deadline = startNanos + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline && broker.isAlive()) {
            memory.sample();
            sleepUntil(Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500)));
        }
        double underFuzz = (producer.acks() - fuzzStartAcks) / ((System.nanoTime() - startNanos) / 1e9);
        fuzzing = false;
        for (Thread t : threads) {
            t.join(PROBE_TIMEOUT_MS + 5_000);
        }
        memory.sample();

        assertTrue(broker.isAlive(), "the broker died under fuzzing:\n" + tail(broker.output()));
        try (RawConnection fresh = new RawConnection(broker.port())) {
            assertMetadataAnswered(fresh);
            MetadataResponse all = fresh.roundTrip(new MetadataRequest().setTopics(null), 12,
                MetadataResponse.class);
            System.out.printf("protocol fuzz: the broker ends with %d topics, %d partitions%n",
                all.topics().size(), all.topics().stream().mapToInt(t -> t.partitions().size()).sum());
        }
        producer.close();
        printSummary(served, alone, underFuzz, producer, memory);
        assertEquals(0, producer.failures(), "acks=all sends failed, last: " + producer.lastFailure());
        producer.assertNothingAcknowledgedWasLost();
    }

    /** What one request of the run is aimed at. */
    private record Target(ApiKey key, short version) {
    }

    private static List<Target> servedApisAndVersions(int port) throws IOException {
        try (RawConnection connection = new RawConnection(port)) {
            ApiVersionsResponse versions = connection.roundTrip(new ApiVersionsRequest().setClientSoftwareName("fuzz")
                .setClientSoftwareVersion("1"), 3, ApiVersionsResponse.class);
            List<Target> targets = new ArrayList<>();
            for (ApiVersionsResponse.ApiVersion v : versions.apiKeys()) {
                ApiKey key = ApiKey.forId(v.apiKey()).orElseThrow();
                for (int version = v.minVersion(); version <= v.maxVersion(); version++) {
                    // Produce is listed from 0 for librdkafka's sake; 0-2 have no schema left to write.
                    if (key.hasVersion((short) version)) {
                        targets.add(new Target(key, (short) version));
                    }
                }
            }
            return targets;
        }
    }

    private static Thread start(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void sleepUntil(long deadlineNanos) {
        long left;
        while ((left = deadlineNanos - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static double measureRate(AckedProducer producer, int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        sleepUntil(deadline); // the first second includes the producer's connection and metadata
        long from = producer.acks();
        long start = System.nanoTime();
        sleepUntil(start + TimeUnit.SECONDS.toNanos(seconds));
        return (producer.acks() - from) / ((System.nanoTime() - start) / 1e9);
    }

    private void finding(String kind, String detail) {
        findingCounts.computeIfAbsent(kind, k -> new LongAdder()).increment();
        if (findings.size() < MAX_FINDINGS_KEPT) {
            findings.add(String.format("[t+%.1fs] %s: %s", (System.nanoTime() - startNanos) / 1e9, kind, detail));
        }
    }

    // ------------------------------------------------------------------ the fuzzing connections

    /**
     * A request sent on a connection, as the broker will read it: the API and version its answer is
     * encoded at, and whether it gets one.
     */
    private record Sent(Target target, int correlationId, boolean answered, byte[] bytes) {
    }

    private void fuzz(int port, List<Target> served, Random random) {
        RandomRequests requests = new RandomRequests(random, NAMES);
        FrameMutator mutator = new FrameMutator(random);
        int correlationId = 0;
        while (fuzzing) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), PROBE_TIMEOUT_MS);
                socket.setSoTimeout(RESPONSE_TIMEOUT_MS);
                socket.setTcpNoDelay(true);
                connectionsOpened.increment();
                OutputStream out = socket.getOutputStream();
                Deque<Sent> pending = new ArrayDeque<>();
                int count = 1 + random.nextInt(8);
                for (int i = 0; i < count; i++) {
                    Target target = served.get(random.nextInt(served.size()));
                    ByteBuffer frame = requests.frame(target.key(), target.version(), ++correlationId);
                    boolean mutate = random.nextInt(10) < 8;
                    byte[] bytes = mutate ? mutator.mutate(frame) : bytesOf(frame);
                    requestsSent.increment();
                    if (mutate) {
                        mutatedSent.increment();
                    }
                    Sent sent = asTheBrokerReadsIt(bytes);
                    out.write(bytes);
                    if (sent == null) {
                        // The broker closes the connection at this request: nothing after it is read.
                        break;
                    }
                    if (sent.answered()) {
                        pending.add(sent);
                    }
                }
                out.flush();
                readResponses(new DataInputStream(socket.getInputStream()), pending);
            } catch (IOException e) {
                if (fuzzing) {
                    closedByBroker.increment();
                }
            }
        }
    }

    private static byte[] bytesOf(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }

    /**
     * Decodes the frame the way the broker will: returns null when the broker must close the
     * connection (undecodable header or body, unknown API), otherwise the API, version and
     * correlation id its answer will carry.
     */
    private static Sent asTheBrokerReadsIt(byte[] bytes) {
        ByteBuffer frame = ByteBuffer.wrap(bytes, 4, bytes.length - 4).slice();
        try {
            RequestHeader header = Frames.readRequestHeader(frame);
            ApiKey key = Frames.apiKey(header).orElse(null);
            if (key == null) {
                return null;
            }
            Target target = new Target(key, header.requestApiVersion());
            if (key == ApiKey.API_VERSIONS && !key.hasVersion(header.requestApiVersion())) {
                return new Sent(new Target(key, (short) 0), header.correlationId(), true, bytes);
            }
            ApiMessage body = Frames.readRequestBody(header, frame);
            boolean answered = !(body instanceof ProduceRequest produce && produce.acks() == 0);
            return new Sent(target, header.correlationId(), answered, bytes);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void readResponses(DataInputStream in, Deque<Sent> pending) throws IOException {
        while (!pending.isEmpty()) {
            byte[] response;
            try {
                int size = in.readInt();
                if (size < 0 || size > 64 << 20) {
                    finding("bad response size", "size " + size + " answering " + pending.peek().target());
                    return;
                }
                response = new byte[size];
                in.readFully(response);
            } catch (SocketTimeoutException e) {
                // Long polls, rebalance waits and acks=all timeouts may legitimately outlast the wait.
                unanswered.add(pending.size());
                return;
            } catch (EOFException | SocketException e) {
                closedByBroker.increment();
                return;
            }
            responses.increment();
            check(ByteBuffer.wrap(response), pending);
        }
    }

    private void check(ByteBuffer response, Deque<Sent> pending) {
        int correlationId = response.getInt(0);
        Sent sent = null;
        for (Iterator<Sent> it = pending.iterator(); it.hasNext(); ) {
            Sent candidate = it.next();
            if (candidate.correlationId() == correlationId) {
                sent = candidate;
                it.remove();
                break;
            }
        }
        if (sent == null) {
            finding("unexpected correlation id", correlationId + " while waiting for " + pending);
            pending.clear();
            return;
        }
        Target target = sent.target();
        ApiMessage body = target.key().newResponse();
        try {
            ResponseHeader header = Frames.readResponseHeader(response, target.key(), target.version());
            body.read(new ByteReader(response), target.version());
            assertEquals(correlationId, header.correlationId());
        } catch (RuntimeException | AssertionError e) {
            finding("undecodable response", target + ": " + e + "; request " + base64(sent.bytes()));
            return;
        }
        List<Integer> codes = new ArrayList<>();
        body.forEachErrorCode(codes::add);
        for (int code : codes) {
            errorCodes.computeIfAbsent(target.key().displayName() + ":" + code, k -> new LongAdder()).increment();
            if (code == -1) {
                finding("UNKNOWN_SERVER_ERROR", target + "; request " + base64(sent.bytes()));
                break;
            }
        }
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    // ------------------------------------------------------------------ others keep being served

    /**
     * Asks for Metadata twice a second, on a long-lived connection and on fresh ones, the three ways
     * clients do: for a topic that exists, for all topics, and for a new topic to be created (as a
     * producer's first send does), which goes through the controller.
     */
    private void probe(int port) {
        RawConnection kept = null;
        int round = 0;
        while (fuzzing) {
            long start = System.nanoTime();
            int kind = round % 3;
            boolean fresh = round++ % 4 == 0;
            MetadataRequest request = switch (kind) {
                case 0 -> new MetadataRequest().setTopics(List.of(new MetadataRequest.MetadataRequestTopic().setName(ACKED_TOPIC)));
                case 1 -> new MetadataRequest().setTopics(null);
                default -> new MetadataRequest().setAllowAutoTopicCreation(true).setTopics(List.of(
                    new MetadataRequest.MetadataRequestTopic().setName("probe-created-" + round)));
            };
            String what = (fresh ? "fresh" : "long-lived") + " connection, " + switch (kind) {
                case 0 -> "an existing topic";
                case 1 -> "all topics";
                default -> "a topic to create";
            };
            try {
                if (kept == null) {
                    kept = new RawConnection(port);
                }
                MetadataResponse response;
                if (fresh) {
                    try (RawConnection connection = new RawConnection(port)) {
                        response = connection.roundTrip(request, 12, MetadataResponse.class);
                    }
                } else {
                    response = kept.roundTrip(request, 12, MetadataResponse.class);
                }
                // LEADER_NOT_AVAILABLE: the topic is being created, which clients retry on. POLICY_VIOLATION:
                // the fuzzing filled sluice.max.broker.partitions, and the broker says so at once.
                assertTrue(response.topics().stream().anyMatch(t -> (t.errorCode() == 0
                    || kind == 2 && (t.errorCode() == 5 || t.errorCode() == 44))
                    && (kind == 1 ? ACKED_TOPIC.equals(t.name()) : true)), "answered " + response.topics().stream()
                    .map(t -> t.name() + ":" + t.errorCode()).limit(5).toList());
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                slowestProbeMs.accumulateAndGet(ms, Math::max);
                probes.increment();
            } catch (IOException | RuntimeException | AssertionError e) {
                finding("Metadata not answered", what + ", after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms: " + e);
                closeQuietly(kept);
                kept = null;
            }
            sleepUntil(start + TimeUnit.MILLISECONDS.toNanos(500));
        }
        closeQuietly(kept);
    }

    private static void closeQuietly(RawConnection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException e) {
                // Closing a connection that already failed.
            }
        }
    }

    private static void assertMetadataAnswered(RawConnection connection) throws IOException {
        MetadataResponse metadata = connection.roundTrip(new MetadataRequest().setTopics(List.of(
            new MetadataRequest.MetadataRequestTopic().setName(ACKED_TOPIC))), 12, MetadataResponse.class);
        assertEquals(1, metadata.topics().size());
        assertEquals(0, metadata.topics().get(0).errorCode(), "Metadata error for " + ACKED_TOPIC);
    }

    // ------------------------------------------------------------------ reporting

    /** The broker's resident memory, from {@code /proc/<pid>/status}. */
    private static final class MemoryWatch {
        private final Path status;
        private long maxRssKb;
        private long hwmKb;

        MemoryWatch(long pid) {
            status = Path.of("/proc", String.valueOf(pid), "status");
        }

        void sample() {
            try {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmRSS:")) {
                        maxRssKb = Math.max(maxRssKb, kb(line));
                    } else if (line.startsWith("VmHWM:")) {
                        hwmKb = Math.max(hwmKb, kb(line));
                    }
                }
            } catch (IOException e) {
                // Not Linux, or the process is gone (which the test reports on its own).
            }
        }

        private static long kb(String line) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }

        @Override
        public String toString() {
            return String.format("max VmRSS %d MiB, VmHWM %d MiB", maxRssKb / 1024, hwmKb / 1024);
        }
    }

    private void printSummary(List<Target> served, double alone, double underFuzz, AckedProducer producer,
                              MemoryWatch memory) {
        System.out.printf("protocol fuzz: seed %d, %d s, %d API versions served, %d requests (%d mutated) on %d "
                + "connections, %d responses, %d connections closed by the broker, %d requests unanswered within %d ms%n",
            seed, seconds, served.size(), requestsSent.sum(), mutatedSent.sum(), connectionsOpened.sum(),
            responses.sum(), closedByBroker.sum(), unanswered.sum(), RESPONSE_TIMEOUT_MS);
        System.out.printf("protocol fuzz: broker %s; Metadata probes %d, slowest %d ms%n", memory, probes.sum(),
            slowestProbeMs.get());
        System.out.printf("protocol fuzz: acks=all producer %.0f records/s alone, %.0f records/s under fuzzing "
            + "(ratio %.2f); %d acknowledged in all%n", alone, underFuzz, underFuzz / alone, producer.acks());
        System.out.println("protocol fuzz: error codes answered " + new TreeMap<>(summed(errorCodes)));
        System.out.println("protocol fuzz: findings " + new TreeMap<>(summed(findingCounts)));
    }

    private static Map<String, Long> summed(Map<String, LongAdder> counts) {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Lines of the broker's output that belong to a stack trace, grouped one trace per entry. */
    static List<String> stackTraces(String output) {
        List<String> traces = new ArrayList<>();
        String[] lines = output.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("\tat ") && (i == 0 || !lines[i - 1].startsWith("\tat "))) {
                int from = Math.max(0, i - 2);
                int to = Math.min(lines.length, i + 6);
                traces.add(String.join("\n", Arrays.asList(lines).subList(from, to)));
            }
        }
        return traces;
    }

    private static String tail(String output) {
        return output.length() <= 6000 ? output : output.substring(output.length() - 6000);
    }
}
