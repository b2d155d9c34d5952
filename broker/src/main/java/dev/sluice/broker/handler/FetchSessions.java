package dev.sluice.broker.handler;

import dev.sluice.wire.codec.Uuid;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The incremental fetch sessions of KIP-227: a consumer's set of partitions with their fetch
 * positions, kept between requests so that each fetch needs to name only what changed and each
 * response carries only partitions with news (records, or a new high watermark, last stable offset
 * or log start offset).
 *
 * <p>At most {@code max.incremental.fetch.session.cache.slots} sessions are kept. When the cache is
 * full a new session may take the place of one unused for {@link #STALE_MS}, or else of the
 * smallest session if the new one has more partitions; otherwise the client gets no session and
 * fetches in full each time. Thread-safe: the cache is guarded by its own lock and each session by
 * its own, and one client never has two requests of the same session in flight.
 */
final class FetchSessions {
    /** A session unused this long may be evicted for a new one. */
    static final long STALE_MS = 120_000;

    /** Identifies a session partition: by topic id (v13+) or by name. */
    record Key(Uuid topicId, String topic, int partition) {
    }

    /** What the session remembers of one partition. */
    static final class Entry {
        final Key key;
        long fetchOffset;
        int maxBytes;
        int currentLeaderEpoch;
        /** A follower's epoch of its last fetched batch (v12+), -1 when not sent. */
        int lastFetchedEpoch = -1;
        /** A follower's own high watermark (v18, KIP-1166); Long.MAX_VALUE when not sent. */
        long replicaHighWatermark = Long.MAX_VALUE;
        long lastHighWatermark = -1;
        long lastStableOffset = -1;
        long lastLogStartOffset = -1;

        Entry(Key key) {
            this.key = key;
        }
    }

    static final class Session {
        final int id;
        final boolean usesTopicIds;
        int nextEpoch = 1;
        long lastUsedMs;
        /** Partitions added by incremental fetches that the cluster did not have at the time. */
        int unknownAdded;
        final LinkedHashMap<Key, Entry> partitions = new LinkedHashMap<>();

        Session(int id, boolean usesTopicIds) {
            this.id = id;
            this.usesTopicIds = usesTopicIds;
        }

        /** Moves partitions that just returned data to the back, so large partitions do not starve others. */
        void rotate(List<Key> returnedData) {
            for (Key k : returnedData) {
                Entry e = partitions.remove(k);
                if (e != null) {
                    partitions.put(k, e);
                }
            }
        }
    }

    private final int maxSlots;
    private final Map<Integer, Session> sessions = new HashMap<>();
    private final SecureRandom random = new SecureRandom();

    FetchSessions(int maxSlots) {
        this.maxSlots = maxSlots;
    }

    synchronized Session get(int id) {
        return sessions.get(id);
    }

    synchronized void remove(int id) {
        sessions.remove(id);
    }

    synchronized int size() {
        return sessions.size();
    }

    /** A new session for {@code partitionCount} partitions, or null when there is no room for it. */
    synchronized Session create(boolean usesTopicIds, int partitionCount, long nowMs) {
        if (maxSlots <= 0) {
            return null;
        }
        if (sessions.size() >= maxSlots && !evictFor(partitionCount, nowMs)) {
            return null;
        }
        int id;
        do {
            id = random.nextInt(Integer.MAX_VALUE - 1) + 1;
        } while (sessions.containsKey(id));
        Session session = new Session(id, usesTopicIds);
        session.lastUsedMs = nowMs;
        sessions.put(id, session);
        return session;
    }

    private boolean evictFor(int partitionCount, long nowMs) {
        Session stalest = null;
        Session smallest = null;
        for (Session s : new ArrayList<>(sessions.values())) {
            if (nowMs - s.lastUsedMs >= STALE_MS && (stalest == null || s.lastUsedMs < stalest.lastUsedMs)) {
                stalest = s;
            }
            if (smallest == null || s.partitions.size() < smallest.partitions.size()) {
                smallest = s;
            }
        }
        Session victim = stalest != null ? stalest
            : smallest != null && smallest.partitions.size() < partitionCount ? smallest : null;
        if (victim == null) {
            return false;
        }
        sessions.remove(victim.id);
        return true;
    }
}
