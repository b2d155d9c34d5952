package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node cluster of packaged brokers whose nodes talk to each other only over secured
 * listeners, as a Kafka user secures a cluster: the controllers' metadata quorum over mutual TLS
 * (an SSL controller listener), and an INTERNAL listener with TLS and SCRAM-SHA-512 as the
 * inter-broker listener, the brokers authenticate to it as user {@code broker} whose credential
 * lives in the cluster metadata, and replication flows over it. A
 * leader killed with -9 hands over to a follower that caught up through the secured listener.
 */
class ClusterSecurityTest {
    private static final String BROKER_PASSWORD = "broker-secret";

    @TempDir
    Path dir;

    @AutoClose
    final Closer closer = new Closer();

    /** Waits until the broker on {@code port} (localhost) describes a SCRAM credential of {@code user}. */
    private static void awaitScramUser(int port, String user) throws Exception {
        ProcessCluster.poll(Duration.ofSeconds(30), "the broker on port " + port + " knowing " + user, () -> {
            try (RawKafkaConnection raw = new RawKafkaConnection("localhost", port)) {
                org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData answer = raw.send(
                    org.apache.kafka.common.protocol.ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, 0,
                    new org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData().setUsers(List.of(
                        new org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData.UserName()
                            .setName(user))));
                return answer.results().size() == 1 && answer.results().get(0).errorCode() == 0
                    && !answer.results().get(0).credentialInfos().isEmpty();
            }
        });
    }

    private static String scram(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
            + "\" password=\"" + password + "\";";
    }

    private static Map<String, Object> saslSsl(ProcessCluster cluster, TestCertificates certs, String user,
                                               String password) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, cluster.internalBootstrapServers());
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        props.put(SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-512");
        props.put(SaslConfigs.SASL_JAAS_CONFIG, scram(user, password));
        props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
        props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, certs.truststore().toString());
        props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        return props;
    }

    @Test
    void brokersReplicateOverSaslSslAndFailOverToAFollowerThatCaughtUpThroughIt() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        Path keystore = certs.keystore("broker", "CN=localhost");
        ProcessCluster cluster = ProcessCluster.withInternalListener(dir, 3, "INTERNAL",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:SSL,INTERNAL:SASL_SSL",
            "inter.broker.listener.name=INTERNAL",
            "sasl.enabled.mechanisms=SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
            "listener.name.internal.scram-sha-512.sasl.jaas.config=" + scram("broker", BROKER_PASSWORD),
            "ssl.keystore.type=PKCS12",
            "ssl.keystore.location=" + keystore,
            "ssl.keystore.password=" + TestCertificates.PASSWORD,
            "ssl.truststore.type=PKCS12",
            "ssl.truststore.location=" + certs.truststore(),
            "ssl.truststore.password=" + TestCertificates.PASSWORD,
            "offsets.topic.replication.factor=3",
            "transaction.state.log.replication.factor=3",
            "transaction.state.log.min.isr=2");
        closer.add(cluster);
        // The metadata quorum formed over mutual TLS; a client without a certificate is refused.
        assertMutualTls(cluster.controllerAddress(1), certs, keystore);
        Admin admin = cluster.admin();
        // The brokers' own user, as kafka-configs --add-config 'SCRAM-SHA-512=[password=...]' makes it:
        // until it exists, their connections to each other are refused and they retry.
        admin.alterUserScramCredentials(List.of(
            new UserScramCredentialUpsertion("broker", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                BROKER_PASSWORD),
            new UserScramCredentialUpsertion("alice", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                "alice-secret"))).all().get(30, TimeUnit.SECONDS);
        // Each broker learns of the credentials from the metadata log a few milliseconds after the
        // controller answered, as in Kafka: alice's first login may reach any of them.
        for (int id = 1; id <= 3; id++) {
            awaitScramUser(cluster.brokerPort(id), "alice");
        }
        admin.createTopics(List.of(new NewTopic("secured", 1, (short) 3).configs(Map.of("min.insync.replicas", "3"))))
            .all().get(30, TimeUnit.SECONDS);
        cluster.awaitFullIsr("secured");

        Map<String, Object> alice = saslSsl(cluster, certs, "alice", "alice-secret");
        Map<String, Object> producerProps = new HashMap<>(alice);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
            // min.insync.replicas=3: each write is acknowledged only once both followers fetched it over SASL_SSL.
            for (int i = 0; i < 200; i++) {
                sent.add("record-" + i);
                try {
                    producer.send(new ProducerRecord<>("secured", 0, null, "record-" + i)).get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("record " + i + " was not acknowledged; the brokers said:\n"
                        + cluster.output().lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")
                            || l.contains("PeerConnection") || l.startsWith("---")).collect(
                                java.util.stream.Collectors.joining("\n")), e);
                }
            }
        }

        int leader = cluster.leaderOf("secured", 0);
        cluster.kill(leader);
        ProcessCluster.poll(Duration.ofSeconds(60), "a new leader of secured-0", () -> {
            int now = cluster.leaderOf("secured", 0);
            return now >= 0 && now != leader;
        });
        Map<String, Object> consumerProps = new HashMap<>(alice);
        consumerProps.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, List.of(cluster.internalBootstrapServers()
            .split(",")).stream().filter(a -> !a.endsWith(":" + cluster.internalPort(leader))).toList());
        consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps)) {
            TopicPartition tp = new TopicPartition("secured", 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (read.size() < sent.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    read.add(r.value());
                }
            }
        }
        assertEquals(sent, read, "every acknowledged record, from the follower that took over");

        cluster.start(leader);
        cluster.awaitBrokers(3);
        // The restarted node catches up through the secured listener and is back in the ISR.
        cluster.awaitFullIsr("secured");
    }

    /**
     * A TLS handshake with the controller listener (ALPN h2, as gRPC speaks) succeeds with the
     * nodes' certificate and fails without one.
     */
    private static void assertMutualTls(String address, TestCertificates certs, Path keystore) throws Exception {
        String host = address.substring(0, address.lastIndexOf(':'));
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        char[] password = TestCertificates.PASSWORD.toCharArray();
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certs.truststore())) {
            trust.load(in, password);
        }
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        KeyStore identity = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            identity.load(in, password);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(identity, password);

        SSLContext withCertificate = SSLContext.getInstance("TLS");
        withCertificate.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        handshake(withCertificate, host, port);
        SSLContext withoutCertificate = SSLContext.getInstance("TLS");
        withoutCertificate.init(null, trustManagers.getTrustManagers(), null);
        assertThrows(java.io.IOException.class, () -> handshake(withoutCertificate, host, port));
    }

    private static void handshake(SSLContext context, String host, int port) throws java.io.IOException {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, port)) {
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            // TLS 1.3 reports a refused client certificate only on the first read.
            socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            if (socket.getInputStream().read() < 0) {
                throw new java.io.EOFException("the controller closed the connection");
            }
        }
    }
}
