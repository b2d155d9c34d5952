package dev.sluice.compat;

import static dev.sluice.compat.SlowConnectionsTest.assertServedPromptly;
import static dev.sluice.compat.SlowConnectionsTest.closeAll;
import static dev.sluice.compat.SlowConnectionsTest.connect;
import static dev.sluice.compat.SlowConnectionsTest.createTopic;
import static dev.sluice.compat.SlowConnectionsTest.metadataOfAllTopics;
import static dev.sluice.compat.SlowConnectionsTest.requestBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.message.MetadataRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's network bounds against hostile clients, on the packaged broker in its own process:
 * {@code queued.max.request.bytes} for partly sent requests, {@code max.connections.per.ip}, and
 * a client that pipelines requests without ever reading the answers ({@code max.connections} makes
 * new connections wait rather than closing them: {@link ConnectionLimitsTest}). Each case checks that the broker stays up, that its memory stays bounded and that a
 * well-behaved client on another connection keeps being answered promptly.
 */
class NetworkBoundsTest {
    @TempDir
    Path dataDir;

    private static long rssKb(BrokerProcess broker) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(broker.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for the broker");
    }

    @Test
    void clientsTricklingLargeFramesAreBoundedByQueuedMaxRequestBytesAndOthersKeepBeingServed() throws Exception {
        // Each hostile connection announces a 16 MiB request and sends all of it but the last byte, in
        // pieces: the broker holds what it buffered for each one. queued.max.request.bytes caps the sum.
        int connections = 40;
        int frameBytes = 16 << 20;
        try (BrokerProcess broker = BrokerProcess.startWithPretouchedHeap(dataDir, BrokerProcess.freePort(),
            "queued.max.request.bytes=" + (64 << 20))) {
            createTopic(broker, 1);
            long before = rssKb(broker);
            List<Socket> hostile = new ArrayList<>();
            try {
                byte[] chunk = new byte[256 << 10];
                List<OutputStream> outs = new ArrayList<>();
                for (int i = 0; i < connections; i++) {
                    Socket s = connect(broker, "127.0.0.2");
                    hostile.add(s);
                    OutputStream out = s.getOutputStream();
                    out.write(ByteBuffer.allocate(4).putInt(frameBytes).array());
                    outs.add(out);
                }
                // Writers block once the broker stops reading (what the bound is for), so each writes
                // from its own thread; the test only looks at the broker meanwhile.
                List<Thread> writers = new ArrayList<>();
                for (OutputStream out : outs) {
                    Thread t = new Thread(() -> {
                        try {
                            for (int sent = 0; sent + chunk.length < frameBytes; sent += chunk.length) {
                                out.write(chunk);
                            }
                        } catch (IOException e) {
                            // Closed by the broker or by the test.
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                    writers.add(t);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                long maxGrowthKb = 0;
                while (System.nanoTime() < deadline && writers.stream().anyMatch(Thread::isAlive)) {
                    assertTrue(broker.isAlive(), "the broker died:\n" + broker.output());
                    assertServedPromptly(broker);
                    maxGrowthKb = Math.max(maxGrowthKb, rssKb(broker) - before);
                }
                assertServedPromptly(broker);
                maxGrowthKb = Math.max(maxGrowthKb, rssKb(broker) - before);
                long totalMb = (long) connections * frameBytes >> 20;
                System.out.printf("trickled frames: %d connections x %d MiB announced (%d MiB), broker RSS grew %d MiB%n",
                    connections, frameBytes >> 20, totalMb, maxGrowthKb >> 10);
                assertTrue(maxGrowthKb >> 10 < 64 + 128, "the broker's RSS grew by " + (maxGrowthKb >> 10)
                    + " MiB while " + totalMb + " MiB of partial requests were offered with queued.max.request.bytes=64 MiB");
            } finally {
                closeAll(hostile);
            }
            assertTrue(ProtocolFuzzTest.stackTraces(broker.output()).isEmpty(), broker.output());
        }
    }

    @Test
    void connectionsOverMaxConnectionsPerIpAreClosedWhileOtherAddressesAreServed() throws Exception {
        int limit = 50;
        try (BrokerProcess broker = BrokerProcess.start(dataDir, BrokerProcess.freePort(),
            "max.connections.per.ip=" + limit)) {
            createTopic(broker, 1);
            List<Socket> hog = new ArrayList<>();
            try {
                for (int i = 0; i < limit + 20; i++) {
                    hog.add(connect(broker, "127.0.0.2"));
                }
                // The broker answers the first `limit` and closes the rest.
                int open = 0;
                int correlation = 0;
                for (Socket s : hog) {
                    s.setSoTimeout(5_000);
                    try {
                        s.getOutputStream().write(requestBytes(new MetadataRequest().setTopics(List.of()), ++correlation));
                        open += s.getInputStream().readNBytes(4).length == 4 ? 1 : 0;
                    } catch (IOException e) {
                        // Closed by the broker: what the limit does.
                    }
                }
                assertEquals(limit, open, "connections from 127.0.0.2 served");
                // 127.0.0.1 has its own allowance.
                assertServedPromptly(broker);
            } finally {
                closeAll(hog);
            }
        }
    }

    @Test
    void aClientThatNeverReadsItsResponsesIsThrottledAndDoesNotGrowTheBrokersMemory() throws Exception {
        try (BrokerProcess broker = BrokerProcess.startWithPretouchedHeap(dataDir, BrokerProcess.freePort())) {
            createTopic(broker, 200);
            long before = rssKb(broker);
            // Each 30-byte request asks for the metadata of 200 partitions: about 10 KB of answer.
            // A broker that goes on reading while answers pile up unsent holds them all in memory;
            // Kafka stops reading a connection until its previous answer has gone out.
            AtomicLong written = new AtomicLong();
            try (Socket greedy = connect(broker, "127.0.0.2")) {
                OutputStream out = greedy.getOutputStream();
                Thread writer = new Thread(() -> {
                    int correlation = 0;
                    try {
                        while (!Thread.currentThread().isInterrupted()) {
                            byte[] request = requestBytes(metadataOfAllTopics(), ++correlation);
                            out.write(request);
                            written.addAndGet(request.length);
                        }
                    } catch (IOException e) {
                        // Closed by the broker or the test.
                    }
                }, "never-reads");
                writer.setDaemon(true);
                writer.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                long maxGrowthKb = 0;
                while (System.nanoTime() < deadline && broker.isAlive()) {
                    assertServedPromptly(broker);
                    maxGrowthKb = Math.max(maxGrowthKb, rssKb(broker) - before);
                }
                writer.interrupt();
                assertTrue(broker.isAlive(), "the broker died:\n" + broker.output());
                System.out.printf("never-reading client: %d KiB of requests accepted, broker RSS grew %d MiB%n",
                    written.get() >> 10, maxGrowthKb >> 10);
                // What socket buffers hold, plus a generous allowance for in-flight work: not the
                // gigabytes a broker reading without end would accept.
                assertTrue(written.get() < 16 << 20, "the broker kept reading: " + (written.get() >> 20)
                    + " MiB of requests accepted from a client that reads nothing");
                assertTrue(maxGrowthKb >> 10 < 128, "the broker's RSS grew by " + (maxGrowthKb >> 10) + " MiB");
            }
            assertServedPromptly(broker);
        }
    }
}
