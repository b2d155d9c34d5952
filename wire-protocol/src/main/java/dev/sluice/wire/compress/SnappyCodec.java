package dev.sluice.wire.compress;

import dev.sluice.wire.codec.MalformedDataException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
 * caller's limit before anything is allocated.
 */
public final class SnappyCodec implements CompressionCodec {
    static final SnappyCodec INSTANCE = new SnappyCodec();

    private static final byte[] MAGIC = {(byte) 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    private static final int HEADER_SIZE = MAGIC.length + 8;

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
    public ByteBuffer decompress(ByteBuffer compressed, int maxDecompressedBytes) {
        ByteRange in = ByteRange.of(compressed);
        BoundedSink sink = new BoundedSink("snappy", maxDecompressedBytes, in.length() * 4);
        byte[] src = in.array();
        int pos = in.offset();
        int end = in.end();
        if (!hasMagic(src, pos, end)) {
            uncompressBlock(src, pos, in.length(), sink);
            return sink.toByteBuffer();
        }
        while (pos < end) {
            if (hasMagic(src, pos, end)) {
                if (end - pos < HEADER_SIZE) {
                    throw new MalformedDataException("snappy stream header is truncated");
                }
                pos += HEADER_SIZE;
                continue;
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
            uncompressBlock(src, pos, chunkLength, sink);
            pos += chunkLength;
        }
        return sink.toByteBuffer();
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

    private static void uncompressBlock(byte[] src, int offset, int length, BoundedSink sink) {
        try {
            // The block's varint preamble declares its uncompressed length. It is checked against
            // the limit before the output grows, and Snappy never writes past what it declares.
            int uncompressedLength = Snappy.uncompressedLength(src, offset, length);
            sink.reserve(uncompressedLength);
            int written = Snappy.uncompress(src, offset, length, sink.array(), sink.size());
            if (written != uncompressedLength) {
                throw new MalformedDataException("snappy block produced " + written + " bytes but declared "
                    + uncompressedLength);
            }
            sink.advance(written);
        } catch (IOException e) {
            throw new MalformedDataException("corrupt snappy block: " + e.getMessage(), e);
        }
    }
}
