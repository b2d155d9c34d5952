package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.message.AlterPartitionReassignmentsRequest;
import dev.sluice.wire.message.AlterPartitionReassignmentsResponse;
import dev.sluice.wire.message.AlterPartitionRequest;
import dev.sluice.wire.message.AlterPartitionResponse;
import dev.sluice.wire.message.BrokerHeartbeatRequest;
import dev.sluice.wire.message.BrokerHeartbeatResponse;
import dev.sluice.wire.message.BrokerRegistrationRequest;
import dev.sluice.wire.message.BrokerRegistrationResponse;
import dev.sluice.wire.message.ElectLeadersRequest;
import dev.sluice.wire.message.ElectLeadersResponse;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ListPartitionReassignmentsRequest;
import dev.sluice.wire.message.ListPartitionReassignmentsResponse;
import dev.sluice.wire.message.Message;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller of a cluster on a real journal, with fake brokers that register and heartbeat
 * through its API and a clock the test moves.
 */
class ClusterControllerTest {
    private static final String CLUSTER = "cluster-a";
    private static final long SESSION_MS = 9000;

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private boolean uncleanDefault;
    private volatile int brokerPartitionLimit = BrokerConfigKeys.MAX_BROKER_PARTITIONS_DEFAULT;
    private ServerSocket listening;
    private JournalMetadataLog metadataLog;
    /** Whether this node leads the metadata log: a quorum's leadership, played by the test. */
    private volatile boolean leading = true;
    private MetadataView view;
    private Controller controller;

    @BeforeEach
    void start() throws IOException {
        listening = new ServerSocket(0);
        open();
    }

    private void open() throws IOException {
        metadataLog = JournalMetadataLog.open(dir, 0);
        view = new MetadataView(CLUSTER);
        metadataLog.start(view);
        controller = new Controller(0, new Leadership(metadataLog), view,
            new ClusterSettings(SESSION_MS, () -> uncleanDefault, "BROKER", 2000, clock::get),
            () -> new Controller.TopicDefaults(3, (short) 3, true, brokerPartitionLimit));
    }

    /** The journal, leading only while the test says this node leads. */
    private final class Leadership implements MetadataLog {
        private final MetadataLog journal;

        Leadership(MetadataLog journal) {
            this.journal = journal;
        }

        @Override
        public void start(Applier applier) throws IOException {
            journal.start(applier);
        }

        @Override
        public CompletableFuture<Long> append(List<Message> records) {
            return leading ? journal.append(records) : CompletableFuture.failedFuture(
                new AppendFailure(ErrorCode.NOT_CONTROLLER, "node 0 does not lead", null));
        }

        @Override
        public java.util.OptionalInt leaderId() {
            return leading ? java.util.OptionalInt.of(0) : java.util.OptionalInt.empty();
        }

        @Override
        public boolean isLeader() {
            return leading && journal.isLeader();
        }

        @Override
        public void close() throws IOException {
            journal.close();
        }
    }

    private void closeController() throws IOException {
        controller.close();
        metadataLog.close();
    }

