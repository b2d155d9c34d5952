package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.SluiceCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateDelegationTokenOptions;
import org.apache.kafka.clients.admin.DescribeDelegationTokenOptions;
import org.apache.kafka.clients.admin.ExpireDelegationTokenOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RenewDelegationTokenOptions;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.DelegationTokenAuthorizationException;
import org.apache.kafka.common.errors.DelegationTokenDisabledException;
import org.apache.kafka.common.errors.DelegationTokenNotFoundException;
import org.apache.kafka.common.errors.DelegationTokenOwnerMismatchException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.UnsupportedByAuthenticationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.token.delegation.DelegationToken;
import org.apache.kafka.common.security.token.delegation.TokenInformation;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delegation tokens (KIP-48) with the official Admin client and Kafka's
 * {@code kafka-delegation-tokens} tool: a user who logged in with SCRAM creates a token, a client
 * that holds only the token's id and HMAC logs in with it as that user and produces and consumes
 * under the user's ACLs, renewers renew, others are refused, and an expired token neither logs in
 * nor stays in the metadata. Tokens cannot be managed by anonymous or token-authenticated clients,
 * nor at all without {@code delegation.token.secret.key}; on a cluster a token made through one
 * broker logs in on every other.
 */
class DelegationTokenTest {
    private static final String ADMIN_JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
        + "username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\";";
    private static final String TOPIC = "token-topic";

