package dev.sluice.broker.handler;

import dev.sluice.broker.LogSafe;
import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.log.ReadPools;
import dev.sluice.broker.metadata.MetadataView;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.storage.LogStorageException;
import dev.sluice.storage.TimestampAndOffset;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ListOffsetsRequest;
import dev.sluice.wire.message.ListOffsetsResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ListOffsets (key 2), v1-11.
 *
 * <p>Special timestamps: -1 latest (the high watermark; with {@code isolation_level} 1,
 * read_committed, from v2, the last stable offset: no further than the earliest open
 * transaction), -2 earliest (log start), -3 the record with the largest timestamp
 * (v7+), -4 earliest local (v8+; the first offset on local disk), -5 latest
 * tiered (v9+; the last offset in the object store, -1 if none), -6 earliest pending upload (v11+,
 * KIP-1023; the first offset not yet in the object store: the log start while nothing is there,
 * -1 for a topic that does not tier). A timestamp of 0 or more finds the first record at or
 * after it, or offset -1 when there is none. A partition listed twice is INVALID_REQUEST.
 *
 * <p>Threading: searches run on {@link ReadPools}, those that may reach the cold tier on its
 * object-store pool; a search the pool has no room for answers KAFKA_STORAGE_ERROR (retriable).
 */
public final class ListOffsetsHandler extends ApiHandler<ListOffsetsRequest, ListOffsetsResponse> {
    private static final Logger log = LoggerFactory.getLogger(ListOffsetsHandler.class);
    static final long LATEST = -1;
    static final long EARLIEST = -2;
    static final long MAX_TIMESTAMP = -3;
    static final long EARLIEST_LOCAL = -4;
    static final long LATEST_TIERED = -5;
    static final long EARLIEST_PENDING_UPLOAD = -6;

    private final PartitionLookup lookup;
    private final ReadPools pools;

    public ListOffsetsHandler(MetadataView view, Partitions partitions, ReadPools pools) {
        super(ApiKey.LIST_OFFSETS, 1, 11);
        this.lookup = new PartitionLookup(view, partitions);
        this.pools = pools;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ListOffsetsResponse> handle(RequestContext context, ListOffsetsRequest request) {
        // Searches read indexes and segments: never on the event loop.
        return CompletableFuture.supplyAsync(() -> answerAll(context, request), pools.local()).thenCompose(answered ->
            CompletableFuture.allOf(answered.remote().toArray(new CompletableFuture<?>[0]))
                .thenApply(done -> answered.response()));
    }

    /** The response, complete but for the searches of the cold tier still running on the object-store pool. */
    private record Answered(ListOffsetsResponse response, List<CompletableFuture<Void>> remote) {
    }

    private Answered answerAll(RequestContext context, ListOffsetsRequest request) {
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new HashSet<>();
        for (ListOffsetsRequest.ListOffsetsTopic t : request.topics()) {
            for (ListOffsetsRequest.ListOffsetsPartition p : t.partitions()) {
                String key = t.name() + "-" + p.partitionIndex();
                if (!seen.add(key)) {
                    duplicates.add(key);
                }
            }
        }
        boolean readCommitted = context.version() >= 2 && request.isolationLevel() == 1;
        List<CompletableFuture<Void>> remote = new ArrayList<>();
        List<ListOffsetsResponse.ListOffsetsTopicResponse> topics = new ArrayList<>();
        for (ListOffsetsRequest.ListOffsetsTopic t : request.topics()) {
            List<ListOffsetsResponse.ListOffsetsPartitionResponse> results = new ArrayList<>();
            for (ListOffsetsRequest.ListOffsetsPartition p : t.partitions()) {
                ListOffsetsResponse.ListOffsetsPartitionResponse r = new ListOffsetsResponse.ListOffsetsPartitionResponse()
                    .setPartitionIndex(p.partitionIndex()).setTimestamp(-1).setOffset(-1).setLeaderEpoch(-1);
                results.add(r);
                if (duplicates.contains(t.name() + "-" + p.partitionIndex())) {
                    r.setErrorCode(ErrorCode.INVALID_REQUEST.code());
                    continue;
                }
                if (!context.allowed(AclOperation.DESCRIBE, AclResourceType.TOPIC, t.name())) {
                    r.setErrorCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED.code());
                    continue;
                }
                PartitionLookup.Found found = lookup.find(t.name(), p.partitionIndex(), p.currentLeaderEpoch());
                if (found.error() != ErrorCode.NONE) {
                    r.setErrorCode(found.error().code());
                    continue;
                }
                Partition partition = found.partition();
                Runnable search = () -> {
                    try {
                        answer(partition, p.timestamp(), context.version(), readCommitted, r);
                    } catch (LogStorageException e) {
                        // A disk error, or an object store that does not answer a search of the cold tier.
                        log.warn("ListOffsets of {}-{} for client {} failed: {}", t.name(), p.partitionIndex(),
                            LogSafe.of(context.clientId()), e.getMessage());
                        r.setErrorCode(ErrorCode.KAFKA_STORAGE_ERROR.code()).setOffset(-1).setTimestamp(-1);
                    } catch (MalformedDataException e) {
                        // A stored batch the timestamp search cannot read, or that expands past the
                        // log's decompression bound: that partition's answer fails, as Kafka's does.
                        log.warn("ListOffsets of {}-{} for client {} found an unreadable batch: {}", t.name(),
                            p.partitionIndex(), LogSafe.of(context.clientId()), e.getMessage());
                        r.setErrorCode(ErrorCode.CORRUPT_MESSAGE.code()).setOffset(-1).setTimestamp(-1);
                    }
                };
                if (p.timestamp() >= 0 && partition.searchesRemoteTier()) {
                    remote.add(pools.remote(() -> {
                        search.run();
                        return (Void) null;
                    }).exceptionally(e -> {
                        // Too many object-store reads waiting: a retriable error, the client asks again.
                        r.setErrorCode(ErrorCode.KAFKA_STORAGE_ERROR.code()).setOffset(-1).setTimestamp(-1);
                        return null;
                    }));
                } else {
                    search.run();
                }
            }
            topics.add(new ListOffsetsResponse.ListOffsetsTopicResponse().setName(t.name()).setPartitions(results));
        }
        return new Answered(new ListOffsetsResponse().setTopics(topics), remote);
    }

