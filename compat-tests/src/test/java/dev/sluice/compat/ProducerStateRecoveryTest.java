package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.InitProducerIdRequest;
import dev.sluice.wire.message.InitProducerIdResponse;
import dev.sluice.wire.message.ListOffsetsRequest;
import dev.sluice.wire.message.ListOffsetsResponse;
import dev.sluice.wire.message.OffsetForLeaderEpochRequest;
import dev.sluice.wire.message.OffsetForLeaderEpochResponse;
import dev.sluice.wire.message.ProduceRequest;
import dev.sluice.wire.message.ProduceResponse;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An idempotent producer that retries across a broker restart is answered with the offsets its
 * batch got before the restart, not given new ones, whichever way the producer state comes back:
 * from the snapshot written at shutdown, from a roll snapshot plus the batches after it, past a
 * corrupt snapshot, or from the whole log. Also OffsetForLeaderEpoch from the leader-epoch
 * checkpoint across a restart. Raw Produce requests, so the test controls producer id and sequence.
 */
class ProducerStateRecoveryTest {
    private static final String TOPIC = "idempotent-restart";
    private static final int BATCHES = 40;
    private static final int RECORDS_PER_BATCH = 5;

    @TempDir
    Path dataDir;
    /** Handed out by InitProducerId at the first start: the broker refuses ids it never handed out. */
    private long producerId = -1;

    /** What happens to the snapshots while the broker is down. */
    enum Damage {
        NONE, NEWEST_SNAPSHOT_DELETED, NEWEST_SNAPSHOT_CORRUPT, ALL_SNAPSHOTS_DELETED
    }

    private SluiceBroker start() {
        return SluiceBroker.builder().dataDir(dataDir).start();
    }

    private RecordBatchBuilder batch(int index) {
        RecordBatchBuilder builder = new RecordBatchBuilder(0).producer(producerId, (short) 0,
            index * RECORDS_PER_BATCH);
        for (int r = 0; r < RECORDS_PER_BATCH; r++) {
            builder.append(1_000L + index, null, ("b" + index + "r" + r + "-".repeat(20_000)).getBytes(StandardCharsets.UTF_8));
        }
        return builder;
    }

    private void initProducerId(RawConnection connection) throws IOException {
        InitProducerIdResponse response = connection.roundTrip(new InitProducerIdRequest().setTransactionalId(null)
            .setTransactionTimeoutMs(60_000), 4, InitProducerIdResponse.class);
        assertEquals(ErrorCode.NONE.code(), response.errorCode());
        producerId = response.producerId();
    }

    private static ProduceResponse.PartitionProduceResponse produce(RawConnection connection, RecordBatchBuilder batch)
        throws IOException {
        ProduceResponse response = connection.roundTrip(new ProduceRequest().setAcks((short) -1).setTimeoutMs(5_000)
            .setTopicData(List.of(new ProduceRequest.TopicProduceData().setName(TOPIC).setPartitionData(List.of(
                new ProduceRequest.PartitionProduceData().setIndex(0)
                    .setRecords(MemoryRecords.withBatches(batch.build())))))), 9, ProduceResponse.class);
        return response.responses().get(0).partitionResponses().get(0);
    }

