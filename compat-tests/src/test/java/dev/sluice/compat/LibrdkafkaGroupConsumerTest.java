package dev.sluice.compat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * librdkafka's group consumer, through confluent-kafka-python, against the embedded broker.
 * librdkafka picks the highest request versions both sides serve, from ApiVersions; librdkafka
 * 2.0 against Kafka 4.1 sends FindCoordinator v2, LeaveGroup v1, SyncGroup and Heartbeat v3,
 * JoinGroup v5 (so a first join is answered MEMBER_ID_REQUIRED), OffsetCommit and OffsetFetch v7.
 * Skipped where confluent-kafka-python is not installed for the system Python ({@code .ci/run}
 * installs Debian's {@code python3-confluent-kafka} when it can). Setting the environment variable
 * {@code LIBRDKAFKA_DEBUG} (to {@code protocol}, {@code cgrp}, ...) turns on librdkafka's debug log
 * in the program's standard error.
 */
class LibrdkafkaGroupConsumerTest extends GroupConsumerCompatibility {
    /** Debian's packages install into the system Python, which another python3 on the PATH would not see. */
    static final String PYTHON = "/usr/bin/python3";

    /** Skips the calling test class where confluent-kafka-python is missing; {@link LibrdkafkaTransactionsTest} shares it. */
    @BeforeAll
    static void requireConfluentKafka() {
        assumeTrue(runs(PYTHON, "-c", "import confluent_kafka"),
            "confluent-kafka-python not installed (Debian: python3-confluent-kafka)");
    }

    @Override
    String client() {
        return "librdkafka";
    }

    @Override
    List<String> program() {
        return List.of(PYTHON, moduleDir().resolve("src/test/clients/confluent-kafka/group_consumer.py").toString());
    }
}