    private static void answer(Partition partition, long timestamp, short version, boolean readCommitted,
                               ListOffsetsResponse.ListOffsetsPartitionResponse r) {
        // LeaderEpoch exists from v4; the default (-1) is the only value older versions can carry.
        int epoch = version >= 4 ? partition.leaderEpoch() : -1;
        if (timestamp == LATEST) {
            r.setOffset(readCommitted ? partition.lastStableOffset() : partition.highWatermark()).setLeaderEpoch(epoch);
        } else if (timestamp == EARLIEST) {
            r.setOffset(partition.logStartOffset()).setLeaderEpoch(epoch);
        } else if (timestamp == EARLIEST_LOCAL && version >= 8) {
            r.setOffset(partition.localLogStartOffset()).setLeaderEpoch(epoch);
        } else if (timestamp == MAX_TIMESTAMP && version >= 7) {
            Optional<TimestampAndOffset> max = partition.maxTimestampAndOffset();
            max.ifPresent(m -> r.setTimestamp(m.timestamp()).setOffset(m.offset()).setLeaderEpoch(epoch));
        } else if (timestamp == LATEST_TIERED && version >= 9) {
            long tiered = partition.lastTieredOffset();
            r.setOffset(tiered).setTimestamp(-1).setLeaderEpoch(tiered < 0 ? -1 : epoch);
        } else if (timestamp == EARLIEST_PENDING_UPLOAD && version >= 11) {
            long pending = partition.isTiered()
                ? Math.max(partition.lastTieredOffset() + 1, partition.logStartOffset()) : -1;
            r.setOffset(pending).setTimestamp(-1).setLeaderEpoch(pending < 0 ? -1 : epoch);
        } else if (timestamp < 0) {
            r.setErrorCode(ErrorCode.INVALID_REQUEST.code());
        } else {
            Optional<TimestampAndOffset> found = partition.offsetForTimestamp(timestamp);
            found.filter(f -> f.offset() < partition.highWatermark())
                .ifPresent(f -> r.setTimestamp(f.timestamp()).setOffset(f.offset()).setLeaderEpoch(epoch));
        }
    }

    @Override
    public ListOffsetsResponse errorResponse(ListOffsetsRequest request, ErrorCode error) {
        List<ListOffsetsResponse.ListOffsetsTopicResponse> topics = new ArrayList<>();
        for (ListOffsetsRequest.ListOffsetsTopic t : request.topics()) {
            List<ListOffsetsResponse.ListOffsetsPartitionResponse> results = new ArrayList<>();
            for (ListOffsetsRequest.ListOffsetsPartition p : t.partitions()) {
                results.add(new ListOffsetsResponse.ListOffsetsPartitionResponse().setPartitionIndex(p.partitionIndex())
                    .setErrorCode(error.code()).setTimestamp(-1).setOffset(-1).setLeaderEpoch(-1));
            }
            topics.add(new ListOffsetsResponse.ListOffsetsTopicResponse().setName(t.name()).setPartitions(results));
        }
        return new ListOffsetsResponse().setTopics(topics);
    }
}
