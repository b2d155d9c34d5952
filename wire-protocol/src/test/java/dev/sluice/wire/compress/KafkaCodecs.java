package dev.sluice.wire.compress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.ByteBufferOutputStream;

/** Kafka's own codec streams, as the reference the Sluice codecs must agree with. */
final class KafkaCodecs {
    private static final byte MAGIC_V2 = 2;

    private KafkaCodecs() {
    }

    static Compression kafkaCompression(CompressionType type) {
        return switch (type) {
            case NONE -> Compression.NONE;
            case GZIP -> Compression.gzip().build();
            case SNAPPY -> Compression.snappy().build();
            case LZ4 -> Compression.lz4().build();
            case ZSTD -> Compression.zstd().build();
        };
    }

    static byte[] compress(CompressionType type, byte[] data) {
        ByteBufferOutputStream buffer = new ByteBufferOutputStream(256);
        try (OutputStream out = kafkaCompression(type).wrapForOutput(buffer, MAGIC_V2)) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer result = buffer.buffer().flip();
        byte[] bytes = new byte[result.remaining()];
        result.get(bytes);
        return bytes;
    }

    static byte[] decompress(CompressionType type, byte[] compressed) {
        try (InputStream in = kafkaCompression(type).wrapForInput(ByteBuffer.wrap(compressed), MAGIC_V2,
            BufferSupplier.NO_CACHING)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
