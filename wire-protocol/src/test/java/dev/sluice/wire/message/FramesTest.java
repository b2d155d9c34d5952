package dev.sluice.wire.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.generator.Schema;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.junit.jupiter.api.Test;

class FramesTest {
    private static final Map<String, Schema> SCHEMAS = KafkaCrossCheckTest.schemas().stream()
        .collect(Collectors.toMap(Schema::name, Function.identity()));

    /** A request frame as kafka-clients writes it: header then body, without the size prefix. */
    private static ByteBuffer kafkaRequest(ApiKeys key, short version, int correlationId, Object body) {
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
            .setCorrelationId(correlationId).setClientId("client-" + correlationId);
        short headerVersion = key.requestHeaderVersion(version);
        var kafkaBody = (org.apache.kafka.common.protocol.Message) body;
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buffer = ByteBuffer.allocate(header.size(cache, headerVersion) + kafkaBody.size(cache, version));
        ByteBufferAccessor out = new ByteBufferAccessor(buffer);
        header.write(out, cache, headerVersion);
        kafkaBody.write(out, cache, version);
        return buffer.flip();
    }

    @Test
    void readsEveryRequestKafkaClientsFramesAtEveryVersion() throws Exception {
        int frames = 0;
        for (ApiKeys key : ApiKeys.values()) {
            Schema schema = SCHEMAS.get(ApiKey.forId(key.id).orElseThrow().displayName() + "Request");
            for (short v = key.oldestVersion(); v <= key.latestVersion(true); v++) {
                long seed = key.id * 100L + v;
                Object kafkaBody = new MessageFiller(schema, KafkaCrossCheckTest.KAFKA, seed, MessageFiller.Mode.FULL, v).fill();
                Object sluiceBody = new MessageFiller(schema, KafkaCrossCheckTest.SLUICE, seed, MessageFiller.Mode.FULL, v).fill();
                ByteBuffer frame = kafkaRequest(key, v, 1000 + frames, kafkaBody);

                RequestHeader header = Frames.readRequestHeader(frame);
                assertEquals(key.id, header.requestApiKey());
                assertEquals(v, header.requestApiVersion());
                assertEquals(1000 + frames, header.correlationId());
                assertEquals("client-" + (1000 + frames), header.clientId());
                ApiMessage body = Frames.readRequestBody(header, frame);
                assertEquals(sluiceBody, body, key + " v" + v);
                assertEquals(0, frame.remaining());
                frames++;
            }
        }
        int requestVersions = SCHEMAS.values().stream().filter(s -> s.type().equals("request"))
            .mapToInt(s -> MessageFiller.versions(s.validVersions()).size()).sum();
        assertEquals(requestVersions, frames, "every request version in the schemas is framed and read");
    }

    @Test
    void responseFramesUseTheHeaderVersionKafkaClientsExpects() {
        for (ApiKeys key : ApiKeys.values()) {
            for (short v = key.oldestVersion(); v <= key.latestVersion(true); v++) {
                ApiMessage body = ApiKey.forId(key.id).orElseThrow().newResponse();
                ByteBuffer frame = Frames.writeResponse(77, body, v);
                assertEquals(frame.remaining() - Frames.SIZE_PREFIX, frame.getInt(), "size prefix");
                ResponseHeaderData header = new ResponseHeaderData(new ByteBufferAccessor(frame), key.responseHeaderVersion(v));
                assertEquals(77, header.correlationId());
                var kafkaBody = key.messageType.newResponse();
                kafkaBody.read(new ByteBufferAccessor(frame), v);
                assertEquals(0, frame.remaining(), key + " v" + v);
            }
        }
    }

    @Test
    void aRequestForAVersionBeyondTheSchemasStillYieldsItsCorrelationId() {
        // KIP-511: a client may open with an ApiVersions version the broker does not know. Its header
        // is flexible (v2); the broker must read the correlation id to answer with an error.
        RequestHeader sent = new RequestHeader().setRequestApiKey(ApiKey.API_VERSIONS.id())
            .setRequestApiVersion((short) 99).setCorrelationId(42).setClientId("future-client");
        ByteBuffer frame = sent.serialize((short) 2);
        RequestHeader header = Frames.readRequestHeader(frame);
        assertEquals(42, header.correlationId());
        assertEquals("future-client", header.clientId());
        assertThrows(UnsupportedVersionException.class, () -> Frames.readRequestBody(header, frame));
    }

