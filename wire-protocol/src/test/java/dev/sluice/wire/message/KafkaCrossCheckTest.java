package dev.sluice.wire.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.RawTaggedField;
import dev.sluice.wire.codec.UnsupportedVersionException;
import dev.sluice.wire.codec.Uuid;
import dev.sluice.wire.generator.Schema;
import dev.sluice.wire.record.MemoryRecords;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every message schema at every valid version, written by kafka-clients and by Sluice from the
 * same content: the bytes must be identical, and each side must read the other's bytes back to
 * equal content. Also checks that writing a field a version lacks fails (or is dropped, for
 * ignorable fields) exactly as it does in kafka-clients.
 */
class KafkaCrossCheckTest {
    private static final String KAFKA_PACKAGE = "org.apache.kafka.common.message.";
    private static final AtomicInteger PAIRS_CHECKED = new AtomicInteger();
    private static final TreeMap<String, Integer> PAIRS_BY_TYPE = new TreeMap<>();

    static List<Schema> schemas() {
        Path dir = Path.of(System.getProperty("sluice.schema.dir", "target/kafka-schemas/common/message"));
        try (Stream<Path> files = Files.list(dir)) {
            List<Schema> schemas = new ArrayList<>();
            for (Path p : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                schemas.add(Schema.load(p));
            }
            if (schemas.isEmpty()) {
                throw new IllegalStateException("no schemas in " + dir);
            }
            return schemas;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final MessageFiller.Side SLUICE = new MessageFiller.Side() {
        @Override
        public Class<?> topClass(Schema schema) throws ClassNotFoundException {
            return Class.forName("dev.sluice.wire.message." + schema.name());
        }

        @Override
        public Object uuid(long msb, long lsb) {
            return new Uuid(msb, lsb);
        }

        @Override
        public Object records(byte[] bytes) {
            return MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        }

        @Override
        public Object rawTaggedField(int tag, byte[] data) {
            return new RawTaggedField(tag, data);
        }

        @Override
        @SuppressWarnings("unchecked")
        public List<Object> unknownTaggedFields(Object message) {
            return (List<Object>) (List<?>) ((Message) message).unknownTaggedFields();
        }
    };

    static final MessageFiller.Side KAFKA = new MessageFiller.Side() {
        @Override
        public Class<?> topClass(Schema schema) throws ClassNotFoundException {
            try {
                return Class.forName(KAFKA_PACKAGE + schema.name() + "Data");
            } catch (ClassNotFoundException e) {
                return Class.forName(KAFKA_PACKAGE + schema.name());
            }
        }

        @Override
        public Object uuid(long msb, long lsb) {
            return new org.apache.kafka.common.Uuid(msb, lsb);
        }

        @Override
        public Object records(byte[] bytes) {
            return org.apache.kafka.common.record.internal.MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        }

        @Override
        public Object rawTaggedField(int tag, byte[] data) {
            return new org.apache.kafka.common.protocol.types.RawTaggedField(tag, data);
        }

        @Override
        @SuppressWarnings("unchecked")
        public List<Object> unknownTaggedFields(Object message) {
            return (List<Object>) (List<?>) ((org.apache.kafka.common.protocol.Message) message).unknownTaggedFields();
        }
    };

    static byte[] kafkaWrite(Object message, short version) {
        var m = (org.apache.kafka.common.protocol.Message) message;
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buffer = ByteBuffer.allocate(m.size(cache, version));
        m.write(new ByteBufferAccessor(buffer), cache, version);
        assertEquals(0, buffer.remaining(), "kafka-clients wrote fewer bytes than it sized");
        return buffer.array();
    }

    static byte[] sluiceWrite(Object message, short version) {
        ByteBuffer buffer = ((Message) message).serialize(version);
        assertEquals(buffer.capacity(), buffer.limit(), "Sluice wrote fewer bytes than it sized");
        return buffer.array();
    }

    @TestFactory
    Stream<DynamicTest> everyMessageAtEveryVersionMatchesKafkaClients() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Schema schema : schemas()) {
            for (short version : MessageFiller.versions(schema.validVersions())) {
                tests.add(DynamicTest.dynamicTest(schema.name() + " v" + version, () -> crossCheck(schema, version)));
            }
        }
        return tests.stream();
    }

    private void crossCheck(Schema schema, short version) throws Exception {
        Class<?> sluiceClass = SLUICE.topClass(schema);
        Class<?> kafkaClass = KAFKA.topClass(schema);

        // Every field at its default: both sides agree on what "nothing set" looks like.
        Object sluiceEmpty = sluiceClass.getConstructor().newInstance();
        Object kafkaEmpty = kafkaClass.getConstructor().newInstance();
        if (!hasNonNullableRecords(schema, version)) {
            assertRoundTrip(schema, version, sluiceEmpty, kafkaEmpty, "defaults");
        }

        for (MessageFiller.Mode mode : new MessageFiller.Mode[] {MessageFiller.Mode.FULL, MessageFiller.Mode.NULLS}) {
            long seed = (schema.name().hashCode() * 31L + version) * 3 + mode.ordinal();
            Object sluice = new MessageFiller(schema, SLUICE, seed, mode, version).fill();
            Object kafka = new MessageFiller(schema, KAFKA, seed, mode, version).fill();
            assertRoundTrip(schema, version, sluice, kafka, mode.name());
        }

        if (MessageFiller.hasAbsentFields(schema, version)) {
            long seed = schema.name().hashCode() * 17L + version;
            Object sluice = new MessageFiller(schema, SLUICE, seed, MessageFiller.Mode.ABSENT, version).fill();
            Object kafka = new MessageFiller(schema, KAFKA, seed, MessageFiller.Mode.ABSENT, version).fill();
            byte[] kafkaBytes;
            try {
                kafkaBytes = kafkaWrite(kafka, version);
            } catch (org.apache.kafka.common.errors.UnsupportedVersionException e) {
                assertThrows(UnsupportedVersionException.class, () -> sluiceWrite(sluice, version),
                    "kafka-clients refuses to write " + schema.name() + " v" + version + " (" + e.getMessage()
                        + ") but Sluice wrote it");
                kafkaBytes = null;
            }
            if (kafkaBytes != null) {
                assertArrayEquals(kafkaBytes, sluiceWrite(sluice, version),
                    schema.name() + " v" + version + ": ignorable fields dropped differently");
            }
        }
        synchronized (PAIRS_BY_TYPE) {
            PAIRS_BY_TYPE.merge(schema.type(), 1, Integer::sum);
        }
        PAIRS_CHECKED.incrementAndGet();
    }

