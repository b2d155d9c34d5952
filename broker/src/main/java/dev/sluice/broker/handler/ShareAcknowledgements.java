package dev.sluice.broker.handler;

import dev.sluice.broker.group.GroupConfigKeys;
import dev.sluice.broker.group.ShareGroupSettings;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.Features;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.share.SharePartition;
import dev.sluice.broker.share.SharePartitionKey;
import dev.sluice.broker.share.SharePartitions;
import dev.sluice.broker.share.ShareSessions;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What ShareFetch and ShareAcknowledge have in common: the checks every share request passes in
 * Kafka's order (the {@code share.version} feature, the group id, READ on the group, the member id),
 * acknowledging one partition's batches, and giving back a closed session's records.
 */
public final class ShareAcknowledgements {
    /** One batch of acknowledgements as both requests carry it. */
    record Batch(long firstOffset, long lastOffset, List<Byte> types) {
    }

    /** A request-level refusal: the error and its message. */
    record Refusal(ErrorCode error, String message) {
    }

    private final MetadataView view;
    private final PartitionLookup lookup;
    private final SharePartitions shares;
    private final ShareSessions sessions;
    private final ShareGroupSettings settings;

    public ShareAcknowledgements(MetadataView view, Partitions partitions, SharePartitions shares, ShareSessions sessions,
                          ShareGroupSettings settings) {
        this.settings = settings;
        this.view = view;
        this.lookup = new PartitionLookup(view, partitions);
        this.shares = shares;
        this.sessions = sessions;
    }

    public ShareSessions sessions() {
        return sessions;
    }

    public SharePartitions shares() {
        return shares;
    }

    MetadataView view() {
        return view;
    }

    PartitionLookup lookup() {
        return lookup;
    }

    /** The checks before the session, in Kafka's order; empty when the request may go on. */
    Optional<Refusal> check(RequestContext context, String groupId, String memberId) {
        if (Features.finalizedLevel(view.image(), Features.SHARE_VERSION) < 1) {
            return Optional.of(new Refusal(ErrorCode.UNSUPPORTED_VERSION,
                "share groups are off: share.version is 0 in this cluster"));
        }
        if (groupId == null) {
            return Optional.of(new Refusal(ErrorCode.INVALID_REQUEST, "The group id is missing."));
        }
        if (!context.allowed(AclOperation.READ, AclResourceType.GROUP, groupId)) {
            return Optional.of(new Refusal(ErrorCode.GROUP_AUTHORIZATION_FAILED, null));
        }
        if (memberId == null || memberId.isEmpty() || memberId.length() > 36) {
            return Optional.of(new Refusal(ErrorCode.INVALID_REQUEST, "Invalid member id in the request."));
        }
        return Optional.empty();
    }

    /**
     * Whether {@code batches} are well formed for this request: ascending and apart, each with
     * types that fit its range, types known at {@code version}, RENEW only in a renewing request.
     */
    static boolean wellFormed(List<Batch> batches, short version, boolean renewing) {
        long previousLast = -1;
        for (Batch b : batches) {
            if (b.firstOffset() > b.lastOffset() || b.firstOffset() <= previousLast || b.types().isEmpty()) {
                return false;
            }
            if (b.types().size() != 1 && b.types().size() != b.lastOffset() - b.firstOffset() + 1) {
                return false;
            }
            for (byte t : b.types()) {
                if (t < 0 || t > (version >= 2 ? 4 : 3) || t == 4 && !renewing) {
                    return false;
                }
            }
            previousLast = b.lastOffset();
        }
        return true;
    }

    /**
     * Applies {@code memberId}'s acknowledgements of one partition; NONE, or the partition's error.
     * A partition no share-partition is loaded for here answers UNKNOWN_TOPIC_OR_PARTITION.
     */
    CompletableFuture<ErrorCode> acknowledge(RequestContext context, String groupId, String memberId, Uuid topicId,
                                             int partition, List<Batch> batches, short version, boolean renewing) {
        if (batches.isEmpty()) {
            return CompletableFuture.completedFuture(ErrorCode.NONE);
        }
        TopicImage topic = view.image().topic(topicId).orElse(null);
        if (topic == null) {
            return CompletableFuture.completedFuture(ErrorCode.UNKNOWN_TOPIC_ID);
        }
        if (!context.allowed(AclOperation.READ, AclResourceType.TOPIC, topic.name())) {
            return CompletableFuture.completedFuture(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        }
        if (!wellFormed(batches, version, renewing)) {
            return CompletableFuture.completedFuture(ErrorCode.INVALID_REQUEST);
        }
        if (renewing && "false".equals(view.image().groupConfigs(groupId).get("share.renew.acknowledge.enable"))) {
            // The group does not allow members to keep records longer than one lock.
            return CompletableFuture.completedFuture(ErrorCode.INVALID_RECORD_STATE);
        }
        PartitionLookup.Found found = lookup.find(topic, partition, -1);
        if (found.error() != ErrorCode.NONE) {
            return CompletableFuture.completedFuture(found.error());
        }
        Optional<SharePartitions.Entry> entry = shares.loaded(new SharePartitionKey(groupId, topicId, partition),
            found.partition());
        if (entry.isEmpty()) {
            return CompletableFuture.completedFuture(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        List<SharePartition.AckRange> ranges = new ArrayList<>(batches.size());
        for (Batch b : batches) {
            ranges.add(new SharePartition.AckRange(b.firstOffset(), b.lastOffset(), b.types()));
        }
        return shares.acknowledge(entry.get(), memberId, ranges);
    }

    /**
     * A session closed (ShareFetch or ShareAcknowledge with epoch -1, or its connection): every
     * record the member holds in the session's partitions goes back to the group.
     */
    void released(ShareSessions.Session session) {
        String groupId = session.key.groupId();
        String memberId = session.key.memberId();
        for (SharePartitions.Entry e : shares.ofGroup(groupId)) {
            shares.release(e, memberId);
        }
        if (!sessions.hasGroup(groupId)) {
            shares.dropGroup(groupId);
        }
    }

    /** Watches the connection of a session just opened: when it closes, so does the session. */
    void closeWithConnection(RequestContext context, ShareSessions.Session session) {
        context.connection().whenClosed(() -> {
            if (sessions.removeIfSame(session)) {
                released(session);
            }
        });
    }

    /** The group's {@code share.record.lock.duration.ms}, as responses tell clients. */
    int lockDurationMs(String groupId) {
        return GroupConfigKeys.intValue(view.image().groupConfigs(groupId), "share.record.lock.duration.ms",
            settings.recordLockDurationMs());
    }
}

