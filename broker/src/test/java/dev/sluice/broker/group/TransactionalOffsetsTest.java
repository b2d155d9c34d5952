package dev.sluice.broker.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.coordinator.CoordinatorContext;
import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.coordinator.CoordinatorResult;
import dev.sluice.broker.group.GroupCoordinator.CommittedOffset;
import dev.sluice.broker.group.GroupCoordinator.OffsetToCommit;
import dev.sluice.broker.group.GroupCoordinator.PartitionKey;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.wire.message.ConsumerGroupHeartbeatRequest;
import dev.sluice.wire.message.ConsumerGroupHeartbeatResponse;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.JoinGroupRequest;
import dev.sluice.wire.message.JoinGroupResponse;
import dev.sluice.wire.message.SyncGroupRequest;
import dev.sluice.wire.message.SyncGroupResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Transactional offset commits on one group shard (KIP-98, KIP-447): pending per producer until
 * the producer's marker, invisible to OffsetFetch (UNSTABLE_OFFSET_COMMIT with require_stable),
 * committed or dropped by the marker, and the same after the shard is reloaded from what it wrote.
 *
 * <p>The shard runs on a context that applies each write at once and keeps the records in a list,
 * the way the runtime would have them in the partition: plain records, a producer's transactional
 * records, and markers, which it reports as the runtime does once a marker is committed. The runtime
 * side (batches, markers, replay from a real log) is {@code CoordinatorRuntimeTest}'s.
 */
class TransactionalOffsetsTest {
    private static final long RETENTION_MS = 60_000;
    private static final String GROUP = "txn-group";
    private static final PartitionKey T0 = new PartitionKey("t", 0);
    private static final PartitionKey T1 = new PartitionKey("t", 1);
    private static final long PRODUCER = 100;
    private static final long OTHER_PRODUCER = 200;
    private static final short EPOCH = 5;

    /** What the partition would hold: a record with the producer that wrote it (-1: plain), or a marker. */
    private record Entry(long producerId, short producerEpoch, CoordinatorRecord record, Boolean commit) {
    }

    /** Applies every write at once and remembers its records in log order. */
    private static final class Log implements CoordinatorContext {
        final List<Entry> entries = new ArrayList<>();
        final Map<String, Runnable> timers = new HashMap<>();
        final AtomicLong now;

        Log(AtomicLong now) {
            this.now = now;
        }

        @Override
        public String partitionName() {
            return "__consumer_offsets-0";
        }

        @Override
        public int partition() {
            return 0;
        }

        @Override
        public int leaderEpoch() {
            return 0;
        }

        @Override
        public long now() {
            return now.get();
        }

        @Override
        public <T> CompletableFuture<T> write(CoordinatorResult<T> result) {
            for (CoordinatorRecord r : result.records()) {
                entries.add(new Entry(result.producerId(), result.producerEpoch(), r, null));
            }
            result.apply().run();
            return CompletableFuture.completedFuture(result.response());
        }

        @Override
        public void schedule(String key, long delayMs, Runnable task) {
            timers.put(key, task);
        }

        @Override
        public void cancel(String key) {
            timers.remove(key);
        }
    }

    private final AtomicLong now = new AtomicLong(1_000_000);
    private Log log = new Log(now);
    private GroupShard shard = newShard(log);

    private GroupShard newShard(Log context) {
        GroupConfig defaults = GroupConfig.from(BrokerConfig.parse(Map.of()));
        GroupConfig config = new GroupConfig(1, defaults.offsetsTopicSegmentBytes(), 0, RETENTION_MS, 50,
            defaults.offsetMetadataMaxBytes(), defaults.minSessionTimeoutMs(), defaults.maxSessionTimeoutMs(), 0,
            defaults.maxSize(), true, true, defaults.consumerSessionTimeoutMs(),
            defaults.consumerHeartbeatIntervalMs(), defaults.consumerMaxSize(), defaults.assignors(), 1,
            defaults.migrationPolicy(), defaults.streams());
        return new GroupShard(context, config, () -> MetadataImage.empty("txn-cluster"), new AtomicLong());
    }

    /** A marker as the runtime writes it: recorded, then reported to the shard once committed. */
    private void marker(long producerId, boolean commit) {
        log.entries.add(new Entry(producerId, EPOCH, null, commit));
        shard.replayEndTransaction(producerId, commit);
    }