    /** A records field that may not be null has no writable default in either implementation. */
    private static boolean hasNonNullableRecords(Schema schema, short version) {
        for (Schema.Field f : schema.fields()) {
            if (f.type() == dev.sluice.wire.generator.FieldType.Primitive.RECORDS && !f.nullableVersions().contains(version)) {
                return true;
            }
        }
        for (Schema.Struct s : schema.structs().values()) {
            for (Schema.Field f : s.fields()) {
                if (f.type() == dev.sluice.wire.generator.FieldType.Primitive.RECORDS
                    && !f.nullableVersions().contains(version)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void assertRoundTrip(Schema schema, short version, Object sluice, Object kafka, String what)
            throws Exception {
        String label = schema.name() + " v" + version + " (" + what + ")";
        byte[] kafkaBytes = kafkaWrite(kafka, version);
        byte[] sluiceBytes = sluiceWrite(sluice, version);
        assertArrayEquals(kafkaBytes, sluiceBytes, label + ": Sluice's bytes differ from kafka-clients'");
        assertEquals(sluiceBytes.length, ((Message) sluice).size(version), label + ": size");

        // Sluice reads kafka-clients' bytes to the same content, consuming exactly all of them.
        ByteBuffer in = ByteBuffer.wrap(kafkaBytes);
        Object read = SLUICE.topClass(schema).getConstructor(ByteReader.class, short.class)
            .newInstance(new ByteReader(in), version);
        assertEquals(0, in.remaining(), label + ": Sluice left bytes unread");
        assertEquals(sluice, read, label + ": Sluice read different content");
        assertEquals(sluice.hashCode(), read.hashCode(), label + ": hashCode");

        // kafka-clients reads Sluice's bytes to the same content.
        Object kafkaRead = KAFKA.topClass(schema).getConstructor().newInstance();
        ByteBufferAccessor accessor = new ByteBufferAccessor(ByteBuffer.wrap(sluiceBytes));
        ((org.apache.kafka.common.protocol.Message) kafkaRead).read(accessor, version);
        assertEquals(kafka, kafkaRead, label + ": kafka-clients read different content from Sluice's bytes");
    }

    @Test
    void everyRequestResponseAndHeaderSchemaHasAGeneratedClass() {
        int found = 0;
        for (Schema schema : schemas()) {
            try {
                Class<?> c = SLUICE.topClass(schema);
                assertTrue(Message.class.isAssignableFrom(c), c + " is not a Message");
                if (schema.apiKey().isPresent() && !schema.type().equals("data")) {
                    assertTrue(ApiMessage.class.isAssignableFrom(c), c + " is not an ApiMessage");
                }
                found++;
            } catch (ClassNotFoundException e) {
                fail("no generated class for " + schema.name());
            }
        }
        assertEquals(schemas().size(), found);
    }

    @Test
    void apiKeyTableAgreesWithKafkaClients() {
        int checked = 0;
        for (ApiKeys kafka : ApiKeys.values()) {
            ApiKey sluice = ApiKey.forId(kafka.id).orElseThrow(() -> new AssertionError("no ApiKey " + kafka));
            assertEquals(kafka.name, sluice.displayName(), "name of " + kafka.id);
            assertEquals(kafka.oldestVersion(), sluice.lowestVersion(), "lowest version of " + kafka);
            assertEquals(kafka.latestVersion(true), sluice.highestVersion(), "highest version of " + kafka);
            assertEquals(kafka.messageType.latestVersionUnstable(), sluice.latestVersionUnstable(), "unstable " + kafka);
            assertEquals(kafka.inScope(org.apache.kafka.common.message.ApiMessageType.ListenerType.BROKER),
                sluice.brokerListener(), "broker listener of " + kafka);
            for (short v = kafka.oldestVersion(); v <= kafka.latestVersion(true); v++) {
                assertEquals(kafka.requestHeaderVersion(v), sluice.requestHeaderVersion(v), kafka + " v" + v);
                assertEquals(kafka.responseHeaderVersion(v), sluice.responseHeaderVersion(v), kafka + " v" + v);
                assertEquals(kafka.id, sluice.newRequest().apiKey().id());
                assertEquals(kafka.id, sluice.newResponse().apiKey().id());
            }
            checked++;
        }
        assertTrue(checked > 80, "only " + checked + " API keys");
    }

    @AfterAll
    static void report() {
        if (PAIRS_CHECKED.get() > 0) {
            System.out.println("Cross-checked " + PAIRS_CHECKED.get() + " (message, version) pairs against kafka-clients "
                + org.apache.kafka.common.utils.internals.AppInfoParser.getVersion() + ": " + PAIRS_BY_TYPE);
        }
    }
}
