package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.MetadataRequest;
import dev.sluice.wire.message.MetadataResponse;
import dev.sluice.wire.message.RequestHeader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow connections against the packaged broker in its own process: requests trickled a byte at a
 * time, thousands of connections that send nothing, and {@code connections.max.idle.ms}. Each case
 * checks that the broker stays up and that a well-behaved client on another connection keeps being
 * answered promptly. The hostile clients connect from 127.0.0.2, the well-behaved one from
 * 127.0.0.1, so that per-address limits can tell them apart.
 */
class SlowConnectionsTest {
    static final String TOPIC = "hostile";
    /** How long a well-behaved client may wait for Metadata while the hostile ones do their worst. */
    private static final Duration PROMPT = Duration.ofSeconds(3);

    @TempDir
    Path dataDir;

    static MetadataRequest metadataOfAllTopics() {
        return new MetadataRequest().setTopics(null);
    }

    static byte[] requestBytes(MetadataRequest request, int correlationId) {
        RequestHeader header = new RequestHeader().setRequestApiKey(ApiKey.METADATA.id()).setRequestApiVersion((short) 12)
            .setCorrelationId(correlationId).setClientId("hostile");
        ByteBuffer frame = Frames.writeRequest(header, request);
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        return bytes;
    }

    /** Asks for Metadata on a fresh connection and fails if the answer takes longer than {@link #PROMPT}. */
    static void assertServedPromptly(BrokerProcess broker) throws IOException {
        long start = System.nanoTime();
        try (RawConnection client = new RawConnection(broker.port())) {
            MetadataResponse response = client.roundTrip(new MetadataRequest().setTopics(List.of(
                new MetadataRequest.MetadataRequestTopic().setName(TOPIC))), 12, MetadataResponse.class);
            assertEquals(0, response.topics().get(0).errorCode());
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms <= PROMPT.toMillis(), "Metadata took " + ms + " ms");
    }

    static void createTopic(BrokerProcess broker, int partitions) throws Exception {
        try (Admin admin = KafkaClients.admin(broker.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    static Socket connect(BrokerProcess broker, String fromAddress) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(fromAddress, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", broker.port()), 10_000);
        return socket;
    }

    static void closeAll(List<Socket> sockets) {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // Already closed by the broker.
            }
        }
    }

    @Test
    void slowlorisConnectionsSendingOneByteAtATimeDoNotDelayOthers() throws Exception {
        int connections = 300;
        try (BrokerProcess broker = BrokerProcess.start(dataDir, BrokerProcess.freePort())) {
            createTopic(broker, 1);
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    slow.add(connect(broker, "127.0.0.2"));
                }
                byte[] request = requestBytes(metadataOfAllTopics(), 1);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                int at = 0;
                while (System.nanoTime() < deadline && at < request.length - 1) {
                    for (Socket s : slow) {
                        s.getOutputStream().write(request[at]);
                    }
                    at++;
                    assertServedPromptly(broker);
                }
                assertTrue(broker.isAlive());
                assertServedPromptly(broker);
                // The last byte completes each request: all of them are then answered.
                for (Socket s : slow) {
                    s.getOutputStream().write(request[request.length - 1]);
                }
                for (Socket s : slow) {
                    s.setSoTimeout(10_000);
                    byte[] size = s.getInputStream().readNBytes(4);
                    assertEquals(4, size.length, "a completed request was answered");
                }
            } finally {
                closeAll(slow);
            }
        }
    }

    @Test
    void thousandsOfIdleConnectionsNeitherStopTheBrokerNorDelayOthers() throws Exception {
        int connections = 2000;
        try (BrokerProcess broker = BrokerProcess.start(dataDir, BrokerProcess.freePort())) {
            createTopic(broker, 1);
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    idle.add(connect(broker, "127.0.0.2"));
                    if (i % 500 == 0) {
                        assertServedPromptly(broker);
                    }
                }
                assertServedPromptly(broker);
                assertTrue(broker.isAlive());
            } finally {
                closeAll(idle);
            }
        }
    }

    @Test
    void idleConnectionsAreClosedAfterConnectionsMaxIdleMs() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(dataDir, BrokerProcess.freePort(),
            "connections.max.idle.ms=1000")) {
            createTopic(broker, 1);
            try (Socket idle = connect(broker, "127.0.0.2")) {
                idle.setSoTimeout(15_000);
                long start = System.nanoTime();
                assertEquals(-1, idle.getInputStream().read(), "the broker closed the idle connection");
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(ms >= 900, "closed after " + ms + " ms, before connections.max.idle.ms");
            }
            assertServedPromptly(broker);
        }
    }
}