    /** A fresh shard loaded from everything written so far, as a new leader would load it. */
    private void reload() {
        Log next = new Log(now);
        next.entries.addAll(log.entries);
        GroupShard loaded = newShard(next);
        for (Entry e : log.entries) {
            if (e.commit() != null) {
                loaded.replayEndTransaction(e.producerId(), e.commit());
                continue;
            }
            ByteBuffer key = ByteBuffer.wrap(e.record().key());
            ByteBuffer value = e.record().value() == null ? null : ByteBuffer.wrap(e.record().value());
            if (e.producerId() >= 0) {
                loaded.replay(e.producerId(), e.producerEpoch(), key, value);
            } else {
                loaded.replay(key, value);
            }
        }
        loaded.loaded();
        log = next;
        shard = loaded;
    }

    private List<ErrorCode> commit(PartitionKey tp, long offset) {
        return log.write(shard.commit(GROUP, "", null, -1, (short) 9, -1,
            List.of(new OffsetToCommit(tp.topic(), tp.partition(), offset, -1, "")))).join();
    }

    private List<ErrorCode> txnCommit(long producerId, short epoch, int generation, String memberId,
                                      PartitionKey tp, long offset) {
        return log.write(shard.txnCommit(GROUP, memberId, null, generation, producerId, epoch,
            List.of(new OffsetToCommit(tp.topic(), tp.partition(), offset, -1, "txn")))).join();
    }

    private List<ErrorCode> txnCommit(long producerId, PartitionKey tp, long offset) {
        return txnCommit(producerId, EPOCH, -1, "", tp, offset);
    }

    private CommittedOffset fetched(PartitionKey tp, boolean requireStable) {
        return shard.fetchOffsets(GROUP, null, -1, List.of(tp), requireStable).join().offsets().get(0);
    }

    private long committed(PartitionKey tp) {
        CommittedOffset o = fetched(tp, false);
        assertEquals(ErrorCode.NONE, o.error());
        return o.offset();
    }

