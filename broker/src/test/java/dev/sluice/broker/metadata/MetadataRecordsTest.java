package dev.sluice.broker.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.broker.metadata.records.BrokerRegistrationChangeRecord;
import dev.sluice.broker.metadata.records.FeatureLevelRecord;
import dev.sluice.broker.metadata.records.NextBrokerEpochRecord;
import dev.sluice.broker.metadata.records.PartitionRecord;
import dev.sluice.broker.metadata.records.RegisterBrokerRecord;
import dev.sluice.broker.metadata.records.TopicRecord;
import dev.sluice.broker.metadata.records.UnregisterBrokerRecord;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.message.Message;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The byte form of metadata batches that every metadata log shares. */
class MetadataRecordsTest {

    @Test
    void everyRecordTypeSurvivesTheRoundTrip() {
        List<Message> batch = List.of(
            new TopicRecord().setName("t").setTopicId(Controller.randomId()),
            new PartitionRecord().setTopicId(Controller.randomId()).setPartitionId(0)
                .setReplicas(new ArrayList<>(List.of(1, 2, 3))).setIsr(new ArrayList<>(List.of(1, 2))).setLeader(1)
                .setAddingReplicas(new ArrayList<>(List.of(3))).setRemovingReplicas(new ArrayList<>(List.of(2))),
            new RegisterBrokerRecord().setBrokerId(4).setIncarnationId(Controller.randomId()).setBrokerEpoch(7)
                .setRack("r1").setEndpoints(new ArrayList<>(List.of(new RegisterBrokerRecord.BrokerEndpoint()
                    .setName("BROKER").setHost("h").setPort(9092)))),
            new BrokerRegistrationChangeRecord().setBrokerId(4).setBrokerEpoch(7).setFenced(false),
            new UnregisterBrokerRecord().setBrokerId(4).setBrokerEpoch(7),
            new NextBrokerEpochRecord().setNextBrokerEpoch(8),
            new FeatureLevelRecord().setName("group.version").setFeatureLevel((short) 1));
        assertEquals(batch, MetadataRecords.decode(MetadataRecords.encode(batch)));
    }

    @Test
    void typeIdsAreFixedSoThatOldLogsStillRead() {
        byte[] topic = MetadataRecords.encode(List.of(new TopicRecord().setName("t").setTopicId(Controller.randomId())));
        assertEquals(1, ByteBuffer.wrap(topic).getInt(0), "record count");
        assertEquals(1, ByteBuffer.wrap(topic).getShort(4), "type id of a topic record");
        byte[] register = MetadataRecords.encode(List.of(new RegisterBrokerRecord().setIncarnationId(Controller.randomId())));
        assertEquals(6, ByteBuffer.wrap(register).getShort(4), "type id of a broker registration");
    }

    @Test
    void truncatedOrUnknownBatchesAreMalformed() {
        byte[] whole = MetadataRecords.encode(List.of(new TopicRecord().setName("t").setTopicId(Controller.randomId())));
        assertThrows(MalformedDataException.class, () -> MetadataRecords.decode(Arrays.copyOf(whole, whole.length - 1)));
        assertThrows(MalformedDataException.class, () -> MetadataRecords.decode(Arrays.copyOf(whole, whole.length + 1)));
        byte[] unknown = whole.clone();
        ByteBuffer.wrap(unknown).putShort(4, (short) 99);
        assertThrows(MalformedDataException.class, () -> MetadataRecords.decode(unknown));
    }
}
