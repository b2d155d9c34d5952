package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.storage.append.HostileBatches;
import dev.sluice.wire.compress.CompressionType;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.InitProducerIdRequest;
import dev.sluice.wire.message.InitProducerIdResponse;
import dev.sluice.wire.message.MetadataRequest;
import dev.sluice.wire.message.MetadataResponse;
import dev.sluice.wire.message.ProduceRequest;
import dev.sluice.wire.message.ProduceResponse;
import dev.sluice.wire.record.MemoryRecords;
import dev.sluice.wire.record.RecordBatchBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compressed batches end to end. The official producer's batches of every codec are checked record
 * by record on append and still go in, read back and are searched by timestamp; hostile compressed
 * batches sent on a raw socket each get their own error code in a multi-partition Produce while the
 * other partitions are written and the connection keeps being served.
 */
class CompressedBatchTest {
    private static final short PRODUCE_VERSION = 9;
    private static final String HOSTILE = "compressed-hostile";

    private static SluiceBroker broker;
    private static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        broker = SluiceBroker.builder().start();
        admin = KafkaClients.admin(broker);
        admin.createTopics(List.of(new NewTopic(HOSTILE, 4, (short) 1))).all().get();
    }

    @AfterAll
    static void stop() {
        admin.close();
        broker.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
    void theOfficialProducersCompressedBatchesAppendReadBackAndAreSearchedByTimestamp(String codec) throws Exception {
        String topic = "compressed-" + codec;
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        TopicPartition tp = new TopicPartition(topic, 0);
        int count = 3000;
        long base = System.currentTimeMillis() - 60_000;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, base + i, bytes("key-" + i),
                    bytes("{\"id\":" + i + ",\"payload\":\"" + "abc".repeat(i % 50) + "\"}")));
            }
            producer.flush();
        }
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (read.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
            }
            assertEquals(count, read.size());
            for (int i = 0; i < count; i += 97) {
                assertEquals(i, read.get(i).offset());
                assertArrayEquals(bytes("key-" + i), read.get(i).key());
                assertEquals(base + i, read.get(i).timestamp());
            }
            // The search walks the compressed batches record by record.
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(Map.of(tp, base + 1234));
            assertEquals(1234, found.get(tp).offset());
            assertEquals(base + 1234, found.get(tp).timestamp());
        }
    }

    private static MemoryRecords compressed(CompressionType type, int recordCount, byte[]... records) {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (byte[] r : records) {
            payload.writeBytes(r);
        }
        ByteBuffer out = type.codec().compress(ByteBuffer.wrap(payload.toByteArray()));
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return HostileBatches.batch(type, recordCount, recordCount - 1, bytes, System.currentTimeMillis());
    }

    private static byte[] good(int offsetDelta) {
        return HostileBatches.record(0L, offsetDelta, 1, new byte[] {'k'}, 1, new byte[] {'v'}, 0);
    }

    private static ProduceRequest.PartitionProduceData partition(int index, MemoryRecords records) {
        return new ProduceRequest.PartitionProduceData().setIndex(index).setRecords(records);
    }

    private static List<ProduceResponse.PartitionProduceResponse> produce(RawConnection connection,
                                                                         List<ProduceRequest.PartitionProduceData> data)
        throws IOException {
        ProduceResponse response = connection.roundTrip(new ProduceRequest().setAcks((short) -1).setTimeoutMs(10_000)
            .setTopicData(List.of(new ProduceRequest.TopicProduceData().setName(HOSTILE).setPartitionData(data))),
            PRODUCE_VERSION, ProduceResponse.class);
        List<ProduceResponse.PartitionProduceResponse> answers =
            new ArrayList<>(response.responses().get(0).partitionResponses());
        answers.sort((a, b) -> Integer.compare(a.index(), b.index()));
        return answers;
    }

    @Test
    void hostileCompressedBatchesGetTheirOwnErrorsAndEveryoneElseIsServed() throws Exception {
        MemoryRecords overstatedCount = compressed(CompressionType.ZSTD, 3, good(0), good(1));
        // A few hundred kilobytes of gzip holding one record whose value is 512 MiB of zeros.
        MemoryRecords bomb = HostileBatches.gzipBomb(512 << 20, System.currentTimeMillis());
        assertTrue(bomb.sizeInBytes() < 1024 * 1024, "the bomb is " + bomb.sizeInBytes() + " bytes");
        MemoryRecords wrongOffsets = compressed(CompressionType.LZ4, 2, good(0), good(7));
        MemoryRecords fine = MemoryRecords.withBatches(new RecordBatchBuilder(0).compression(CompressionType.SNAPPY)
            .append(System.currentTimeMillis(), bytes("k"), bytes("stored")).build());

        try (RawConnection connection = new RawConnection(broker.port())) {
            List<ProduceResponse.PartitionProduceResponse> answers = produce(connection, List.of(
                partition(0, overstatedCount), partition(1, bomb), partition(2, wrongOffsets), partition(3, fine)));
            assertEquals(ErrorCode.CORRUPT_MESSAGE.code(), answers.get(0).errorCode());
            assertEquals(ErrorCode.MESSAGE_TOO_LARGE.code(), answers.get(1).errorCode());
            assertEquals(ErrorCode.INVALID_RECORD.code(), answers.get(2).errorCode());
            assertEquals(1, answers.get(2).recordErrors().size());
            assertEquals(1, answers.get(2).recordErrors().get(0).batchIndex());
            assertEquals(ErrorCode.NONE.code(), answers.get(3).errorCode());
            assertEquals(0, answers.get(3).baseOffset());

            // The same connection goes on being served, and the refused partitions take good data.
            MetadataResponse metadata = connection.roundTrip(new MetadataRequest().setTopics(List.of(
                new MetadataRequest.MetadataRequestTopic().setName(HOSTILE))), 12, MetadataResponse.class);
            assertEquals(0, metadata.topics().get(0).errorCode());
            MemoryRecords again = MemoryRecords.withBatches(new RecordBatchBuilder(0).compression(CompressionType.GZIP)
                .append(System.currentTimeMillis(), bytes("k"), bytes("after")).build());
            List<ProduceResponse.PartitionProduceResponse> later = produce(connection, List.of(partition(0, again)));
            assertEquals(ErrorCode.NONE.code(), later.get(0).errorCode());
            assertEquals(0, later.get(0).baseOffset(), "the refused batch left nothing in the log");
        }
    }

    @Test
    void aProducerIdNoInitProducerIdHandedOutIsUnknown() throws Exception {
        try (RawConnection connection = new RawConnection(broker.port())) {
            MemoryRecords invented = MemoryRecords.withBatches(new RecordBatchBuilder(0)
                .producer(987_654_321L, (short) 0, 0).append(System.currentTimeMillis(), null, bytes("x")).build());
            assertEquals(ErrorCode.UNKNOWN_PRODUCER_ID.code(), produce(connection, List.of(partition(2, invented)))
                .get(0).errorCode());

            InitProducerIdResponse init = connection.roundTrip(new InitProducerIdRequest().setTransactionalId(null)
                .setTransactionTimeoutMs(60_000), 4, InitProducerIdResponse.class);
            assertEquals(ErrorCode.NONE.code(), init.errorCode());
            MemoryRecords handedOut = MemoryRecords.withBatches(new RecordBatchBuilder(0)
                .producer(init.producerId(), init.producerEpoch(), 0).append(System.currentTimeMillis(), null, bytes("y"))
                .build());
            assertEquals(ErrorCode.NONE.code(), produce(connection, List.of(partition(2, handedOut))).get(0).errorCode());
        }
    }
}
