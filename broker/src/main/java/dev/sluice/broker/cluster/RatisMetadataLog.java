package dev.sluice.broker.cluster;

import dev.sluice.broker.config.QuorumVoter;
import dev.sluice.broker.metadata.MetadataLog;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.impl.ClientProtoUtils;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexRequestProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.ProtoUtils;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata log of a cluster: a Raft log replicated by Apache Ratis among the controllers named
 * by {@code controller.quorum.voters}. The Ratis leader is the active controller; only it appends.
 *
 * <ul>
 *   <li><b>Identity.</b> Node id {@code n} is Ratis peer {@code "n"} at its voter address; the Ratis
 *       group id is a name-based UUID of the cluster id, so every node of a cluster derives the same
 *       group and a node of another cluster cannot join it by mistake.</li>
 *   <li><b>Storage</b> lives under the given directory ({@code <group uuid>/current/} holds the log,
 *       {@code <group uuid>/sm/} the snapshots) and survives restarts: start-up loads the latest
 *       snapshot and replays the committed entries after it.</li>
 *   <li><b>Snapshots</b> are taken every {@link RatisSettings#snapshotEvery} committed entries and the
 *       log before a snapshot is purged; a follower too far behind receives the leader's snapshot.</li>
 *   <li><b>Leadership</b> counts only once the leader has applied everything committed before its
 *       term (Ratis' "leader ready"), so a controller never decides on a stale image.</li>
 * </ul>
 *
 * <p>Threading: the applier runs on Ratis' state machine thread (one thread, log order).
 * Completions of {@link #append} futures and leadership listeners run on one event thread this log
 * owns, in order, never on Ratis' threads: a controller that continues on a completion cannot stall
 * the applying of the log. All public methods are thread-safe.
 */
public final class RatisMetadataLog implements MetadataQuorum {
    private static final Logger log = LoggerFactory.getLogger(RatisMetadataLog.class);
    /** How long start-up may take to replay the committed entries this node holds. */
    private static final Duration REPLAY_TIMEOUT = Duration.ofMinutes(5);
    /** How often {@link #confirmLeadership} looks again for a majority that has answered. */
    private static final long CONFIRM_POLL_MS = 10;

    private final int nodeId;
    private final RaftPeerId selfId;
    private final QuorumVoter self;
    private final RaftGroup group;
    private final Path directory;
    private final RatisSettings settings;
    private final Consumer<RaftProperties> tuning;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final List<Consumer<Boolean>> leadershipListeners = new CopyOnWriteArrayList<>();
    private final ExecutorService events;
    private volatile Function<byte[], CompletableFuture<byte[]>> leaderRequests;
    private volatile RaftServer server;
    private volatile RaftServer.Division division;
    private volatile QuorumClient client;
    private volatile MetadataFeed feed;
    private volatile boolean closed;
    /** What listeners were last told; touched only on the event thread. */
    private boolean announcedLeader;

    /**
     * A log that is not started yet.
     *
     * @param nodeId this node's {@code node.id}; must be one of {@code voters}
     * @param voters the parsed {@code controller.quorum.voters}; this node binds its own voter's host and port
     * @param clusterId the cluster id, from which the Ratis group id is derived
     * @param directory where this node keeps the quorum's log and snapshots, e.g. {@code <log dir>/__cluster_metadata-0}
     */
    public RatisMetadataLog(int nodeId, List<QuorumVoter> voters, String clusterId, Path directory,
        RatisSettings settings) {
        this(nodeId, voters, clusterId, directory, settings, p -> { });
    }

    /** As above, with Ratis properties adjusted after Sluice's; a seam for tests that need tiny log segments. */
    RatisMetadataLog(int nodeId, List<QuorumVoter> voters, String clusterId, Path directory, RatisSettings settings,
        Consumer<RaftProperties> tuning) {
        this.tuning = tuning;
        this.nodeId = nodeId;
        this.self = voters.stream().filter(v -> v.nodeId() == nodeId).findFirst().orElseThrow(() ->
            new IllegalArgumentException("node " + nodeId + " is not among controller.quorum.voters " + voters));
        this.selfId = QuorumClient.peerId(nodeId);
        this.group = QuorumClient.group(clusterId, voters);
        this.directory = directory;
        this.settings = settings;
        // After close, the last completions (Ratis failing what was pending) run on the caller.
        this.events = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "metadata-quorum-events-" + nodeId);
            t.setDaemon(true);
            return t;
        }, (task, executor) -> task.run());
    }

    /**
     * Registers a listener told {@code true} when this node becomes the ready leader and
     * {@code false} when it stops leading (also when the log closes). Called on the event thread;
     * register before {@link #start}.
     */
    @Override
    public void onLeadershipChange(Consumer<Boolean> listener) {
        leadershipListeners.add(listener);
    }

    /**
     * Sets the handler of requests that {@link #askLeader} sends from any node; it runs only while
     * this node is the ready leader, on a Ratis RPC thread, so it must not block.
     */
    @Override
    public void onLeaderRequest(Function<byte[], CompletableFuture<byte[]>> handler) {
        this.leaderRequests = handler;
        MetadataStateMachine machine = stateMachine();
        if (machine != null) {
            machine.onLeaderRequest(handler);
        }
    }

    private MetadataStateMachine stateMachine() {
        RaftServer.Division d = division;
        return d == null ? null : (MetadataStateMachine) d.getStateMachine();
    }

    @Override
    public void start(Applier applier) throws IOException {
        if (server != null) {
            throw new IllegalStateException("metadata log of node " + nodeId + " already started");
        }
        Files.createDirectories(directory);
        MetadataStateMachine machine = new MetadataStateMachine(nodeId, applier, this::leadershipMayHaveChanged);
        machine.onLeaderRequest(leaderRequests);
        RaftProperties properties = properties();
        server = RaftServer.newBuilder()
            .setServerId(selfId)
            .setGroup(group)
            .setStateMachine(machine)
            .setProperties(properties)
            .setParameters(settings.parameters())
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
        try {
            server.start();
            division = server.getDivision(group.getGroupId());
            feed = new MetadataFeed(nodeId, feedSource(machine));
            machine.onApplied(feed::applied);
            // Leadership may have been notified before the division was known here.
            leadershipMayHaveChanged();
            client = new QuorumClient(nodeId, clientId, group, properties, settings.parameters(),
                settings.requestTimeout());
            awaitLocalReplay();
        } catch (IOException | RuntimeException e) {
            // Leave no server bound to the port, nor a half-started member in the quorum.
            try {
                close();
            } catch (IOException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        log.info("metadata quorum member {} started at {} (group {}, {} voters, storage {})", nodeId, self.address(),
            group.getGroupId().getUuid(), group.getPeers().size(), directory);
    }

    private MetadataFeed.Source feedSource(MetadataStateMachine machine) {
        RaftServer.Division d = division;
        return new MetadataFeed.Source() {
            @Override
            public long appliedIndex() {
                return d.getInfo().getLastAppliedIndex();
            }

            @Override
            public long startIndex() {
                return d.getRaftLog().getStartIndex();
            }

            @Override
            public byte[] batch(long index) throws IOException {
                org.apache.ratis.proto.RaftProtos.LogEntryProto entry = d.getRaftLog().get(index);
                if (entry == null) {
                    throw new IOException("metadata log entry " + index + " is no longer held by node " + nodeId);
                }
                return entry.hasStateMachineLogEntry()
                    ? entry.getStateMachineLogEntry().getLogData().toByteArray() : null;
            }

            @Override
            public long snapshotIndex() {
                return machine.latestSnapshotIndex();
            }

            @Override
            public MetadataFeed.Snapshot snapshot() throws IOException {
                return machine.latestSnapshot();
            }
        };
    }

    @Override
    public CompletableFuture<byte[]> serveObserver(java.nio.ByteBuffer request) {
        MetadataFeed f = feed;
        if (f == null || closed) {
            return CompletableFuture.failedFuture(new IOException("metadata quorum member " + nodeId + " is not running"));
        }
        return f.serve(request);
    }

    /** Waits until everything this node knew to be committed when it started has been applied. */
    private void awaitLocalReplay() throws IOException {
        long committed = division.getRaftLog().getLastCommittedIndex();
        long deadline = System.nanoTime() + REPLAY_TIMEOUT.toNanos();
        while (division.getInfo().getLastAppliedIndex() < committed) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("metadata quorum member " + nodeId + " applied only up to log index "
                    + division.getInfo().getLastAppliedIndex() + " of " + committed + " within " + REPLAY_TIMEOUT);
            }
            if (!division.getInfo().isAlive()) {
                throw new IOException("metadata quorum member " + nodeId + " stopped while replaying its log");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private RaftProperties properties() {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(directory.toFile()));
        GrpcConfigKeys.Server.setHost(p, self.address().host());
        GrpcConfigKeys.Server.setPort(p, self.address().port());
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, duration(settings.electionTimeoutMin()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, duration(settings.electionTimeoutMax()));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, duration(settings.requestTimeout()));
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, duration(settings.requestTimeout()));
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, settings.snapshotEvery());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        // Disk use stays bounded while a voter is down: it catches up from a snapshot instead.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        // Only whole closed segments are purged; metadata batches are small, so keep segments small too.
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf("8MB"));
        tuning.accept(p);
        return p;
    }

    private static TimeDuration duration(Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<Long> append(List<Message> records) {
        RaftServer s = server;
        if (s == null || closed) {
            return CompletableFuture.failedFuture(new AppendFailure(ErrorCode.NOT_CONTROLLER,
                "metadata quorum member " + nodeId + " is not running", null));
        }
        if (!isLeader()) {
            return CompletableFuture.failedFuture(notController(null));
        }
        RaftClientRequest request = RaftClientRequest.newBuilder()
            .setClientId(clientId)
            .setServerId(selfId)
            .setGroupId(group.getGroupId())
            .setCallId(callIds.incrementAndGet())
            .setMessage(org.apache.ratis.protocol.Message.valueOf(
                UnsafeByteOperations.unsafeWrap(dev.sluice.broker.metadata.MetadataRecords.encode(records))))
            .setType(RaftClientRequest.writeRequestType())
            .build();
        CompletableFuture<RaftClientReply> reply;
        try {
            reply = s.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(failure(e));
        }
        return reply.handleAsync((r, error) -> {
            if (error != null) {
                throw failure(unwrap(error));
            }
            if (!r.isSuccess()) {
                throw failure(r.getException() != null ? r.getException()
                    : new IOException("metadata batch not committed: " + r));
            }
            return r.getLogIndex();
        }, events);
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private AppendFailure failure(Throwable error) {
        if (error instanceof NotLeaderException || error instanceof LeaderNotReadyException
            || error instanceof LeaderSteppingDownException || error instanceof TransferLeadershipException
            || error instanceof AlreadyClosedException) {
            return notController(error);
        }
        log.error("metadata quorum member {}: a metadata batch was not committed: {}", nodeId, error.toString());
        return new AppendFailure(ErrorCode.UNKNOWN_SERVER_ERROR,
            "metadata batch not committed: " + error.getMessage(), error);
    }

    private AppendFailure notController(Throwable cause) {
        OptionalInt leader = leaderId();
        return new AppendFailure(ErrorCode.NOT_CONTROLLER, "node " + nodeId + " is not the active controller"
            + (leader.isPresent() ? "; node " + leader.getAsInt() + " leads the metadata quorum" : ""), cause);
    }

    /**
     * Delivers {@code request} to the handler registered with {@link #onLeaderRequest} on whichever
     * node leads, following leader changes until {@link RatisSettings#requestTimeout} has passed
     * without an answer. Fails with an {@link IOException} (in a {@link CompletionException}) when
     * no ready leader answered, or with what the leader's handler failed with.
     */
    @Override
    public CompletableFuture<byte[]> askLeader(byte[] request) {
        QuorumClient c = client;
        if (c == null || closed) {
            return CompletableFuture.failedFuture(new IOException("metadata quorum member " + nodeId + " is not running"));
        }
        return c.ask(request);
    }

    @Override
    public OptionalInt leaderId() {
        RaftServer.Division d = division;
        if (d == null || closed) {
            return OptionalInt.empty();
        }
        RaftPeerId leader = d.getInfo().getLeaderId();
        return leader == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(leader.toString()));
    }

    @Override
    public boolean isLeader() {
        RaftServer.Division d = division;
        if (d == null || closed) {
            return false;
        }
        DivisionInfo info = d.getInfo();
        return info.isLeader() && info.isLeaderReady();
    }

    /**
     * Confirms that a majority still followed this leader after the call: a read index from Ratis
     * (Raft's ReadIndex, which also needs an entry of this term committed), then, until the
     * request timeout, a wait for a majority of the voters (itself included) to have answered one
     * of its appends or heartbeats since the call. The second part is needed: Ratis answers a read
     * index at once when a majority acknowledged that commit index before, however long ago, so
     * a leader cut off since then would still be told it leads.
     */
    @Override
    public CompletableFuture<Boolean> confirmLeadership() {
        RaftServer s = server;
        if (s == null || closed || !isLeader()) {
            return CompletableFuture.completedFuture(false);
        }
        long askedNanos = System.nanoTime();
        return readIndexConfirmed(s).thenCompose(confirmed -> confirmed
            ? majorityAnsweredSince(askedNanos, askedNanos + settings.requestTimeout().toNanos())
            : CompletableFuture.completedFuture(false));
    }

    /** Polls the leader's view of its followers until a majority has answered since {@code sinceNanos}. */
    private CompletableFuture<Boolean> majorityAnsweredSince(long sinceNanos, long deadlineNanos) {
        RaftServer.Division d = division;
        if (d == null || closed || !isLeader()) {
            return CompletableFuture.completedFuture(false);
        }
        List<ServerRpcProto> followers = d.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList();
        long now = System.nanoTime();
        int answered = 1; // this leader itself
        for (ServerRpcProto f : followers) {
            if (now - TimeUnit.MILLISECONDS.toNanos(f.getLastRpcElapsedTimeMs()) >= sinceNanos) {
                answered++;
            }
        }
        if (answered > group.getPeers().size() / 2) {
            return CompletableFuture.completedFuture(true);
        }
        if (now - deadlineNanos > 0) {
            return CompletableFuture.completedFuture(false);
        }
        return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(CONFIRM_POLL_MS,
            TimeUnit.MILLISECONDS)).thenCompose(v -> majorityAnsweredSince(sinceNanos, deadlineNanos));
    }

    private CompletableFuture<Boolean> readIndexConfirmed(RaftServer s) {
        long callId = callIds.incrementAndGet();
        RaftClientRequest probe = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(selfId)
            .setGroupId(group.getGroupId()).setCallId(callId).setMessage(org.apache.ratis.protocol.Message.EMPTY)
            .setType(RaftClientRequest.readRequestType()).build();
        ReadIndexRequestProto request = ReadIndexRequestProto.newBuilder()
            .setServerRequest(RaftRpcRequestProto.newBuilder().setRequestorId(selfId.toByteString())
                .setReplyId(selfId.toByteString()).setRaftGroupId(ProtoUtils.toRaftGroupIdProtoBuilder(group.getGroupId()))
                .setCallId(callId))
            .setClientRequest(ClientProtoUtils.toRaftClientRequestProto(probe))
            .build();
        try {
            return s.readIndexAsync(request).thenApply(reply -> reply.getServerReply().getSuccess())
                .exceptionally(failure -> false);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.completedFuture(false);
        }
    }

    /**
     * The quorum as this node sees it. On the leader it lists every voter with the highest index it
     * has acknowledged and how long ago the leader last heard from it.
     */
    @Override
    public QuorumState quorumState() {
        RaftServer.Division d = division;
        if (d == null || closed) {
            return new QuorumState(OptionalInt.empty(), 0, -1, List.of(), List.of());
        }
        DivisionInfo info = d.getInfo();
        List<QuorumState.VoterState> voters = new ArrayList<>();
        if (info.isLeader()) {
            RoleInfoProto role = info.getRoleInfoProto();
            long[] matchIndices = info.getFollowerMatchIndices();
            List<ServerRpcProto> followers = role.getLeaderInfo().getFollowerInfoList();
            voters.add(new QuorumState.VoterState(nodeId, d.getRaftLog().getFlushIndex(), OptionalLong.of(0)));
            // Both lists come from the leader's log appenders, in the same order; a change of
            // leadership between the two reads shows as a length mismatch, and then no followers.
            if (matchIndices.length == followers.size()) {
                for (int i = 0; i < followers.size(); i++) {
                    ServerRpcProto follower = followers.get(i);
                    voters.add(new QuorumState.VoterState(Integer.parseInt(follower.getId().getId().toStringUtf8()),
                        matchIndices[i], OptionalLong.of(follower.getLastRpcElapsedTimeMs())));
                }
            }
        }
        MetadataFeed f = feed;
        return new QuorumState(leaderId(), info.getCurrentTerm(), info.getLastAppliedIndex(), voters,
            info.isLeader() && f != null ? f.observers() : List.of());
    }

    /** From any thread: tells listeners, on the event thread, if leadership differs from what they were last told. */
    private void leadershipMayHaveChanged() {
        if (events.isShutdown()) {
            return;
        }
        events.execute(() -> {
            boolean leading = isLeader();
            if (leading == announcedLeader) {
                return;
            }
            announcedLeader = leading;
            log.info("node {} {} the active controller", nodeId, leading ? "became" : "is no longer");
            for (Consumer<Boolean> listener : leadershipListeners) {
                try {
                    listener.accept(leading);
                } catch (RuntimeException e) {
                    log.error("leadership listener of node {} failed", nodeId, e);
                }
            }
        });
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        leadershipMayHaveChanged();
        MetadataFeed f = feed;
        if (f != null) {
            f.close();
        }
        IOException failure = null;
        QuorumClient c = client;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        RaftServer s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        events.shutdown();
        try {
            events.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "RatisMetadataLog[node " + nodeId + ", " + self.address() + ", " + directory + "]";
    }
}