    @AfterEach
    void stop() throws IOException {
        closeController();
        listening.close();
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    /** A broker process: an id, an incarnation, where it listens, and what it was told. */
    private final class FakeBroker {
        final int id;
        final String rack;
        final Uuid incarnation = Controller.randomId();
        int port = listening.getLocalPort();
        long epoch = -1;

        FakeBroker(int id, String rack) {
            this.id = id;
            this.rack = rack;
        }

        BrokerRegistrationResponse register() throws Exception {
            BrokerRegistrationResponse response = get(controller.registerBroker(registration(CLUSTER)));
            if (response.errorCode() == ErrorCode.NONE.code()) {
                epoch = response.brokerEpoch();
            }
            return response;
        }

        BrokerRegistrationRequest registration(String clusterId) {
            return new BrokerRegistrationRequest().setBrokerId(id).setClusterId(clusterId).setIncarnationId(incarnation)
                .setRack(rack).setListeners(new ArrayList<>(List.of(new BrokerRegistrationRequest.Listener()
                    .setName("BROKER").setHost("127.0.0.1").setPort(port).setSecurityProtocol((short) 0))));
        }

        BrokerHeartbeatResponse heartbeat(long offset, boolean wantFence, boolean wantShutDown) throws Exception {
            return get(controller.heartbeat(new BrokerHeartbeatRequest().setBrokerId(id).setBrokerEpoch(epoch)
                .setCurrentMetadataOffset(offset).setWantFence(wantFence).setWantShutDown(wantShutDown)));
        }

        /** A heartbeat of a broker that has applied everything this node has. */
        BrokerHeartbeatResponse heartbeat() throws Exception {
            return heartbeat(view.appliedOffset(), false, false);
        }

        /** Registers and heartbeats once caught up, so that it is unfenced. */
        FakeBroker join() throws Exception {
            assertEquals(ErrorCode.NONE.code(), register().errorCode());
            BrokerHeartbeatResponse answer = heartbeat();
            assertEquals(ErrorCode.NONE.code(), answer.errorCode());
            assertFalse(answer.isFenced(), "broker " + id + " stayed fenced");
            return this;
        }

        BrokerRegistration registration() {
            return view.image().broker(id).orElseThrow();
        }
    }

    /** {@code broker}, advertising a port that was free a moment ago and is closed now. */
    private static FakeBroker whereNothingListens(FakeBroker broker) throws IOException {
        try (ServerSocket closed = new ServerSocket(0)) {
            broker.port = closed.getLocalPort();
        }
        return broker;
    }

    private List<FakeBroker> joinThree() throws Exception {
        return List.of(new FakeBroker(1, "r1").join(), new FakeBroker(2, "r1").join(), new FakeBroker(3, "r2").join());
    }

    private Controller.TopicOutcome create(String name, int partitions, int replicationFactor) throws Exception {
        return get(controller.createTopics(List.of(new Controller.NewTopic(name, partitions, (short) replicationFactor,
            null, Map.of())), false)).get(0);
    }

    private Controller.TopicOutcome createAssigned(String name, List<Integer> replicas) throws Exception {
        return get(controller.createTopics(List.of(new Controller.NewTopic(name, -1, (short) -1,
            Map.of(0, replicas), Map.of())), false)).get(0);
    }

    private PartitionImage partition(String topic, int index) {
        return view.image().topic(topic).orElseThrow().partitions().get(index);
    }

    /**
     * Moves the clock on by {@code ms} in steps of half a session, the brokers {@code stillAlive}
     * heartbeating after each (so that the controller's own timer never finds them expired), then
     * checks sessions.
     */
    private void advanceAndCheckSessions(long ms, FakeBroker... stillAlive) throws Exception {
        for (long left = ms; left > 0; left -= SESSION_MS / 2) {
            clock.addAndGet(Math.min(left, SESSION_MS / 2));
            for (FakeBroker b : stillAlive) {
                assertFalse(b.heartbeat().isFenced());
            }
        }
        get(controller.checkSessions());
    }

    /** A registration as it reads after a snapshot: offsets aside, the same. */
    private static Map<Integer, BrokerRegistration> withoutOffsets(Map<Integer, BrokerRegistration> brokers) {
        Map<Integer, BrokerRegistration> out = new HashMap<>();
        brokers.forEach((id, b) -> out.put(id, new BrokerRegistration(b.id(), b.incarnationId(), b.epoch(),
            b.endpoints(), b.rack(), b.fenced(), b.inControlledShutdown(), 0)));
        return out;
    }

    private void poll(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    // ------------------------------------------------------------------ placement

    @Test
    void placementSpreadsLeadersEvenlyAndReplicasOverBothRacks() throws Exception {
        joinThree();
        Controller.TopicOutcome full = create("full", 6, 3);
        assertEquals(ErrorCode.NONE, full.error(), full.message());
        Map<Integer, Integer> leaders = new HashMap<>();
        for (PartitionImage p : view.image().topic("full").orElseThrow().partitions()) {
            assertEquals(Set.of(1, 2, 3), new HashSet<>(p.replicas()));
            assertEquals(p.replicas(), p.isr());
            assertEquals(p.replicas().get(0), p.leader());
            assertEquals(2, p.replicas().stream().map(r -> r == 3 ? "r2" : "r1").distinct().count());
            leaders.merge(p.leader(), 1, Integer::sum);
        }
        assertEquals(Map.of(1, 2, 2, 2, 3, 2), leaders);

        assertEquals(ErrorCode.NONE, create("pairs", 6, 2).error());
        leaders.clear();
        for (PartitionImage p : view.image().topic("pairs").orElseThrow().partitions()) {
            assertTrue(p.replicas().contains(3), "replicas " + p.replicas() + " are all on rack r1");
            leaders.merge(p.leader(), 1, Integer::sum);
        }
        assertEquals(Map.of(1, 2, 2, 2, 3, 2), leaders);

        // -1 takes default.replication.factor (3 here).
        assertEquals(3, create("defaulted", 1, -1).topic().partitions().get(0).replicas().size());
    }

    @Test
    void createPartitionsSpreadsTheNewPartitionsOverTheBrokers() throws Exception {
        joinThree();
        assertEquals(ErrorCode.NONE, createAssigned("grown", List.of(1, 2)).error());
        assertEquals(ErrorCode.NONE, get(controller.createPartitions("grown", 4, null, false)).error());
        List<PartitionImage> partitions = view.image().topic("grown").orElseThrow().partitions();
        assertEquals(4, partitions.size());
        Set<Integer> leaders = new HashSet<>();
        Map<Integer, Integer> replicasPerBroker = new HashMap<>();
        for (PartitionImage p : partitions.subList(1, 4)) {
            assertEquals(2, p.replicas().size(), p.toString());
            leaders.add(p.leader());
            p.replicas().forEach(r -> replicasPerBroker.merge(r, 1, Integer::sum));
        }
        assertEquals(Set.of(1, 2, 3), leaders, "the new partitions' leaders: " + partitions);
        // Every broker takes some (racks r1, r1, r2: broker 3 alone on its rack takes more followers).
        assertEquals(Set.of(1, 2, 3), replicasPerBroker.keySet(), "the new partitions' replicas: " + partitions);
    }

    @Test
    void replicationFactorAboveTheRegisteredBrokersIsRefusedWithKafkasMessage() throws Exception {
        new FakeBroker(1, null).join();
        new FakeBroker(2, null).join();
        Controller.TopicOutcome outcome = create("t", 1, 3);
        assertEquals(ErrorCode.INVALID_REPLICATION_FACTOR, outcome.error());
        assertEquals("Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be"
            + " reached because only 2 broker(s) are registered.", outcome.message());
        assertTrue(view.image().topic("t").isEmpty());

        Controller.TopicOutcome unknown = createAssigned("manual", List.of(1, 7));
        assertEquals(ErrorCode.INVALID_REPLICA_ASSIGNMENT, unknown.error());
        Controller.TopicOutcome manual = createAssigned("manual", List.of(2, 1));
        assertEquals(ErrorCode.NONE, manual.error(), manual.message());
        assertEquals(2, partition("manual", 0).leader());
    }

    @Test
    void partitionLimitCountsTheReplicasEachBrokerHolds() throws Exception {
        brokerPartitionLimit = 4;
        new FakeBroker(1, null).join();
        new FakeBroker(2, null).join();
        new FakeBroker(3, null).join();
        // Six partitions in the cluster, four replicas on each broker: within the limit of 4 per broker.
        assertEquals(ErrorCode.NONE, create("spread", 6, 2).error());
        Controller.TopicOutcome over = createAssigned("more", List.of(1));
        assertEquals(ErrorCode.POLICY_VIOLATION, over.error());
        assertTrue(over.message().startsWith("broker 1 holds 4 partitions; 1 more"), over.message());
        assertEquals(ErrorCode.POLICY_VIOLATION, get(controller.createPartitions("spread", 7, null, false)).error());
        assertEquals(6, view.image().topic("spread").orElseThrow().partitions().size());
    }

    // ------------------------------------------------------------------ registration and heartbeats

    @Test
    void registrationAnswersKafkasErrorsAndARetryKeepsItsEpoch() throws Exception {
        FakeBroker first = new FakeBroker(1, null);
        assertEquals(ErrorCode.INCONSISTENT_CLUSTER_ID.code(),
            get(controller.registerBroker(first.registration("another-cluster"))).errorCode());
        first.join();
        long epoch = first.epoch;
        assertEquals(epoch, first.register().brokerEpoch(), "a retry by the same incarnation got a new epoch");

        FakeBroker impostor = new FakeBroker(1, null);
        assertEquals(ErrorCode.DUPLICATE_BROKER_REGISTRATION.code(), impostor.register().errorCode());
        assertEquals(first.incarnation, first.registration().incarnationId());

        // Once the first one's session has ended (it is fenced), a restart registers with a higher epoch.
        advanceAndCheckSessions(SESSION_MS + 1);
        assertTrue(first.registration().fenced());
        assertEquals(ErrorCode.NONE.code(), impostor.register().errorCode());
        assertTrue(impostor.epoch > epoch);
        assertEquals(ErrorCode.STALE_BROKER_EPOCH.code(), first.heartbeat().errorCode());
        assertEquals(ErrorCode.STALE_BROKER_EPOCH.code(), new FakeBroker(9, null).heartbeat().errorCode());
    }

    @Test
    void brokerIsUnfencedOnlyOnceItHasAppliedItsRegistration() throws Exception {
        FakeBroker b = new FakeBroker(1, null);
        b.register();
        long registeredAt = b.registration().registrationOffset();
        assertTrue(b.registration().fenced());

        BrokerHeartbeatResponse behind = b.heartbeat(registeredAt - 1, false, false);
        assertFalse(behind.isCaughtUp());
        assertTrue(behind.isFenced());
        BrokerHeartbeatResponse wantsFence = b.heartbeat(registeredAt, true, false);
        assertTrue(wantsFence.isCaughtUp());
        assertTrue(wantsFence.isFenced());
        assertTrue(b.registration().fenced());

        BrokerHeartbeatResponse caughtUp = b.heartbeat(registeredAt, false, false);
        assertTrue(caughtUp.isCaughtUp());
        assertFalse(caughtUp.isFenced());
        assertFalse(b.registration().fenced());
    }

    // ------------------------------------------------------------------ fencing and elections

    @Test
    void expiredSessionFencesTheBrokerAndMovesItsLeadershipsWithEpochsBumped() throws Exception {
        List<FakeBroker> brokers = joinThree();
        assertEquals(ErrorCode.NONE, create("t", 3, 3).error());
        List<PartitionImage> before = view.image().topic("t").orElseThrow().partitions();

        advanceAndCheckSessions(SESSION_MS / 2, brokers.get(1), brokers.get(2));
        assertFalse(brokers.get(0).registration().fenced(), "fenced before its session ended");
        advanceAndCheckSessions(SESSION_MS / 2 + 1, brokers.get(1), brokers.get(2));
        assertTrue(brokers.get(0).registration().fenced());

        for (int i = 0; i < 3; i++) {
            PartitionImage was = before.get(i);
            PartitionImage now = partition("t", i);
            assertFalse(now.isr().contains(1), "fenced broker still in the ISR of " + now);
            assertEquals(was.partitionEpoch() + 1, now.partitionEpoch());
            if (was.leader() == 1) {
                int expected = was.replicas().stream().filter(r -> r != 1).findFirst().orElseThrow();
                assertEquals(expected, now.leader());
                assertEquals(was.leaderEpoch() + 1, now.leaderEpoch());
            } else {
                assertEquals(was.leader(), now.leader());
                assertEquals(was.leaderEpoch(), now.leaderEpoch());
            }
        }
    }

    @Test
    void brokerFencedForItsSessionIsUnfencedOnlyOnceItHasAppliedItsFencing() throws Exception {
        List<FakeBroker> brokers = joinThree();
        assertEquals(ErrorCode.NONE, create("t", 3, 3).error());
        long beforeFencing = view.appliedOffset();
        advanceAndCheckSessions(SESSION_MS + 1, brokers.get(1), brokers.get(2));
        FakeBroker back = brokers.get(0);
        assertTrue(back.registration().fenced());

        // Cut off while it was fenced, it comes back with the image it had: it still thinks it leads.
        BrokerHeartbeatResponse stale = back.heartbeat(beforeFencing, false, false);
        assertEquals(ErrorCode.NONE.code(), stale.errorCode());
        assertFalse(stale.isCaughtUp());
        assertTrue(stale.isFenced());
        assertTrue(back.registration().fenced());

        BrokerHeartbeatResponse caughtUp = back.heartbeat();
        assertTrue(caughtUp.isCaughtUp());
        assertFalse(caughtUp.isFenced());
    }

    @Test
    void everyBrokerWhoseSessionEndedIsFencedInTurn() throws Exception {
        FakeBroker first = new FakeBroker(1, null).join();
        clock.addAndGet(1000);
        FakeBroker second = new FakeBroker(2, null).join();
        advanceAndCheckSessions(SESSION_MS + 1);
        assertTrue(first.registration().fenced());
        get(controller.checkSessions());
        assertTrue(second.registration().fenced());
    }

    @Test
    void lastIsrMemberStaysAndLeadsAgainWhenItsBrokerReturns() throws Exception {
        FakeBroker one = new FakeBroker(1, null).join();
        FakeBroker two = new FakeBroker(2, null).join();
        assertEquals(ErrorCode.NONE, createAssigned("solo", List.of(1)).error());

        advanceAndCheckSessions(SESSION_MS + 1, two);
        PartitionImage offline = partition("solo", 0);
        assertEquals(-1, offline.leader());
        assertEquals(List.of(1), offline.isr(), "the last ISR member was dropped");
        assertEquals(1, offline.leaderEpoch());

        // The broker comes back: still registered (fenced), it catches up and is unfenced.
        assertFalse(one.heartbeat().isFenced());
        PartitionImage back = partition("solo", 0);
        assertEquals(1, back.leader());
        assertEquals(2, back.leaderEpoch());
        assertEquals(offline.partitionEpoch() + 1, back.partitionEpoch());
    }

    @Test
    void uncleanElectionLetsAnOutOfSyncReplicaLeadWhenTheTopicAllowsIt() throws Exception {
        FakeBroker one = new FakeBroker(1, null).join();
        FakeBroker two = new FakeBroker(2, null).join();
        assertEquals(ErrorCode.NONE, createAssigned("clean", List.of(1, 2)).error());
        assertEquals(ErrorCode.NONE, createAssigned("unclean", List.of(1, 2)).error());
        assertEquals(ErrorCode.NONE, get(controller.editConfigs(Controller.TOPIC_RESOURCE, "unclean",
            current -> Map.of(BrokerControl.UNCLEAN_LEADER_ELECTION, "true"), false)).error());
        for (String topic : List.of("clean", "unclean")) {
            AlterPartitionResponse shrunk = alter(one, topic, 0, 0, 0, List.of(1), (short) 2);
            assertEquals(ErrorCode.NONE.code(), shrunk.topics().get(0).partitions().get(0).errorCode());
        }

        advanceAndCheckSessions(SESSION_MS + 1, two);
        assertEquals(-1, partition("clean", 0).leader());
        assertEquals(List.of(1), partition("clean", 0).isr());
        assertEquals(2, partition("unclean", 0).leader());
        assertEquals(List.of(2), partition("unclean", 0).isr());
    }

    @Test
    void suspectedBrokerWhosePortRefusesIsFencedAtOnce() throws Exception {
        FakeBroker alive = new FakeBroker(1, null).join();
        FakeBroker gone = whereNothingListens(new FakeBroker(2, null)).join();
        assertEquals(ErrorCode.NONE, createAssigned("t", List.of(2, 1)).error());

        assertFalse(get(controller.suspect(alive.id)));
        assertFalse(alive.registration().fenced());
        assertTrue(get(controller.suspect(gone.id)));
        assertTrue(gone.registration().fenced());
        assertEquals(1, partition("t", 0).leader());
    }

    @Test
    void nodeBecomingTheActiveControllerProbesTheBrokersItFinds() throws Exception {
        new FakeBroker(1, null).join();
        FakeBroker gone = whereNothingListens(new FakeBroker(2, null)).join();
        closeController();

        open();
        poll("the broker that no longer listens is fenced", () -> view.image().broker(2).orElseThrow().fenced());
        assertFalse(view.image().broker(1).orElseThrow().fenced());
    }

    // ------------------------------------------------------------------ AlterPartition

    private AlterPartitionResponse alter(FakeBroker from, String topic, int partition, int leaderEpoch,
                                         int partitionEpoch, List<Integer> isr, short version) throws Exception {
        AlterPartitionRequest.PartitionData data = new AlterPartitionRequest.PartitionData()
            .setPartitionIndex(partition).setLeaderEpoch(leaderEpoch).setPartitionEpoch(partitionEpoch);
        if (version >= 3) {
            List<AlterPartitionRequest.BrokerState> states = new ArrayList<>();
            for (int r : isr) {
                states.add(new AlterPartitionRequest.BrokerState().setBrokerId(r)
                    .setBrokerEpoch(view.image().broker(r).map(BrokerRegistration::epoch).orElse(-1L)));
            }
            data.setNewIsrWithEpochs(states);
        } else {
            data.setNewIsr(new ArrayList<>(isr));
        }
        AlterPartitionRequest request = new AlterPartitionRequest().setBrokerId(from.id).setBrokerEpoch(from.epoch)
            .setTopics(new ArrayList<>(List.of(new AlterPartitionRequest.TopicData()
                .setTopicId(view.image().topic(topic).orElseThrow().id()).setPartitions(new ArrayList<>(List.of(data))))));
        return get(controller.alterPartition(request, version));
    }

    private static short errorOf(AlterPartitionResponse response) {
        return response.topics().get(0).partitions().get(0).errorCode();
    }

    @Test
    void alterPartitionRefusesStaleEpochsAndIneligibleReplicasAndWritesAValidIsr() throws Exception {
        List<FakeBroker> brokers = joinThree();
        FakeBroker one = brokers.get(0);
        FakeBroker two = brokers.get(1);
        FakeBroker three = brokers.get(2);
        assertEquals(ErrorCode.NONE, createAssigned("t", List.of(3, 1, 2)).error());
        // Broker 3 asks to be fenced: broker 1 leads at leader epoch 1, partition epoch 1.
        assertTrue(three.heartbeat(view.appliedOffset(), true, false).isFenced());
        PartitionImage p = partition("t", 0);
        assertEquals(1, p.leader());
        assertEquals(List.of(1, 2), p.isr());
        assertEquals(1, p.leaderEpoch());

        assertEquals(ErrorCode.FENCED_LEADER_EPOCH.code(), errorOf(alter(one, "t", 0, 0, 1, List.of(1), (short) 3)));
        assertEquals(ErrorCode.INVALID_UPDATE_VERSION.code(), errorOf(alter(one, "t", 0, 1, 0, List.of(1), (short) 3)));
        assertEquals(ErrorCode.INVALID_REQUEST.code(), errorOf(alter(two, "t", 0, 1, 1, List.of(2), (short) 3)),
            "a follower changed the ISR");
        assertEquals(ErrorCode.INVALID_REQUEST.code(), errorOf(alter(one, "t", 0, 1, 1, List.of(2), (short) 3)),
            "an ISR without its leader was taken");
        assertEquals(ErrorCode.INELIGIBLE_REPLICA.code(),
            errorOf(alter(one, "t", 0, 1, 1, List.of(1, 2, 3), (short) 3)), "a fenced broker joined the ISR");
        long stale = one.epoch;
        one.epoch = stale + 100;
        assertEquals(ErrorCode.STALE_BROKER_EPOCH.code(), alter(one, "t", 0, 1, 1, List.of(1), (short) 3).errorCode());
        one.epoch = stale;
        assertEquals(p, partition("t", 0), "a refused request changed the partition");

        AlterPartitionResponse shrunk = alter(one, "t", 0, 1, 1, List.of(1), (short) 2);
        AlterPartitionResponse.PartitionData answer = shrunk.topics().get(0).partitions().get(0);
        assertEquals(ErrorCode.NONE.code(), answer.errorCode());
        assertEquals(List.of(1), answer.isr());
        assertEquals(1, answer.leaderId());
        assertEquals(1, answer.leaderEpoch());
        assertEquals(2, answer.partitionEpoch());
        assertEquals(new PartitionImage(0, List.of(3, 1, 2), List.of(1), 1, 1, 2), partition("t", 0));

        AlterPartitionResponse expanded = alter(one, "t", 0, 1, 2, List.of(1, 2), (short) 3);
        assertEquals(ErrorCode.NONE.code(), errorOf(expanded));
        assertEquals(List.of(1, 2), partition("t", 0).isr());
        assertEquals(3, partition("t", 0).partitionEpoch());
    }

    // ------------------------------------------------------------------ reassignments

    private AlterPartitionReassignmentsResponse.ReassignablePartitionResponse reassign(String topic, int partition,
                                                                                      List<Integer> target)
        throws Exception {
        AlterPartitionReassignmentsResponse response = get(controller.alterPartitionReassignments(
            new AlterPartitionReassignmentsRequest().setTopics(new ArrayList<>(List.of(
                new AlterPartitionReassignmentsRequest.ReassignableTopic().setName(topic).setPartitions(
                    new ArrayList<>(List.of(new AlterPartitionReassignmentsRequest.ReassignablePartition()
                        .setPartitionIndex(partition).setReplicas(target == null ? null : new ArrayList<>(target))))))))));
        assertEquals(ErrorCode.NONE.code(), response.errorCode());
        return response.responses().get(0).partitions().get(0);
    }

    private List<ListPartitionReassignmentsResponse.OngoingTopicReassignment> ongoing() throws Exception {
        ListPartitionReassignmentsResponse response = get(controller.listPartitionReassignments(
            new ListPartitionReassignmentsRequest().setTopics(null)));
        assertEquals(ErrorCode.NONE.code(), response.errorCode());
        return response.topics();
    }

    @Test
    void reassignmentGrowsTheReplicasAndCompletesWhenTheAddedReplicaJoinsTheIsr() throws Exception {
        List<FakeBroker> brokers = new ArrayList<>(joinThree());
        brokers.add(new FakeBroker(4, "r2").join());
        FakeBroker leader = brokers.get(0);
        assertEquals(ErrorCode.NONE, createAssigned("t", List.of(1, 2, 3)).error());

        assertEquals(ErrorCode.NONE.code(), reassign("t", 0, List.of(2, 3, 4)).errorCode());
        // Growth: the target first, then the replica leaving; the leader and ISR stay.
        assertEquals(new PartitionImage(0, List.of(2, 3, 4, 1), List.of(1, 2, 3), 1, 0, 1, List.of(4), List.of(1)),
            partition("t", 0));
        ListPartitionReassignmentsResponse.OngoingPartitionReassignment listed = ongoing().get(0).partitions().get(0);
        assertEquals(List.of(2, 3, 4, 1), listed.replicas());
        assertEquals(List.of(4), listed.addingReplicas());
        assertEquals(List.of(1), listed.removingReplicas());

        // The leader's ISR expansion with the new replica completes it: broker 1 leaves and the first target leads.
        AlterPartitionResponse.PartitionData answer = alter(leader, "t", 0, 0, 1, List.of(1, 2, 3, 4), (short) 3)
            .topics().get(0).partitions().get(0);
        assertEquals(ErrorCode.NONE.code(), answer.errorCode());
        assertEquals(new PartitionImage(0, List.of(2, 3, 4), List.of(2, 3, 4), 2, 1, 2), partition("t", 0));
        assertEquals(2, answer.leaderId());
        assertEquals(1, answer.leaderEpoch());
        assertTrue(ongoing().isEmpty());

        // It survives a snapshot with the reassignment fields.
        assertEquals(ErrorCode.NONE.code(), reassign("t", 0, List.of(2, 3, 1)).errorCode());
        MetadataView loaded = new MetadataView(CLUSTER);
        loaded.load(view.snapshot(), view.appliedOffset());
        assertEquals(partition("t", 0), loaded.image().topic("t").orElseThrow().partitions().get(0));
        assertEquals(List.of(1), partition("t", 0).addingReplicas());
    }

    @Test
    void reassignmentThatOnlyRemovesCompletesAtOnceAndMovesTheLeadership() throws Exception {
        joinThree();
        assertEquals(ErrorCode.NONE, createAssigned("t", List.of(1, 2, 3)).error());
        assertEquals(ErrorCode.NONE.code(), reassign("t", 0, List.of(3, 2)).errorCode());
        assertEquals(new PartitionImage(0, List.of(3, 2), List.of(2, 3), 3, 1, 1), partition("t", 0));
        assertTrue(ongoing().isEmpty());
        assertEquals(ErrorCode.NONE.code(), reassign("t", 0, List.of(3, 2)).errorCode(), "a no-op was refused");
        assertEquals(1, partition("t", 0).partitionEpoch(), "a no-op changed the partition");
    }

    @Test
    void cancellingAReassignmentRevertsToTheOriginalReplicasAndCancellingNothingIsRefused() throws Exception {
        List<FakeBroker> brokers = new ArrayList<>(joinThree());
        brokers.add(new FakeBroker(4, "r2").join());
        assertEquals(ErrorCode.NONE, createAssigned("t", List.of(1, 2, 3)).error());
        assertEquals(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS.code(), reassign("t", 0, null).errorCode());

        assertEquals(ErrorCode.NONE.code(), reassign("t", 0, List.of(4, 2, 3)).errorCode());
        assertTrue(partition("t", 0).reassigning());
        assertEquals(ErrorCode.NONE.code(), reassign("t", 0, null).errorCode());
        PartitionImage reverted = partition("t", 0);
        // As in Kafka, the original replicas keep the order they had among the grown replicas.
        assertEquals(List.of(2, 3, 1), reverted.replicas());
        assertEquals(1, reverted.leader());
        assertEquals(List.of(1, 2, 3), reverted.isr());
        assertFalse(reverted.reassigning());
        assertTrue(ongoing().isEmpty());
    }

    @Test
    void invalidReassignmentsGetKafkasErrorsAndChangeNothing() throws Exception {
        List<FakeBroker> brokers = joinThree();
        assertEquals(ErrorCode.NONE, createAssigned("t", List.of(1, 2, 3)).error());
        PartitionImage before = partition("t", 0);
        assertEquals(ErrorCode.INVALID_REPLICA_ASSIGNMENT.code(), reassign("t", 0, List.of()).errorCode());
        assertEquals(ErrorCode.INVALID_REPLICA_ASSIGNMENT.code(), reassign("t", 0, List.of(1, 1, 2)).errorCode());
        assertEquals(ErrorCode.INVALID_REPLICA_ASSIGNMENT.code(), reassign("t", 0, List.of(1, 2, 9)).errorCode());
        assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code(), reassign("t", 1, List.of(1, 2, 3)).errorCode());
        assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code(), reassign("nope", 0, List.of(1, 2, 3)).errorCode());
        AlterPartitionReassignmentsResponse fixedFactor = get(controller.alterPartitionReassignments(
            new AlterPartitionReassignmentsRequest().setAllowReplicationFactorChange(false).setTopics(new ArrayList<>(
                List.of(new AlterPartitionReassignmentsRequest.ReassignableTopic().setName("t").setPartitions(
                    new ArrayList<>(List.of(new AlterPartitionReassignmentsRequest.ReassignablePartition()
                        .setPartitionIndex(0).setReplicas(new ArrayList<>(List.of(1, 2)))))))))));
        assertEquals(ErrorCode.INVALID_REPLICA_ASSIGNMENT.code(),
            fixedFactor.responses().get(0).partitions().get(0).errorCode());
        assertEquals(before, partition("t", 0), "a refused reassignment changed the partition");

        // Two replicas are added; one has joined the ISR when the only original replica is fenced:
        // going back would leave no in-sync replica.
        assertEquals(ErrorCode.NONE, createAssigned("u", List.of(1)).error());
        assertEquals(ErrorCode.NONE.code(), reassign("u", 0, List.of(2, 3)).errorCode());
        assertEquals(ErrorCode.NONE.code(), errorOf(alter(brokers.get(0), "u", 0, 0, 1, List.of(1, 2), (short) 3)));
        assertTrue(partition("u", 0).reassigning(), "completed with an adding replica out of sync");
        assertTrue(brokers.get(0).heartbeat(view.appliedOffset(), true, false).isFenced());
        PartitionImage onlyAdded = partition("u", 0);
        assertEquals(List.of(2), onlyAdded.isr());
        assertEquals(ErrorCode.INVALID_REPLICA_ASSIGNMENT.code(), reassign("u", 0, null).errorCode());
        assertEquals(onlyAdded, partition("u", 0));

        leading = false;
        assertEquals(ErrorCode.NOT_CONTROLLER.code(), get(controller.listPartitionReassignments(
            new ListPartitionReassignmentsRequest().setTopics(null))).errorCode());
    }

