package dev.sluice.broker.cluster;

import dev.sluice.broker.config.QuorumVoter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;

/**
 * A Ratis client of the metadata quorum's voters that delivers requests to the ready leader's
 * state machine ({@link MetadataStateMachine#query}), following leader changes. Voters and
 * observers ask the active controller through it alike.
 *
 * <p>Thread-safe.
 */
final class QuorumClient implements AutoCloseable {
    /** Sleep between retries while no leader is ready. */
    private static final TimeDuration RETRY_SLEEP = TimeDuration.valueOf(100, TimeUnit.MILLISECONDS);

    private final int nodeId;
    private final RaftClient client;

    /** A client for node {@code nodeId}, which the leader learns from every request it sends. */
    QuorumClient(int nodeId, ClientId clientId, RaftGroup group, RaftProperties properties,
                 org.apache.ratis.conf.Parameters parameters, java.time.Duration requestTimeout) {
        this.nodeId = nodeId;
        this.client = RaftClient.newBuilder()
            .setClientId(clientId)
            .setRaftGroup(group)
            .setProperties(properties)
            .setParameters(parameters)
            .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                (int) Math.max(1, requestTimeout.toMillis() / RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS)), RETRY_SLEEP))
            .build();
    }

    /** The Ratis group of a cluster's voters: node id {@code n} is peer {@code "n"} at its voter address. */
    static RaftGroup group(String clusterId, List<QuorumVoter> voters) {
        List<RaftPeer> peers = new ArrayList<>();
        for (QuorumVoter voter : voters) {
            peers.add(RaftPeer.newBuilder().setId(peerId(voter.nodeId())).setAddress(voter.address().toString()).build());
        }
        return RaftGroup.valueOf(groupId(clusterId), peers);
    }

    /** The Ratis group id of a cluster: the same on every node that shares the cluster id. */
    static RaftGroupId groupId(String clusterId) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
            ("sluice metadata quorum " + clusterId).getBytes(StandardCharsets.UTF_8)));
    }

    static RaftPeerId peerId(int nodeId) {
        return RaftPeerId.valueOf(Integer.toString(nodeId));
    }

    /**
     * See {@link MetadataQuorum#askLeader}. What the leader's state machine receives is
     * {@code int32 sender node id} followed by {@code request}.
     */
    CompletableFuture<byte[]> ask(byte[] request) {
        byte[] sent = java.nio.ByteBuffer.allocate(4 + request.length).putInt(nodeId).put(request).array();
        // Unordered: one slow or failed request does not hold back the next, and a request that
        // reaches a follower is redirected to the leader quietly (the ordered path logs each
        // redirect as an error).
        return client.async().sendReadOnlyUnordered(
                org.apache.ratis.protocol.Message.valueOf(UnsafeByteOperations.unsafeWrap(sent)), null)
            .thenApply(reply -> {
                if (!reply.isSuccess()) {
                    RaftException e = reply.getException();
                    throw new CompletionException(e.getCause() != null ? e.getCause() : e);
                }
                return reply.getMessage().getContent().toByteArray();
            });
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
