package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.broker.SluiceBroker;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.ResourceNotFoundException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SASL listeners configured as a Kafka user configures them: PLAIN users in the listener's JAAS
 * setting, SCRAM users created through AlterUserScramCredentials (the Admin API and
 * {@code kafka-configs}), OAUTHBEARER in Kafka's unsecured development mode, SASL over TLS, and
 * re-authentication. Wrong passwords and unknown users are refused with
 * SASL_AUTHENTICATION_FAILED; a request sent before authentication closes the connection.
 */
class SaslTest {
    /** Debian's packages install into the system Python, which another python3 on the PATH would not see. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final String PLAIN_JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
        + "username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\" user_alice=\"alice-secret\";";

    @TempDir
    static Path dir;
    private static TestCertificates certs;
    private static SluiceBroker broker;

    @BeforeAll
    static void start() throws IOException {
        certs = TestCertificates.create(dir);
        Path serverStore = certs.keystore("broker", "CN=localhost");
        broker = SluiceBroker.builder()
            .config("listeners", "SASL_PLAINTEXT://localhost:0,SASL_SSL://localhost:0,REAUTH://localhost:0")
            .config("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,"
                + "REAUTH:SASL_PLAINTEXT")
            .config("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER")
            .config("listener.name.sasl_plaintext.plain.sasl.jaas.config", PLAIN_JAAS)
            .config("listener.name.sasl_ssl.plain.sasl.jaas.config", PLAIN_JAAS)
            .config("listener.name.reauth.plain.sasl.jaas.config", PLAIN_JAAS)
            .config("listener.name.reauth.connections.max.reauth.ms", "1000")
            .config("ssl.keystore.type", "PKCS12")
            .config("ssl.keystore.location", serverStore.toString())
            .config("ssl.keystore.password", TestCertificates.PASSWORD)
            .config("connection.failed.authentication.delay.ms", "50")
            .start();
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Map<String, Object> client(String listener, String mechanism, String jaas) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(listener));
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, listener.equals("SASL_SSL") ? "SASL_SSL" : "SASL_PLAINTEXT");
        props.put(SaslConfigs.SASL_MECHANISM, mechanism);
        props.put(SaslConfigs.SASL_JAAS_CONFIG, jaas);
        props.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        if (listener.equals("SASL_SSL")) {
            props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
            props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, certs.truststore().toString());
            props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        }
        return props;
    }

    private static String plain(String user, String password) {
        return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
            + "\" password=\"" + password + "\";";
    }

    private static String scram(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
            + "\" password=\"" + password + "\";";
    }

    private static Admin admin() {
        return Admin.create(client("SASL_PLAINTEXT", "PLAIN", plain("admin", "admin-secret")));
    }

    @Test
    void plainUsersFromTheJaasSettingProduceAndConsume() throws Exception {
        Map<String, Object> alice = client("SASL_PLAINTEXT", "PLAIN", plain("alice", "alice-secret"));
        roundTrip(alice, "plain-records");
    }

    @Test
    void aWrongPasswordOrUnknownUserIsRefused() {
        for (String jaas : List.of(plain("alice", "wrong"), plain("mallory", "alice-secret"))) {
            try (Admin admin = Admin.create(client("SASL_PLAINTEXT", "PLAIN", jaas))) {
                ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
                assertInstanceOf(SaslAuthenticationException.class, e.getCause(), e.toString());
            }
        }
    }

    @Test
    void scramUsersCreatedThroughTheAdminApiAuthenticateOverPlaintextAndTls() throws Exception {
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(
                new UserScramCredentialUpsertion("carol", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192),
                    "carol-secret"),
                new UserScramCredentialUpsertion("carol", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                    "carol-secret-512"))).all().get(30, TimeUnit.SECONDS);
            UserScramCredentialsDescription described = admin.describeUserScramCredentials(List.of("carol"))
                .description("carol").get(30, TimeUnit.SECONDS);
            assertEquals(2, described.credentialInfos().size(), described.toString());
        }
        roundTrip(client("SASL_PLAINTEXT", "SCRAM-SHA-256", scram("carol", "carol-secret")), "scram-256-records");
        roundTrip(client("SASL_SSL", "SCRAM-SHA-512", scram("carol", "carol-secret-512")), "scram-512-records");
        try (Admin wrong = Admin.create(client("SASL_SSL", "SCRAM-SHA-256", scram("carol", "carol-secret-512")))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                () -> wrong.describeCluster().nodes().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, e.getCause(), e.toString());
        }

        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialDeletion("carol",
                ScramMechanism.SCRAM_SHA_256))).all().get(30, TimeUnit.SECONDS);
            ExecutionException missing = assertThrows(ExecutionException.class, () -> admin.alterUserScramCredentials(
                List.of(new UserScramCredentialDeletion("nobody", ScramMechanism.SCRAM_SHA_256))).all()
                .get(30, TimeUnit.SECONDS));
            assertInstanceOf(ResourceNotFoundException.class, missing.getCause(), missing.toString());
        }
        try (Admin deleted = Admin.create(client("SASL_PLAINTEXT", "SCRAM-SHA-256", scram("carol", "carol-secret")))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                () -> deleted.describeCluster().nodes().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, e.getCause(), e.toString());
        }
    }

    @Test
    void kafkaConfigsCreatesScramUsers() throws Exception {
        Path commandConfig = dir.resolve("admin.properties");
        Files.writeString(commandConfig, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
            + plain("admin", "admin-secret") + "\n");
        KafkaTool.run("org.apache.kafka.tools.ConfigCommand", "--bootstrap-server", broker.bootstrapServers("SASL_PLAINTEXT"),
            "--command-config", commandConfig.toString(), "--alter", "--add-config",
            "SCRAM-SHA-256=[iterations=4096,password=dave-secret]", "--entity-type", "users", "--entity-name", "dave")
            .assertSuccess();
        KafkaTool.Result described = KafkaTool.run("org.apache.kafka.tools.ConfigCommand", "--bootstrap-server",
            broker.bootstrapServers("SASL_PLAINTEXT"), "--command-config", commandConfig.toString(), "--describe",
            "--entity-type", "users", "--entity-name", "dave").assertSuccess();
        assertTrue(described.out().contains("SCRAM-SHA-256=iterations=4096"), described.toString());
        try (Admin dave = Admin.create(client("SASL_PLAINTEXT", "SCRAM-SHA-256", scram("dave", "dave-secret")))) {
            assertEquals(1, dave.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
        }
    }

    @Test
    void kcatAuthenticatesWithPlainAndScramOverTls() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Kcat.installed(), "kcat not installed");
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("frank",
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "frank-secret"))).all().get(30, TimeUnit.SECONDS);
            admin.createTopics(List.of(new NewTopic("kcat-sasl", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        String bootstrap = broker.bootstrapServers("SASL_SSL");
        String[] tls = {"-X", "security.protocol=SASL_SSL", "-X", "ssl.ca.location=" + certs.caPem()};
        List<String> plain = new ArrayList<>(List.of(tls));
        plain.addAll(List.of("-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret"));
        List<String> scram = new ArrayList<>(List.of(tls));
        scram.addAll(List.of("-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=frank", "-X",
            "sasl.password=frank-secret"));

        List<String> produce = new ArrayList<>(plain);
        produce.addAll(List.of("-P", "-t", "kcat-sasl", "-p", "0"));
        Kcat.run(bootstrap, "one\ntwo\nthree\n", produce.toArray(String[]::new)).assertSuccess();
        List<String> consume = new ArrayList<>(scram);
        consume.addAll(List.of("-C", "-t", "kcat-sasl", "-p", "0", "-o", "beginning", "-e", "-f", "%s\\n"));
        Kcat.Run read = Kcat.run(bootstrap, "", consume.toArray(String[]::new)).assertSuccess();
        assertEquals(List.of("one", "two", "three"), read.out().lines().filter(l -> !l.isBlank()).toList());

        List<String> wrong = new ArrayList<>(List.of(tls));
        wrong.addAll(List.of("-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=frank", "-X",
            "sasl.password=guess", "-L"));
        Kcat.Run refused = Kcat.run(bootstrap, "", wrong.toArray(String[]::new));
        assertTrue(refused.exitCode() != 0 && refused.err().contains("Authentication failed"), refused.toString());
    }

    @Test
    void kafkaJsAuthenticatesWithPlainAndScramOverTls() throws Exception {
        KafkaJsGroupConsumerTest.installKafkaJs();
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("gina",
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), "gina-secret"))).all().get(30, TimeUnit.SECONDS);
            admin.createTopics(List.of(new NewTopic("kafkajs-sasl", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        String[][] runs = {{"plain", "alice", "alice-secret", "done 5"}, {"scram-sha-256", "gina", "gina-secret", "done 10"}};
        for (String[] run : runs) {
            GroupConsumerCompatibility.SetupRun ok = kafkaJs(run[0], run[1], run[2]);
            assertTrue(ok.succeeded() && ok.output().contains(run[3]), String.join(" ", run) + ":\n" + ok.output());
        }
        GroupConsumerCompatibility.SetupRun wrong = kafkaJs("scram-sha-256", "gina", "guess");
        assertTrue(!wrong.succeeded() && wrong.output().contains("SASL"), wrong.output());
    }

    private static GroupConsumerCompatibility.SetupRun kafkaJs(String mechanism, String user, String password) {
        java.nio.file.Path dir = KafkaJsGroupConsumerTest.installed();
        return GroupConsumerCompatibility.setup(dir, Map.of(), Duration.ofSeconds(60), "node",
            dir.resolve("sasl-client.js").toString(), broker.bootstrapServers("SASL_SSL"), certs.caPem().toString(),
            mechanism, user, password, "kafkajs-sasl", "5");
    }

    @Test
    void kafkaPythonAuthenticatesWithPlainAndScramOverTls() throws Exception {
        assumeTrue(GroupConsumerCompatibility.runs(PYTHON, "-c", "import kafka"),
            "kafka-python not installed (Debian: python3-kafka)");
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("hugo",
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "hugo-secret"))).all().get(30, TimeUnit.SECONDS);
            admin.createTopics(List.of(new NewTopic("python-sasl-plain", 1, (short) 1),
                new NewTopic("python-sasl-scram", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        GroupConsumerCompatibility.SetupRun plain = kafkaPython("PLAIN", "alice", "alice-secret", "python-sasl-plain");
        assertTrue(plain.succeeded() && plain.output().contains("consumed 5"), plain.output());
        GroupConsumerCompatibility.SetupRun scram = kafkaPython("SCRAM-SHA-512", "hugo", "hugo-secret", "python-sasl-scram");
        assertTrue(scram.succeeded() && scram.output().contains("consumed 5"), scram.output());
        GroupConsumerCompatibility.SetupRun wrong = kafkaPython("SCRAM-SHA-512", "hugo", "guess", "python-sasl-scram");
        assertTrue(!wrong.succeeded() && wrong.output().contains("failed"), wrong.output());
    }

    private static GroupConsumerCompatibility.SetupRun kafkaPython(String mechanism, String user, String password,
                                                                   String topic) {
        java.nio.file.Path script = GroupConsumerCompatibility.moduleDir()
            .resolve("src/test/clients/kafka-python/sasl_client.py");
        return GroupConsumerCompatibility.setup(script.getParent(), Map.of(), Duration.ofSeconds(90), PYTHON,
            script.toString(), broker.bootstrapServers("SASL_SSL"), certs.caPem().toString(), mechanism, user, password,
            topic, "5");
    }

    @Test
    void unsecuredOauthBearerTokensAuthenticate() throws Exception {
        String jaas = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
            + "unsecuredLoginStringClaim_sub=\"erin\";";
        roundTrip(client("SASL_PLAINTEXT", "OAUTHBEARER", jaas), "oauth-records");
    }

    @Test
    void clientsReauthenticateWhenTheirSessionEnds() throws Exception {
        Map<String, Object> alice = client("REAUTH", "PLAIN", plain("alice", "alice-secret"));
        String topic = "reauth-records";
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> props = new HashMap<>(alice);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        // Sessions of one second: over four seconds the producer re-authenticates several times on
        // the same connection, and every send still succeeds.
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            int sent = 0;
            while (System.nanoTime() < end) {
                producer.send(new ProducerRecord<>(topic, 0, null, "v" + sent++)).get(30, TimeUnit.SECONDS);
                Thread.sleep(50);
            }
            assertTrue(sent > 20, "only " + sent + " sends in four seconds");
        }
    }

    @Test
    void aRequestBeforeAuthenticationClosesTheConnection() throws Exception {
        // A Metadata v1 request for all topics, sent without authenticating first.
        ByteBuffer metadata = ByteBuffer.allocate(4 + 14).putInt(14).putShort((short) 3).putShort((short) 1)
            .putInt(7).putShort((short) -1).putInt(-1);
        assertClosedAfter(metadata.array());
        // A SaslHandshake whose frame exceeds sasl.server.max.receive.size (512 KiB).
        ByteBuffer oversized = ByteBuffer.allocate(8).putInt(600 * 1024).putShort((short) 17).putShort((short) 1);
        assertClosedAfter(oversized.array());
        try (Admin admin = admin()) {
            assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
        }
    }

    /** A request frame with a v1 header (no client id): key, version, correlation id, then {@code body}. */
    private static byte[] frame(int apiKey, int version, int correlationId, byte[] body) {
        ByteBuffer out = ByteBuffer.allocate(4 + 10 + body.length).putInt(10 + body.length).putShort((short) apiKey)
            .putShort((short) version).putInt(correlationId).putShort((short) -1).put(body);
        return out.array();
    }

