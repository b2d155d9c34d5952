package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka's authorizer semantics on a SASL listener: {@code kafka-acls} adds, lists and removes ACLs;
 * a user is allowed what its ACLs grant (literal, prefixed, implied DESCRIBE) and refused the rest
 * with Kafka's errors; DENY wins; super users may do anything; and a user without any ACL is
 * refused on every API of a table of guarded ones.
 */
class AclTest {
    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
        + "user_admin=\"admin-secret\" user_alice=\"alice-secret\" user_bob=\"bob-secret\";";
    private static SluiceBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = SluiceBroker.builder()
            .config("listeners", "SASL_PLAINTEXT://localhost:0")
            .config("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT")
            .config("sasl.enabled.mechanisms", "PLAIN")
            .config("listener.name.sasl_plaintext.plain.sasl.jaas.config", JAAS)
            .config("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
            .config("super.users", "User:admin")
            .config("group.initial.rebalance.delay.ms", "0")
            .start();
        try (Admin admin = Admin.create(client("admin"))) {
            admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1), new NewTopic("logs-app", 1, (short) 1),
                new NewTopic("secret", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Map<String, Object> client(String user) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        props.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"" + user + "\" password=\"" + user + "-secret\";");
        props.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        props.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        return props;
    }

    private static KafkaTool.Result acls(String... args) throws Exception {
        java.nio.file.Path config = java.nio.file.Files.createTempFile("acl-admin", ".properties");
        java.nio.file.Files.writeString(config, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
            + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" "
            + "password=\"admin-secret\";\n");
        String[] all = new String[args.length + 4];
        all[0] = "--bootstrap-server";
        all[1] = broker.bootstrapServers();
        all[2] = "--command-config";
        all[3] = config.toString();
        System.arraycopy(args, 0, all, 4, args.length);
        try {
            return KafkaTool.run("org.apache.kafka.tools.AclCommand", all);
        } finally {
            java.nio.file.Files.deleteIfExists(config);
        }
    }