    @Test
    void transactionalOffsetsArePendingUntilTheCommitMarkerAndUnstableForRequireStable() {
        assertEquals(List.of(ErrorCode.NONE), commit(T0, 5));
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T0, 10));
        assertTrue(log.entries.get(1).producerId() == PRODUCER && log.entries.get(1).producerEpoch() == EPOCH,
            "the offsets were not written as the producer's transactional batch");

        assertEquals(5, committed(T0), "a pending offset showed as committed");
        CommittedOffset unstable = fetched(T0, true);
        assertEquals(ErrorCode.UNSTABLE_OFFSET_COMMIT, unstable.error());
        assertEquals(-1, unstable.offset());
        List<CommittedOffset> all = shard.fetchOffsets(GROUP, null, -1, null, true).join().offsets();
        assertEquals(List.of(new CommittedOffset("t", 0, -1, -1, "", ErrorCode.UNSTABLE_OFFSET_COMMIT)), all);
        assertEquals(ErrorCode.NONE, fetched(T1, true).error(), "a partition without pending offsets is stable");

        marker(PRODUCER, true);
        assertEquals(10, committed(T0));
        assertEquals(ErrorCode.NONE, fetched(T0, true).error());
        assertEquals("txn", fetched(T0, true).metadata());
    }

    @Test
    void anAbortMarkerDropsThePendingOffsets() {
        assertEquals(List.of(ErrorCode.NONE), commit(T0, 5));
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T0, 10));
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T1, 11));

        marker(PRODUCER, false);
        assertEquals(5, committed(T0));
        assertEquals(-1, committed(T1));
        assertEquals(ErrorCode.NONE, fetched(T1, true).error());
        marker(PRODUCER, true);
        assertEquals(5, committed(T0), "a second marker brought aborted offsets back");
    }

    @Test
    void atCommitTheLaterRecordWinsBetweenATransactionalOffsetAndAPlainCommit() {
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T0, 10));
        assertEquals(List.of(ErrorCode.NONE), commit(T0, 7));
        assertEquals(List.of(ErrorCode.NONE), txnCommit(OTHER_PRODUCER, T1, 20));
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T1, 15));

        marker(OTHER_PRODUCER, true);
        marker(PRODUCER, true);
        assertEquals(7, committed(T0), "the plain commit written after the transactional offset lost");
        assertEquals(15, committed(T1), "the transactional offset written later lost to an older one");
    }

    @Test
    void aShardReloadedWithATransactionStillOpenKeepsItPendingAndItsMarkerThenCommitsIt() {
        assertEquals(List.of(ErrorCode.NONE), commit(T0, 5));
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T0, 10));
        assertEquals(List.of(ErrorCode.NONE), txnCommit(OTHER_PRODUCER, T1, 20));

        reload();
        assertEquals(5, committed(T0));
        assertEquals(ErrorCode.UNSTABLE_OFFSET_COMMIT, fetched(T0, true).error());
        assertEquals(ErrorCode.UNSTABLE_OFFSET_COMMIT, fetched(T1, true).error());
        assertEquals(List.of(ErrorCode.INVALID_PRODUCER_EPOCH), txnCommit(PRODUCER, (short) (EPOCH - 1), -1, "", T0, 1),
            "the reloaded shard forgot the producer's epoch");

        marker(PRODUCER, true);
        marker(OTHER_PRODUCER, false);
        assertEquals(10, committed(T0));
        assertEquals(-1, committed(T1));

        reload();
        assertEquals(10, committed(T0), "a reload after the markers differs from the shard that wrote them");
        assertEquals(-1, committed(T1));
        assertEquals(ErrorCode.NONE, fetched(T0, true).error());
        assertEquals(ErrorCode.NONE, fetched(T1, true).error());
    }

    @Test
    void groupAndMemberChecks() {
        GroupShard s = shard;
        List<OffsetToCommit> one = List.of(new OffsetToCommit("t", 0, 1, -1, ""));
        assertEquals(List.of(ErrorCode.GROUP_ID_NOT_FOUND),
            log.write(s.txnCommit("no-such-group", "", null, 3, PRODUCER, EPOCH, one)).join(),
            "an unknown group with a generation (ILLEGAL_GENERATION before v6)");
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, EPOCH, -1, "", T0, 1),
            "an unknown group without a generation is a simple group");
        assertEquals(List.of(ErrorCode.UNKNOWN_MEMBER_ID), txnCommit(PRODUCER, EPOCH, 1, "someone", T0, 2));
        assertEquals(List.of(ErrorCode.INVALID_PRODUCER_EPOCH), txnCommit(PRODUCER, (short) (EPOCH - 1), -1, "", T0, 3));
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, (short) (EPOCH + 1), -1, "", T0, 4),
            "a newer epoch of the same producer");
        String tooLong = "x".repeat(shard.config().offsetMetadataMaxBytes() + 1);
        assertEquals(List.of(ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.NONE),
            log.write(s.txnCommit(GROUP, "", null, -1, OTHER_PRODUCER, EPOCH, List.of(
                new OffsetToCommit("t", 0, 1, -1, tooLong), new OffsetToCommit("t", 1, 1, -1, "")))).join());
    }

    @Test
    void deletingTheGroupDropsItsPendingOffsetsAndALaterCommitMarkerBringsNothingBack() {
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T0, 10));
        // Kafka decides on the group's state alone: an empty group with pending offsets is deleted.
        assertEquals(ErrorCode.NONE, log.write(shard.deleteGroup(GROUP)).join());
        marker(PRODUCER, true);
        assertEquals(-1, committed(T0));
        assertEquals(ErrorCode.GROUP_ID_NOT_FOUND, log.write(shard.deleteGroup(GROUP)).join());

        reload();
        assertEquals(-1, committed(T0), "the reload brought deleted pending offsets back");
    }

    @Test
    void offsetDeleteOfAPartitionWithOnlyAPendingOffsetWritesATombstoneThatDropsIt() {
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T0, 10));
        int before = log.entries.size();
        assertEquals(ErrorCode.NONE, log.write(shard.deleteOffsets(GROUP, List.of(T0))).join().partitions().get(T0));
        assertEquals(before + 1, log.entries.size(), "no tombstone for the pending offset");
        assertEquals(ErrorCode.NONE, fetched(T0, true).error());
        marker(PRODUCER, true);
        assertEquals(-1, committed(T0));
    }

    @Test
    void anOffsetWithAPendingTransactionalOneDoesNotExpireNorDoesItsGroupGo() {
        assertEquals(List.of(ErrorCode.NONE), commit(T0, 5));
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T0, 10));
        shard.loaded();
        now.addAndGet(RETENTION_MS * 2);
        log.timers.remove("expire-offsets").run();
        assertEquals(5, committed(T0), "expired while a transactional offset was pending");
        assertFalse(shard.list(java.util.Set.of(), java.util.Set.of()).join().isEmpty(), "the group went");

        marker(PRODUCER, false);
        log.timers.remove("expire-offsets").run();
        assertEquals(-1, committed(T0), "did not expire once the transaction ended");
        assertTrue(shard.list(java.util.Set.of(), java.util.Set.of()).join().isEmpty(), "the emptied group stayed");
    }

    /** Runs the timers due (the initial rebalance delay) until {@code done} completes. */
    private void runTimersUntil(CompletableFuture<?> done) {
        for (int i = 0; i < 10 && !done.isDone(); i++) {
            for (String key : List.copyOf(log.timers.keySet())) {
                if (!key.equals("expire-offsets") && !done.isDone()) {
                    log.timers.remove(key).run();
                }
            }
        }
        assertTrue(done.isDone(), "the rebalance did not complete");
    }

    @Test
    void aClassicGroupsMemberIsCheckedWhenTheRequestNamesOneAndAnAnonymousCommitIsAccepted() {
        CompletableFuture<JoinGroupResponse> joined = shard.join(new JoinGroupRequest().setGroupId(GROUP)
            .setMemberId("").setGroupInstanceId("instance-1").setSessionTimeoutMs(30_000)
            .setRebalanceTimeoutMs(30_000).setProtocolType("consumer").setProtocols(List.of(
                new JoinGroupRequest.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[0]))),
            (short) 9, "client", "/127.0.0.1");
        runTimersUntil(joined);
        JoinGroupResponse member = joined.join();
        assertEquals(ErrorCode.NONE.code(), member.errorCode());
        int generation = member.generationId();
        SyncGroupResponse synced = shard.sync(new SyncGroupRequest().setGroupId(GROUP).setMemberId(member.memberId())
            .setGroupInstanceId("instance-1").setGenerationId(generation).setProtocolType("consumer")
            .setProtocolName("range").setAssignments(List.of(new SyncGroupRequest.SyncGroupRequestAssignment()
                .setMemberId(member.memberId()).setAssignment(new byte[0])))).join();
        assertEquals(ErrorCode.NONE.code(), synced.errorCode());

        List<OffsetToCommit> one = List.of(new OffsetToCommit("t", 0, 1, -1, ""));
        assertEquals(List.of(ErrorCode.NONE), log.write(shard.txnCommit(GROUP, member.memberId(), "instance-1",
            generation, PRODUCER, EPOCH, one)).join());
        assertEquals(List.of(ErrorCode.ILLEGAL_GENERATION), log.write(shard.txnCommit(GROUP, member.memberId(),
            "instance-1", generation + 1, PRODUCER, EPOCH, one)).join());
        assertEquals(List.of(ErrorCode.FENCED_INSTANCE_ID), log.write(shard.txnCommit(GROUP, "impostor",
            "instance-1", generation, PRODUCER, EPOCH, one)).join());
        assertEquals(List.of(ErrorCode.UNKNOWN_MEMBER_ID), log.write(shard.txnCommit(GROUP, "impostor", null,
            generation, PRODUCER, EPOCH, one)).join());
        // Without member and generation (v0-2) a transactional commit is accepted even with members.
        assertEquals(List.of(ErrorCode.NONE), log.write(shard.txnCommit(GROUP, "", null, -1, OTHER_PRODUCER, EPOCH,
            one)).join());
    }

    @Test
    void aConsumerGroupsMemberIsCheckedByItsEpochAndAStaleOneIsStale() {
        ConsumerGroupHeartbeatResponse joined = shard.consumerHeartbeat(new ConsumerGroupHeartbeatRequest()
            .setGroupId(GROUP).setMemberId("member-1").setMemberEpoch(0).setRebalanceTimeoutMs(30_000)
            .setSubscribedTopicNames(List.of("t")).setTopicPartitions(List.of()), "client", "/127.0.0.1").join();
        assertEquals(ErrorCode.NONE.code(), joined.errorCode());
        int epoch = joined.memberEpoch();

        List<OffsetToCommit> one = List.of(new OffsetToCommit("t", 0, 1, -1, ""));
        assertEquals(List.of(ErrorCode.NONE), log.write(shard.txnCommit(GROUP, "member-1", null, epoch, PRODUCER,
            EPOCH, one)).join());
        assertEquals(List.of(ErrorCode.STALE_MEMBER_EPOCH), log.write(shard.txnCommit(GROUP, "member-1", null,
            epoch - 1, PRODUCER, EPOCH, one)).join(), "ILLEGAL_GENERATION before v6");
        assertEquals(List.of(ErrorCode.UNKNOWN_MEMBER_ID), log.write(shard.txnCommit(GROUP, "", null, -1, PRODUCER,
            EPOCH, one)).join(), "a consumer group with members takes no anonymous commit, as in Kafka");
    }

    @Test
    void aSimpleGroupLeftWithNothingAfterAnAbortGoesAtTheNextExpiryPass() {
        assertEquals(List.of(ErrorCode.NONE), txnCommit(PRODUCER, T0, 10));
        shard.loaded();
        log.timers.remove("expire-offsets").run();
        assertFalse(shard.list(java.util.Set.of(), java.util.Set.of()).join().isEmpty(),
            "a group with pending offsets went");

        marker(PRODUCER, false);
        log.timers.remove("expire-offsets").run();
        assertTrue(shard.list(java.util.Set.of(), java.util.Set.of()).join().isEmpty(), "the emptied group stayed");
    }
}
