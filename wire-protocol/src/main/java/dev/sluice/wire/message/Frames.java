package dev.sluice.wire.message;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.codec.ByteWriter;
import dev.sluice.wire.codec.MalformedDataException;
import dev.sluice.wire.codec.UnsupportedVersionException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Request and response framing. On the wire each frame is an int32 size followed by that many
 * bytes: a header, then the body. A request header's version depends on the API and its version
 * (flexible versions use header v2, with tagged fields), and a response header's likewise, except
 * that ApiVersions responses always use header v0. The methods here work on the bytes after the
 * size prefix; splitting a stream into frames is the transport's job.
 */
public final class Frames {
    /** Size of the length prefix in front of every frame. */
    public static final int SIZE_PREFIX = 4;

    private Frames() {
    }

    /**
     * Reads a request header from the start of a frame, leaving the buffer at the body. The header
     * version follows from the API key and version found in its first four bytes; an API key the
     * schemas do not define, or a version outside them, still yields a header (read as v1 or, for
     * versions past the flexible threshold, v2) so that the caller can answer or log with the
     * correlation id. Versions are checked by {@link #readRequestBody}.
     */
    public static RequestHeader readRequestHeader(ByteBuffer frame) {
        if (frame.remaining() < 4) {
            throw new MalformedDataException("a request frame of " + frame.remaining() + " bytes has no room for a header");
        }
        short apiKey = frame.getShort(frame.position());
        short apiVersion = frame.getShort(frame.position() + 2);
        short headerVersion = ApiKey.forId(apiKey).map(k -> k.requestHeaderVersion(apiVersion)).orElse((short) 1);
        return new RequestHeader(new ByteReader(frame), headerVersion);
    }

    /** The API key a header names, if the schemas define it. */
    public static Optional<ApiKey> apiKey(RequestHeader header) {
        return ApiKey.forId(header.requestApiKey());
    }

    /**
     * Reads the body that follows {@code header}. Bytes left after the body are tolerated, as
     * Kafka does, so a newer client's trailing additions do not break older brokers.
     *
     * @throws UnsupportedVersionException if the API or its version is not in the schemas
     * @throws MalformedDataException if the body does not decode
     */
    public static ApiMessage readRequestBody(RequestHeader header, ByteBuffer frame) {
        ApiKey key = apiKey(header).orElseThrow(
            () -> new UnsupportedVersionException("unknown API key " + header.requestApiKey()));
        short version = header.requestApiVersion();
        if (!key.hasVersion(version)) {
            throw new UnsupportedVersionException(key.displayName() + " v" + version + " is not a version of the protocol ("
                + key.lowestVersion() + "-" + key.highestVersion() + ")");
        }
        ApiMessage body = key.newRequest();
        body.read(new ByteReader(frame), version);
        return body;
    }

    /** A complete request frame, size prefix included, ready to send. */
    public static ByteBuffer writeRequest(RequestHeader header, ApiMessage body) {
        ApiKey key = body.apiKey();
        short version = header.requestApiVersion();
        return frame(header, key.requestHeaderVersion(version), body, version);
    }

    /** A complete response frame, size prefix included, ready to send. */
    public static ByteBuffer writeResponse(int correlationId, ApiMessage body, short version) {
        ResponseHeader header = new ResponseHeader().setCorrelationId(correlationId);
        return frame(header, body.apiKey().responseHeaderVersion(version), body, version);
    }

    /**
     * A response frame whose records that are not in memory are left out of the buffer, to be
     * sent from where they are: the frame is the buffer with each splice's records inserted at its
     * position. The size prefix counts the spliced bytes.
     *
     * @param splicedBytes the total size of the records that will be left out; the caller knows
     *                     them (they are what it put in the response), and the buffer is sized
     *                     without them
     */
    public static SplicedFrame writeSplicedResponse(int correlationId, ApiMessage body, short version, int splicedBytes) {
        ResponseHeader header = new ResponseHeader().setCorrelationId(correlationId);
        short headerVersion = body.apiKey().responseHeaderVersion(version);
        int size = header.size(headerVersion) + body.size(version);
        ByteBuffer buffer = ByteBuffer.allocate(SIZE_PREFIX + size - splicedBytes);
        buffer.putInt(size);
        List<ByteWriter.Splice> splices = new ArrayList<>();
        ByteWriter out = new ByteWriter(buffer, splices);
        header.write(out, headerVersion);
        body.write(out, version);
        int spliced = 0;
        for (ByteWriter.Splice s : splices) {
            spliced += s.records().sizeInBytes();
        }
        if (spliced != splicedBytes || buffer.hasRemaining()) {
            throw new IllegalStateException("spliced " + spliced + " bytes where " + splicedBytes + " were announced");
        }
        return new SplicedFrame(buffer.flip(), List.copyOf(splices));
    }

    /** A response buffer plus the records to insert into it, in position order. */
    public record SplicedFrame(ByteBuffer buffer, List<ByteWriter.Splice> splices) {
        /** Bytes on the wire, spliced records included. */
        public int sizeInBytes() {
            int size = buffer.remaining();
            for (ByteWriter.Splice s : splices) {
                size += s.records().sizeInBytes();
            }
            return size;
        }
    }

    /** Reads a response header of the version {@code key} uses at {@code version}, leaving the buffer at the body. */
    public static ResponseHeader readResponseHeader(ByteBuffer frame, ApiKey key, short version) {
        return new ResponseHeader(new ByteReader(frame), key.responseHeaderVersion(version));
    }

    private static ByteBuffer frame(Message header, short headerVersion, ApiMessage body, short version) {
        int size = header.size(headerVersion) + body.size(version);
        ByteBuffer buffer = ByteBuffer.allocate(SIZE_PREFIX + size);
        buffer.putInt(size);
        ByteWriter out = new ByteWriter(buffer);
        header.write(out, headerVersion);
        body.write(out, version);
        return buffer.flip();
    }
}
