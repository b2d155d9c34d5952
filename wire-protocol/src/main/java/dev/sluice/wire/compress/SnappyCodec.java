package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyOutputStream;

/**
 * {@link CompressionType#SNAPPY} in snappy-java's stream framing, which is what Kafka's clients
 * write:
 *
 * <pre>
 * header:  8 bytes magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 version, int32 minimum compatible version
 * chunks:  int32 compressed length (big-endian), then that many bytes of raw Snappy (one block each)
 * </pre>
 *
 * A stream may repeat the header between chunks (concatenated streams). Input without the magic
 * is read as a single raw Snappy block, as snappy-java does, because some non-Java clients write
 * unframed Snappy.
 *
 * <p>Writing uses {@link SnappyOutputStream}. Reading walks the framing here instead of through
 * {@code SnappyInputStream}, which sizes its buffers from the chunk lengths in the input: each
 * chunk's length is checked against the bytes present and its uncompressed size against the
 * caller's limit, and against the most its bytes can expand to, before anything is allocated.
 */
public final class SnappyCodec implements CompressionCodec {
    static final SnappyCodec INSTANCE = new SnappyCodec();

    private static final byte[] MAGIC = {(byte) 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    private static final int HEADER_SIZE = MAGIC.length + 8;
    /**
     * Snappy's densest element is a copy with a two-byte offset: three bytes for up to 64 bytes
     * out, so no block expands by more than this factor.
     */
    private static final int MAX_RATIO = 22;

    private SnappyCodec() {
    }

    @Override
    public CompressionType type() {
        return CompressionType.SNAPPY;
    }

    @Override
    public ByteBuffer compress(ByteBuffer uncompressed) {
        ByteRange in = ByteRange.of(uncompressed);
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, in.length() / 2));
        try (SnappyOutputStream snappy = new SnappyOutputStream(out)) {
            snappy.write(in.array(), in.offset(), in.length());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ByteBuffer.wrap(out.toByteArray());
    }

    @Override
    public InputStream decompressingStream(ByteBuffer compressed, int maxDecompressedBytes) {
        if (maxDecompressedBytes < 0) {
            throw new IllegalArgumentException("negative decompression limit " + maxDecompressedBytes);
        }
        return new ChunkInputStream(ByteRange.of(compressed), maxDecompressedBytes);
    }

    /** Decodes one chunk (or the single unframed block) at a time. */
    private static final class ChunkInputStream extends BlockInputStream {
        private final byte[] src;
        private final int end;
        private final int limit;
        private final boolean framed;
        private int pos;
        private byte[] chunk = new byte[0];
        private long produced;

        ChunkInputStream(ByteRange in, int limit) {
            this.src = in.array();
            this.pos = in.offset();
            this.end = in.end();
            this.limit = limit;
            this.framed = hasMagic(src, pos, end);
        }

        @Override
        protected void nextBlock() {
            if (!framed) {
                finished();
                uncompress(pos, end - pos);
                return;
            }
            while (pos < end && hasMagic(src, pos, end)) {
                if (end - pos < HEADER_SIZE) {
                    throw new MalformedDataException("snappy stream header is truncated");
                }
                pos += HEADER_SIZE;
            }
            if (pos == end) {
                finished();
                return;
            }
            if (end - pos < 4) {
                throw new MalformedDataException("snappy chunk length is truncated");
            }
            int chunkLength = ByteBuffer.wrap(src, pos, 4).getInt();
            pos += 4;
            if (chunkLength <= 0 || chunkLength > end - pos) {
                throw new MalformedDataException("snappy chunk claims " + chunkLength + " bytes but "
                    + (end - pos) + " remain");
            }
            uncompress(pos, chunkLength);
            pos += chunkLength;
        }

        private void uncompress(int offset, int length) {
            try {
                // The block's varint preamble declares its uncompressed length: checked against the
                // limit and against the most the block's bytes could expand to before it sizes the
                // buffer, and Snappy never writes past what it declares.
                int declared = Snappy.uncompressedLength(src, offset, length);
                if (declared < 0 || declared > limit - produced) {
                    throw new DecompressionLimitException("snappy", limit);
                }
                if (declared > (long) length * MAX_RATIO) {
                    throw new MalformedDataException("snappy block of " + length + " bytes claims " + declared
                        + " bytes uncompressed, more than it can encode");
                }
                if (chunk.length < declared) {
                    chunk = new byte[declared];
                }
                int written = Snappy.uncompress(src, offset, length, chunk, 0);
                if (written != declared) {
                    throw new MalformedDataException("snappy block produced " + written + " bytes but declared "
                        + declared);
                }
                produced += written;
                publish(chunk, 0, written);
            } catch (IOException e) {
                throw new MalformedDataException("corrupt snappy block: " + e.getMessage(), e);
            }
        }
    }

    private static boolean hasMagic(byte[] src, int pos, int end) {
        if (end - pos < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (src[pos + i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }
}
