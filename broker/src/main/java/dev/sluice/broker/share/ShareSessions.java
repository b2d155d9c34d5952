package dev.sluice.broker.share;

import dev.sluice.wire.codec.Uuid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The share sessions of this broker (KIP-932): one per share group member, keyed by group and
 * member id, holding the partitions the member fetches here, the epoch its next request must
 * carry, and the connection it came on. ShareFetch with epoch 0 opens one (replacing the member's
 * previous one without releasing its records), later requests add and forget partitions and bump
 * the epoch, epoch -1 closes it; so does its connection closing, which is what gives a killed
 * consumer's records back at once. At most {@code group.share.max.share.sessions} are kept.
 *
 * <p>Thread-safe: every method holds the cache's lock; a {@link Session}'s fields are only read or
 * changed under it.
 */
public final class ShareSessions {
    /** A member's session key. */
    public record Key(String groupId, String memberId) {
    }

    /** A partition of a session: by topic id, as share requests name it. */
    public record TopicIdPartition(Uuid topicId, int partition) {
    }

    /** One member's session; its fields are read and changed only under the cache's lock. */
    public static final class Session {
        public final Key key;
        final Object connection;
        /** The epoch the member's next request must carry. */
        int nextEpoch = 1;
        final LinkedHashSet<TopicIdPartition> partitions = new LinkedHashSet<>();
        /** Partitions whose last response was an error: they are answered once more. */
        final Set<TopicIdPartition> errored = new java.util.HashSet<>();

        Session(Key key, Object connection) {
            this.key = key;
            this.connection = connection;
        }
    }

    /** What a request did to its session: the session, or the error to answer. */
    public record Outcome(Session session, dev.sluice.wire.message.ErrorCode error) {
    }

    private final int maxSessions;
    private final Map<Key, Session> sessions = new HashMap<>();

    public ShareSessions(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    /**
     * Epoch 0: a new session for the member with {@code partitions}, replacing any it had (whose
     * records stay acquired); SHARE_SESSION_LIMIT_REACHED when the cache is full.
     */
    public synchronized Outcome open(Key key, Object connection, List<TopicIdPartition> partitions) {
        if (!sessions.containsKey(key) && sessions.size() >= maxSessions) {
            return new Outcome(null, dev.sluice.wire.message.ErrorCode.SHARE_SESSION_LIMIT_REACHED);
        }
        Session s = new Session(key, connection);
        s.partitions.addAll(partitions);
        sessions.put(key, s);
        return new Outcome(s, dev.sluice.wire.message.ErrorCode.NONE);
    }

    /**
     * Epoch n > 0 (or -1 with {@code closing}): the member's session if {@code epoch} is the one
     * it expects; SHARE_SESSION_NOT_FOUND or INVALID_SHARE_SESSION_EPOCH otherwise. A session
     * request that passes moves the epoch on (wrapping to 1); a closing one removes the session.
     */
    public synchronized Outcome use(Key key, int epoch, boolean closing) {
        Session s = sessions.get(key);
        if (s == null) {
            return new Outcome(null, dev.sluice.wire.message.ErrorCode.SHARE_SESSION_NOT_FOUND);
        }
        if (closing) {
            sessions.remove(key);
            return new Outcome(s, dev.sluice.wire.message.ErrorCode.NONE);
        }
        if (epoch != s.nextEpoch) {
            return new Outcome(null, dev.sluice.wire.message.ErrorCode.INVALID_SHARE_SESSION_EPOCH);
        }
        s.nextEpoch = epoch == Integer.MAX_VALUE ? 1 : epoch + 1;
        return new Outcome(s, dev.sluice.wire.message.ErrorCode.NONE);
    }

    /** Adds and forgets partitions of a session; returns the ones newly added. */
    public synchronized Set<TopicIdPartition> update(Session s, List<TopicIdPartition> added,
                                                     List<TopicIdPartition> forgotten) {
        forgotten.forEach(p -> {
            s.partitions.remove(p);
            s.errored.remove(p);
        });
        Set<TopicIdPartition> fresh = new LinkedHashSet<>();
        for (TopicIdPartition p : added) {
            if (s.partitions.add(p)) {
                fresh.add(p);
            }
        }
        return fresh;
    }

    /**
     * The session's partitions in the order this request reads them: rotated by the epoch so that
     * a fetch that runs out of budget does not always starve the same ones.
     */
    public synchronized List<TopicIdPartition> partitions(Session s) {
        List<TopicIdPartition> all = new ArrayList<>(s.partitions);
        if (all.size() > 1) {
            java.util.Collections.rotate(all, -Math.floorMod(s.nextEpoch, all.size()));
        }
        return all;
    }

    /** Notes which partitions answered an error this time (each is answered once more after). */
    public synchronized boolean answeredErrorBefore(Session s, TopicIdPartition p, boolean errorNow) {
        boolean before = s.errored.contains(p);
        if (errorNow) {
            s.errored.add(p);
        } else {
            s.errored.remove(p);
        }
        return before;
    }

    /** Removes the member's session if it is still {@code s} (its connection closed). */
    public synchronized boolean removeIfSame(Session s) {
        return sessions.remove(s.key, s);
    }

    /** Whether any member of {@code groupId} has a session here. */
    public synchronized boolean hasGroup(String groupId) {
        for (Key k : sessions.keySet()) {
            if (k.groupId().equals(groupId)) {
                return true;
            }
        }
        return false;
    }

    /** Sessions kept (a gauge). */
    public synchronized int size() {
        return sessions.size();
    }

}
