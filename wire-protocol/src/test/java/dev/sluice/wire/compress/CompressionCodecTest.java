package dev.sluice.wire.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.wire.codec.MalformedDataException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CompressionCodecTest {
    private static final int LIMIT = 16 * 1024 * 1024;

    /** Text-like bytes: compressible, but not trivially. */
    static byte[] sample(int size, long seed) {
        Random random = new Random(seed);
        String[] words = {"sluice", "kafka", "record", "batch", "offset", "partition", "leader", "epoch", "{", "}", ":"};
        StringBuilder text = new StringBuilder(size + 16);
        while (text.length() < size) {
            text.append(words[random.nextInt(words.length)]).append(random.nextInt(1000)).append(' ');
        }
        return Arrays.copyOf(text.toString().getBytes(StandardCharsets.US_ASCII), size);
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static byte[] compress(CompressionType type, byte[] data) {
        return toArray(type.codec().compress(ByteBuffer.wrap(data)));
    }

    private static byte[] decompress(CompressionType type, byte[] data, int limit) {
        return toArray(type.codec().decompress(ByteBuffer.wrap(data), limit));
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void roundTripsEmptySmallAndMultiBlockPayloads(CompressionType type) {
        for (byte[] data : new byte[][] {new byte[0], {42}, sample(1000, 1), sample(300_000, 2), randomBytes(200_000, 3)}) {
            assertArrayEquals(data, decompress(type, compress(type, data), LIMIT), type + " " + data.length);
        }
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void readsWhatKafkaWrites(CompressionType type) {
        for (byte[] data : new byte[][] {new byte[0], sample(1000, 4), sample(300_000, 5), randomBytes(100_000, 6)}) {
            assertArrayEquals(data, decompress(type, KafkaCodecs.compress(type, data), LIMIT), type + " " + data.length);
        }
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void kafkaReadsWhatSluiceWrites(CompressionType type) {
        for (byte[] data : new byte[][] {new byte[0], sample(1000, 7), sample(300_000, 8), randomBytes(100_000, 9)}) {
            assertArrayEquals(data, KafkaCodecs.decompress(type, compress(type, data)), type + " " + data.length);
        }
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void decompressionLeavesTheInputBufferAlone(CompressionType type) {
        byte[] compressed = compress(type, sample(5000, 10));
        ByteBuffer padded = ByteBuffer.allocate(compressed.length + 10);
        padded.position(5);
        padded.put(compressed);
        padded.position(5).limit(5 + compressed.length);
        ByteBuffer direct = ByteBuffer.allocateDirect(compressed.length).put(compressed).flip();
        for (ByteBuffer in : new ByteBuffer[] {padded, padded.asReadOnlyBuffer(), direct}) {
            int position = in.position();
            assertArrayEquals(sample(5000, 10), toArray(type.codec().decompress(in, LIMIT)));
            assertEquals(position, in.position());
        }
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void aPayloadExactlyAtTheLimitPassesAndOneByteMoreFails(CompressionType type) {
        byte[] data = sample(100_000, 11);
        byte[] compressed = compress(type, data);
        assertArrayEquals(data, decompress(type, compressed, data.length));
        DecompressionLimitException e = assertThrows(DecompressionLimitException.class,
            () -> decompress(type, compressed, data.length - 1));
        assertEquals(data.length - 1, e.limit());
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void aCompressionBombStopsAtTheLimit(CompressionType type) {
        // 64 MiB of zeros packs into a few KiB; expanding it against a 1 MiB limit must stop early.
        byte[] bomb = compress(type, new byte[64 * 1024 * 1024]);
        assertTrue(bomb.length < 4 * 1024 * 1024, "bomb is " + bomb.length + " bytes");
        assertThrows(DecompressionLimitException.class, () -> decompress(type, bomb, 1024 * 1024));
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void garbageIsMalformed(CompressionType type) {
        Random random = new Random(12);
        for (int i = 0; i < 200; i++) {
            byte[] garbage = randomBytes(random.nextInt(2000), random.nextLong());
            assertOnlyMalformedOrDecoded(type, garbage);
        }
        assertThrows(MalformedDataException.class, () -> decompress(type, randomBytes(500, 13), LIMIT));
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = {"GZIP", "LZ4", "ZSTD"})
    void everyTruncationIsMalformedForCodecsWithAnEndMark(CompressionType type) {
        byte[] compressed = compress(type, sample(150_000, 14));
        for (int length = 0; length < compressed.length; length += Math.max(1, length / 50)) {
            byte[] prefix = Arrays.copyOf(compressed, length);
            assertThrows(MalformedDataException.class, () -> decompress(type, prefix, LIMIT), "prefix " + length);
        }
    }

    @Test
    void snappyTruncationInsideAChunkIsMalformed() {
        // Snappy's stream framing has no end mark: a cut between chunks reads as a shorter stream,
        // which the record count of the enclosing batch then catches. A cut inside one cannot pass.
        byte[] compressed = compress(CompressionType.SNAPPY, sample(10_000, 15));
        for (int length = 17; length < compressed.length; length++) {
            byte[] prefix = Arrays.copyOf(compressed, length);
            assertThrows(MalformedDataException.class, () -> decompress(CompressionType.SNAPPY, prefix, LIMIT),
                "prefix " + length);
        }
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void randomMutationsNeverThrowAnythingButMalformed(CompressionType type) {
        byte[] compressed = compress(type, sample(20_000, 16));
        Random random = new Random(17);
        for (int i = 0; i < 300; i++) {
            byte[] mutated = compressed.clone();
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                mutated[random.nextInt(mutated.length)] ^= (byte) (1 + random.nextInt(255));
            }
            assertOnlyMalformedOrDecoded(type, mutated);
        }
    }

    private static void assertOnlyMalformedOrDecoded(CompressionType type, byte[] input) {
        try {
            byte[] out = decompress(type, input, 1024 * 1024);
            assertTrue(out.length <= 1024 * 1024);
        } catch (MalformedDataException expected) {
            // The only acceptable failure.
        } catch (RuntimeException | Error e) {
            fail(type + " threw " + e + " for " + input.length + " bytes of bad input", e);
        }
    }

    @Test
    void unknownCompressionIdsAreMalformed() {
        for (CompressionType type : CompressionType.values()) {
            assertEquals(type, CompressionType.forId(type.id()));
            assertEquals(type, CompressionType.forConfigName(type.configName().toUpperCase()));
        }
        assertThrows(MalformedDataException.class, () -> CompressionType.forId(5));
        assertThrows(MalformedDataException.class, () -> CompressionType.forId(-1));
        assertThrows(IllegalArgumentException.class, () -> CompressionType.forConfigName("brotli"));
    }

    @Test
    void idsMatchKafka() {
        for (CompressionType type : CompressionType.values()) {
            org.apache.kafka.common.record.internal.CompressionType kafka = org.apache.kafka.common.record.internal.CompressionType.forId(type.id());
            assertEquals(kafka.name, type.configName());
        }
    }
}
