package dev.sluice.broker.handler;

import dev.sluice.broker.handler.QuorumMembership.Outcome;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.RemoveRaftVoterRequest;
import dev.sluice.wire.message.RemoveRaftVoterResponse;
import java.util.concurrent.CompletableFuture;

/**
 * RemoveRaftVoter (key 81), v0, what {@code kafka-metadata-quorum remove-controller} sends:
 * checked as Kafka's active controller checks it (the cluster id, a voter id and directory id),
 * then refused with UNSUPPORTED_VERSION, because the quorum's voters are fixed; see
 * {@link QuorumMembership}. Needs ALTER on the cluster; forwarded to the active controller.
 */
public final class RemoveRaftVoterHandler extends ApiHandler<RemoveRaftVoterRequest, RemoveRaftVoterResponse> {
    private final QuorumMembership quorum;

    RemoveRaftVoterHandler(QuorumMembership quorum) {
        super(ApiKey.REMOVE_RAFT_VOTER, 0, 0);
        this.quorum = quorum;
    }

    @Override
    public CompletableFuture<RemoveRaftVoterResponse> handle(RequestContext context, RemoveRaftVoterRequest request) {
        Outcome outcome = quorum.checkClusterId(request.clusterId());
        if (outcome.error() == ErrorCode.NONE) {
            outcome = QuorumMembership.checkVoter("Removing a voter", request.voterId(), request.voterDirectoryId());
        }
        if (outcome.error() == ErrorCode.NONE) {
            outcome = quorum.fixedMembership("removing a voter");
        }
        return CompletableFuture.completedFuture(new RemoveRaftVoterResponse().setErrorCode(outcome.error().code())
            .setErrorMessage(outcome.message()));
    }

    @Override
    public RemoveRaftVoterResponse errorResponse(RemoveRaftVoterRequest request, ErrorCode error) {
        return new RemoveRaftVoterResponse().setErrorCode(error.code()).setErrorMessage(null);
    }
}
