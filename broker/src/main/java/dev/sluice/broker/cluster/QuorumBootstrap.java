package dev.sluice.broker.cluster;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.config.ConfigException;
import dev.sluice.broker.config.HostPort;
import dev.sluice.broker.config.QuorumVoter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.api.GroupManagementApi;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the metadata quorum of a broker-only node configured, as KIP-853 allows, with
 * {@code controller.quorum.bootstrap.servers} (controllers' addresses, no node ids) instead of
 * {@code controller.quorum.voters}: the voters' node ids and addresses, and the cluster id when
 * the node has none yet. The controllers themselves keep a static {@code controller.quorum.voters}.
 *
 * <p><b>Why the quorum is asked first.</b> A Ratis client needs the peers' ids, and a bootstrap
 * address has none. A client whose group lists made-up ids at the right addresses does reach the
 * leader: a server checks only the request's group id, not the peer id it was addressed to, and a
 * follower's NotLeaderException hands the client the leader and the real peers
 * ({@code QuorumBootstrapTest} pins both). But the client learns the real peers only from such a
 * refusal. Had the first address it tried been the leader's, it would still know only the
 * bootstrap addresses when that leader died, and could turn only to the other listed controllers:
 * with a list of one (KIP-853 lets it name only some controllers), or with the others listed down
 * too, to none, though a majority of the quorum was up. So this asks one bootstrap
 * controller, through Ratis' group management API (served by every peer, leader or not, on the
 * same gRPC port), for its group and that group's configuration, and the node then follows the
 * quorum exactly as if its {@code controller.quorum.voters} had listed those voters.
 *
 * <p><b>The cluster id.</b> The Ratis group id is derived one way from the cluster id, so the id
 * cannot be read back from the group. A node that has one (configured as {@code sluice.cluster.id},
 * or in its data directory's {@code meta.properties}, as Kafka's {@code kafka-storage format -t}
 * writes it) looks for its cluster's group and stops if the controllers run another cluster. A new
 * node without one takes the id a cluster of these voters derives when none is configured
 * ({@link ClusterNode#derivedClusterId}), the one a Sluice cluster has unless it was given an id;
 * when the controllers' group is not that one, the node cannot know the id and, as a Kafka broker
 * must be formatted with its cluster's id, it stops asking for {@code sluice.cluster.id}.
 *
 * <p>Called once at start-up, on the starting thread; it blocks until a controller answers.
 */
public final class QuorumBootstrap {
    private static final Logger log = LoggerFactory.getLogger(QuorumBootstrap.class);
    /** How long start-up waits for a bootstrap controller to answer: as long as for catching up. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    /** How long one bootstrap controller is given to answer one call. */
    private static final TimeDuration CALL_TIMEOUT = TimeDuration.valueOf(3, TimeUnit.SECONDS);
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private QuorumBootstrap() {
    }

    /** The quorum a node follows: its cluster's id and the voters, in node id order. */
    public record Quorum(String clusterId, List<QuorumVoter> voters) {
    }

    /**
     * The quorum of a broker-only node with {@code controller.quorum.bootstrap.servers}, waiting
     * at most {@link #DEFAULT_TIMEOUT}; see {@link #discover(int, List, Optional, Duration)}.
     */
    public static Quorum discover(BrokerConfig config, Optional<String> clusterId) throws IOException {
        return discover(config.nodeId(), config.quorumBootstrapServers(), clusterId, DEFAULT_TIMEOUT,
            RatisSettings.parameters(RatisSettings.tlsOf(config)));
    }

    /** As {@link #discover(int, List, Optional, Duration, Parameters)} over plaintext. */
    public static Quorum discover(int nodeId, List<HostPort> servers, Optional<String> clusterId, Duration timeout)
            throws IOException {
        return discover(nodeId, servers, clusterId, timeout, new Parameters());
    }

    /**
     * Asks the bootstrap controllers, in turn and again until one answers or {@code timeout}
     * passes, for the quorum.
     *
     * @param nodeId this broker's {@code node.id}, which must not be a voter's
     * @param servers {@code controller.quorum.bootstrap.servers}
     * @param clusterId this node's cluster id if it has one (configured or formatted)
     * @throws ConfigException if the controllers run another cluster, their cluster id cannot be
     *     known, or {@code nodeId} is one of the voters
     * @param parameters the quorum's TLS, if the controller listener has it
     * @throws IOException if no bootstrap controller answered in time
     */
    public static Quorum discover(int nodeId, List<HostPort> servers, Optional<String> clusterId, Duration timeout,
                                  Parameters parameters) throws IOException {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no bootstrap controllers");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean warned = false;
        while (true) {
            List<String> failures = new ArrayList<>();
            for (HostPort server : servers) {
                try {
                    Quorum quorum = ask(server, clusterId, parameters);
                    check(nodeId, quorum);
                    log.info("broker {} found the metadata quorum {} of cluster {} through the bootstrap controller {}",
                        nodeId, quorum.voters(), quorum.clusterId(), server);
                    return quorum;
                } catch (ConfigException e) {
                    throw e;
                } catch (IOException | RuntimeException e) {
                    // Ratis' admin calls fail with gRPC's unchecked exceptions when nothing answers.
                    failures.add(server + ": " + e);
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("no controller of " + BrokerConfigKeys.CONTROLLER_QUORUM_BOOTSTRAP_SERVERS + "="
                    + servers + " described the metadata quorum within " + timeout + ": " + failures);
            }
            if (!warned) {
                warned = true;
                log.warn("broker {} cannot reach the metadata quorum through {} yet and retries: {}", nodeId, servers,
                    failures);
            }
            LockSupport.parkNanos(RETRY_NANOS);
        }
    }

    /** One bootstrap controller's answer: its group (the one of {@code clusterId}, if known) and voters. */
    private static Quorum ask(HostPort server, Optional<String> clusterId, Parameters parameters) throws IOException {
        // The server does not check the peer id a request is addressed to, so any id names it here.
        RaftPeerId id = RaftPeerId.valueOf("bootstrap");
        RaftGroupId wanted = clusterId.map(QuorumClient::groupId).orElse(null);
        RaftGroup contact = RaftGroup.valueOf(wanted != null ? wanted : RaftGroupId.randomId(),
            RaftPeer.newBuilder().setId(id).setAddress(server.toString()).build());
        RaftProperties properties = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(properties, CALL_TIMEOUT);
        try (RaftClient client = RaftClient.newBuilder().setClientId(ClientId.randomId()).setRaftGroup(contact)
                .setProperties(properties).setParameters(parameters).setRetryPolicy(RetryPolicies.noRetry()).build()) {
            GroupManagementApi api = client.getGroupManagementApi(id);
            List<RaftGroupId> groups = api.list().getGroupIds();
            if (groups.isEmpty()) {
                throw new IOException("it serves no metadata quorum yet");
            }
            RaftGroupId group;
            if (wanted != null) {
                if (!groups.contains(wanted)) {
                    throw new ConfigException(BrokerConfigKeys.CLUSTER_ID, clusterId.get(), "the controller at " + server
                        + " (from " + BrokerConfigKeys.CONTROLLER_QUORUM_BOOTSTRAP_SERVERS + ") serves the metadata"
                        + " quorum of another cluster; this node's cluster id, configured or in its meta.properties,"
                        + " must be the controllers' cluster id");
                }
                group = wanted;
            } else if (groups.size() == 1) {
                group = groups.get(0);
            } else {
                throw new IOException("it serves " + groups.size() + " Ratis groups, not one metadata quorum");
            }
            List<QuorumVoter> voters = voters(server, api.info(group).getGroup().getPeers());
            if (wanted != null) {
                return new Quorum(clusterId.get(), voters);
            }
            String derived = ClusterNode.derivedClusterId(voters);
            if (!QuorumClient.groupId(derived).equals(group)) {
                throw new ConfigException("The controllers " + voters + " (found through "
                    + BrokerConfigKeys.CONTROLLER_QUORUM_BOOTSTRAP_SERVERS + ") run a cluster whose id was configured,"
                    + " not derived from its voters: set " + BrokerConfigKeys.CLUSTER_ID + " on this broker to the"
                    + " cluster's id (kafka-cluster cluster-id --bootstrap-server with any broker's address prints it)");
            }
            return new Quorum(derived, voters);
        }
    }

    /** The voters of a Sluice quorum: peer id {@code "n"} is node {@code n}, at its controller address. */
    private static List<QuorumVoter> voters(HostPort server, Iterable<RaftPeer> peers) throws IOException {
        List<QuorumVoter> voters = new ArrayList<>();
        for (RaftPeer peer : peers) {
            String address = peer.getAddress();
            int colon = address == null ? -1 : address.lastIndexOf(':');
            try {
                String host = address.substring(0, colon);
                if (host.startsWith("[") && host.endsWith("]")) {
                    host = host.substring(1, host.length() - 1);
                }
                voters.add(new QuorumVoter(Integer.parseInt(peer.getId().toString()),
                    new HostPort(host, Integer.parseInt(address.substring(colon + 1)))));
            } catch (RuntimeException e) {
                throw new IOException("the controller at " + server + " is not a Sluice controller: its quorum has a"
                    + " peer " + peer.getId() + " at " + address);
            }
        }
        if (voters.isEmpty()) {
            throw new IOException("its metadata quorum has no voters");
        }
        voters.sort(Comparator.comparingInt(QuorumVoter::nodeId));
        return List.copyOf(voters);
    }

    private static void check(int nodeId, Quorum quorum) {
        if (quorum.voters().stream().anyMatch(v -> v.nodeId() == nodeId)) {
            throw new ConfigException("A broker-only node's node id must not be a controller's: node id " + nodeId
                + " is among the voters " + quorum.voters() + " found through "
                + BrokerConfigKeys.CONTROLLER_QUORUM_BOOTSTRAP_SERVERS);
        }
    }
}