    // ------------------------------------------------------------------ controlled shutdown

    @Test
    void controlledShutdownMovesLeadershipsBeforeSayingShouldShutDown() throws Exception {
        List<FakeBroker> brokers = joinThree();
        FakeBroker leaving = brokers.get(0);
        assertEquals(ErrorCode.NONE, create("t", 3, 3).error());

        BrokerHeartbeatResponse first = leaving.heartbeat(view.appliedOffset(), false, true);
        assertFalse(first.shouldShutDown());
        assertFalse(first.isFenced());
        assertTrue(leaving.registration().inControlledShutdown());
        for (PartitionImage p : view.image().topic("t").orElseThrow().partitions()) {
            assertNotEquals(1, p.leader());
            assertFalse(p.isr().contains(1));
        }

        // The others have not yet heard of their new leaderships: not yet.
        assertFalse(leaving.heartbeat(view.appliedOffset(), false, true).shouldShutDown());
        brokers.get(1).heartbeat();
        brokers.get(2).heartbeat();
        BrokerHeartbeatResponse last = leaving.heartbeat(view.appliedOffset(), false, true);
        assertTrue(last.shouldShutDown());
        assertTrue(last.isFenced());
        assertTrue(leaving.registration().fenced());
    }

    // ------------------------------------------------------------------ durability

