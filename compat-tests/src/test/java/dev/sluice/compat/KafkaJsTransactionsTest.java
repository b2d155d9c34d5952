package dev.sluice.compat;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * KafkaJS's transactional producer ({@code transactionalId}, {@code idempotent: true},
 * {@code maxInFlightRequests: 1}) against the embedded broker. KafkaJS is installed as for
 * {@link KafkaJsGroupConsumerTest}, and the test is skipped where that cannot be done.
 */
class KafkaJsTransactionsTest extends TransactionalProducerCompatibility {
    @BeforeAll
    static void installKafkaJs() throws IOException {
        KafkaJsGroupConsumerTest.installKafkaJs();
    }

    @Override
    String client() {
        return "kafkajs";
    }

    @Override
    List<String> program() {
        return List.of("node", KafkaJsGroupConsumerTest.installed().resolve("transactional-producer.js").toString());
    }
}
