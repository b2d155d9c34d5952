package dev.sluice.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.broker.metadata.MetadataLog;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three real Ratis servers on loopback ports in this JVM, each with its own directory. */
class RatisMetadataLogTest {
    private static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final String CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg";

    @TempDir
    Path dir;

    private List<QuorumVoter> voters;
    private final RatisMetadataLog[] logs = new RatisMetadataLog[3];
    private final RecordingApplier[] appliers = new RecordingApplier[3];
    private RatisSettings settings = RatisSettings.defaults();

    /** Closes the peers together: each close takes about a second of Ratis' own shutdown. */
    @AfterEach
    void closeAll() {
        List<CompletableFuture<Void>> closes = new ArrayList<>();
        for (RatisMetadataLog log : logs) {
            if (log != null) {
                closes.add(CompletableFuture.runAsync(() -> {
                    try {
                        log.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
            }
        }
        CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)).join();
    }

    private void startQuorum() throws IOException {
        voters = new ArrayList<>();
        for (int id = 0; id < 3; id++) {
            voters.add(new QuorumVoter(id, "127.0.0.1", freePort()));
        }
        for (int id = 0; id < 3; id++) {
            startNode(id);
        }
    }

    private void startNode(int id) throws IOException {
        appliers[id] = new RecordingApplier();
        logs[id] = new RatisMetadataLog(id, voters, CLUSTER_ID, dir.resolve("node-" + id), settings);
        int node = id;
        logs[id].onLeaderRequest(request -> CompletableFuture.completedFuture(
            ("node " + node + " answers " + new String(request, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
        logs[id].start(appliers[id]);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private int awaitLeader() {
        await(() -> leaders().size() == 1, "one ready leader among " + running());
        return leaders().get(0);
    }

    private List<Integer> leaders() {
        return running().stream().filter(id -> logs[id].isLeader()).toList();
    }

    private List<Integer> running() {
        return IntStream.range(0, 3).filter(id -> logs[id] != null).boxed().toList();
    }

    private static List<Message> topic(String name) {
        return List.of(new TopicRecord().setName(name).setTopicId(new Uuid(1, 2)));
    }

    private static List<String> names(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "t" + i).toList();
    }

    /** Appends t{from}..t{to-1} one after another and returns their offsets. */
    private List<Long> appendAll(RatisMetadataLog leader, int from, int to) throws Exception {
        List<Long> offsets = new ArrayList<>();
        for (String name : names(from, to)) {
            offsets.add(leader.append(topic(name)).get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        }
        return offsets;
    }

    @Test
    void threePeersElectOneLeaderAndEveryPeerAppliesItsBatchesInOrder() throws Exception {
        startQuorum();
        List<Boolean> announced = new CopyOnWriteArrayList<>();
        for (RatisMetadataLog log : logs) {
            log.onLeadershipChange(announced::add);
        }
        int leader = awaitLeader();
        for (int id = 0; id < 3; id++) {
            int peer = id;
            await(() -> logs[peer].leaderId().orElse(-1) == leader, "node " + peer + " knows leader " + leader);
        }

        List<Long> offsets = appendAll(logs[leader], 0, 20);

        for (int i = 1; i < offsets.size(); i++) {
            assertTrue(offsets.get(i) > offsets.get(i - 1), "offsets grow: " + offsets);
        }
        // Completed only after the leader's own applier applied the batch.
        assertEquals(names(0, 20), appliers[leader].names());
        assertEquals(offsets, appliers[leader].offsets());
        for (int id = 0; id < 3; id++) {
            RecordingApplier applier = appliers[id];
            await(() -> applier.names().size() == 20, "node " + id + " applies 20 batches");
            assertEquals(names(0, 20), applier.names());
            assertEquals(offsets, applier.offsets());
        }
        QuorumState quorum = logs[leader].quorumState();
        assertEquals(leader, quorum.leaderId().orElseThrow());
        assertTrue(quorum.term() > 0);
        await(() -> logs[leader].quorumState().voters().size() == 3
                && logs[leader].quorumState().voters().stream().allMatch(v -> v.lastAckedIndex() >= offsets.get(19)),
            "the leader sees every voter acknowledge the last batch: " + logs[leader].quorumState());
    }

    @Test
    void anAppendOnAFollowerFailsFastWithNotController() throws Exception {
        startQuorum();
        int leader = awaitLeader();
        int follower = (leader + 1) % 3;

        ExecutionException failed = null;
        try {
            logs[follower].append(topic("nope")).get(1, TimeUnit.SECONDS);
            fail("a follower appended");
        } catch (ExecutionException e) {
            failed = e;
        }
        MetadataLog.AppendFailure failure = assertInstanceOf(MetadataLog.AppendFailure.class, failed.getCause());
        assertEquals(ErrorCode.NOT_CONTROLLER, failure.error());
        assertTrue(failure.getMessage().contains("node " + leader + " leads"), failure.getMessage());
    }

    @Test
    void aNewLeaderIsElectedWhenTheLeaderStopsAndKeepsEarlierBatches() throws Exception {
        startQuorum();
        int leader = awaitLeader();
        List<Long> before = appendAll(logs[leader], 0, 5);

        long stopped = System.nanoTime();
        logs[leader].close();
        long closeMillis = (System.nanoTime() - stopped) / 1_000_000;
        logs[leader] = null;
        int newLeader = awaitLeader();
        long electedMillis = (System.nanoTime() - stopped) / 1_000_000;
        System.out.printf("leader %d closed in %d ms; node %d ready leader %d ms after the close began%n",
            leader, closeMillis, newLeader, electedMillis);

        assertEquals(names(0, 5), appliers[newLeader].names());
        assertEquals(before, appliers[newLeader].offsets());
        List<Long> after = appendAll(logs[newLeader], 5, 8);
        assertTrue(after.get(0) > before.get(4), "new offsets follow the old ones: " + before + " " + after);
        int other = 3 - leader - newLeader;
        await(() -> appliers[other].names().equals(names(0, 8)), "the remaining follower applies all 8 batches");
    }

    @Test
    void aRestartedPeerLoadsItsSnapshotAndReplaysOnlyWhatFollowsIt() throws Exception {
        settings = RatisSettings.defaults().withSnapshotEvery(10);
        startQuorum();
        int leader = awaitLeader();
        appendAll(logs[leader], 0, 35);
        int follower = (leader + 1) % 3;
        await(() -> appliers[follower].names().size() == 35, "the follower applies 35 batches");

        logs[follower].close();
        startNode(follower);
        RecordingApplier restarted = appliers[follower];

        assertEquals(1, restarted.loads, "start-up loads one snapshot");
        assertTrue(restarted.loadedAt > 0, "the snapshot covers part of the log: " + restarted.loadedAt);
        assertTrue(restarted.offsets().stream().allMatch(o -> o > restarted.loadedAt),
            "only entries after the snapshot are replayed");
        await(() -> restarted.names().equals(names(0, 35)), "the restarted follower holds all 35 topics");
        assertTrue(restarted.applied.size() < 35,
            "replayed " + restarted.applied.size() + " batches of 35, not the whole history");

        appendAll(logs[awaitLeader()], 35, 36);
        await(() -> restarted.names().equals(names(0, 36)), "the restarted follower follows new batches");
    }

    @Test
    void askLeaderFromAFollowerReachesTheLeadersHandler() throws Exception {
        startQuorum();
        int leader = awaitLeader();
        int follower = (leader + 2) % 3;

        byte[] answer = logs[follower].askLeader("hello".getBytes(StandardCharsets.UTF_8))
            .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        assertArrayEquals(("node " + leader + " answers hello").getBytes(StandardCharsets.UTF_8), answer);
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within " + DEADLINE + ": " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    /**
     * Keeps the topic names of every batch, as a metadata image would keep topics. Written on
     * Ratis' applying thread, read by the test thread.
     */
    private static final class RecordingApplier implements MetadataLog.Applier {
        /** Topic names in state, in the order they arrived. */
        private final List<String> state = new CopyOnWriteArrayList<>();
        /** Offsets of the batches applied since start (not those a snapshot brought). */
        final List<Long> applied = new CopyOnWriteArrayList<>();
        /** Offsets of every batch in state, a snapshot's included (those share the snapshot's offset). */
        private final List<Long> stateOffsets = new CopyOnWriteArrayList<>();
        volatile int loads;
        volatile long loadedAt = -1;

        @Override
        public void load(List<Message> records, long offset) {
            state.clear();
            stateOffsets.clear();
            for (Message r : records) {
                state.add(((TopicRecord) r).name());
                stateOffsets.add(offset);
            }
            loads++;
            loadedAt = offset;
        }

        @Override
        public void apply(List<Message> records, long offset) {
            for (Message r : records) {
                state.add(((TopicRecord) r).name());
                stateOffsets.add(offset);
            }
            applied.add(offset);
        }

        @Override
        public List<Message> snapshot() {
            List<Message> records = new ArrayList<>();
            for (String name : state) {
                records.add(new TopicRecord().setName(name).setTopicId(new Uuid(1, 2)));
            }
            return records;
        }

        List<String> names() {
            return List.copyOf(state);
        }

        /** Offsets of the batches applied since start. */
        List<Long> offsets() {
            return List.copyOf(applied);
        }
    }
}
