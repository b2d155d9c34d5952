package dev.sluice.wire.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.stream.LongStream;
import org.apache.kafka.common.utils.internals.ByteUtils;
import org.junit.jupiter.api.Test;

class VarintTest {
    private static final long[] EDGES = {0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 16383, 16384,
        Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE + 1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 35, -(1L << 49)};

    private static long[] samples() {
        Random random = new Random(11);
        return LongStream.concat(LongStream.of(EDGES), LongStream.generate(() -> random.nextLong() >> random.nextInt(64))
            .limit(2000)).toArray();
    }

    @Test
    void signedAndUnsignedIntsMatchKafkaClientsBytes() {
        for (long sample : samples()) {
            int v = (int) sample;
            ByteBuffer ours = ByteBuffer.allocate(5);
            ByteBuffer theirs = ByteBuffer.allocate(5);
            Varint.write(v, ours);
            ByteUtils.writeVarint(v, theirs);
            assertArrayEquals(theirs.array(), ours.array(), "varint " + v);
            assertEquals(ByteUtils.sizeOfVarint(v), Varint.sizeOf(v));
            assertEquals(v, Varint.read(ours.flip()));

            ByteBuffer u = ByteBuffer.allocate(5);
            ByteBuffer ku = ByteBuffer.allocate(5);
            Varint.writeUnsigned(v, u);
            ByteUtils.writeUnsignedVarint(v, ku);
            assertArrayEquals(ku.array(), u.array(), "unsigned varint " + v);
            assertEquals(ByteUtils.sizeOfUnsignedVarint(v), Varint.sizeOfUnsigned(v));
            assertEquals(v, Varint.readUnsigned(u.flip()));
        }
    }

    @Test
    void longsMatchKafkaClientsBytes() {
        for (long v : samples()) {
            ByteBuffer ours = ByteBuffer.allocate(10);
            ByteBuffer theirs = ByteBuffer.allocate(10);
            Varint.write(v, ours);
            ByteUtils.writeVarlong(v, theirs);
            assertArrayEquals(theirs.array(), ours.array(), "varlong " + v);
            assertEquals(ByteUtils.sizeOfVarlong(v), Varint.sizeOf(v));
            assertEquals(v, Varint.readLong(ours.flip()));
        }
    }

    @Test
    void overlongAndTruncatedVarintsAreMalformed() {
        ByteBuffer sixBytes = ByteBuffer.wrap(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0});
        assertThrows(MalformedDataException.class, () -> Varint.readUnsigned(sixBytes));
        ByteBuffer tooWide = ByteBuffer.wrap(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F});
        assertThrows(MalformedDataException.class, () -> Varint.readUnsigned(tooWide));
        ByteBuffer cut = ByteBuffer.wrap(new byte[] {(byte) 0x80, (byte) 0x80});
        assertThrows(MalformedDataException.class, () -> Varint.read(cut));
        byte[] elevenBytes = new byte[11];
        java.util.Arrays.fill(elevenBytes, (byte) 0x80);
        assertThrows(MalformedDataException.class, () -> Varint.readLong(ByteBuffer.wrap(elevenBytes)));
        assertThrows(MalformedDataException.class, () -> Varint.readLong(ByteBuffer.allocate(0)));
    }
}
