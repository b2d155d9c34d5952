package dev.sluice.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.config.HostPort;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How a node that knows controllers only by address reaches the quorum, against three real Ratis
 * peers on loopback: what a Ratis client with made-up peer ids gets (the behaviour
 * {@link QuorumBootstrap}'s choice rests on), and what discovery finds or refuses.
 */
class QuorumBootstrapTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final RaftPeerId MADE_UP = RaftPeerId.valueOf("bootstrap-0");

    private static RatisMetadataLogTest.Quorum quorum;

    @BeforeAll
    static void startQuorum() throws IOException {
        quorum = new RatisMetadataLogTest.Quorum(Files.createTempDirectory("ratis-bootstrap"), RatisSettings.defaults(),
            p -> { });
        quorum.start();
    }

    @AfterAll
    static void closeQuorum() throws IOException {
        quorum.close();
        RatisMetadataLogTest.deleteTree(quorum.dir);
    }

    /** A client whose group is one made-up peer id at {@code address}. */
    private static RaftClient clientOf(HostPort address) {
        RaftGroup group = RaftGroup.valueOf(QuorumClient.groupId(quorum.clusterId),
            RaftPeer.newBuilder().setId(MADE_UP).setAddress(address.toString()).build());
        return RaftClient.newBuilder().setClientId(ClientId.randomId()).setRaftGroup(group)
            .setProperties(new RaftProperties())
            .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(20, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
            .build();
    }

    /** Asks the leader as {@link QuorumClient#ask} does: the sender's node id (here one of no node), then the request. */
    private static String ask(RaftClient client, String request) throws IOException {
        byte[] body = request.getBytes(StandardCharsets.UTF_8);
        byte[] sent = java.nio.ByteBuffer.allocate(4 + body.length).putInt(99).put(body).array();
        RaftClientReply reply = client.io().sendReadOnly(Message.valueOf(
            org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(sent)));
        assertTrue(reply.isSuccess(), String.valueOf(reply.getException()));
        return reply.getMessage().getContent().toString(StandardCharsets.UTF_8);
    }

    @Test
    void aFollowerNamedByAMadeUpIdRedirectsTheClientToTheRealLeader() throws Exception {
        int leader = quorum.awaitLeader();
        HostPort follower = quorum.voters.get((leader + 1) % 3).address();
        try (RaftClient client = clientOf(follower)) {
            // The follower served a request addressed to a peer id it does not have: servers check
            // only the group. Its NotLeaderException then told the client the leader's real id.
            assertEquals("node " + leader + " answers hello", ask(client, "hello"));
            assertEquals(QuorumClient.peerId(leader), client.getLeaderId());
        }
    }

    @Test
    void aClientThatFirstReachesTheLeaderByAMadeUpIdLearnsNoOtherPeer() throws Exception {
        int leader = quorum.awaitLeader();
        try (RaftClient client = clientOf(quorum.voters.get(leader).address())) {
            assertEquals("node " + leader + " answers hello", ask(client, "hello"));
            // Nothing refused it, so it still knows only the bootstrap address: were that leader to
            // die it could not reach the others. Hence QuorumBootstrap asks for the group first.
            assertEquals(MADE_UP, client.getLeaderId());
        }
    }

    @Test
    void aFollowerTellsTheVotersOfTheNodesCluster() throws Exception {
        int leader = quorum.awaitLeader();
        HostPort follower = quorum.voters.get((leader + 2) % 3).address();
        QuorumBootstrap.Quorum found = QuorumBootstrap.discover(7, List.of(follower), Optional.of(quorum.clusterId),
            WAIT);
        assertEquals(quorum.clusterId, found.clusterId());
        assertEquals(quorum.voters, found.voters());
    }

    @Test
    void aNodeWithoutAClusterIdIsAskedForOneWhenTheClustersIdIsNotDerivedFromItsVoters() {
        ConfigException refused = assertThrows(ConfigException.class, () -> QuorumBootstrap.discover(7,
            List.of(quorum.voters.get(0).address()), Optional.empty(), WAIT));
        assertTrue(refused.getMessage().contains("set sluice.cluster.id on this broker"), refused.getMessage());
    }

    @Test
    void aNodeOfAnotherClusterIsRefused() {
        ConfigException refused = assertThrows(ConfigException.class, () -> QuorumBootstrap.discover(7,
            List.of(quorum.voters.get(1).address()), Optional.of("another-cluster"), WAIT));
        assertTrue(refused.getMessage().contains("serves the metadata quorum of another cluster"), refused.getMessage());
    }

    @Test
    void aBrokerMayNotTakeAControllersNodeId() {
        ConfigException refused = assertThrows(ConfigException.class, () -> QuorumBootstrap.discover(2,
            List.of(quorum.voters.get(0).address()), Optional.of(quorum.clusterId), WAIT));
        assertTrue(refused.getMessage().contains("node id 2 is among the voters"), refused.getMessage());
    }

    @Test
    void discoveryGivesUpWhenNoBootstrapControllerAnswers() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        HostPort nobody = new HostPort("127.0.0.1", port);
        IOException failed = assertThrows(IOException.class, () -> QuorumBootstrap.discover(7, List.of(nobody),
            Optional.of(quorum.clusterId), Duration.ofMillis(500)));
        assertTrue(failed.getMessage().contains("no controller of controller.quorum.bootstrap.servers"),
            failed.getMessage());
    }
}