    @TempDir
    static Path dir;
    private static SluiceBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = SluiceBroker.builder()
            .config("listeners", "SASL_PLAINTEXT://localhost:0,PLAINTEXT://localhost:0")
            .config("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512")
            .config("listener.name.sasl_plaintext.plain.sasl.jaas.config", ADMIN_JAAS)
            .config("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
            .config("super.users", "User:admin")
            .config("allow.everyone.if.no.acl.found", "false")
            .config("delegation.token.secret.key", "token-secret")
            .config("delegation.token.expiry.check.interval.ms", "200")
            .start();
        try (Admin admin = Admin.create(client(broker.bootstrapServers("SASL_PLAINTEXT"), "PLAIN", plain("admin")))) {
            List<UserScramCredentialUpsertion> users = new ArrayList<>();
            for (String user : List.of("alice", "bob", "carol")) {
                users.add(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512,
                    4096), user + "-secret"));
            }
            admin.alterUserScramCredentials(new ArrayList<>(users)).all().get(30, TimeUnit.SECONDS);
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            List<AclBinding> acls = new ArrayList<>();
            for (AclOperation op : List.of(AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE)) {
                acls.add(new AclBinding(new ResourcePattern(ResourceType.TOPIC, TOPIC, PatternType.LITERAL),
                    new AccessControlEntry("User:alice", "*", op, AclPermissionType.ALLOW)));
            }
            acls.add(new AclBinding(new ResourcePattern(ResourceType.GROUP, "token-group", PatternType.LITERAL),
                new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW)));
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Map<String, Object> client(String bootstrap, String mechanism, String jaas) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        props.put(SaslConfigs.SASL_MECHANISM, mechanism);
        props.put(SaslConfigs.SASL_JAAS_CONFIG, jaas);
        props.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        return props;
    }

    private static String plain(String user) {
        return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
            + "\" password=\"" + user + "-secret\";";
    }

    private static String scram(String user) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
            + "\" password=\"" + user + "-secret\";";
    }

    /** What a client holding a token configures: its id as user name, its HMAC as password. */
    private static String tokenLogin(DelegationToken token) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
            + token.tokenInfo().tokenId() + "\" password=\"" + token.hmacAsBase64String() + "\" tokenauth=\"true\";";
    }

    private static Admin scramAdmin(String user) {
        return Admin.create(client(broker.bootstrapServers("SASL_PLAINTEXT"), "SCRAM-SHA-512", scram(user)));
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    private static Throwable failure(org.apache.kafka.common.KafkaFuture<?> future) {
        return assertThrows(ExecutionException.class, () -> future.get(30, TimeUnit.SECONDS)).getCause();
    }

    private static List<String> describedIds(Admin admin, KafkaPrincipal... owners) throws Exception {
        DescribeDelegationTokenOptions options = new DescribeDelegationTokenOptions();
        if (owners.length > 0) {
            options.owners(List.of(owners));
        }
        return get(admin.describeDelegationToken(options).delegationTokens()).stream()
            .map(t -> t.tokenInfo().tokenId()).toList();
    }

    @Test
    void aTokenLogsInAsItsOwnerAndOnlyOwnersAndRenewersChangeIt() throws Exception {
        KafkaPrincipal alice = new KafkaPrincipal("User", "alice");
        KafkaPrincipal bob = new KafkaPrincipal("User", "bob");
        DelegationToken token;
        try (Admin admin = scramAdmin("alice")) {
            token = get(admin.createDelegationToken(new CreateDelegationTokenOptions().renewers(List.of(bob)))
                .delegationToken());
        }
        TokenInformation info = token.tokenInfo();
        assertEquals(alice, info.owner());
        assertEquals(alice, info.tokenRequester());
        assertEquals(List.of(bob), new ArrayList<>(info.renewers()));
        assertEquals(64, token.hmac().length, "an HMAC-SHA512");
        assertTrue(info.issueTimestamp() <= info.expiryTimestamp() && info.expiryTimestamp() <= info.maxTimestamp());
        assertEquals(Duration.ofDays(1).toMillis(), info.expiryTimestamp() - info.issueTimestamp());
        assertEquals(Duration.ofDays(7).toMillis(), info.maxTimestamp() - info.issueTimestamp());

        // The token's holder writes and reads as alice, with either SCRAM mechanism.
        Map<String, Object> producerProps = client(broker.bootstrapServers("SASL_PLAINTEXT"), "SCRAM-SHA-256",
            tokenLogin(token));
        producerProps.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(TOPIC, "k", "written with a token")).get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> consumerProps = client(broker.bootstrapServers("SASL_PLAINTEXT"), "SCRAM-SHA-512",
            tokenLogin(token));
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "token-group");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!values.contains("written with a token") && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
        }
        assertTrue(values.contains("written with a token"), "consumed " + values);

        // A client logged in with a token may not make or change tokens.
        try (Admin withToken = Admin.create(client(broker.bootstrapServers("SASL_PLAINTEXT"), "SCRAM-SHA-512",
                tokenLogin(token)))) {
            assertInstanceOf(UnsupportedByAuthenticationException.class,
                failure(withToken.createDelegationToken().delegationToken()));
            assertInstanceOf(UnsupportedByAuthenticationException.class,
                failure(withToken.renewDelegationToken(token.hmac()).expiryTimestamp()));
        }

        // Owner, renewer and super user see it; another user does not, whatever owner it filters on.
        try (Admin aliceAdmin = scramAdmin("alice"); Admin bobAdmin = scramAdmin("bob");
             Admin carolAdmin = scramAdmin("carol");
             Admin admin = Admin.create(client(broker.bootstrapServers("SASL_PLAINTEXT"), "PLAIN", plain("admin")))) {
            String id = info.tokenId();
            assertTrue(describedIds(aliceAdmin).contains(id));
            assertTrue(describedIds(bobAdmin, alice).contains(id));
            assertTrue(describedIds(admin).contains(id));
            assertFalse(describedIds(carolAdmin).contains(id));
            assertFalse(describedIds(carolAdmin, alice).contains(id));
            assertFalse(describedIds(admin, new KafkaPrincipal("User", "carol")).contains(id));
            assertEquals(token.hmacAsBase64String(), get(aliceAdmin.describeDelegationToken().delegationTokens())
                .stream().filter(t -> t.tokenInfo().tokenId().equals(id)).findFirst().orElseThrow().hmacAsBase64String());

            // The renewer renews, by no more than delegation.token.expiry.time.ms; an expiry may move the
            // token's end anywhere up to its maximum; another user may do neither.
            long day = Duration.ofDays(1).toMillis();
            long before = System.currentTimeMillis();
            long renewed = get(bobAdmin.renewDelegationToken(token.hmac(),
                new RenewDelegationTokenOptions().renewTimePeriodMs(Duration.ofDays(30).toMillis())).expiryTimestamp());
            assertTrue(before + day <= renewed && renewed <= System.currentTimeMillis() + day, "renewed to " + renewed);
            long shorter = get(aliceAdmin.renewDelegationToken(token.hmac(),
                new RenewDelegationTokenOptions().renewTimePeriodMs(60_000)).expiryTimestamp());
            assertTrue(shorter < renewed && shorter > System.currentTimeMillis(), "renewed to " + shorter);
            assertEquals(info.maxTimestamp(), get(bobAdmin.expireDelegationToken(token.hmac(),
                new ExpireDelegationTokenOptions().expiryTimePeriodMs(Duration.ofDays(30).toMillis())).expiryTimestamp()));
            assertInstanceOf(DelegationTokenOwnerMismatchException.class,
                failure(carolAdmin.renewDelegationToken(token.hmac()).expiryTimestamp()));
            assertInstanceOf(DelegationTokenOwnerMismatchException.class,
                failure(carolAdmin.expireDelegationToken(token.hmac()).expiryTimestamp()));
            assertInstanceOf(DelegationTokenNotFoundException.class,
                failure(aliceAdmin.renewDelegationToken(new byte[64]).expiryTimestamp()));

            // Expired at once: gone, and its holder can no longer log in.
            get(aliceAdmin.expireDelegationToken(token.hmac(),
                new ExpireDelegationTokenOptions().expiryTimePeriodMs(-1)).expiryTimestamp());
            assertFalse(describedIds(admin).contains(id));
            assertInstanceOf(DelegationTokenNotFoundException.class,
                failure(aliceAdmin.renewDelegationToken(token.hmac()).expiryTimestamp()));
        }
        try (Admin withToken = Admin.create(client(broker.bootstrapServers("SASL_PLAINTEXT"), "SCRAM-SHA-512",
                tokenLogin(token)))) {
            assertInstanceOf(SaslAuthenticationException.class, failure(withToken.describeCluster().clusterId()));
        }
    }

    @Test
    void aTokenForAnotherOwnerNeedsCreateTokensOnThatUser() throws Exception {
        KafkaPrincipal alice = new KafkaPrincipal("User", "alice");
        try (Admin carol = scramAdmin("carol");
             Admin admin = Admin.create(client(broker.bootstrapServers("SASL_PLAINTEXT"), "PLAIN", plain("admin")))) {
            assertInstanceOf(DelegationTokenAuthorizationException.class,
                failure(carol.createDelegationToken(new CreateDelegationTokenOptions().owner(alice)).delegationToken()));
            DelegationToken token = get(admin.createDelegationToken(new CreateDelegationTokenOptions().owner(alice)
                .maxlifeTimeMs(60_000)).delegationToken());
            assertEquals(alice, token.tokenInfo().owner());
            assertEquals(new KafkaPrincipal("User", "admin"), token.tokenInfo().tokenRequester());
            assertEquals(60_000, token.tokenInfo().maxTimestamp() - token.tokenInfo().issueTimestamp());
            // The owner may renew a token another made for it.
            get(scramAdmin("alice").renewDelegationToken(token.hmac()).expiryTimestamp());
            get(admin.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.USER, "User:alice",
                PatternType.LITERAL), new AccessControlEntry("User:carol", "*", AclOperation.CREATE_TOKENS,
                AclPermissionType.ALLOW)))).all());
            ProcessCluster.poll(Duration.ofSeconds(30), "carol creating a token for alice", () -> {
                try {
                    get(carol.createDelegationToken(new CreateDelegationTokenOptions().owner(alice)).delegationToken());
                    return true;
                } catch (ExecutionException e) {
                    assertInstanceOf(DelegationTokenAuthorizationException.class, e.getCause());
                    return false;
                }
            });
        }
    }

    @Test
    void anExpiredTokenNoLongerLogsInAndLeavesTheMetadata() throws Exception {
        DelegationToken token;
        try (Admin alice = scramAdmin("alice")) {
            token = get(alice.createDelegationToken(new CreateDelegationTokenOptions().maxlifeTimeMs(1500))
                .delegationToken());
        }
        long expiry = token.tokenInfo().expiryTimestamp();
        try (Admin admin = Admin.create(client(broker.bootstrapServers("SASL_PLAINTEXT"), "PLAIN", plain("admin")))) {
            ProcessCluster.poll(Duration.ofSeconds(30), "the expired token removed",
                () -> !describedIds(admin).contains(token.tokenInfo().tokenId()));
        }
        assertTrue(System.currentTimeMillis() > expiry, "removed before it expired");
        try (Admin withToken = Admin.create(client(broker.bootstrapServers("SASL_PLAINTEXT"), "SCRAM-SHA-512",
                tokenLogin(token)))) {
            assertInstanceOf(SaslAuthenticationException.class, failure(withToken.describeCluster().clusterId()));
        }
    }

    @Test
    void anonymousClientsAndBrokersWithoutASecretKeyMakeNoTokens() throws Exception {
        Map<String, Object> plaintext = new HashMap<>();
        plaintext.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers("PLAINTEXT"));
        try (Admin anonymous = Admin.create(plaintext)) {
            assertInstanceOf(UnsupportedByAuthenticationException.class,
                failure(anonymous.createDelegationToken().delegationToken()));
            assertInstanceOf(UnsupportedByAuthenticationException.class,
                failure(anonymous.describeDelegationToken().delegationTokens()));
        }
        try (SluiceBroker keyless = SluiceBroker.builder()
                .config("listeners", "SASL_PLAINTEXT://localhost:0")
                .config("sasl.enabled.mechanisms", "PLAIN")
                .config("listener.name.sasl_plaintext.plain.sasl.jaas.config", ADMIN_JAAS)
                .start();
             Admin admin = Admin.create(client(keyless.bootstrapServers("SASL_PLAINTEXT"), "PLAIN", plain("admin")))) {
            assertInstanceOf(DelegationTokenDisabledException.class,
                failure(admin.createDelegationToken().delegationToken()));
            assertInstanceOf(DelegationTokenDisabledException.class,
                failure(admin.describeDelegationToken().delegationTokens()));
        }
    }

    @Test
    void kafkaDelegationTokensToolCreatesDescribesRenewsAndExpires() throws Exception {
        Path config = dir.resolve("alice.properties");
        Files.writeString(config, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
            + "sasl.jaas.config=" + scram("alice") + "\n");
        String bootstrap = broker.bootstrapServers("SASL_PLAINTEXT");
        String tool = "org.apache.kafka.tools.DelegationTokenCommand";
        KafkaTool.Result created = KafkaTool.against(bootstrap, tool, "--command-config", config.toString(), "--create",
            "--max-life-time-period", "-1", "--renewer-principal", "User:bob").assertSuccess();
        // The table's row: token id, then the HMAC in Base64.
        String row = created.out().lines().filter(l -> l.contains("User:alice")).findFirst().orElseThrow(
            () -> new AssertionError("no token row in\n" + created.out()));
        String[] columns = row.trim().split("\\s+");
        String tokenId = columns[0];
        String hmac = columns[1];
        // Without --owner-principal the tool asks for an empty list of owners, which a Kafka broker answers
        // with no tokens; it is asked for alice's.
        KafkaTool.Result described = KafkaTool.against(bootstrap, tool, "--command-config", config.toString(),
            "--describe", "--owner-principal", "User:alice").assertSuccess();
        assertTrue(described.out().contains(tokenId), described.out());
        KafkaTool.against(bootstrap, tool, "--command-config", config.toString(), "--renew", "--hmac", hmac,
            "--renew-time-period", "120000").assertSuccess();
        KafkaTool.against(bootstrap, tool, "--command-config", config.toString(), "--expire", "--hmac", hmac,
            "--expiry-time-period", "-1").assertSuccess();
        KafkaTool.Result after = KafkaTool.against(bootstrap, tool, "--command-config", config.toString(),
            "--describe", "--owner-principal", "User:alice").assertSuccess();
        assertFalse(after.out().contains(tokenId), after.out());
    }

    @Test
    void onAClusterATokenMadeThroughOneBrokerLogsInOnEveryOther() throws Exception {
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" "
            + "password=\"admin-secret\" user_admin=\"admin-secret\";";
        try (SluiceCluster cluster = SluiceCluster.builder().brokers(3)
                .config("listener.security.protocol.map", "PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT")
                .config("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512")
                .config("sasl.mechanism.inter.broker.protocol", "PLAIN")
                .config("listener.name.plaintext.plain.sasl.jaas.config", jaas)
                .config("delegation.token.secret.key", "cluster-token-secret")
                .start()) {
            int controller = cluster.activeController();
            int other = cluster.running().stream().filter(id -> id != controller).findFirst().orElseThrow();
            int third = cluster.running().stream().filter(id -> id != controller && id != other).findFirst().orElseThrow();
            String viaOther = cluster.broker(other).bootstrapServers();
            try (Admin admin = Admin.create(client(viaOther, "PLAIN", plain("admin")))) {
                get(admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("alice",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "alice-secret"))).all());
            }
            AtomicReference<DelegationToken> made = new AtomicReference<>();
            try (Admin alice = Admin.create(client(viaOther, "SCRAM-SHA-512", scram("alice")))) {
                // Alice's credential reaches the broker through the metadata log a moment after it is written.
                ProcessCluster.poll(Duration.ofSeconds(30), "a token made through node " + other, () -> {
                    try {
                        made.set(get(alice.createDelegationToken().delegationToken()));
                        return true;
                    } catch (ExecutionException e) {
                        return false;
                    }
                });
            }
            DelegationToken token = made.get();
            try (Admin withToken = Admin.create(client(cluster.broker(third).bootstrapServers(), "SCRAM-SHA-512",
                    tokenLogin(token)))) {
                ProcessCluster.poll(Duration.ofSeconds(30), "a login with the token on node " + third, () -> {
                    try {
                        return get(withToken.describeCluster().nodes()).size() == 3;
                    } catch (ExecutionException e) {
                        return false;
                    }
                });
            }
        }
    }
}
