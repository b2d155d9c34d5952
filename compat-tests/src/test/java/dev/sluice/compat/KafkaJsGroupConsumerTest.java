package dev.sluice.compat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * KafkaJS's group consumer against the embedded broker. KafkaJS picks the highest request versions
 * both sides serve, from ApiVersions; KafkaJS 2.2 against Kafka 4.1 sends FindCoordinator v2,
 * SyncGroup, Heartbeat and LeaveGroup v3, OffsetFetch v4, JoinGroup and OffsetCommit v5, and
 * offers only its own assignor, {@code RoundRobinAssigner}. The programs and the
 * {@code package-lock.json} are copied to {@code target/clients/kafkajs}, where {@code npm ci}
 * installs the locked KafkaJS (again only when the lock file changes). Skipped where Node.js is not
 * installed or npm cannot reach its registry.
 */
class KafkaJsGroupConsumerTest extends GroupConsumerCompatibility {
    private static final List<String> FILES = List.of("package.json", "package-lock.json", "group-consumer.js",
        "transactional-producer.js", "sasl-client.js");

    /** Where KafkaJS and the programs are installed; {@link KafkaJsTransactionsTest} runs its program from here too. */
    static Path installed() {
        return moduleDir().resolve("target/clients/kafkajs");
    }

    @BeforeAll
    static void installKafkaJs() throws IOException {
        assumeTrue(runs("node", "--version"), "Node.js not installed");
        Path source = moduleDir().resolve("src/test/clients/kafkajs");
        Path target = installed();
        Files.createDirectories(target);
        boolean upToDate = Files.isRegularFile(target.resolve("node_modules/kafkajs/package.json"))
            && Files.isRegularFile(target.resolve("package-lock.json"))
            && Files.mismatch(source.resolve("package-lock.json"), target.resolve("package-lock.json")) == -1;
        for (String file : FILES) {
            Files.copy(source.resolve(file), target.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!upToDate) {
            SetupRun install = setup(target, Map.of(), Duration.ofMinutes(3), "npm", "ci", "--no-audit", "--no-fund");
            assumeTrue(install.succeeded(), () -> "could not install KafkaJS with npm ci:\n" + install.output());
        }
    }

    @Override
    String client() {
        return "kafkajs";
    }

    @Override
    List<String> program() {
        return List.of("node", installed().resolve("group-consumer.js").toString());
    }
}
