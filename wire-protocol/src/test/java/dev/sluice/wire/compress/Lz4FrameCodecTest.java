package dev.sluice.wire.compress;

import static dev.sluice.wire.compress.CompressionCodecTest.sample;
import static dev.sluice.wire.compress.CompressionCodecTest.toArray;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.wire.codec.MalformedDataException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jpountz.lz4.LZ4FrameOutputStream.BLOCKSIZE;
import net.jpountz.lz4.LZ4FrameOutputStream.FLG;
import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.Test;

class Lz4FrameCodecTest {
    private static final int LIMIT = 8 * 1024 * 1024;
    private final CompressionCodec codec = CompressionType.LZ4.codec();

    /** A frame written by lz4-java's own frame writer, an independent implementation of the format. */
    private static byte[] lz4JavaFrame(byte[] data, BLOCKSIZE blockSize, FLG.Bits... bits) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (LZ4FrameOutputStream lz4 = new LZ4FrameOutputStream(out, blockSize, data.length, bits)) {
            lz4.write(data);
        }
        return out.toByteArray();
    }

    private byte[] decompress(byte[] frame) {
        return toArray(codec.decompress(ByteBuffer.wrap(frame), LIMIT));
    }

    @Test
    void writesTheSameFrameHeaderAsKafka() {
        byte[] data = sample(1000, 1);
        byte[] ours = toArray(codec.compress(ByteBuffer.wrap(data)));
        byte[] kafka = KafkaCodecs.compress(CompressionType.LZ4, data);
        // magic 04 22 4D 18, FLG 0x60 (version 1, independent blocks), BD 0x40 (64 KiB), header checksum.
        assertArrayEquals(Arrays.copyOf(kafka, 7), Arrays.copyOf(ours, 7));
        assertEquals(0x60, ours[4] & 0xFF);
        assertEquals(0x40, ours[5] & 0xFF);
    }

    @Test
    void honoursBlockChecksumsContentChecksumAndContentSize() throws IOException {
        byte[] data = sample(300_000, 2);
        for (BLOCKSIZE size : new BLOCKSIZE[] {BLOCKSIZE.SIZE_64KB, BLOCKSIZE.SIZE_256KB, BLOCKSIZE.SIZE_1MB, BLOCKSIZE.SIZE_4MB}) {
            byte[] frame = lz4JavaFrame(data, size, FLG.Bits.BLOCK_INDEPENDENCE, FLG.Bits.BLOCK_CHECKSUM,
                FLG.Bits.CONTENT_CHECKSUM, FLG.Bits.CONTENT_SIZE);
            assertArrayEquals(data, decompress(frame), size.toString());
        }
    }

    @Test
    void aWrongBlockChecksumIsMalformed() throws IOException {
        byte[] frame = lz4JavaFrame(sample(1000, 3), BLOCKSIZE.SIZE_64KB, FLG.Bits.BLOCK_INDEPENDENCE,
            FLG.Bits.BLOCK_CHECKSUM);
        // Layout: 7-byte header, int32 block size, data, int32 block checksum, int32 end mark.
        frame[frame.length - 5] ^= 1;
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> decompress(frame));
        assertTrue(e.getMessage().contains("block checksum"), e.getMessage());
    }

    @Test
    void aWrongContentChecksumIsMalformed() throws IOException {
        byte[] frame = lz4JavaFrame(sample(1000, 4), BLOCKSIZE.SIZE_64KB, FLG.Bits.BLOCK_INDEPENDENCE,
            FLG.Bits.CONTENT_CHECKSUM);
        frame[frame.length - 1] ^= 1;
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> decompress(frame));
        assertTrue(e.getMessage().contains("content checksum"), e.getMessage());
    }

    @Test
    void aWrongHeaderChecksumIsMalformed() {
        byte[] frame = toArray(codec.compress(ByteBuffer.wrap(sample(1000, 5))));
        frame[6] ^= 1;
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> decompress(frame));
        assertTrue(e.getMessage().contains("header checksum"), e.getMessage());
    }

    @Test
    void aContentSizeAboveTheLimitFailsBeforeDecompressing() throws IOException {
        byte[] frame = lz4JavaFrame(new byte[100_000], BLOCKSIZE.SIZE_64KB, FLG.Bits.BLOCK_INDEPENDENCE,
            FLG.Bits.CONTENT_SIZE);
        assertThrows(DecompressionLimitException.class, () -> codec.decompress(ByteBuffer.wrap(frame), 50_000));
    }

    /**
     * The content size in a frame header is a claim: a ten-byte frame that declares 60 MiB, read
     * under a 64 MiB limit, must fail on the mismatch without having sized anything by the claim.
     */
    @Test
    void aDeclaredContentSizeIsNeverAllocated() {
        int declared = 60 << 20;
        ByteBuffer frame = ByteBuffer.allocate(7 + 8 + 4 + 10 + 4).order(ByteOrder.LITTLE_ENDIAN);
        frame.putInt(0x184D2204).put((byte) 0x68).put((byte) 0x40).putLong(declared);
        frame.put((byte) (XXHashFactory.fastestInstance().hash32().hash(frame.array(), 4, 10, 0) >>> 8));
        frame.putInt(10 | 0x80000000).put(new byte[10]).putInt(0).flip();
        com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        MalformedDataException e = assertThrows(MalformedDataException.class,
            () -> codec.decompress(frame, 64 << 20));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(e.getMessage().contains("declares"), e.getMessage());
        assertTrue(allocated < 1 << 20, "allocated " + allocated + " bytes");
    }

    @Test
    void linkedBlocksAreRefusedClearly() {
        // lz4-java will not write linked blocks, so clear the independence bit of a valid frame
        // and fix its header checksum.
        byte[] frame = toArray(codec.compress(ByteBuffer.wrap(sample(200_000, 6))));
        frame[4] = 0x40;
        frame[6] = (byte) (XXHashFactory.safeInstance().hash32().hash(frame, 4, 2, 0) >>> 8);
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> decompress(frame));
        assertTrue(e.getMessage().contains("linked blocks"), e.getMessage());
    }

    @Test
    void storesIncompressibleBlocksRaw() {
        byte[] data = CompressionCodecTest.randomBytes(1000, 7);
        ByteBuffer frame = codec.compress(ByteBuffer.wrap(data)).order(ByteOrder.LITTLE_ENDIAN);
        int blockWord = frame.getInt(7);
        assertEquals(0x80000000 | data.length, blockWord);
        assertArrayEquals(data, decompress(toArray(frame)));
    }

    @Test
    void aBlockLargerThanTheFrameMaximumIsMalformed() {
        ByteBuffer frame = ByteBuffer.wrap(toArray(codec.compress(ByteBuffer.wrap(sample(1000, 8)))))
            .order(ByteOrder.LITTLE_ENDIAN);
        frame.putInt(7, 64 * 1024 + 1);
        assertThrows(MalformedDataException.class, () -> decompress(frame.array()));
    }

    @Test
    void bytesAfterTheEndMarkAreMalformed() {
        byte[] frame = toArray(codec.compress(ByteBuffer.wrap(sample(1000, 9))));
        byte[] padded = Arrays.copyOf(frame, frame.length + 3);
        assertThrows(MalformedDataException.class, () -> decompress(padded));
    }

    @Test
    void highLevelsUseTheHighCompressionModeAndStayReadable() {
        byte[] data = sample(200_000, 10);
        byte[] high = toArray(new Lz4FrameCodec(12).compress(ByteBuffer.wrap(data)));
        assertArrayEquals(data, decompress(high));
        assertArrayEquals(data, KafkaCodecs.decompress(CompressionType.LZ4, high));
    }
}
