package dev.sluice.broker.handler;

import dev.sluice.broker.handler.QuorumMembership.Outcome;
import dev.sluice.wire.message.AddRaftVoterRequest;
import dev.sluice.wire.message.AddRaftVoterRequest.Listener;
import dev.sluice.wire.message.AddRaftVoterResponse;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;

/**
 * AddRaftVoter (key 80), v0-1, what {@code kafka-metadata-quorum add-controller} sends: checked
 * as Kafka's active controller checks it (the cluster id, a voter id and directory id, an
 * endpoint for the default controller listener; INCONSISTENT_CLUSTER_ID, INVALID_REQUEST), then
 * refused with UNSUPPORTED_VERSION, because the quorum's voters are fixed; see
 * {@link QuorumMembership}. A listener without a name is INVALID_REQUEST. Needs ALTER on the
 * cluster (the dispatcher's check); forwarded to the active controller on a cluster.
 */
public final class AddRaftVoterHandler extends ApiHandler<AddRaftVoterRequest, AddRaftVoterResponse> {
    private final QuorumMembership quorum;

    AddRaftVoterHandler(QuorumMembership quorum) {
        super(ApiKey.ADD_RAFT_VOTER, 0, 1);
        this.quorum = quorum;
    }

    @Override
    public CompletableFuture<AddRaftVoterResponse> handle(RequestContext context, AddRaftVoterRequest request) {
        Outcome outcome = quorum.checkClusterId(request.clusterId());
        if (outcome.error() == ErrorCode.NONE) {
            outcome = QuorumMembership.checkVoter("Adding a voter", request.voterId(), request.voterDirectoryId());
        }
        if (outcome.error() == ErrorCode.NONE) {
            outcome = checkEndpoints(request);
        }
        if (outcome.error() == ErrorCode.NONE) {
            outcome = quorum.fixedMembership("adding a voter");
        }
        return CompletableFuture.completedFuture(new AddRaftVoterResponse().setErrorCode(outcome.error().code())
            .setErrorMessage(outcome.message()));
    }

    /** The new voter must say where its default controller listener is. */
    private Outcome checkEndpoints(AddRaftVoterRequest request) {
        StringJoiner endpoints = new StringJoiner(", ");
        boolean found = false;
        for (Listener l : request.listeners()) {
            if (l.name() == null || l.name().isBlank()) {
                return new Outcome(ErrorCode.INVALID_REQUEST, "Adding a voter: an endpoint has no listener name");
            }
            String name = l.name().toUpperCase(Locale.ROOT);
            found |= name.equals(quorum.defaultListener());
            endpoints.add(name + "://" + l.host() + ":" + l.port());
        }
        if (!found) {
            return new Outcome(ErrorCode.INVALID_REQUEST, "Adding a voter: its endpoints [" + endpoints
                + "] have none for the default controller listener " + quorum.defaultListener());
        }
        return Outcome.NONE;
    }

    @Override
    public AddRaftVoterResponse errorResponse(AddRaftVoterRequest request, ErrorCode error) {
        return new AddRaftVoterResponse().setErrorCode(error.code()).setErrorMessage(null);
    }
}
