package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.wire.codec.ByteReader;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ApiMessage;
import dev.sluice.wire.message.Frames;
import dev.sluice.wire.message.RequestHeader;
import dev.sluice.wire.message.ResponseHeader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A blocking socket that speaks the Kafka protocol one frame at a time, with no client library in
 * between, so tests can send exactly the bytes they mean (including wrong ones). Every read has a
 * deadline: a broker that neither answers nor closes fails the test instead of hanging it.
 */
final class RawConnection implements AutoCloseable {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int nextCorrelationId = 1;

    RawConnection(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) READ_TIMEOUT.toMillis());
        socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** A header for {@code version} of the API {@code body} belongs to, with a fresh correlation id. */
    RequestHeader header(ApiMessage body, int version) {
        return new RequestHeader().setRequestApiKey(body.apiKey().id()).setRequestApiVersion((short) version)
            .setCorrelationId(nextCorrelationId++).setClientId("raw-test");
    }

    /** Sends a request without waiting; returns its correlation id. */
    int send(ApiMessage body, int version) throws IOException {
        RequestHeader header = header(body, version);
        sendBytes(Frames.writeRequest(header, body));
        return header.correlationId();
    }

    void sendBytes(ByteBuffer bytes) throws IOException {
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        sendBytes(copy);
    }

    void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads the next response frame (without its size prefix). */
    ByteBuffer readFrame() throws IOException {
        int size = in.readInt();
        if (size < 0 || size > 64 * 1024 * 1024) {
            fail("the broker sent a frame size of " + size);
        }
        byte[] frame = new byte[size];
        in.readFully(frame);
        return ByteBuffer.wrap(frame);
    }

    /**
     * Reads the next response, checks it answers {@code correlationId}, and decodes its body as
     * {@code key}'s response at {@code version}.
     */
    <T extends ApiMessage> T receive(int correlationId, ApiKey key, int version, Class<T> type) throws IOException {
        ByteBuffer frame = readFrame();
        ResponseHeader header = Frames.readResponseHeader(frame, key, (short) version);
        assertEquals(correlationId, header.correlationId(), "correlation id of the next response");
        ApiMessage body = key.newResponse();
        body.read(new ByteReader(frame), (short) version);
        return type.cast(body);
    }

    /** Sends a request and waits for its answer. */
    <T extends ApiMessage> T roundTrip(ApiMessage request, int version, Class<T> type) throws IOException {
        int id = send(request, version);
        return receive(id, request.apiKey(), version, type);
    }

    /**
     * Asserts the broker closes this connection without sending anything: the next read sees end of
     * stream or a reset before the read timeout.
     */
    void assertClosedByBroker(String why) throws IOException {
        try {
            int b = in.read();
            if (b != -1) {
                fail(why + ": expected the broker to close the connection, but it sent data");
            }
        } catch (SocketTimeoutException e) {
            fail(why + ": the connection was still open after " + READ_TIMEOUT.toSeconds() + " s");
        } catch (SocketException | EOFException e) {
            // A reset is as good as a close: the broker dropped the connection.
        }
    }

    /** Whether a response (any byte) arrives within {@code wait}; nothing is consumed if none does. */
    boolean answersWithin(Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        try {
            in.mark(1);
            return in.read() >= 0;
        } catch (SocketTimeoutException e) {
            return false;
        } finally {
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
