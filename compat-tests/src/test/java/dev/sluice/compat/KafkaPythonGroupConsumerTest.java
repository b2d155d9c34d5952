package dev.sluice.compat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * kafka-python's group consumer against the embedded broker. kafka-python 2.0 picks its request
 * versions from a broker release it infers (from ApiVersions v0 and Metadata v0), not from the
 * advertised ranges, so it sends older versions than most clients: FindCoordinator v0, SyncGroup,
 * Heartbeat and LeaveGroup v1, JoinGroup v2, OffsetCommit v2, OffsetFetch v1. Skipped where
 * kafka-python is not installed for the system Python ({@code .ci/run} installs Debian's
 * {@code python3-kafka} when it can).
 */
class KafkaPythonGroupConsumerTest extends GroupConsumerCompatibility {
    /** Debian's packages install into the system Python, which another python3 on the PATH would not see. */
    private static final String PYTHON = "/usr/bin/python3";

    @BeforeAll
    static void requireKafkaPython() {
        assumeTrue(runs(PYTHON, "-c", "import kafka"), "kafka-python not installed (Debian: python3-kafka)");
    }

    @Override
    String client() {
        return "kafka-python";
    }

    @Override
    List<String> program() {
        return List.of(PYTHON, moduleDir().resolve("src/test/clients/kafka-python/group_consumer.py").toString());
    }
}
