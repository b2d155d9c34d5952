package dev.sluice.broker.handler;

import dev.sluice.broker.share.ShareSessions;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ShareAcknowledgeRequest;
import dev.sluice.wire.message.ShareAcknowledgeResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * ShareAcknowledge (key 79), v1-2 (KIP-932): a share group member acknowledges records it
 * fetched, without fetching more (commitSync, commitAsync, close). It needs an open share session:
 * epoch 0 is INVALID_SHARE_SESSION_EPOCH (a session is opened by ShareFetch only), n must be the
 * session's next epoch, -1 acknowledges and then closes the session, giving back every record the
 * member still holds here. Each partition answers once its acknowledgements are durable at the
 * share coordinator. v2 adds renewing record locks (IsRenewAck, type 4).
 */
public final class ShareAcknowledgeHandler extends ApiHandler<ShareAcknowledgeRequest, ShareAcknowledgeResponse> {
    private final ShareAcknowledgements acks;

    public ShareAcknowledgeHandler(ShareAcknowledgements acks) {
        super(ApiKey.SHARE_ACKNOWLEDGE, 1, 2);
        this.acks = acks;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ShareAcknowledgeResponse> handle(RequestContext context, ShareAcknowledgeRequest request) {
        short version = context.version();
        var refused = acks.check(context, request.groupId(), request.memberId());
        if (refused.isPresent()) {
            return done(error(refused.get().error(), refused.get().message()));
        }
        int epoch = request.shareSessionEpoch();
        if (epoch == 0) {
            return done(error(ErrorCode.INVALID_SHARE_SESSION_EPOCH, "A share session is not opened by ShareAcknowledge."));
        }
        ShareSessions sessions = acks.sessions();
        ShareSessions.Outcome outcome = sessions.use(new ShareSessions.Key(request.groupId(), request.memberId()),
            epoch, epoch == -1);
        if (outcome.error() != ErrorCode.NONE) {
            return done(error(outcome.error(), null));
        }
        boolean renewing = version >= 2 && request.isRenewAck();
        Map<Uuid, List<ShareAcknowledgeResponse.PartitionData>> results = new LinkedHashMap<>();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (ShareAcknowledgeRequest.AcknowledgeTopic t : request.topics()) {
            for (ShareAcknowledgeRequest.AcknowledgePartition p : t.partitions()) {
                List<ShareAcknowledgements.Batch> batches = new ArrayList<>();
                p.acknowledgementBatches().forEach(b -> batches.add(
                    new ShareAcknowledgements.Batch(b.firstOffset(), b.lastOffset(), b.acknowledgeTypes())));
                ShareAcknowledgeResponse.PartitionData r = new ShareAcknowledgeResponse.PartitionData()
                    .setPartitionIndex(p.partitionIndex())
                    .setCurrentLeader(new ShareAcknowledgeResponse.LeaderIdAndEpoch().setLeaderId(-1).setLeaderEpoch(-1));
                results.computeIfAbsent(t.topicId(), id -> new ArrayList<>()).add(r);
                pending.add(acks.acknowledge(context, request.groupId(), request.memberId(), t.topicId(),
                    p.partitionIndex(), batches, version, renewing).thenAccept(e -> r.setErrorCode(e.code())));
            }
        }
        ShareSessions.Session session = outcome.session();
        return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            if (epoch == -1) {
                acks.released(session);
            }
            List<ShareAcknowledgeResponse.ShareAcknowledgeTopicResponse> topics = new ArrayList<>();
            results.forEach((id, ps) -> topics.add(new ShareAcknowledgeResponse.ShareAcknowledgeTopicResponse()
                .setTopicId(id).setPartitions(ps)));
            return new ShareAcknowledgeResponse().setAcquisitionLockTimeoutMs(acks.lockDurationMs(request.groupId()))
                .setResponses(topics).setNodeEndpoints(new ArrayList<>());
        });
    }

    private static ShareAcknowledgeResponse error(ErrorCode error, String message) {
        return new ShareAcknowledgeResponse().setErrorCode(error.code()).setErrorMessage(message)
            .setResponses(new ArrayList<>()).setNodeEndpoints(new ArrayList<>());
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    @Override
    public ShareAcknowledgeResponse errorResponse(ShareAcknowledgeRequest request, ErrorCode error) {
        return error(error, null);
    }
}

