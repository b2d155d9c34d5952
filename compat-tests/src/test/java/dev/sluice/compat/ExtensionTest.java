package dev.sluice.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.broker.SluiceBroker;
import dev.sluice.broker.config.BrokerConfigKeys;
import dev.sluice.broker.junit.SluiceTest;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.TestMethodOrder;

/** The JUnit 5 extension: one broker per class, per test or per annotated method, configured and injected. */
@SluiceTest(config = {"num.partitions=3", "message.max.bytes=2000000"})
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
class ExtensionTest {
    static SluiceBroker classBroker;
    SluiceBroker broker;

    static Admin admin(SluiceBroker broker) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return Admin.create(props);
    }

    static int partitionsOfANewTopic(SluiceBroker broker, String topic) throws Exception {
        try (Admin admin = admin(broker)) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty()))).all().get();
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        }
    }

    @BeforeAll
    static void staticFieldIsSetBeforeBeforeAll(SluiceBroker parameter) {
        assertNotNull(classBroker);
        assertSame(classBroker, parameter);
    }

    @Test
    void fieldsAndParametersShareTheClassBroker(SluiceBroker parameter) {
        assertSame(classBroker, broker);
        assertSame(classBroker, parameter);
    }

    @Test
    void classConfigReachesTheBroker() throws Exception {
        assertEquals(3, partitionsOfANewTopic(broker, "uses-num-partitions"));
    }

    @Test
    @SluiceTest(config = "num.partitions=5")
    void aMethodAnnotationGivesTheMethodItsOwnBrokerOnTopOfTheClassConfig(SluiceBroker parameter) throws Exception {
        assertNotSame(classBroker, parameter);
        assertSame(parameter, broker);
        assertEquals(2_000_000, parameter.config().getInt(BrokerConfigKeys.MESSAGE_MAX_BYTES));
        assertEquals(5, partitionsOfANewTopic(parameter, "method-broker-topic"));
    }

    @Nested
    @Order(1)
    class NestedClassWithoutItsOwnSettings {
        @Test
        void sharesTheEnclosingClassBroker(SluiceBroker parameter) {
            assertSame(classBroker, parameter);
            assertSame(classBroker, broker);
        }
    }

    @Nested
    @Order(2)
    @SluiceTest(lifecycle = SluiceTest.Lifecycle.PER_TEST, config = "num.partitions=2")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class FreshBrokerPerTest {
        static final List<SluiceBroker> SEEN = new ArrayList<>();

        @Test
        @Order(1)
        void firstTestGetsABrokerOfItsOwn(SluiceBroker parameter) throws Exception {
            SEEN.add(parameter);
            assertNotSame(classBroker, parameter);
            assertSame(parameter, broker, "enclosing instances see the broker the test runs against");
            assertEquals(2, partitionsOfANewTopic(parameter, "left-behind"));
        }

        @Test
        @Order(2)
        void nextTestGetsAnEmptyBrokerAndThePreviousOneIsClosed(SluiceBroker parameter) throws Exception {
            assertEquals(1, SEEN.size(), "runs after firstTestGetsABrokerOfItsOwn");
            SluiceBroker previous = SEEN.get(0);
            assertNotSame(previous, parameter);
            assertTrue(Files.notExists(previous.dataDir()), "closing deletes the temporary data directory");
            try (Admin admin = admin(parameter)) {
                assertTrue(admin.listTopics().names().get().isEmpty());
            }
        }
    }
}
