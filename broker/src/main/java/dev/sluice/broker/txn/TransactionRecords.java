package dev.sluice.broker.txn;

import dev.sluice.broker.coordinator.CoordinatorRecord;
import dev.sluice.broker.txn.records.TransactionLogKey;
import dev.sluice.broker.txn.records.TransactionLogValue;
import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.message.Message;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The records of {@code __transaction_state}, in Kafka's layout so Kafka's tools can read the
 * topic: the key is an int16 version (0) and a {@link TransactionLogKey}; the value an int16
 * version and a {@link TransactionLogValue} at that version (written at 1, the flexible version;
 * 0 is read too); a null value removes the transactional id. Compaction keeps the newest record of
 * each id, which is its whole state.
 */
final class TransactionRecords {
    private static final short KEY_VERSION = 0;
    private static final short VALUE_VERSION = 1;

    private TransactionRecords() {
    }

    static CoordinatorRecord of(TransactionMetadata m) {
        List<TransactionLogValue.PartitionsSchema> partitions = new ArrayList<>();
        m.partitions().forEach((topic, ids) -> partitions.add(new TransactionLogValue.PartitionsSchema().setTopic(topic)
            .setPartitionIds(List.copyOf(ids))));
        TransactionLogValue value = new TransactionLogValue().setProducerId(m.producerId())
            .setPreviousProducerId(m.previousProducerId()).setNextProducerId(-1).setProducerEpoch(m.producerEpoch())
            .setTransactionTimeoutMs(m.timeoutMs()).setTransactionStatus(m.state().code())
            .setTransactionPartitions(partitions).setTransactionLastUpdateTimestampMs(m.lastUpdateTimestamp())
            .setTransactionStartTimestampMs(m.startTimestamp()).setClientTransactionVersion(m.clientTransactionVersion());
        return new CoordinatorRecord(key(m.transactionalId()), encode(VALUE_VERSION, value));
    }

    static CoordinatorRecord tombstone(String transactionalId) {
        return new CoordinatorRecord(key(transactionalId), null);
    }

    private static byte[] key(String transactionalId) {
        return encode(KEY_VERSION, new TransactionLogKey().setTransactionalId(transactionalId));
    }

    private static byte[] encode(short version, Message message) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + message.size(version));
        ByteWriter out = new ByteWriter(buffer);
        out.writeShort(version);
        message.write(out, version);
        return buffer.array();
    }

    static String readKey(ByteBuffer key) {
        ByteReader in = new ByteReader(key);
        short version = in.readShort();
        if (version != KEY_VERSION) {
            throw new UnsupportedVersionException("transaction log key version " + version);
        }
        TransactionLogKey k = new TransactionLogKey();
        k.read(in, version);
        return k.transactionalId();
    }

    static TransactionMetadata readValue(String transactionalId, ByteBuffer value) {
        ByteReader in = new ByteReader(value);
        short version = in.readShort();
        if (version < 0 || version > VALUE_VERSION) {
            throw new UnsupportedVersionException("transaction log value version " + version);
        }
        TransactionLogValue v = new TransactionLogValue();
        v.read(in, version);
        TransactionState state = TransactionState.forCode(v.transactionStatus()).orElseThrow(() ->
            new MalformedDataException("unknown transaction state " + v.transactionStatus() + " of " + transactionalId));
        Map<String, SortedSet<Integer>> partitions = new TreeMap<>();
        if (v.transactionPartitions() != null) {
            for (TransactionLogValue.PartitionsSchema p : v.transactionPartitions()) {
                partitions.computeIfAbsent(p.topic(), t -> new TreeSet<>()).addAll(p.partitionIds());
            }
        }
        return new TransactionMetadata(transactionalId, v.producerId(), v.previousProducerId(), v.producerEpoch(),
            (short) -1, v.transactionTimeoutMs(), state, new TreeMap<>(partitions), v.transactionStartTimestampMs(),
            v.transactionLastUpdateTimestampMs(), v.clientTransactionVersion());
    }
}