    private static byte[] handshake(String mechanism) {
        byte[] name = mechanism.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return frame(17, 1, 1, ByteBuffer.allocate(2 + name.length).putShort((short) name.length).put(name).array());
    }

    /** Reads one response frame; its body after the correlation id. */
    private static ByteBuffer response(java.io.DataInputStream in) throws IOException {
        byte[] body = new byte[in.readInt()];
        in.readFully(body);
        return ByteBuffer.wrap(body, 4, body.length - 4).slice();
    }

    @Test
    void hostileSaslInputEndsOnlyItsOwnConnection() throws Exception {
        String[] address = broker.bootstrapServers("SASL_PLAINTEXT").split(":");
        // Handshakes over and over on one connection: the second is out of turn and closes it.
        try (Socket socket = new Socket(address[0], Integer.parseInt(address[1]))) {
            socket.setSoTimeout(10_000);
            java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
            socket.getOutputStream().write(handshake("PLAIN"));
            assertEquals(0, response(in).getShort(), "the first handshake is accepted");
            for (int i = 0; i < 50; i++) {
                try {
                    socket.getOutputStream().write(handshake("PLAIN"));
                } catch (IOException closed) {
                    break;
                }
            }
            assertEquals(-1, in.read(), "a handshake out of turn was answered");
        }
        // Garbage where PLAIN's token belongs: SASL_AUTHENTICATION_FAILED, then the connection closes.
        try (Socket socket = new Socket(address[0], Integer.parseInt(address[1]))) {
            socket.setSoTimeout(10_000);
            java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
            socket.getOutputStream().write(handshake("PLAIN"));
            response(in);
            byte[] garbage = new byte[300];
            new java.util.Random(7).nextBytes(garbage);
            socket.getOutputStream().write(frame(36, 0, 2, ByteBuffer.allocate(4 + garbage.length)
                .putInt(garbage.length).put(garbage).array()));
            assertEquals(58, response(in).getShort(), "SASL_AUTHENTICATION_FAILED");
            assertEquals(-1, in.read(), "the connection stayed open after a failed authentication");
        }
        // An unknown mechanism: UNSUPPORTED_SASL_MECHANISM with the enabled ones, then closed.
        try (Socket socket = new Socket(address[0], Integer.parseInt(address[1]))) {
            socket.setSoTimeout(10_000);
            java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
            socket.getOutputStream().write(handshake("GSSAPI"));
            assertEquals(33, response(in).getShort(), "UNSUPPORTED_SASL_MECHANISM");
            assertEquals(-1, in.read());
        }
        try (Admin admin = admin()) {
            assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
        }
    }

    private static void assertClosedAfter(byte[] bytes) throws IOException {
        String[] address = broker.bootstrapServers("SASL_PLAINTEXT").split(":");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address[0], Integer.parseInt(address[1])), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(bytes);
            InputStream in = socket.getInputStream();
            assertEquals(-1, in.read(), "the broker answered instead of closing the connection");
        }
    }

    private static void roundTrip(Map<String, Object> client, String topic) throws Exception {
        try (Admin admin = Admin.create(client)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sent.add(topic + "-" + i);
        }
        KafkaClients.produce(client, topic, sent);
        List<String> read = KafkaClients.consume(client, topic, sent.size());
        assertEquals(sent, read);
    }
}