    @Test
    void brokersAndTheirEpochsSurviveASnapshotAndARestart() throws Exception {
        List<FakeBroker> brokers = joinThree();
        brokers.get(1).heartbeat(view.appliedOffset(), false, true);
        long highest = brokers.get(2).epoch;
        assertEquals(ErrorCode.NONE.code(), get(controller.unregisterBroker(3)).errorCode());
        assertEquals(ErrorCode.BROKER_ID_NOT_REGISTERED.code(), get(controller.unregisterBroker(3)).errorCode());

        List<Message> snapshot = view.snapshot();
        MetadataView loaded = new MetadataView(CLUSTER);
        loaded.load(snapshot, view.appliedOffset());
        assertEquals(withoutOffsets(view.image().brokers()), withoutOffsets(loaded.image().brokers()));
        assertEquals(2, loaded.image().brokers().size());
        assertEquals(view.image().nextBrokerEpoch(), loaded.image().nextBrokerEpoch());
        assertEquals(snapshot, MetadataRecords.decode(MetadataRecords.encode(snapshot)));

        Map<Integer, BrokerRegistration> before = view.image().brokers();
        closeController();
        open();
        assertEquals(before.keySet(), view.image().brokers().keySet());
        assertFalse(view.image().broker(1).orElseThrow().fenced());
        assertTrue(view.image().broker(2).orElseThrow().inControlledShutdown());
        FakeBroker returning = new FakeBroker(3, "r2");
        assertEquals(ErrorCode.NONE.code(), returning.register().errorCode());
        assertTrue(returning.epoch > highest, "a broker epoch was handed out twice");
    }

