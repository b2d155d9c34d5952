package dev.sluice.compat;

import dev.sluice.broker.SluiceBroker;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** The official clients, pointed at a broker under test. */
final class KafkaClients {
    private KafkaClients() {
    }

    /**
     * The address of the broker under test: the system property {@code sluice.compat.bootstrap}
     * where it is set (a reference Kafka, to check what a test expects), else {@code embedded}'s.
     */
    static String bootstrapServers(Supplier<String> embedded) {
        return Optional.ofNullable(System.getProperty("sluice.compat.bootstrap")).orElseGet(embedded);
    }

    static Admin admin(SluiceBroker broker) {
        return admin(broker.bootstrapServers());
    }

    static Admin admin(String bootstrapServers) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }
}
