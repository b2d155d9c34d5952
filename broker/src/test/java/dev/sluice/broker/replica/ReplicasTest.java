package dev.sluice.broker.replica;

import static dev.sluice.broker.replica.Eventually.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfig;
import dev.sluice.broker.config.ConfigResolver;
import dev.sluice.broker.log.Partition;
import dev.sluice.broker.log.Partitions;
import dev.sluice.broker.metadata.MetadataImage;
import dev.sluice.broker.metadata.PartitionImage;
import dev.sluice.broker.metadata.TopicImage;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Roles and the high watermark on real partition logs: metadata images that move leadership and the
 * ISR are handed to the replica manager as the metadata would hand them.
 */
class ReplicasTest {
    private static final Uuid TOPIC_ID = new Uuid(11L, 12L);

    @TempDir
    Path dir;
    private Partitions partitions;
    private DelayedFetches fetches;
    private DelayedProduces produces;
    private Replicas replicas;
    private final List<String> announced = new CopyOnWriteArrayList<>();

    private static MetadataImage image(int leader, int leaderEpoch, List<Integer> isr) {
        TopicImage topic = new TopicImage("t", TOPIC_ID, List.of(new PartitionImage(0, List.of(1, 2, 3), isr, leader,
            leaderEpoch, leaderEpoch)), Map.of());
        return new MetadataImage("cluster", leaderEpoch + 1, Map.of("t", topic), Map.of(TOPIC_ID, topic), Map.of(), 0);
    }

    private Partition start(MetadataImage image) {
        partitions = new Partitions(dir, 1, new ConfigResolver(BrokerConfig.parse(Map.of("log.dirs", dir.toString()))),
            2, 86_400_000L);
        partitions.load(image);
        // Fetch completions run on the thread that completes them, so a test sees them at once.
        fetches = new DelayedFetches(Runnable::run);
        produces = new DelayedProduces();
        replicas = new Replicas(partitions, fetches, produces);
        replicas.addLeadershipListener(new LeadershipListener() {
            @Override
            public void becameLeader(Partition partition, int leaderEpoch) {
                announced.add("leader " + partition + " " + leaderEpoch);
            }

            @Override
            public void resigned(String topic, int partition, int leaderEpoch) {
                announced.add("resigned " + topic + "-" + partition + " " + leaderEpoch);
            }
        });
        replicas.load(image);
        return partitions.get("t", 0).orElseThrow();
    }

    @AfterEach
    void stop() {
        if (replicas != null) {
            replicas.close();
            partitions.close();
        }
    }

