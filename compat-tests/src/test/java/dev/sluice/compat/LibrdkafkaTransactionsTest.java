package dev.sluice.compat;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * librdkafka's transactional producer, through confluent-kafka-python, against the embedded
 * broker; skipped, like {@link LibrdkafkaGroupConsumerTest}, where confluent-kafka-python is not
 * installed for the system Python.
 */
class LibrdkafkaTransactionsTest extends TransactionalProducerCompatibility {
    @BeforeAll
    static void requireConfluentKafka() {
        LibrdkafkaGroupConsumerTest.requireConfluentKafka();
    }

    @Override
    String client() {
        return "librdkafka";
    }

    @Override
    List<String> program() {
        return List.of(LibrdkafkaGroupConsumerTest.PYTHON, GroupConsumerCompatibility.moduleDir()
            .resolve("src/test/clients/confluent-kafka/transactional_producer.py").toString());
    }
}
