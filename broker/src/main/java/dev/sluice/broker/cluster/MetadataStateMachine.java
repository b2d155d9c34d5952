package dev.sluice.broker.cluster;

import dev.sluice.broker.metadata.MetadataLog;
import dev.sluice.broker.metadata.MetadataRecords;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.message.Message;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.zip.CRC32C;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of the metadata quorum: hands committed batches to the node's
 * {@link MetadataLog.Applier}, writes and loads its snapshots, answers requests to the leader, and
 * tells {@link RatisMetadataLog} when leadership may have changed.
 *
 * <p>A snapshot is one file in Ratis' state machine directory, {@code snapshot.<term>_<index>},
 * with an MD5 file beside it (Ratis checks it when it ships the snapshot to a follower):
 * <pre>
 * snapshot := magic   int32 0x534c4d53 ("SLMS")
 *             version int16 0
 *             term    int64   the term of the last entry the snapshot covers
 *             index   int64   the log index of that entry
 *             crc     uint32  CRC-32C of the batch
 *             batch   ({@link MetadataRecords}: the applier's {@code snapshot()} records)
 * </pre>
 * It is written to a temporary file, forced, and renamed, so a crash leaves either the whole new
 * snapshot or none; a snapshot that fails its checks stops start-up rather than serve wrong state.
 *
 * <p>Threading: Ratis calls {@link #applyTransaction}, {@link #takeSnapshot} and
 * {@link #reinitialize} on its one state machine updater thread, in log order, so the applier sees
 * one thread; {@link #initialize} runs before that thread starts. {@link #query} runs on a Ratis
 * RPC thread.
 */
final class MetadataStateMachine extends BaseStateMachine {
    private static final Logger log = LoggerFactory.getLogger(MetadataStateMachine.class);
    private static final int MAGIC = 0x534c4d53;
    private static final short SNAPSHOT_VERSION = 0;
    /** magic, version, term, index, crc. */
    private static final int SNAPSHOT_HEADER = 4 + 2 + 8 + 8 + 4;

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final int nodeId;
    private final MetadataLog.Applier applier;
    /** Called on any thread whenever this node's leadership may have changed. */
    private final Runnable leadershipMayHaveChanged;
    private volatile Function<byte[], CompletableFuture<byte[]>> leaderRequests;
    /** Told after each entry or snapshot is applied (on the updater thread); must not block. */
    private volatile Runnable appliedListener = () -> { };

    MetadataStateMachine(int nodeId, MetadataLog.Applier applier, Runnable leadershipMayHaveChanged) {
        this.nodeId = nodeId;
        this.applier = applier;
        this.leadershipMayHaveChanged = leadershipMayHaveChanged;
    }

    void onLeaderRequest(Function<byte[], CompletableFuture<byte[]>> handler) {
        this.leaderRequests = handler;
    }

    void onApplied(Runnable listener) {
        this.appliedListener = listener;
    }

    /** The index of the latest snapshot, or -1 if none was taken or installed. */
    long latestSnapshotIndex() {
        SingleFileSnapshotInfo snapshot = storage.getLatestSnapshot();
        return snapshot == null ? -1 : snapshot.getIndex();
    }

    /** The latest snapshot's batch and index, checked as at start-up. */
    MetadataFeed.Snapshot latestSnapshot() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.getLatestSnapshot();
        if (snapshot == null) {
            throw new IOException("no metadata snapshot has been taken yet");
        }
        return new MetadataFeed.Snapshot(snapshot.getIndex(),
            readSnapshotBatch(snapshot.getFile().getPath(), snapshot.getTerm(), snapshot.getIndex()));
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        getLifeCycle().transition(LifeCycle.State.STARTING);
        loadLatestSnapshot();
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    @Override
    public void pause() {
        // Ratis pauses the state machine right before it installs a snapshot from the leader.
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    /** After a snapshot from the leader was installed: the state is that snapshot's. */
    @Override
    public void reinitialize() throws IOException {
        loadLatestSnapshot();
        getLifeCycle().transition(LifeCycle.State.STARTING);
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    private void loadLatestSnapshot() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        if (snapshot == null) {
            return;
        }
        Path file = snapshot.getFile().getPath();
        List<Message> records = readSnapshot(file, snapshot.getTerm(), snapshot.getIndex());
        applier.load(records, snapshot.getIndex());
        setLastAppliedTermIndex(snapshot.getTermIndex());
        appliedListener.run();
        log.debug("loaded metadata snapshot {} ({} records)", file, records.size());
    }

    @Override
    public CompletableFuture<org.apache.ratis.protocol.Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        List<Message> records;
        try {
            records = MetadataRecords.decode(entry.getStateMachineLogEntry().getLogData().toByteArray());
        } catch (MalformedDataException e) {
            // Every node would stop at this entry: applying around it would let the images diverge.
            throw new IllegalStateException("committed metadata log entry " + entry.getIndex()
                + " is not a metadata batch; this node stops applying the metadata log: " + e.getMessage(), e);
        }
        applier.apply(records, entry.getIndex());
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        appliedListener.run();
        return CompletableFuture.completedFuture(org.apache.ratis.protocol.Message.EMPTY);
    }

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return -1;
        }
        List<Message> records = applier.snapshot();
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        writeSnapshot(file.toPath(), records, last);
        FileInfo info = new FileInfo(file.toPath(), MD5FileUtil.computeAndSaveMd5ForFile(file));
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(info, last));
        return last.getIndex();
    }

    private static void writeSnapshot(Path file, List<Message> records, TermIndex last) throws IOException {
        byte[] batch = MetadataRecords.encode(records);
        CRC32C crc = new CRC32C();
        crc.update(batch);
        ByteBuffer header = ByteBuffer.allocate(SNAPSHOT_HEADER).putInt(MAGIC).putShort(SNAPSHOT_VERSION)
            .putLong(last.getTerm()).putLong(last.getIndex()).putInt((int) crc.getValue()).flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
            ByteBuffer body = ByteBuffer.wrap(batch);
            while (header.hasRemaining() || body.hasRemaining()) {
                out.write(new ByteBuffer[] {header, body});
            }
            out.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<Message> readSnapshot(Path file, long term, long index) throws IOException {
        try {
            return MetadataRecords.decode(readSnapshotBatch(file, term, index));
        } catch (MalformedDataException e) {
            throw new IOException("metadata snapshot " + file + " holds malformed records: " + e.getMessage(), e);
        }
    }

    private static byte[] readSnapshotBatch(Path file, long term, long index) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file));
        if (all.remaining() < SNAPSHOT_HEADER || all.getInt() != MAGIC) {
            throw new IOException("metadata snapshot " + file + " is not a snapshot this broker wrote");
        }
        short version = all.getShort();
        long fileTerm = all.getLong();
        long fileIndex = all.getLong();
        int expectedCrc = all.getInt();
        if (version != SNAPSHOT_VERSION || fileTerm != term || fileIndex != index) {
            throw new IOException("metadata snapshot " + file + " says version " + version + ", term " + fileTerm
                + ", index " + fileIndex + "; its name says term " + term + ", index " + index);
        }
        CRC32C crc = new CRC32C();
        crc.update(all.duplicate());
        if ((int) crc.getValue() != expectedCrc) {
            throw new IOException("metadata snapshot " + file + " fails its checksum; restore it from another"
                + " controller, or remove it to rebuild this node's state from the quorum");
        }
        byte[] body = new byte[all.remaining()];
        all.get(body);
        return body;
    }

    /**
     * A request {@link QuorumClient#ask} sent (its sender's node id, then the payload); Ratis
     * delivers it here only on a ready leader.
     */
    @Override
    public CompletableFuture<org.apache.ratis.protocol.Message> query(org.apache.ratis.protocol.Message request) {
        Function<byte[], CompletableFuture<byte[]>> handler = leaderRequests;
        if (handler == null) {
            return CompletableFuture.failedFuture(
                new IOException("the active controller takes no requests yet (no handler is registered)"));
        }
        java.nio.ByteBuffer in = request.getContent().asReadOnlyByteBuffer();
        if (in.remaining() < 4) {
            return CompletableFuture.failedFuture(new IOException("a request to the leader without its sender"));
        }
        int sender = in.getInt();
        if (LinkFaults.isCut(nodeId, sender)) {
            return CompletableFuture.failedFuture(new IOException("the link between nodes " + nodeId + " and "
                + sender + " is cut"));
        }
        byte[] payload = new byte[in.remaining()];
        in.get(payload);
        CompletableFuture<byte[]> answer;
        try {
            answer = handler.apply(payload);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.thenApply(bytes -> org.apache.ratis.protocol.Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes)));
    }

    @Override
    public void notifyLeaderReady() {
        leadershipMayHaveChanged.run();
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        leadershipMayHaveChanged.run();
    }

    /**
     * The leader stepped down. Ratis reports a leader change only once another leader is known, so
     * a leader that lost its majority (cut off from the other voters, which elect no one it can
     * hear of) would otherwise go on being announced as the active controller until the network
     * heals. Ratis calls this with the role already changed.
     */
    @Override
    public void notifyNotLeader(java.util.Collection<TransactionContext> pendingEntries) {
        leadershipMayHaveChanged.run();
    }

    @Override
    public void notifyServerShutdown(RoleInfoProto roleInfo, boolean allServer) {
        leadershipMayHaveChanged.run();
    }
}