    private static MemoryRecords batch(int records) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0);
        for (int i = 0; i < records; i++) {
            builder.append(System.currentTimeMillis(), ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[100]);
        }
        return MemoryRecords.withBatches(builder.build());
    }


    @Test
    void aSingleReplicaLeaderCommitsEachAppendAtOnce() {
        Partition p = start(image(1, 0, List.of(1)));
        assertTrue(p.isLeader());
        Partition.AppendOutcome outcome = p.append(batch(5), (short) -1).join();
        assertEquals(ErrorCode.NONE, outcome.error());
        assertEquals(4, outcome.lastOffset());
        assertEquals(5, p.highWatermark());
        assertEquals(List.of(ErrorCode.NONE),
            produces.await(List.of(new DelayedProduces.Appended(p, 5)), 60_000).getNow(null),
            "answered on the asking thread");
        assertEquals(0, produces.waitingCount());
        assertEquals(Map.of(), p.followerLogEndOffsets());
    }

    @Test
    void theHighWatermarkIsTheLowestLogEndOverTheIsr() throws Exception {
        Partition p = start(image(1, 0, List.of(1, 2, 3)));
        p.append(batch(5)).join();
        p.append(batch(5)).join();
        assertEquals(0, p.highWatermark(), "no follower has reported yet");
        p.followerFetched(2, 10).join();
        assertEquals(0, p.highWatermark(), "replica 3 is in sync but has not reported");
        p.followerFetched(3, 4).join();
        assertEquals(4, p.highWatermark());
        p.followerFetched(3, 10).join();
        assertEquals(10, p.highWatermark());
        assertEquals(Map.of(2, 10L, 3, 10L), p.followerLogEndOffsets());
        p.append(batch(5)).join();
        replicas.onChange(image(1, 0, List.of(1, 2, 3)), image(1, 0, List.of(1)));
        await(() -> p.highWatermark() == 15, "the ISR shrank to the leader, whose log ends at 15");
    }

    @Test
    void aFetchWaitsForTheHighWatermarkNotForTheAppend() throws Exception {
        Partition p = start(image(1, 0, List.of(1, 2)));
        AtomicInteger completed = new AtomicInteger();
        fetches.await(List.of(p), 1, 60_000, completed::incrementAndGet);
        p.append(batch(5)).join();
        assertEquals(0, completed.get(), "appended but not committed: nothing a consumer may read");
        assertEquals(1, fetches.waitingCount());
        p.followerFetched(2, 5).join();
        assertEquals(1, completed.get());
        assertEquals(5, p.highWatermark());
        assertEquals(0, fetches.waitingCount());
    }

    @Test
    void aFetchWaitsUntilEnoughBytesAreCommitted() {
        Partition p = start(image(1, 0, List.of(1)));
        int batchBytes = batch(5).sizeInBytes();
        AtomicInteger completed = new AtomicInteger();
        fetches.await(List.of(p), batchBytes + 1, 60_000, completed::incrementAndGet);
        p.append(batch(5)).join();
        assertEquals(0, completed.get(), "one batch is fewer bytes than the fetch wants");
        p.append(batch(5)).join();
        assertEquals(1, completed.get());
    }

    @Test
    void anAppendBetweenAFollowersReadAndItsParkWakesItAtOnce() {
        Partition p = start(image(1, 0, List.of(1, 2)));
        // The follower's read found nothing; the append lands before the fetch parks.
        long markBeforeRead = p.appendedBytes();
        p.append(batch(5)).join();
        AtomicInteger completed = new AtomicInteger();
        fetches.awaitAppended(Map.of(p, markBeforeRead), 1, 60_000, completed::incrementAndGet);
        assertEquals(1, completed.get(), "the append after the read counts for the fetch that read before it");
        assertEquals(0, fetches.waitingCount());
    }

    @Test
    void aCommitBetweenAConsumersReadAndItsParkWakesItAtOnce() {
        Partition p = start(image(1, 0, List.of(1)));
        long markBeforeRead = p.committedBytes();
        p.append(batch(5)).join();
        AtomicInteger completed = new AtomicInteger();
        fetches.await(Map.of(p, markBeforeRead), 1, 60_000, completed::incrementAndGet);
        assertEquals(1, completed.get(), "the commit after the read counts for the fetch that read before it");
        AtomicInteger later = new AtomicInteger();
        fetches.await(Map.of(p, p.committedBytes()), 1, 60_000, later::incrementAndGet);
        assertEquals(0, later.get(), "nothing committed since this fetch's read");
    }

    @Test
    void aPartitionMadeFollowerRefusesProduceAndAnswersWhatWaitedOnIt() throws Exception {
        Partition p = start(image(1, 0, List.of(1, 2)));
        await(() -> announced.contains("leader t-0 0"), "leadership at start-up was not announced");
        Partition.AppendOutcome appended = p.append(batch(5), (short) -1).join();
        assertEquals(ErrorCode.NONE, appended.error());
        CompletableFuture<List<ErrorCode>> produce = produces.await(
            List.of(new DelayedProduces.Appended(p, appended.lastOffset() + 1)), 60_000);
        AtomicInteger fetched = new AtomicInteger();
        fetches.await(List.of(p), 1, 60_000, fetched::incrementAndGet);
        assertFalse(produce.isDone(), "replica 2 has not fetched the records");

        replicas.onChange(image(1, 0, List.of(1, 2)), image(2, 1, List.of(2)));

        assertEquals(List.of(ErrorCode.NOT_LEADER_OR_FOLLOWER), produce.get(10, TimeUnit.SECONDS));
        await(() -> fetched.get() == 1, "the waiting fetch was not answered");
        await(() -> announced.contains("resigned t-0 1"), "the resignation was not announced");
        assertEquals(new Partition.Role(false, 2, 1, List.of(2), 1), p.role());
        assertEquals(ErrorCode.NOT_LEADER_OR_FOLLOWER, p.append(batch(1)).join().error());
        assertEquals(5, p.logEndOffset(), "a follower's log takes no produce");
        assertEquals(0, replicas.leaderCount());

        replicas.onChange(image(2, 1, List.of(2)), image(1, 2, List.of(1, 2)));
        await(() -> announced.contains("leader t-0 2"), "the new leadership was not announced");
        assertEquals(List.of("leader t-0 0", "resigned t-0 1", "leader t-0 2"), announced);
        assertTrue(p.isLeader());
        assertEquals(2, p.leaderEpoch());
        assertEquals(ErrorCode.NONE, p.append(batch(1)).join().error());
        assertEquals(5, p.endOffsetForEpoch(0).endOffset(), "epoch 0 ended where epoch 2 began");
    }

    @Test
    void theLastImageDecidesTheRoleWhenChangesComeFasterThanTheWriterAppliesThem() throws Exception {
        Partition p = start(image(1, 0, List.of(1, 2)));
        MetadataImage shrunk = image(1, 0, List.of(1));
        MetadataImage grown = image(1, 0, List.of(1, 2));
        for (int i = 0; i < 50; i++) {
            replicas.onChange(grown, shrunk);
            replicas.onChange(shrunk, grown);
        }
        p.producers().join();
        assertEquals(new Partition.Role(true, 1, 0, List.of(1, 2), 0), p.role(), "every change is on the writer by now");
        assertEquals(List.of("leader t-0 0"), announced, "the ISR changed, the leadership did not");
    }

    @Test
    void anAcksAllWriteTakesItsAnswerFromTheIsrWhenItIsCommitted() throws Exception {
        Partition p = start(image(1, 0, List.of(1, 2)));
        long required = p.append(batch(5), (short) -1).join().lastOffset() + 1;
        CompletableFuture<List<ErrorCode>> whole = produces.await(List.of(new DelayedProduces.Appended(p, required)),
            60_000);
        p.followerFetched(2, required).join();
        assertEquals(List.of(ErrorCode.NONE), whole.get(10, TimeUnit.SECONDS));
        assertEquals(0, produces.waitingCount());
    }

    @Test
    void recordsThatArrivedAsFollowerWakeWaitingFetchesWhenTheyCommitAfterALeadershipChange() throws Exception {
        Partition p = start(image(2, 1, List.of(1, 2)));
        assertFalse(p.isLeader());
        MemoryRecords fetched = MemoryRecords.withBatches(new RecordBatchBuilder(0).partitionLeaderEpoch(1)
            .append(System.currentTimeMillis(), null, new byte[100]).append(System.currentTimeMillis(), null, new byte[100])
            .build());
        assertEquals(2, p.appendAsFollower(1, fetched, 0, 0).join().orElseThrow().logEndOffset());
        assertEquals(0, p.highWatermark(), "the leader had not committed them");
        AtomicInteger woken = new AtomicInteger();
        fetches.await(List.of(p), 1, 60_000, woken::incrementAndGet);

        replicas.onChange(image(2, 1, List.of(1, 2)), image(1, 2, List.of(1)));

        await(() -> p.highWatermark() == 2, "the new sole in-sync leader did not commit its log");
        await(() -> woken.get() == 1, "the fetch waiting for committed bytes was not woken");
        assertTrue(p.committedBytes() >= fetched.sizeInBytes());
    }
}