    // ------------------------------------------------------------------ ElectLeaders

    private ElectLeadersResponse.PartitionResult elect(byte type, String topic, int partition) throws Exception {
        ElectLeadersResponse response = get(controller.electLeaders(new ElectLeadersRequest().setElectionType(type)
            .setTopicPartitions(new ArrayList<>(List.of(new ElectLeadersRequest.TopicPartitions().setTopic(topic)
                .setPartitions(new ArrayList<>(List.of(partition))))))));
        return response.replicaElectionResults().get(0).partitionResult().get(0);
    }

    @Test
    void preferredElectionReturnsLeadershipToTheFirstReplicaOnceItIsInSyncAgain() throws Exception {
        List<FakeBroker> brokers = joinThree();
        FakeBroker one = brokers.get(0);
        FakeBroker two = brokers.get(1);
        assertEquals(ErrorCode.NONE, createAssigned("t", List.of(1, 2, 3)).error());
        assertEquals(ErrorCode.ELECTION_NOT_NEEDED.code(), elect((byte) 0, "t", 0).errorCode());

        assertTrue(one.heartbeat(view.appliedOffset(), true, false).isFenced());
        assertEquals(2, partition("t", 0).leader());
        assertEquals(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE.code(), elect((byte) 0, "t", 0).errorCode());
        assertFalse(one.heartbeat().isFenced());
        assertEquals(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE.code(), elect((byte) 0, "t", 0).errorCode(),
            "a replica out of the ISR was made leader");

        PartitionImage p = partition("t", 0);
        assertEquals(ErrorCode.NONE.code(), errorOf(alter(two, "t", 0, p.leaderEpoch(), p.partitionEpoch(),
            List.of(2, 3, 1), (short) 3)));
        assertEquals(ErrorCode.NONE.code(), elect((byte) 0, "t", 0).errorCode());
        assertEquals(1, partition("t", 0).leader());
        assertEquals(p.leaderEpoch() + 1, partition("t", 0).leaderEpoch());
        assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code(), elect((byte) 0, "t", 5).errorCode());
        assertEquals(ErrorCode.ELECTION_NOT_NEEDED.code(), elect((byte) 1, "t", 0).errorCode());
    }

    @Test
    void uncleanElectionGivesAnOfflinePartitionAnOutOfSyncLeader() throws Exception {
        FakeBroker one = new FakeBroker(1, null).join();
        FakeBroker two = new FakeBroker(2, null).join();
        assertEquals(ErrorCode.NONE, createAssigned("t", List.of(1, 2)).error());
        assertEquals(ErrorCode.NONE.code(), errorOf(alter(one, "t", 0, 0, 0, List.of(1), (short) 3)));
        advanceAndCheckSessions(SESSION_MS + 1, two);
        assertEquals(-1, partition("t", 0).leader());

        assertEquals(ErrorCode.NONE.code(), elect((byte) 1, "t", 0).errorCode());
        assertEquals(2, partition("t", 0).leader());
        assertEquals(List.of(2), partition("t", 0).isr());
    }

    // ------------------------------------------------------------------ automatic rebalancing

    private void createWithPreferred(String name, int partitions, List<Integer> replicas) throws Exception {
        Map<Integer, List<Integer>> assignments = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            assignments.put(p, replicas);
        }
        assertEquals(ErrorCode.NONE, get(controller.createTopics(List.of(new Controller.NewTopic(name, -1, (short) -1,
            assignments, Map.of())), false)).get(0).error());
    }

    /** The leader {@code from} puts {@code broker} back into the ISR of one partition. */
    private void rejoinIsr(FakeBroker from, String topic, int index, int broker) throws Exception {
        PartitionImage p = partition(topic, index);
        List<Integer> isr = new ArrayList<>(p.isr());
        isr.add(broker);
        assertEquals(ErrorCode.NONE.code(), errorOf(alter(from, topic, index, p.leaderEpoch(), p.partitionEpoch(),
            isr, (short) 3)));
    }

    @Test
    void rebalanceHandsLeadershipBackOnlyToInSyncPreferredReplicasOfBrokersAboveTheImbalanceShare() throws Exception {
        List<FakeBroker> brokers = joinThree();
        FakeBroker one = brokers.get(0);
        FakeBroker two = brokers.get(1);
        createWithPreferred("a", 10, List.of(1, 2, 3));
        createWithPreferred("b", 5, List.of(2, 3, 1));
        assertEquals(0, get(controller.balanceLeaders()), "a balanced cluster was rebalanced");

        assertTrue(one.heartbeat(view.appliedOffset(), true, false).isFenced());
        assertFalse(one.heartbeat().isFenced());
        for (int p = 0; p < 10; p++) {
            assertEquals(2, partition("a", p).leader());
        }
        assertEquals(0, get(controller.balanceLeaders()), "leadership went to a replica out of the ISR");

        for (int p = 0; p < 9; p++) {
            rejoinIsr(two, "a", p, 1);
        }
        int[] epochs = new int[10];
        for (int p = 0; p < 10; p++) {
            epochs[p] = partition("a", p).leaderEpoch();
        }
        assertEquals(9, get(controller.balanceLeaders()));
        for (int p = 0; p < 9; p++) {
            assertEquals(1, partition("a", p).leader(), "a-" + p);
            assertEquals(epochs[p] + 1, partition("a", p).leaderEpoch(), "a-" + p);
        }
        assertEquals(2, partition("a", 9).leader(), "a replica out of the ISR was made leader");
        for (int p = 0; p < 5; p++) {
            assertEquals(2, partition("b", p).leader(), "a partition led by its preferred replica moved");
        }

        // One partition in ten led elsewhere is 10 %: not above leader.imbalance.per.broker.percentage.
        rejoinIsr(two, "a", 9, 1);
        assertEquals(0, get(controller.balanceLeaders()));
        assertEquals(2, partition("a", 9).leader());
    }

    // ------------------------------------------------------------------ leadership of the controller

    @Test
    void nodeThatIsNotTheActiveControllerAnswersNotControllerAndStartsFreshSessionsWhenItBecomesIt()
            throws Exception {
        FakeBroker one = new FakeBroker(1, null).join();
        FakeBroker two = new FakeBroker(2, null).join();

        leading = false;
        assertEquals(ErrorCode.NOT_CONTROLLER.code(), one.heartbeat().errorCode());
        assertEquals(ErrorCode.NOT_CONTROLLER.code(), new FakeBroker(3, null).register().errorCode());
        assertEquals(ErrorCode.NOT_CONTROLLER.code(), get(controller.unregisterBroker(2)).errorCode());
        assertFalse(get(controller.suspect(2)));
        // Another node is active meanwhile; what it heard, this one never learns.
        clock.addAndGet(3 * SESSION_MS);
        get(controller.checkSessions());

        leading = true;
        get(controller.checkSessions());
        assertFalse(one.registration().fenced(), "fenced for a silence this node could not have heard");
        assertFalse(two.registration().fenced(), "fenced for a silence this node could not have heard");
        advanceAndCheckSessions(SESSION_MS + 1, two);
        assertTrue(one.registration().fenced());
        assertFalse(two.registration().fenced());
    }
}