    @Test
    void unknownApiKeysAndRemovedVersionsAreUnsupportedNotMalformed() {
        RequestHeader unknown = new RequestHeader().setRequestApiKey((short) 9999).setRequestApiVersion((short) 0)
            .setCorrelationId(7).setClientId(null);
        ByteBuffer frame = unknown.serialize((short) 1);
        RequestHeader header = Frames.readRequestHeader(frame);
        assertEquals(7, header.correlationId());
        assertThrows(UnsupportedVersionException.class, () -> Frames.readRequestBody(header, frame));

        RequestHeader produceV2 = new RequestHeader().setRequestApiKey(ApiKey.PRODUCE.id()).setRequestApiVersion((short) 2)
            .setCorrelationId(8).setClientId("old");
        ByteBuffer old = produceV2.serialize((short) 1);
        assertThrows(UnsupportedVersionException.class, () -> Frames.readRequestBody(Frames.readRequestHeader(old), old));
    }

    @Test
    void truncatedHeadersAreMalformed() {
        RequestHeader sent = new RequestHeader().setRequestApiKey(ApiKey.METADATA.id()).setRequestApiVersion((short) 12)
            .setCorrelationId(5).setClientId("abc");
        ByteBuffer whole = sent.serialize((short) 2);
        for (int n = 0; n < whole.limit(); n++) {
            ByteBuffer cut = whole.duplicate().limit(n);
            assertThrows(MalformedDataException.class, () -> Frames.readRequestHeader(cut), n + " bytes");
        }
    }

    @Test
    void requestFramesRoundTrip() {
        RequestHeader header = new RequestHeader().setRequestApiKey(ApiKey.FIND_COORDINATOR.id())
            .setRequestApiVersion((short) 4).setCorrelationId(3).setClientId("c");
        FindCoordinatorRequest body = new FindCoordinatorRequest().setKeyType((byte) 0)
            .setCoordinatorKeys(new java.util.ArrayList<>(java.util.List.of("group-a", "group-b")));
        ByteBuffer frame = Frames.writeRequest(header, body);
        assertEquals(frame.remaining() - 4, frame.getInt());
        RequestHeader readHeader = Frames.readRequestHeader(frame);
        assertEquals(header, readHeader);
        assertEquals(body, Frames.readRequestBody(readHeader, frame));
    }

    /** Records that are not in memory, as a log segment slice would be. */
    private record OutsideRecords(byte[] bytes) implements dev.sluice.wire.record.Records {
        @Override
        public int sizeInBytes() {
            return bytes.length;
        }

        @Override
        public void writeTo(ByteBuffer out) {
            out.put(bytes);
        }
    }

    @Test
    void splicedResponsesReassembleToTheOrdinaryEncoding() {
        java.util.Random random = new java.util.Random(3);
        java.util.List<FetchResponse.PartitionData> partitions = new java.util.ArrayList<>();
        int outside = 0;
        for (int p = 0; p < 5; p++) {
            byte[] bytes = new byte[100 + random.nextInt(1000)];
            random.nextBytes(bytes);
            dev.sluice.wire.record.Records records;
            if (p % 2 == 0) {
                records = new OutsideRecords(bytes);
                outside += bytes.length;
            } else {
                records = dev.sluice.wire.record.MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
            }
            partitions.add(new FetchResponse.PartitionData().setPartitionIndex(p).setHighWatermark(p * 10L)
                .setRecords(records));
        }
        FetchResponse response = new FetchResponse().setSessionId(9).setResponses(new java.util.ArrayList<>(java.util.List.of(
            new FetchResponse.FetchableTopicResponse().setTopicId(new dev.sluice.wire.codec.Uuid(1, 2))
                .setPartitions(partitions))));
        for (short version : new short[] {13, 16, 18}) {
            ByteBuffer ordinary = Frames.writeResponse(5, response, version);
            Frames.SplicedFrame spliced = Frames.writeSplicedResponse(5, response, version, outside);
            assertEquals(3, spliced.splices().size());
            assertEquals(ordinary.remaining(), spliced.sizeInBytes());
            ByteBuffer assembled = ByteBuffer.allocate(spliced.sizeInBytes());
            int from = 0;
            for (dev.sluice.wire.codec.ByteWriter.Splice splice : spliced.splices()) {
                assembled.put(spliced.buffer().slice(from, splice.position() - from));
                splice.records().writeTo(assembled);
                from = splice.position();
            }
            assembled.put(spliced.buffer().slice(from, spliced.buffer().limit() - from));
            assertEquals(ordinary, assembled.flip(), "version " + version);
        }
    }
}
