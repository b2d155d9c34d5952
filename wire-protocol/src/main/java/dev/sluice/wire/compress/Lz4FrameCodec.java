package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.StreamingXXHash32;
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
    private static final XXHashFactory XXHASH_FACTORY = XXHashFactory.fastestInstance();
    private static final XXHash32 XXHASH = XXHASH_FACTORY.hash32();
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
    public InputStream decompressingStream(ByteBuffer compressed, int maxDecompressedBytes) {
        if (maxDecompressedBytes < 0) {
            throw new IllegalArgumentException("negative decompression limit " + maxDecompressedBytes);
        }
        return new FrameInputStream(ByteRange.of(compressed), maxDecompressedBytes);
    }

    /**
     * Decodes a frame one block at a time. A block is decompressed into a buffer no larger than
     * the frame's block size and no larger than its compressed bytes could expand to, so neither
     * the declared block size nor the declared content size decides an allocation.
     */
    private static final class FrameInputStream extends BlockInputStream {
        /** LZ4's densest encoding: a run extended by 0xFF length bytes yields 255 bytes per byte read. */
        private static final int MAX_RATIO = 255;
        private static final int BLOCK_SLACK = 64;

        private final ByteBuffer in;
        private final byte[] src;
        private final int base;
        private final int limit;
        private final int maxBlockSize;
        private final boolean blockChecksums;
        private final long contentSize;
        private final StreamingXXHash32 contentHash;
        private final LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();
        private byte[] blockBuffer = new byte[0];
        private long produced;

        FrameInputStream(ByteRange range, int limit) {
            this.in = ByteBuffer.wrap(range.array(), range.offset(), range.length()).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
            this.src = in.array();
            this.base = in.arrayOffset();
            this.limit = limit;

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
            this.maxBlockSize = 1 << (2 * blockSizeCode + 8);
            long declared = -1;
            if ((flg & FLG_CONTENT_SIZE) != 0) {
                require(in, 8, "content size");
                declared = in.getLong();
                if (declared < 0 || declared > limit) {
                    throw new DecompressionLimitException("lz4", limit);
                }
            }
            this.contentSize = declared;
            require(in, 1, "header checksum");
            byte expectedHc = headerChecksum(src, base + descriptorStart, in.position() - descriptorStart);
            if (in.get() != expectedHc) {
                throw new MalformedDataException("LZ4 frame header checksum mismatch");
            }
            this.blockChecksums = (flg & FLG_BLOCK_CHECKSUM) != 0;
            this.contentHash = (flg & FLG_CONTENT_CHECKSUM) != 0 ? XXHASH_FACTORY.newStreamingHash32(0) : null;
        }

        @Override
        protected void nextBlock() {
            require(in, 4, "block size (frame ends without an end mark)");
            int word = in.getInt();
            if (word == 0) {
                finish();
                return;
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
                serve(src, dataStart, size);
                return;
            }
            int room = (int) Math.min(maxBlockSize, (long) size * MAX_RATIO + BLOCK_SLACK);
            if (blockBuffer.length < room) {
                blockBuffer = new byte[room];
            }
            int written;
            try {
                written = decompressor.decompress(src, dataStart, size, blockBuffer, 0, room);
            } catch (LZ4Exception e) {
                throw new MalformedDataException("corrupt LZ4 block: " + e.getMessage(), e);
            }
            serve(blockBuffer, 0, written);
        }

        private void serve(byte[] bytes, int offset, int length) {
            produced += length;
            if (produced > limit) {
                throw new DecompressionLimitException("lz4", limit);
            }
            if (contentHash != null) {
                contentHash.update(bytes, offset, length);
            }
            publish(bytes, offset, length);
        }

        private void finish() {
            finished();
            if (contentHash != null) {
                require(in, 4, "content checksum");
                if (in.getInt() != contentHash.getValue()) {
                    throw new MalformedDataException("LZ4 content checksum mismatch");
                }
            }
            if (contentSize >= 0 && contentSize != produced) {
                throw new MalformedDataException("LZ4 frame declares " + contentSize + " bytes of content but holds "
                    + produced);
            }
            if (in.hasRemaining()) {
                throw new MalformedDataException(in.remaining() + " bytes follow the end of the LZ4 frame");
            }
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
