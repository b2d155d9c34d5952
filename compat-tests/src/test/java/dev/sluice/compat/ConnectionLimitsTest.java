package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.wire.message.ApiVersionsRequest;
import dev.sluice.wire.message.ApiVersionsResponse;
import dev.sluice.wire.message.FetchRequest;
import dev.sluice.wire.message.FetchResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/**
 * The broker's bounds on what connections may hold, with Kafka's keys: {@code max.connections},
 * {@code max.connections.per.ip}, request memory ({@code queued.max.request.bytes}) with the
 * receive deadline for trickled frames, and waiting fetches let go when their connection closes.
 */
class ConnectionLimitsTest {

    private static ApiVersionsResponse apiVersions(RawConnection c) throws IOException {
        return c.roundTrip(new ApiVersionsRequest().setClientSoftwareName("limits").setClientSoftwareVersion("1"), 3,
            ApiVersionsResponse.class);
    }

    private static void assertEventually(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    @Test
    void connectionsPastTheAddressLimitAreClosedWhileTheOthersAreServed() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().port(0).config("max.connections.per.ip", "3").start()) {
            List<RawConnection> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    held.add(new RawConnection(broker.port()));
                    assertEquals(0, apiVersions(held.get(i)).errorCode());
                }
                try (RawConnection extra = new RawConnection(broker.port())) {
                    extra.assertClosedByBroker("a fourth connection from the same address");
                }
                for (RawConnection c : held) {
                    assertEquals(0, apiVersions(c).errorCode(), "connections within the limit keep being served");
                }
                held.remove(0).close();
                // The closed connection's place is free once the broker has seen it go.
                assertEventually("a new connection is served again", () -> {
                    try (RawConnection again = new RawConnection(broker.port())) {
                        return apiVersions(again).errorCode() == 0;
                    } catch (IOException e) {
                        return false;
                    }
                });
            } finally {
                for (RawConnection c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void pastMaxConnectionsANewConnectionWaitsUntilAnotherCloses() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().port(0).config("max.connections", "2").start();
             RawConnection first = new RawConnection(broker.port());
             RawConnection second = new RawConnection(broker.port())) {
            assertEquals(0, apiVersions(first).errorCode());
            assertEquals(0, apiVersions(second).errorCode());
            try (RawConnection third = new RawConnection(broker.port())) {
                // The kernel completes the handshake into the backlog, but the broker does not accept it yet.
                third.send(new ApiVersionsRequest().setClientSoftwareName("limits").setClientSoftwareVersion("1"), 3);
                assertFalse(third.answersWithin(Duration.ofMillis(500)), "a third connection is not served yet");
                first.close();
                assertTrue(third.answersWithin(Duration.ofSeconds(10)), "it is served once another closed");
            }
        }
    }

    @Test
    void aFrameTrickledSlowerThanTheReceiveTimeoutClosesItsConnection() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().port(0)
                .config("sluice.request.receive.timeout.ms", "1000").start();
             RawConnection slow = new RawConnection(broker.port());
             RawConnection other = new RawConnection(broker.port())) {
            // Declares a 64 KiB request, then sends ten bytes of it and stops.
            ByteBuffer start = ByteBuffer.allocate(14).putInt(64 * 1024).put(new byte[10]).flip();
            slow.sendBytes(start);
            assertEquals(0, apiVersions(other).errorCode(), "others are served meanwhile");
            slow.assertClosedByBroker("a frame that did not arrive within the receive timeout");
            assertEquals(0, apiVersions(other).errorCode());
        }
    }

    @Test
    void aWaitingFetchIsDroppedWhenItsConnectionCloses() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().port(0).start()) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("quiet", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            DoubleSupplier waiting = () -> broker.meterRegistry().get("sluice.fetch.waiting").gauge().value();
            try (RawConnection consumer = new RawConnection(broker.port())) {
                FetchRequest fetch = new FetchRequest().setReplicaId(-1).setMaxWaitMs(25_000).setMinBytes(1 << 20)
                    .setMaxBytes(1 << 20).setSessionEpoch(-1);
                fetch.topics().add(new FetchRequest.FetchTopic().setTopic("quiet").setPartitions(new ArrayList<>(List.of(
                    new FetchRequest.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)))));
                consumer.send(fetch, 12);
                assertEventually("the fetch is parked", () -> waiting.getAsDouble() == 1);
            }
            assertEventually("the parked fetch is dropped with its connection", () -> waiting.getAsDouble() == 0);
        }
    }

    @Test
    void aFetchSessionDoesNotCollectPartitionsTheClusterLacks() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().port(0).start();
             RawConnection consumer = new RawConnection(broker.port())) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("real", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            FetchRequest open = new FetchRequest().setReplicaId(-1).setMaxWaitMs(0).setMaxBytes(1 << 20).setSessionEpoch(0);
            open.topics().add(new FetchRequest.FetchTopic().setTopic("real").setPartitions(new ArrayList<>(List.of(
                new FetchRequest.FetchPartition().setPartition(0).setPartitionMaxBytes(1 << 20)))));
            FetchResponse opened = consumer.roundTrip(open, 12, FetchResponse.class);
            assertTrue(opened.sessionId() != 0, "a session for a real partition");

            FetchRequest grow = new FetchRequest().setReplicaId(-1).setMaxWaitMs(0).setMaxBytes(1 << 20)
                .setSessionId(opened.sessionId()).setSessionEpoch(1);
            List<FetchRequest.FetchPartition> invented = new ArrayList<>();
            for (int i = 0; i < 1001; i++) {
                invented.add(new FetchRequest.FetchPartition().setPartition(i).setPartitionMaxBytes(1024));
            }
            grow.topics().add(new FetchRequest.FetchTopic().setTopic("invented").setPartitions(invented));
            FetchResponse grown = consumer.roundTrip(grow, 12, FetchResponse.class);
            assertEquals(70, grown.errorCode(), "FETCH_SESSION_ID_NOT_FOUND: the session is dropped, not grown");

            FetchRequest full = new FetchRequest().setReplicaId(-1).setMaxWaitMs(0).setMaxBytes(1 << 20).setSessionEpoch(0);
            full.topics().add(new FetchRequest.FetchTopic().setTopic("invented").setPartitions(invented));
            FetchResponse sessionless = consumer.roundTrip(full, 12, FetchResponse.class);
            assertEquals(0, sessionless.errorCode());
            assertEquals(0, sessionless.sessionId(), "a full fetch of that many unknown partitions gets no session");
            assertEquals(1001, sessionless.responses().get(0).partitions().size(), "each is answered");
            assertEquals(0, broker.meterRegistry().get("sluice.fetch.sessions").gauge().value());
        }
    }

    @Test
    void aFetchStillParkedIsAnsweredWhenItsWaitEnds() throws Exception {
        try (SluiceBroker broker = SluiceBroker.builder().port(0).start();
             RawConnection consumer = new RawConnection(broker.port())) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("quiet", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            FetchRequest fetch = new FetchRequest().setReplicaId(-1).setMaxWaitMs(200).setMinBytes(1 << 20)
                .setMaxBytes(1 << 20).setSessionEpoch(-1);
            fetch.topics().add(new FetchRequest.FetchTopic().setTopic("quiet").setPartitions(new ArrayList<>(List.of(
                new FetchRequest.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)))));
            FetchResponse response = consumer.roundTrip(fetch, 12, FetchResponse.class);
            assertEquals(0, response.responses().get(0).partitions().get(0).errorCode());
            assertEquals(0, broker.meterRegistry().get("sluice.fetch.waiting").gauge().value());
        }
    }
}
