package dev.sluice.broker.cluster;

import dev.sluice.broker.config.QuorumVoter;
import dev.sluice.broker.metadata.MetadataRecords;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata log of a broker-only node ({@code process.roles=broker}): an observer of the quorum
 * that votes in no election and keeps no Raft log. It reads the committed log from the active
 * controller's {@link MetadataFeed}, long-polling, and applies it in order: the leader's snapshot
 * when it is behind one (always at start, so a restart replays no history), then each batch after.
 * It never leads, so {@link #append} fails with NOT_CONTROLLER and the node's controller forwards
 * what it would decide to the active controller, as any node that does not lead does.
 *
 * <p>{@link #start} returns once the node has caught up with the leader's log, so the broker's
 * partitions open on a current image.
 *
 * <p>Threading: batches are applied on this observer's one fetch thread, in log order. All public
 * methods are thread-safe.
 */
public final class MetadataObserver implements MetadataQuorum {
    private static final Logger log = LoggerFactory.getLogger(MetadataObserver.class);
    /**
     * How long the active controller holds a fetch that finds nothing new. Each fetch is also a sign
     * of life the controller watches, so it is well under its one-second silence threshold.
     */
    private static final int FETCH_WAIT_MS = 400;
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long start-up waits to catch up with the quorum's log. */
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(5);

    private final int nodeId;
    private final List<QuorumVoter> voters;
    private final RaftGroup group;
    private final RatisSettings settings;
    private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
    private volatile QuorumClient client;
    private volatile Thread fetcher;
    private volatile boolean closed;
    private volatile int leaderId = -1;
    private volatile long position = -1;

    /**
     * An observer that is not started yet.
     *
     * @param nodeId this broker's {@code node.id}; not one of {@code voters}
     * @param voters the parsed {@code controller.quorum.voters}
     * @param clusterId the cluster id, from which the quorum's group is derived
     */
    public MetadataObserver(int nodeId, List<QuorumVoter> voters, String clusterId, RatisSettings settings) {
        if (voters.stream().anyMatch(v -> v.nodeId() == nodeId)) {
            throw new IllegalArgumentException("node " + nodeId + " is a voter of " + voters + ", not an observer");
        }
        this.nodeId = nodeId;
        this.voters = List.copyOf(voters);
        this.group = QuorumClient.group(clusterId, voters);
        this.settings = settings;
    }

    @Override
    public void start(Applier applier) throws IOException {
        if (client != null) {
            throw new IllegalStateException("metadata observer " + nodeId + " already started");
        }
        RaftProperties properties = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(properties,
            TimeDuration.valueOf(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS));
        client = new QuorumClient(nodeId, ClientId.randomId(), group, properties, settings.parameters(),
            settings.requestTimeout());
        Thread t = new Thread(() -> fetchLoop(applier), "metadata-observer-" + nodeId);
        t.setDaemon(true);
        fetcher = t;
        t.start();
        try {
            caughtUp.get(CATCH_UP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            close();
            throw new IOException("broker " + nodeId + " could not read the metadata log from the controllers "
                + voters + " within " + CATCH_UP_TIMEOUT);
        } catch (ExecutionException e) {
            close();
            throw new IOException("broker " + nodeId + " stopped reading the metadata log", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted while reading the metadata log", e);
        }
        log.info("broker {} follows the metadata quorum {} as an observer, at index {}", nodeId, voters, position);
    }

    private void fetchLoop(Applier applier) {
        boolean lost = false;
        while (!closed) {
            byte[] answer;
            try {
                answer = askLeader(ControllerChannel.fetchMetadata(MetadataFeed.request(nodeId, position, FETCH_WAIT_MS)))
                    .get();
            } catch (InterruptedException e) {
                return;
            } catch (ExecutionException e) {
                if (closed) {
                    return;
                }
                leaderId = -1;
                if (!lost) {
                    lost = true;
                    log.warn("broker {} cannot read the metadata log from the controllers {} and retries: {}", nodeId,
                        voters, e.getCause().toString());
                }
                java.util.concurrent.locks.LockSupport.parkNanos(RETRY_NANOS);
                continue;
            }
            if (lost) {
                lost = false;
                log.info("broker {} reads the metadata log from controller {} again", nodeId,
                    ByteBuffer.wrap(answer).getInt());
            }
            try {
                apply(ByteBuffer.wrap(answer), applier);
            } catch (RuntimeException e) {
                // As on a voter: applying around a batch would let this broker's image diverge.
                log.error("broker {} stops applying the metadata log at index {}: {}", nodeId, position, e.toString());
                caughtUp.completeExceptionally(e);
                return;
            }
        }
    }

    private void apply(ByteBuffer in, Applier applier) {
        int leader = in.getInt();
        long leaderApplied = in.getLong();
        byte kind = in.get();
        if (kind == MetadataFeed.SNAPSHOT) {
            long index = in.getLong();
            List<Message> records = MetadataRecords.decode(bytes(in));
            applier.load(records, index);
            position = index;
        } else if (kind == MetadataFeed.ENTRIES) {
            long next = in.getLong();
            int count = in.getInt();
            for (int i = 0; i < count; i++) {
                long index = in.getLong();
                applier.apply(MetadataRecords.decode(bytes(in)), index);
                position = index;
            }
            position = next;
        } else {
            throw new IllegalStateException("unknown metadata feed answer kind " + kind);
        }
        leaderId = leader;
        if (position >= leaderApplied) {
            caughtUp.complete(null);
        }
    }

    private static byte[] bytes(ByteBuffer in) {
        byte[] batch = new byte[in.getInt()];
        in.get(batch);
        return batch;
    }

    @Override
    public CompletableFuture<Long> append(List<Message> records) {
        int leader = leaderId;
        return CompletableFuture.failedFuture(new AppendFailure(ErrorCode.NOT_CONTROLLER, "broker " + nodeId
            + " is not a controller" + (leader >= 0 ? "; node " + leader + " is the active controller" : ""), null));
    }

    @Override
    public CompletableFuture<byte[]> askLeader(byte[] request) {
        QuorumClient c = client;
        if (c == null || closed) {
            return CompletableFuture.failedFuture(new IOException("metadata observer " + nodeId + " is not running"));
        }
        return c.ask(request);
    }

    @Override
    public OptionalInt leaderId() {
        int leader = leaderId;
        return leader < 0 ? OptionalInt.empty() : OptionalInt.of(leader);
    }

    @Override
    public boolean isLeader() {
        return false;
    }

    @Override
    public QuorumState quorumState() {
        return new QuorumState(leaderId(), 0, position, List.of(), List.of());
    }

    /** An observer never leads, so it is never asked anything. */
    @Override
    public void onLeaderRequest(Function<byte[], CompletableFuture<byte[]>> handler) {
    }

    /** An observer never leads, so its leadership never changes. */
    @Override
    public void onLeadershipChange(Consumer<Boolean> listener) {
    }

    @Override
    public CompletableFuture<byte[]> serveObserver(ByteBuffer request) {
        return CompletableFuture.failedFuture(new IOException("broker " + nodeId + " does not lead the metadata quorum"));
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        // Not interrupted: an interrupt in the applier's listeners would close their file channels.
        // Closing the client fails the fetch in flight, and the loop sees it is closed.
        Thread t = fetcher;
        QuorumClient c = client;
        if (c != null) {
            c.close();
        }
        if (t != null) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "MetadataObserver[node " + nodeId + ", voters " + voters + "]";
    }
}
