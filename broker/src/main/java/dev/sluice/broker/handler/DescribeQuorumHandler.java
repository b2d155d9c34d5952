package dev.sluice.broker.handler;

import dev.sluice.broker.cluster.MetadataQuorum;
import dev.sluice.broker.cluster.QuorumState;
import dev.sluice.broker.config.QuorumVoter;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.DescribeQuorumRequest;
import dev.sluice.wire.message.DescribeQuorumResponse;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * DescribeQuorum (key 55), v0-2: the metadata quorum as its leader sees it (on a single node, itself), so
 * that {@code kafka-metadata-quorum describe --status/--replication} works. A broker that does not
 * lead the quorum forwards the request to the one that does (only the leader tracks the voters'
 * progress). The quorum is a Ratis group: its term is reported as the leader epoch, log indexes as
 * offsets; every voter is a controller, there are no observers. A voter's last fetch and last
 * caught-up times are both when the leader last heard from it (Ratis keeps no caught-up time),
 * and -1 with a log end offset of -1 while it has acknowledged nothing in the leader's term.
 */
public final class DescribeQuorumHandler extends ApiHandler<DescribeQuorumRequest, DescribeQuorumResponse> {
    /** The name Kafka gives the metadata log, which tools ask for. */
    static final String METADATA_TOPIC = "__cluster_metadata";

    private final Supplier<QuorumState> quorum;
    private final BooleanSupplier leads;
    private final List<QuorumVoter> voters;
    private final String controllerListener;

    public DescribeQuorumHandler(MetadataQuorum quorum, List<QuorumVoter> voters, String controllerListener) {
        this(quorum::quorumState, quorum::isLeader, voters, controllerListener);
    }

    private DescribeQuorumHandler(Supplier<QuorumState> quorum, BooleanSupplier leads, List<QuorumVoter> voters,
                                  String controllerListener) {
        super(ApiKey.DESCRIBE_QUORUM, 0, 2);
        this.quorum = quorum;
        this.leads = leads;
        this.voters = List.copyOf(voters);
        this.controllerListener = controllerListener;
    }

    /**
     * A single node's quorum: itself, the one voter and always its leader, in epoch 1, its
     * metadata journal's last applied entry as high watermark and log end offset. It has no
     * controller listener, so no voter endpoints are listed.
     */
    public static DescribeQuorumHandler singleNode(MetadataView view, int nodeId) {
        return new DescribeQuorumHandler(() -> new QuorumState(OptionalInt.of(nodeId), 1, view.appliedOffset(),
            List.of(new QuorumState.VoterState(nodeId, view.appliedOffset(), OptionalLong.of(0))), List.of()),
            () -> true, List.of(), "");
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<DescribeQuorumResponse> handle(RequestContext context, DescribeQuorumRequest request) {
        if (!(context.allowedOnCluster(AclOperation.DESCRIBE))) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
        }
        boolean asksForMetadata = request.topics().size() == 1 && METADATA_TOPIC.equals(request.topics().get(0).topicName())
            && request.topics().get(0).partitions().size() == 1
            && request.topics().get(0).partitions().get(0).partitionIndex() == 0;
        if (!asksForMetadata) {
            return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_REQUEST)
                .setErrorMessage("only " + METADATA_TOPIC + "-0 has a quorum"));
        }
        QuorumState state = quorum.get();
        if (!leads.getAsBoolean()) {
            return CompletableFuture.completedFuture(partitionError(ErrorCode.NOT_LEADER_OR_FOLLOWER,
                "this node does not lead the metadata quorum"));
        }
        long now = System.currentTimeMillis();
        List<DescribeQuorumResponse.ReplicaState> current = replicaStates(state.voters(), now);
        List<DescribeQuorumResponse.ReplicaState> observers = replicaStates(state.observers(), now);
        List<DescribeQuorumResponse.Node> nodes = new ArrayList<>();
        for (QuorumVoter v : voters) {
            nodes.add(new DescribeQuorumResponse.Node().setNodeId(v.nodeId()).setListeners(List.of(
                new DescribeQuorumResponse.Listener().setName(controllerListener).setHost(v.address().host())
                    .setPort(v.address().port()))));
        }
        DescribeQuorumResponse.PartitionData partition = new DescribeQuorumResponse.PartitionData().setPartitionIndex(0)
            .setLeaderId(state.leaderId().orElse(-1)).setLeaderEpoch((int) state.term())
            .setHighWatermark(state.lastAppliedIndex()).setCurrentVoters(current).setObservers(observers);
        return CompletableFuture.completedFuture(new DescribeQuorumResponse().setTopics(List.of(
            new DescribeQuorumResponse.TopicData().setTopicName(METADATA_TOPIC).setPartitions(List.of(partition))))
            .setNodes(nodes));
    }

    private static List<DescribeQuorumResponse.ReplicaState> replicaStates(List<QuorumState.VoterState> members,
                                                                          long now) {
        List<DescribeQuorumResponse.ReplicaState> states = new ArrayList<>();
        for (QuorumState.VoterState v : members) {
            // A voter that has acknowledged nothing to this leader is one it has not heard from in
            // its term (Ratis counts its silence from when the leader started): unknown, as Kafka
            // reports a voter the leader has not heard from, not a fetch at the start of the term.
            boolean heard = v.lastAckedIndex() >= 0 && v.lastContactMillisAgo().isPresent();
            long seen = heard ? now - v.lastContactMillisAgo().getAsLong() : -1;
            states.add(new DescribeQuorumResponse.ReplicaState().setReplicaId(v.nodeId())
                .setLogEndOffset(v.lastAckedIndex()).setLastFetchTimestamp(seen).setLastCaughtUpTimestamp(seen));
        }
        return states;
    }

    private static DescribeQuorumResponse partitionError(ErrorCode error, String message) {
        return new DescribeQuorumResponse().setTopics(List.of(new DescribeQuorumResponse.TopicData()
            .setTopicName(METADATA_TOPIC).setPartitions(List.of(new DescribeQuorumResponse.PartitionData()
                .setPartitionIndex(0).setErrorCode(error.code()).setErrorMessage(message)))));
    }

    @Override
    public DescribeQuorumResponse errorResponse(DescribeQuorumRequest request, ErrorCode error) {
        return new DescribeQuorumResponse().setErrorCode(error.code());
    }
}