    private static long logEndOffset(RawConnection connection) throws IOException {
        ListOffsetsResponse response = connection.roundTrip(new ListOffsetsRequest().setReplicaId(-1).setTopics(
            List.of(new ListOffsetsRequest.ListOffsetsTopic().setName(TOPIC).setPartitions(List.of(
                new ListOffsetsRequest.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1))))), 7,
            ListOffsetsResponse.class);
        return response.topics().get(0).partitions().get(0).offset();
    }

    private static OffsetForLeaderEpochResponse.EpochEndOffset endOffsetForEpoch(RawConnection connection, int epoch)
        throws IOException {
        OffsetForLeaderEpochResponse response = connection.roundTrip(new OffsetForLeaderEpochRequest().setReplicaId(-1)
            .setTopics(List.of(new OffsetForLeaderEpochRequest.OffsetForLeaderTopic().setTopic(TOPIC).setPartitions(
                List.of(new OffsetForLeaderEpochRequest.OffsetForLeaderPartition().setPartition(0)
                    .setCurrentLeaderEpoch(-1).setLeaderEpoch(epoch))))), 4, OffsetForLeaderEpochResponse.class);
        return response.topics().get(0).partitions().get(0);
    }

    private List<Path> snapshots() throws IOException {
        try (Stream<Path> files = Files.list(dataDir.resolve(TOPIC + "-0"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".snapshot")).sorted().toList();
        }
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void aRetryAfterARestartGetsTheOffsetsOfTheFirstWrite(Damage damage) throws Exception {
        long[] offsets = new long[BATCHES];
        try (SluiceBroker broker = start()) {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            try (Admin admin = Admin.create(props)) {
                // The smallest segments allowed; 100 kB batches roll (and snapshot) every ten batches.
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1)
                    .configs(Map.of("segment.bytes", "1048576")))).all().get();
            }
            try (RawConnection connection = new RawConnection(broker.port())) {
                initProducerId(connection);
                for (int i = 0; i < BATCHES; i++) {
                    ProduceResponse.PartitionProduceResponse answer = produce(connection, batch(i));
                    assertEquals(ErrorCode.NONE.code(), answer.errorCode(), "batch " + i);
                    offsets[i] = answer.baseOffset();
                }
            }
        }
        List<Path> snapshots = snapshots();
        assertTrue(snapshots.size() >= 3, "expected snapshots at rolls and at shutdown, found " + snapshots);
        Path newest = snapshots.get(snapshots.size() - 1);
        assertEquals(String.format("%020d.snapshot", BATCHES * RECORDS_PER_BATCH), newest.getFileName().toString());
        switch (damage) {
            case NONE -> { }
            case NEWEST_SNAPSHOT_DELETED -> Files.delete(newest);
            case NEWEST_SNAPSHOT_CORRUPT -> {
                byte[] bytes = Files.readAllBytes(newest);
                bytes[bytes.length / 2] ^= 0x11;
                Files.write(newest, bytes);
            }
            case ALL_SNAPSHOTS_DELETED -> {
                for (Path snapshot : snapshots) {
                    Files.delete(snapshot);
                }
            }
        }

        try (SluiceBroker broker = start(); RawConnection connection = new RawConnection(broker.port())) {
            long end = logEndOffset(connection);
            assertEquals((long) BATCHES * RECORDS_PER_BATCH, end);
            // The producer's last five batches are retried, as if their answers were lost in the restart.
            for (int i = BATCHES - 5; i < BATCHES; i++) {
                ProduceResponse.PartitionProduceResponse answer = produce(connection, batch(i));
                assertEquals(ErrorCode.NONE.code(), answer.errorCode(), "retry of batch " + i);
                assertEquals(offsets[i], answer.baseOffset(), "retry of batch " + i + " keeps its offset");
            }
            assertEquals(end, logEndOffset(connection), "the retries appended nothing");
            ProduceResponse.PartitionProduceResponse next = produce(connection, batch(BATCHES));
            assertEquals(ErrorCode.NONE.code(), next.errorCode(), "the next batch in sequence");
            assertEquals(end, next.baseOffset());
        }
    }

    @Test
    void offsetForLeaderEpochAnswersFromTheCheckpointAcrossARestart() throws Exception {
        try (SluiceBroker broker = start()) {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            try (Admin admin = Admin.create(props)) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
            }
            try (RawConnection connection = new RawConnection(broker.port())) {
                initProducerId(connection);
                for (int i = 0; i < 3; i++) {
                    assertEquals(ErrorCode.NONE.code(), produce(connection, batch(i)).errorCode());
                }
            }
        }
        assertEquals("0\n1\n0 0\n", Files.readString(dataDir.resolve(TOPIC + "-0").resolve("leader-epoch-checkpoint")));
        try (SluiceBroker broker = start(); RawConnection connection = new RawConnection(broker.port())) {
            OffsetForLeaderEpochResponse.EpochEndOffset current = endOffsetForEpoch(connection, 0);
            assertEquals(0, current.errorCode());
            assertEquals(0, current.leaderEpoch());
            assertEquals(3L * RECORDS_PER_BATCH, current.endOffset());
            OffsetForLeaderEpochResponse.EpochEndOffset newer = endOffsetForEpoch(connection, 1);
            assertEquals(-1, newer.leaderEpoch());
            assertEquals(-1, newer.endOffset());
        }
    }
}
