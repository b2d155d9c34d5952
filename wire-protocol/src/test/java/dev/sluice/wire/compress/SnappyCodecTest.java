package dev.sluice.wire.compress;

import static dev.sluice.wire.compress.CompressionCodecTest.sample;
import static dev.sluice.wire.compress.CompressionCodecTest.toArray;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.wire.codec.MalformedDataException;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class SnappyCodecTest {
    private final CompressionCodec codec = CompressionType.SNAPPY.codec();

    @Test
    void readsUnframedSnappyAsOneBlock() throws IOException {
        byte[] data = sample(50_000, 1);
        assertArrayEquals(data, toArray(codec.decompress(ByteBuffer.wrap(Snappy.compress(data)), 1 << 20)));
    }

    @Test
    void readsConcatenatedStreams() {
        byte[] first = sample(40_000, 2);
        byte[] second = sample(10_000, 3);
        byte[] a = toArray(codec.compress(ByteBuffer.wrap(first)));
        byte[] b = toArray(codec.compress(ByteBuffer.wrap(second)));
        ByteBuffer both = ByteBuffer.allocate(a.length + b.length).put(a).put(b).flip();
        ByteBuffer expected = ByteBuffer.allocate(first.length + second.length).put(first).put(second).flip();
        assertArrayEquals(toArray(expected), toArray(codec.decompress(both, 1 << 20)));
    }

    @Test
    void aChunkThatClaimsAHugeUncompressedSizeIsRefusedBeforeAllocating() {
        // Stream header, then one chunk whose Snappy preamble claims ~2 GiB of output.
        byte[] header = toArray(codec.compress(ByteBuffer.allocate(0)));
        byte[] preamble = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 0x00};
        ByteBuffer stream = ByteBuffer.allocate(header.length + 4 + preamble.length)
            .put(header).putInt(preamble.length).put(preamble).flip();
        assertThrows(DecompressionLimitException.class, () -> codec.decompress(stream, 1 << 20));
    }

    @Test
    void aChunkLengthPastTheEndIsMalformed() {
        byte[] header = toArray(codec.compress(ByteBuffer.allocate(0)));
        ByteBuffer stream = ByteBuffer.allocate(header.length + 8).put(header).putInt(Integer.MAX_VALUE).putInt(0).flip();
        assertThrows(MalformedDataException.class, () -> codec.decompress(stream, 1 << 20));
    }
}
