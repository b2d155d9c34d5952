package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * {@link CompressionType#LZ4}: the LZ4 frame format, built on lz4-java's block codec. All
 * multi-byte integers are little-endian.
 *
 * <pre>
 * magic      int32  0x184D2204
 * FLG        int8   bits 7-6 version (01), 5 block independence, 4 block checksum,
 *                   3 content size present, 2 content checksum, 1 reserved (0), 0 dictionary id
 * BD         int8   bits 6-4 max block size: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB; others reserved (0)
 * [content size int64, if FLG bit 3]
 * HC         int8   second byte of XXHash32 (seed 0) of FLG through the optional content size
 * blocks     int32 size; high bit set = the data is stored uncompressed; then size bytes of data,
 *                   then [int32 XXHash32 of those bytes, if FLG bit 4]
 * end mark   int32  0
 * [content checksum int32 XXHash32 of all decompressed bytes, if FLG bit 2]
 * </pre>
 *
 * <p>Writing follows Kafka's producer: independent 64 KiB blocks, no checksums or content size,
 * a block stored raw when compressing does not shrink it. Reading honours every optional field
 * above. It refuses dictionary ids and linked blocks (a block referring back into the previous
 * one), which Kafka's clients never write.
 */
public final class Lz4FrameCodec implements CompressionCodec {
    /** Kafka's default lz4 level, which it serves with lz4's fast (not high-compression) mode. */
    private static final int KAFKA_DEFAULT_LEVEL = 9;

    private static final int MAGIC = 0x184D2204;
    private static final int FLG_VERSION = 0x40;
    private static final int FLG_VERSION_MASK = 0xC0;
    private static final int FLG_BLOCK_INDEPENDENCE = 0x20;
    private static final int FLG_BLOCK_CHECKSUM = 0x10;
    private static final int FLG_CONTENT_SIZE = 0x08;
    private static final int FLG_CONTENT_CHECKSUM = 0x04;
    private static final int FLG_RESERVED = 0x02;
    private static final int FLG_DICTIONARY_ID = 0x01;
    private static final int BD_RESERVED = 0x8F;
    private static final int BD_64KB = 4;
    private static final int WRITE_BLOCK_SIZE = 64 * 1024;
    private static final int UNCOMPRESSED_FLAG = 0x80000000;

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();
    // Declared after the factories it uses: static fields initialise in order.
    static final Lz4FrameCodec DEFAULT = new Lz4FrameCodec(KAFKA_DEFAULT_LEVEL);

    private final LZ4Compressor compressor;

    /**
     * @param level 1-17; levels up to 9 use the fast compressor (as Kafka does for its default 9),
     *     higher ones lz4's high-compression mode
     */
    public Lz4FrameCodec(int level) {
        if (level < 1 || level > 17) {
            throw new IllegalArgumentException("lz4 level must be 1-17, not " + level);
        }
        this.compressor = level <= KAFKA_DEFAULT_LEVEL ? LZ4.fastCompressor() : LZ4.highCompressor(level);
    }

    @Override
    public CompressionType type() {
        return CompressionType.LZ4;
    }

    @Override
    public ByteBuffer compress(ByteBuffer uncompressed) {
        ByteRange in = ByteRange.of(uncompressed);
        int blocks = (in.length() + WRITE_BLOCK_SIZE - 1) / WRITE_BLOCK_SIZE;
        // A block is stored raw whenever compressing would not shrink it, so none exceeds its input.
        ByteBuffer out = ByteBuffer.allocate(7 + blocks * 4 + in.length() + 4).order(ByteOrder.LITTLE_ENDIAN);
        byte[] scratch = new byte[compressor.maxCompressedLength(WRITE_BLOCK_SIZE)];

        int flg = FLG_VERSION | FLG_BLOCK_INDEPENDENCE;
        int bd = BD_64KB << 4;
        out.putInt(MAGIC).put((byte) flg).put((byte) bd);
        out.put(headerChecksum(out.array(), 4, 2));

        for (int pos = in.offset(); pos < in.end(); pos += WRITE_BLOCK_SIZE) {
            int length = Math.min(WRITE_BLOCK_SIZE, in.end() - pos);
            int compressedLength = compressor.compress(in.array(), pos, length, scratch, 0, scratch.length);
            if (compressedLength < length) {
                out.putInt(compressedLength).put(scratch, 0, compressedLength);
            } else {
                out.putInt(length | UNCOMPRESSED_FLAG).put(in.array(), pos, length);
            }
        }
        out.putInt(0);
        out.flip();
        return out.order(ByteOrder.BIG_ENDIAN);
    }

    @Override
    public ByteBuffer decompress(ByteBuffer compressed, int maxDecompressedBytes) {
        ByteRange range = ByteRange.of(compressed);
        ByteBuffer in = ByteBuffer.wrap(range.array(), range.offset(), range.length()).slice()
            .order(ByteOrder.LITTLE_ENDIAN);
        byte[] src = in.array();
        int base = in.arrayOffset();

        require(in, 7, "frame header");
        int magic = in.getInt();
        if (magic != MAGIC) {
            throw new MalformedDataException(String.format("not an LZ4 frame: magic 0x%08X", magic));
        }
        int descriptorStart = in.position();
        int flg = in.get() & 0xFF;
        int bd = in.get() & 0xFF;
        if ((flg & FLG_VERSION_MASK) != FLG_VERSION) {
            throw new MalformedDataException("unsupported LZ4 frame version " + (flg >>> 6));
        }
        if ((flg & FLG_RESERVED) != 0 || (bd & BD_RESERVED) != 0) {
            throw new MalformedDataException("LZ4 frame descriptor has reserved bits set");
        }
        if ((flg & FLG_DICTIONARY_ID) != 0) {
            throw new MalformedDataException("LZ4 frames with a dictionary id are not supported");
        }
        if ((flg & FLG_BLOCK_INDEPENDENCE) == 0) {
            throw new MalformedDataException("LZ4 frames with linked blocks are not supported");
        }
        int blockSizeCode = (bd >>> 4) & 0x7;
        if (blockSizeCode < 4) {
            throw new MalformedDataException("invalid LZ4 block size code " + blockSizeCode);
        }
        int maxBlockSize = 1 << (2 * blockSizeCode + 8);
        long contentSize = -1;
        if ((flg & FLG_CONTENT_SIZE) != 0) {
            require(in, 8, "content size");
            contentSize = in.getLong();
            if (contentSize < 0 || contentSize > maxDecompressedBytes) {
                throw new DecompressionLimitException("lz4", maxDecompressedBytes);
            }
        }
        require(in, 1, "header checksum");
        byte expectedHc = headerChecksum(src, base + descriptorStart, in.position() - descriptorStart);
        if (in.get() != expectedHc) {
            throw new MalformedDataException("LZ4 frame header checksum mismatch");
        }

        boolean blockChecksums = (flg & FLG_BLOCK_CHECKSUM) != 0;
        BoundedSink sink = new BoundedSink("lz4", maxDecompressedBytes,
            contentSize >= 0 ? (int) contentSize : range.length() * 4);
        LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();
        while (true) {
            require(in, 4, "block size (frame ends without an end mark)");
            int word = in.getInt();
            if (word == 0) {
                break;
            }
            int size = word & ~UNCOMPRESSED_FLAG;
            boolean stored = (word & UNCOMPRESSED_FLAG) != 0;
            if (size > maxBlockSize) {
                throw new MalformedDataException("LZ4 block of " + size + " bytes exceeds the frame's maximum "
                    + maxBlockSize);
            }
            require(in, size + (blockChecksums ? 4 : 0), "block data");
            int dataStart = base + in.position();
            in.position(in.position() + size);
            if (blockChecksums && in.getInt() != XXHASH.hash(src, dataStart, size, 0)) {
                throw new MalformedDataException("LZ4 block checksum mismatch");
            }
            if (stored) {
                sink.append(src, dataStart, size);
            } else {
                decompressBlock(decompressor, src, dataStart, size, maxBlockSize, sink, maxDecompressedBytes);
            }
        }
        if ((flg & FLG_CONTENT_CHECKSUM) != 0) {
            require(in, 4, "content checksum");
            if (in.getInt() != XXHASH.hash(sink.array(), 0, sink.size(), 0)) {
                throw new MalformedDataException("LZ4 content checksum mismatch");
            }
        }
        if (contentSize >= 0 && contentSize != sink.size()) {
            throw new MalformedDataException("LZ4 frame declares " + contentSize + " bytes of content but holds "
                + sink.size());
        }
        if (in.hasRemaining()) {
            throw new MalformedDataException(in.remaining() + " bytes follow the end of the LZ4 frame");
        }
        return sink.toByteBuffer();
    }

    private static void decompressBlock(LZ4SafeDecompressor decompressor, byte[] src, int offset, int length,
                                        int maxBlockSize, BoundedSink sink, int limit) {
        try {
            if (limit - sink.size() >= maxBlockSize) {
                // Room for a whole block: decompress straight into the output. A block that would
                // expand past the frame's block size is corrupt, and the decompressor stops it.
                sink.reserve(maxBlockSize);
                sink.advance(decompressor.decompress(src, offset, length, sink.array(), sink.size(), maxBlockSize));
            } else {
                // Near the limit, decompress aside so that "too big" and "corrupt" stay distinguishable.
                byte[] block = new byte[maxBlockSize];
                int written = decompressor.decompress(src, offset, length, block, 0, maxBlockSize);
                sink.append(block, 0, written);
            }
        } catch (LZ4Exception e) {
            throw new MalformedDataException("corrupt LZ4 block: " + e.getMessage(), e);
        }
    }

    private static byte headerChecksum(byte[] bytes, int offset, int length) {
        return (byte) (XXHASH.hash(bytes, offset, length, 0) >>> 8);
    }

    private static void require(ByteBuffer in, int n, String what) {
        if (in.remaining() < n) {
            throw new MalformedDataException("LZ4 frame is truncated: needed " + n + " bytes for " + what
                + " but " + in.remaining() + " remain");
        }
    }
}
