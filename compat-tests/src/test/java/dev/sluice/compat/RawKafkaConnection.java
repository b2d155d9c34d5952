package dev.sluice.compat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;

/**
 * One plain socket to a broker that sends requests the official Admin client cannot or will not
 * send (legacy AlterConfigs, which Kafka 4's Admin dropped; a resource named twice), written and
 * read with kafka-clients' own serializers. One request at a time; not thread-safe.
 */
public final class RawKafkaConnection implements AutoCloseable {
    private final Socket socket;
    private final String clientId;
    private final DataInputStream in;
    private final DataOutputStream out;
    private int correlationId;

    RawKafkaConnection(String host, int port) throws IOException {
        this(connect(host, port), "sluice-compat-raw");
    }

    /** Requests on {@code socket} (connected, and past its TLS handshake if any) with {@code clientId}. */
    public RawKafkaConnection(Socket socket, String clientId) throws IOException {
        this.socket = socket;
        this.clientId = clientId;
        socket.setSoTimeout(30_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    private static Socket connect(String host, int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), 10_000);
        return socket;
    }

    /** Sends {@code body} at {@code version} and returns the response body. */
    @SuppressWarnings("unchecked")
    public <T extends ApiMessage> T send(ApiKeys api, int version, ApiMessage body) throws IOException {
        RequestHeader header = new RequestHeader(api, (short) version, clientId, ++correlationId);
        ByteBuffer frame = RequestUtils.serialize(header.data(), header.headerVersion(), body, (short) version);
        out.writeInt(frame.remaining());
        out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
        out.flush();
        byte[] response = new byte[in.readInt()];
        in.readFully(response);
        return (T) AbstractResponse.parseResponse(ByteBuffer.wrap(response), header).data();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