    private static Throwable cause(KafkaFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(30, TimeUnit.SECONDS));
        return e.getCause();
    }

    private static void send(String user, String topic, Map<String, Object> extra) throws Exception {
        Map<String, Object> props = client(user);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        props.putAll(extra);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.send(new ProducerRecord<>(topic, 0, null, "v")).get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void kafkaAclsGrantsListsAndRevokesAsKafkaDoes() throws Exception {
        ExecutionException refused = assertThrows(ExecutionException.class, () -> send("alice", "orders", Map.of()));
        assertInstanceOf(TopicAuthorizationException.class, refused.getCause(), refused.toString());

        acls("--add", "--allow-principal", "User:alice", "--operation", "Write", "--topic", "orders").assertSuccess();
        KafkaTool.Result listed = acls("--list", "--topic", "orders").assertSuccess();
        assertTrue(listed.out().contains("principal=User:alice") && listed.out().contains("operation=WRITE"), listed.toString());
        // WRITE on a topic is enough for an idempotent producer (Kafka's rule since 3.0).
        send("alice", "orders", Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"));
        ExecutionException bob = assertThrows(ExecutionException.class, () -> send("bob", "orders", Map.of()));
        assertInstanceOf(TopicAuthorizationException.class, bob.getCause(), bob.toString());

        acls("--remove", "--force", "--allow-principal", "User:alice", "--operation", "Write", "--topic", "orders")
            .assertSuccess();
        assertTrue(acls("--list", "--topic", "orders").assertSuccess().out().isBlank()
            || !acls("--list", "--topic", "orders").out().contains("User:alice"));
        ExecutionException revoked = assertThrows(ExecutionException.class, () -> send("alice", "orders", Map.of()));
        assertInstanceOf(TopicAuthorizationException.class, revoked.getCause(), revoked.toString());
    }

    @Test
    void aConsumerNeedsReadOnItsTopicAndGroupAndPrefixesApply() throws Exception {
        try (Admin admin = Admin.create(client("admin"))) {
            admin.createAcls(List.of(
                new AclBinding(new ResourcePattern(ResourceType.TOPIC, "logs-", PatternType.PREFIXED),
                    new AccessControlEntry("User:bob", "*", AclOperation.READ, AclPermissionType.ALLOW)),
                new AclBinding(new ResourcePattern(ResourceType.TOPIC, "logs-", PatternType.PREFIXED),
                    new AccessControlEntry("User:bob", "*", AclOperation.WRITE, AclPermissionType.ALLOW))))
                .all().get(30, TimeUnit.SECONDS);
        }
        send("bob", "logs-app", Map.of());
        Properties props = new Properties();
        props.putAll(client("bob"));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "bob-group");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of("logs-app"));
            assertThrows(GroupAuthorizationException.class, () -> consumer.poll(Duration.ofSeconds(10)));
        }
        try (Admin admin = Admin.create(client("admin"))) {
            admin.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.GROUP, "bob-group", PatternType.LITERAL),
                new AccessControlEntry("User:bob", "*", AclOperation.READ, AclPermissionType.ALLOW))))
                .all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of("logs-app"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int read = 0;
            while (read == 0 && System.nanoTime() < deadline) {
                read += consumer.poll(Duration.ofMillis(500)).count();
            }
            assertTrue(read > 0, "bob read nothing from logs-app");
            consumer.commitSync();
        }
        // bob may describe what he may read, and sees nothing else; authorized operations say
        // what his ACLs grant.
        try (Admin admin = Admin.create(client("bob"))) {
            assertEquals(Set.of("logs-app"), admin.listTopics().names().get(30, TimeUnit.SECONDS));
            assertEquals(Set.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE), admin.describeTopics(
                List.of("logs-app"), new org.apache.kafka.clients.admin.DescribeTopicsOptions()
                    .includeAuthorizedOperations(true)).allTopicNames().get(30, TimeUnit.SECONDS).get("logs-app")
                .authorizedOperations());
            assertEquals(Set.of(), admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions()
                .includeAuthorizedOperations(true)).authorizedOperations().get(30, TimeUnit.SECONDS));
            assertEquals(Set.of(AclOperation.READ, AclOperation.DESCRIBE), admin.describeConsumerGroups(
                List.of("bob-group"), new org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions()
                    .includeAuthorizedOperations(true)).describedGroups().get("bob-group").get(30, TimeUnit.SECONDS)
                .authorizedOperations());
        }
    }

    @Test
    void denyWinsOverAllow() throws Exception {
        try (Admin admin = Admin.create(client("admin"))) {
            admin.createAcls(List.of(
                new AclBinding(new ResourcePattern(ResourceType.TOPIC, "*", PatternType.LITERAL),
                    new AccessControlEntry("User:alice", "*", AclOperation.ALL, AclPermissionType.ALLOW)),
                new AclBinding(new ResourcePattern(ResourceType.TOPIC, "secret", PatternType.LITERAL),
                    new AccessControlEntry("User:alice", "*", AclOperation.WRITE, AclPermissionType.DENY))))
                .all().get(30, TimeUnit.SECONDS);
            Throwable denied = assertThrows(ExecutionException.class, () -> send("alice", "secret", Map.of())).getCause();
            assertInstanceOf(TopicAuthorizationException.class, denied);
            send("alice", "logs-app", Map.of());
            admin.deleteAcls(List.of(new AclBindingFilter(new org.apache.kafka.common.resource.ResourcePatternFilter(
                ResourceType.TOPIC, null, PatternType.ANY), new org.apache.kafka.common.acl.AccessControlEntryFilter(
                "User:alice", null, AclOperation.ANY, AclPermissionType.ANY)))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** One guarded operation, what it is, and the refusal Kafka gives a principal without ACLs. */
    private record Guarded(String what, Class<? extends Throwable> refusal, java.util.function.Function<Admin, KafkaFuture<?>> call) {
    }

    @Test
    void aPrincipalWithoutAclsIsRefusedOnEveryGuardedApi() throws Exception {
        TopicPartition orders = new TopicPartition("orders", 0);
        List<Guarded> table = List.of(
            new Guarded("CreateTopics", TopicAuthorizationException.class,
                a -> a.createTopics(List.of(new NewTopic("carol-topic", 1, (short) 1))).all()),
            new Guarded("DeleteTopics", TopicAuthorizationException.class, a -> a.deleteTopics(List.of("orders")).all()),
            new Guarded("Metadata (describe a topic)", TopicAuthorizationException.class,
                a -> a.describeTopics(List.of("orders")).allTopicNames()),
            new Guarded("ListOffsets", TopicAuthorizationException.class,
                a -> a.listOffsets(Map.of(orders, OffsetSpec.latest())).all()),
            new Guarded("DescribeConfigs", ClusterAuthorizationException.class,
                a -> a.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.BROKER, "1"))).all()),
            new Guarded("OffsetFetch", GroupAuthorizationException.class,
                a -> a.listConsumerGroupOffsets("carol-group").partitionsToOffsetAndMetadata()),
            new Guarded("DescribeGroups", GroupAuthorizationException.class,
                a -> a.describeConsumerGroups(List.of("carol-group")).all()),
            new Guarded("DeleteGroups", GroupAuthorizationException.class,
                a -> a.deleteConsumerGroups(List.of("carol-group")).all()),
            new Guarded("DescribeAcls", ClusterAuthorizationException.class,
                a -> a.describeAcls(AclBindingFilter.ANY).values()),
            new Guarded("CreateAcls", ClusterAuthorizationException.class,
                a -> a.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "x", PatternType.LITERAL),
                    new AccessControlEntry("User:carol", "*", AclOperation.READ, AclPermissionType.ALLOW)))).all()),
            new Guarded("DescribeUserScramCredentials", ClusterAuthorizationException.class,
                a -> a.describeUserScramCredentials().all()),
            new Guarded("DescribeLogDirs", ClusterAuthorizationException.class,
                a -> a.describeLogDirs(List.of(1)).allDescriptions()));
        StringBuilder wrong = new StringBuilder();
        // bob holds ACLs on logs-* topics and bob-group only (whichever test ran first): orders,
        // carol-topic and carol-group are not his.
        try (Admin carol = Admin.create(client("bob"))) {
            for (Guarded g : table) {
                Throwable refusal;
                try {
                    g.call().apply(carol).get(30, TimeUnit.SECONDS);
                    wrong.append(g.what()).append(": allowed\n");
                    continue;
                } catch (ExecutionException e) {
                    refusal = e.getCause();
                }
                if (!g.refusal().isInstance(refusal)) {
                    wrong.append(g.what()).append(": ").append(refusal).append('\n');
                }
            }
        }
        Map<String, Object> transactional = client("bob");
        transactional.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bob-txn");
        transactional.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        transactional.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        transactional.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(transactional)) {
            producer.initTransactions();
            wrong.append("InitProducerId (transactional): allowed\n");
        } catch (TransactionalIdAuthorizationException expected) {
            // As Kafka refuses it.
        }
        assertEquals("", wrong.toString(), "APIs not refused as Kafka refuses them");
    }
}
