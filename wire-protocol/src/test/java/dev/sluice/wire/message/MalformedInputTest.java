package dev.sluice.wire.message;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.generator.Schema;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Hostile bytes for every message at every version: each strict prefix of a valid encoding, random
 * byte mutations of it and random garbage must either decode or fail with
 * {@link MalformedDataException} — never another exception, an OutOfMemoryError or a hang.
 */
class MalformedInputTest {
    private static final int MUTATIONS = 40;

    @TestFactory
    Stream<DynamicTest> everyMessageRejectsTruncatedAndGarbledInputCleanly() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Schema schema : KafkaCrossCheckTest.schemas()) {
            for (short version : MessageFiller.versions(schema.validVersions())) {
                tests.add(DynamicTest.dynamicTest(schema.name() + " v" + version, () -> attack(schema, version)));
            }
        }
        return tests.stream();
    }

    private void attack(Schema schema, short version) throws Exception {
        long seed = schema.name().hashCode() * 7919L + version;
        Message valid = (Message) new MessageFiller(schema, KafkaCrossCheckTest.SLUICE, seed, MessageFiller.Mode.FULL,
            version).fill();
        byte[] bytes = valid.serialize(version).array();
        Constructor<?> reader = valid.getClass().getConstructor(ByteReader.class, short.class);
        String label = schema.name() + " v" + version;

        // Every strict prefix runs out of bytes somewhere: decoding is deterministic up to that point.
        int step = Math.max(1, bytes.length / 200);
        for (int n = 0; n < bytes.length; n += step) {
            ByteBuffer prefix = ByteBuffer.wrap(bytes, 0, n).slice();
            assertThrows(MalformedDataException.class, () -> decode(reader, prefix, version), label + " cut at " + n);
        }

        Random random = new Random(seed);
        for (int i = 0; i < MUTATIONS && bytes.length > 0; i++) {
            byte[] mutated = bytes.clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                int at = random.nextInt(mutated.length);
                mutated[at] = random.nextBoolean() ? (byte) random.nextInt() : (byte) (mutated[at] ^ 0x80);
            }
            decodeOrRejectCleanly(reader, ByteBuffer.wrap(mutated), version, label + " mutation " + i);
        }
        for (int i = 0; i < 10; i++) {
            byte[] garbage = new byte[random.nextInt(64)];
            random.nextBytes(garbage);
            decodeOrRejectCleanly(reader, ByteBuffer.wrap(garbage), version, label + " garbage " + i);
        }
    }

    private static void decode(Constructor<?> reader, ByteBuffer buffer, short version) throws Throwable {
        try {
            reader.newInstance(new ByteReader(buffer), version);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void decodeOrRejectCleanly(Constructor<?> reader, ByteBuffer buffer, short version, String label) {
        try {
            decode(reader, buffer, version);
        } catch (MalformedDataException expected) {
            // the one acceptable failure
        } catch (Throwable t) {
            fail(label + ": decoding threw " + t, t);
        }
    }
}
