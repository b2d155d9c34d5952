package dev.sluice.compat;

import dev.sluice.broker.SluiceBroker;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** The official clients, pointed at a broker under test. */
final class KafkaClients {
    private KafkaClients() {
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
