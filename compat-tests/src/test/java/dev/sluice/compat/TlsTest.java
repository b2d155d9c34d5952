package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS listeners configured with Kafka's {@code ssl.*} keys, certificates made by the test's own
 * CA: the official client produces and consumes over TLS (fetches large enough to come from
 * segment files, which plaintext sends with sendfile), PEM keys given inline, a required client
 * certificate refusing a client without one, and plaintext bytes on the TLS port closing only
 * that connection.
 */
class TlsTest {
    @TempDir
    static Path dir;
    private static TestCertificates certs;
    private static Path serverStore;
    private static Path clientStore;
    private static SluiceBroker broker;

    @BeforeAll
    static void start() throws IOException {
        certs = TestCertificates.create(dir);
        serverStore = certs.keystore("broker", "CN=localhost,O=Sluice");
        clientStore = certs.keystore("client", "CN=alice,OU=test,O=Sluice");
        broker = SluiceBroker.builder()
            .config("listeners", "PLAINTEXT://localhost:0,SSL://localhost:0,MTLS://localhost:0")
            .config("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL")
            .config("ssl.keystore.type", "PKCS12")
            .config("ssl.keystore.location", serverStore.toString())
            .config("ssl.keystore.password", TestCertificates.PASSWORD)
            .config("ssl.key.password", TestCertificates.PASSWORD)
            .config("ssl.truststore.type", "PKCS12")
            .config("ssl.truststore.location", certs.truststore().toString())
            .config("ssl.truststore.password", TestCertificates.PASSWORD)
            .config("listener.name.mtls.ssl.client.auth", "required")
            .start();
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Map<String, Object> tlsClient(String listener, boolean withCertificate) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(listener));
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
        props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, certs.truststore().toString());
        props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        if (withCertificate) {
            props.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12");
            props.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, clientStore.toString());
            props.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
            props.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        }
        return props;
    }

    @Test
    void javaClientsProduceAndConsumeOverTls() throws Exception {
        String topic = "tls-records";
        try (Admin admin = Admin.create(tlsClient("SSL", false))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        List<String> sent = produce(tlsClient("SSL", false), topic, 3000);
        // Read over TLS from the start: the fetches come from the segment files.
        assertEquals(sent, consume(tlsClient("SSL", false), topic, sent.size()));
        // What TLS wrote reads back the same over plaintext, and the other way round.
        Map<String, Object> plain = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers("PLAINTEXT"));
        assertEquals(sent, consume(new HashMap<>(plain), topic, sent.size()));
    }

    @Test
    void pemKeysGivenInlineServeTls() throws Exception {
        TestCertificates.Pem pem = TestCertificates.pem(serverStore, "broker");
        String ca = java.nio.file.Files.readString(certs.caPem());
        try (SluiceBroker pemBroker = SluiceBroker.builder()
                .config("listeners", "SSL://localhost:0")
                .config("ssl.keystore.type", "PEM")
                .config("ssl.keystore.key", pem.key())
                .config("ssl.keystore.certificate.chain", pem.chain())
                .start()) {
            Map<String, Object> props = new HashMap<>();
            props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, pemBroker.bootstrapServers("SSL"));
            props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
            props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
            props.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, ca);
            String topic = "pem-records";
            try (Admin admin = Admin.create(props)) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
            }
            List<String> sent = produce(props, topic, 100);
            assertEquals(sent, consume(props, topic, sent.size()));
        }
    }

    @Test
    void aRequiredClientCertificateRefusesClientsWithoutOne() throws Exception {
        Map<String, Object> without = tlsClient("MTLS", false);
        without.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        try (Admin admin = Admin.create(without)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                () -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SslAuthenticationException.class, e.getCause(), e.toString());
        }
        try (Admin admin = Admin.create(tlsClient("MTLS", true))) {
            assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
        }
    }

    @Test
    void plaintextBytesOnTheTlsPortCloseOnlyThatConnection() throws Exception {
        String[] address = broker.bootstrapServers("SSL").split(":");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address[0], Integer.parseInt(address[1])), 5_000);
            socket.setSoTimeout(10_000);
            // An ApiVersions v0 request in the clear.
            ByteBuffer frame = ByteBuffer.allocate(4 + 10).putInt(10).putShort((short) 18).putShort((short) 0)
                .putInt(1).putShort((short) -1);
            socket.getOutputStream().write(frame.array());
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[1024];
            int total = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                total += n;
                assertTrue(total < 64 * 1024, "the broker kept answering plaintext on its TLS port");
            }
        }
        try (Admin admin = Admin.create(tlsClient("SSL", false))) {
            assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
        }
    }

    private static List<String> produce(Map<String, Object> client, String topic, int count) {
        List<String> sent = new ArrayList<>();
        String padding = "x".repeat(900);
        for (int i = 0; i < count; i++) {
            sent.add("record-" + i + "-" + padding);
        }
        KafkaClients.produce(client, topic, sent);
        return sent;
    }

    private static List<String> consume(Map<String, Object> client, String topic, int count) {
        return KafkaClients.consume(client, topic, count);
    }
}
